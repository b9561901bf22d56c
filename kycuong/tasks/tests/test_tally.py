"""The task tally: kept exact by every write, and the unit summaries it answers equal counting the tasks."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kycuong.core.context import SystemActor
from kycuong.org.services import unit_update
from kycuong.tasks import services
from kycuong.tasks.models import Task, TaskTally
from kycuong.tasks.selectors import (
    TaskFilters,
    UnitTaskSummary,
    _summary_figures,
    sub_unit_task_summaries,
    task_list,
    unit_task_summary,
)
from kycuong.tasks.tally import tally_differences, tally_rebuild

DAY = datetime.date(2026, 11, 26)
YEAR = {"due_from": datetime.date(2025, 1, 1), "due_to": datetime.date(2026, 12, 31)}
LINK = ["https://hoangmai.hanoi.gov.vn/bao-cao"]


def counted_from_tasks(actor, unit, with_descendants=True) -> UnitTaskSummary:
    """The summary counted task by task: the definition the tally must agree with."""
    filters = TaskFilters(unit_id=unit.pk, with_descendants=with_descendants, **YEAR)
    tasks = task_list(actor=actor, filters=filters, day=DAY).order_by()
    return UnitTaskSummary(**tasks.aggregate(**_summary_figures(DAY)))


@pytest.fixture
def history(people, make_task):
    """Tasks in every outcome, each moved there through the services."""
    head, worker = people.user("hoangmai_head"), people.user("hoangliet_staff")
    future = datetime.date(2026, 12, 18)
    make_task(title="Còn mở, quá hạn")
    late = make_task(title="Hoàn thành muộn")
    services.task_accept(actor=worker, task=late)
    services.task_submit(actor=worker, task=late, text="Đã xong", links=LINK)
    services.task_approve(actor=head, task=late)
    handed_in = make_task(title="Đã nộp đúng hạn", due_date=future)
    services.task_accept(actor=worker, task=handed_in)
    services.task_submit(actor=worker, task=handed_in, text="Đã nộp", links=LINK)
    on_time = make_task(title="Hoàn thành đúng hạn", due_date=future)
    services.task_accept(actor=worker, task=on_time)
    services.task_submit(actor=worker, task=on_time, text="Xong", links=LINK)
    services.task_approve(actor=head, task=on_time)
    services.task_cancel(actor=head, task=make_task(title="Hủy"), reason="Trùng lặp")
    moved = make_task(title="Chuyển đơn vị chủ trì", lead_unit=people.dinhcong, responsible=None)
    services.task_return(actor=head, task=moved, reason="Không thuộc thẩm quyền của phường")
    services.task_reassign(actor=head, task=moved, lead_unit=people.hoangliet, note="Đúng thẩm quyền")
    extended = make_task(title="Được gia hạn")
    services.task_accept(actor=worker, task=extended)
    extension = services.extension_request(
        actor=worker, task=extended, requested_due_date=future, reason="Chờ số liệu"
    )
    services.extension_decide(actor=head, extension=extension, grant=True)
    rework = make_task(title="Làm lại", due_date=future)
    services.task_accept(actor=worker, task=rework)
    services.task_submit(actor=worker, task=rework, text="Lần 1", links=LINK)
    services.task_send_back(actor=head, task=rework, reason="Thiếu số liệu")
    make_task(title="Của phường Định Công", lead_unit=people.dinhcong, responsible=None)
    make_task(title="Của quận", lead_unit=people.hoangmai, responsible=None)
    return people


def test_every_service_write_keeps_the_tally_exact(history):
    assert Task.objects.count() == 10
    assert tally_differences() == []
    kept = set(
        TaskTally.objects.exclude(count=0).values_list("unit_id", "own", "due_date", "category", "count")
    )
    assert tally_rebuild() > 0
    rebuilt = set(TaskTally.objects.values_list("unit_id", "own", "due_date", "category", "count"))
    assert kept == rebuilt


def test_summaries_from_the_tally_equal_counting_the_tasks(history):
    city_leader = history.user("city_leader")
    by_hand = unit_task_summary(
        actor=city_leader, unit_id=history.city.pk, with_descendants=True, day=DAY, **YEAR
    )
    # 10 tasks: 1 cancelled; approved on time 1, late 1; open past due 1 (the first); in progress: handed in,
    # extended, rework, Định Công's, the district's own, the moved one (due 24/01/2025: overdue).
    assert (by_hand.assigned, by_hand.on_time, by_hand.late, by_hand.cancelled) == (9, 1, 1, 1)
    assert (by_hand.overdue, by_hand.in_progress) == (4, 3)
    for actor in (history.user("superuser"), city_leader, history.user("hoangmai_head")):
        for unit in (history.hoangmai, history.hoangliet, history.dinhcong):
            for with_descendants in (True, False):
                from_tally = unit_task_summary(
                    actor=actor, unit_id=unit.pk, with_descendants=with_descendants, day=DAY, **YEAR
                )
                assert from_tally == counted_from_tasks(actor, unit, with_descendants), (actor, unit)
        children = sub_unit_task_summaries(actor=actor, unit_id=history.hoangmai.pk, day=DAY, **YEAR)
        assert children == {
            history.hoangliet.pk: counted_from_tasks(actor, history.hoangliet),
            history.dinhcong.pk: counted_from_tasks(actor, history.dinhcong),
        }


def test_a_user_who_sees_only_part_of_the_subtree_gets_only_what_they_see(history):
    # The ward's staff member sees only the ward's tasks: their district summary is not the tally's.
    worker = history.user("hoangliet_staff")
    summary = unit_task_summary(
        actor=worker, unit_id=history.hoangmai.pk, with_descendants=True, day=DAY, **YEAR
    )
    assert summary == counted_from_tasks(worker, history.hoangmai)
    assert summary.assigned < counted_from_tasks(history.user("city_leader"), history.hoangmai).assigned


def test_moving_a_unit_moves_its_counts(history):
    before = counted_from_tasks(history.user("superuser"), history.dinhcong).assigned
    unit_update(actor=SystemActor("test"), unit=history.dinhcong, parent=history.badinh)
    assert tally_differences() == []
    leader = history.user("city_leader")
    badinh = unit_task_summary(
        actor=leader, unit_id=history.badinh.pk, with_descendants=True, day=DAY, **YEAR
    )
    assert badinh.assigned == before == 1


def test_deleting_a_task_takes_it_out(history):
    Task.objects.filter(title="Hủy").get().delete()
    assert tally_differences() == []


def test_the_check_command_finds_a_wrong_count_and_rebuild_mends_it(history):
    out = StringIO()
    call_command("tasks_tally", stdout=out)
    assert "matches" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TaskTally._meta.db_table} SET count = count + 5 WHERE own = %s", [True])
    with pytest.raises(CommandError, match="differs"):
        call_command("tasks_tally", stderr=StringIO())
    call_command("tasks_tally", "--rebuild", stdout=StringIO())
    assert tally_differences() == []
