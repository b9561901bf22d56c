import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kycuong.core.models import AuditRecord
from kycuong.notifications.models import Notification
from kycuong.tasks import services
from kycuong.tasks.models import ExtensionRequest, Task, TaskEvent, TaskState

pytestmark = pytest.mark.django_db

EVIDENCE = [SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4 report", content_type="application/pdf")]


def test_assign_writes_task_event_audit_and_notifies_the_responsible_person(make_task, people):
    before = AuditRecord.objects.count()
    task = make_task()
    assert task.state == TaskState.ASSIGNED and task.version == 1
    assert AuditRecord.objects.filter(
        object_type="tasks.task", object_id=str(task.pk), action="create"
    ).exists()
    assert AuditRecord.objects.count() > before
    assert task.events.get().kind == TaskEvent.Kind.ASSIGNED
    note = Notification.objects.get(user=people.user("hoangliet_staff"))
    assert task.title in note.title and note.url.endswith(f"/tasks/{task.pk}/")


def test_due_date_in_working_days_skips_tet(make_task):
    # Assigned Friday 24/01/2025; the Tết holiday runs to Sunday 02/02; 3 working days later is Wed 05/02.
    task = make_task(start_date=datetime.date(2025, 1, 24), due_date=None, due_working_days=3)
    assert task.due_date == datetime.date(2025, 2, 5)
    assert task.due_working_days == 3


def test_assigning_needs_the_right_over_both_units(make_task, people):
    with pytest.raises(PermissionDenied):
        make_task(actor=people.user("hoangliet_staff"))  # a ward's staff cannot assign from the district
    with pytest.raises(PermissionDenied):
        make_task(lead_unit=people.phucxa, responsible=None)  # Hoàng Mai's head cannot assign to Ba Đình
    with pytest.raises(ValidationError) as error:
        make_task(responsible=people.phucxa_staff)
    assert "responsible" in error.value.message_dict
    assert not Task.objects.exists()


def test_subtask_cannot_outlive_its_parent(make_task, people):
    parent = make_task()
    with pytest.raises(ValidationError) as error:
        make_task(parent=parent, due_date=datetime.date(2025, 2, 28))
    assert "due_date" in error.value.message_dict


def full_cycle(task, people, *, closed_on):
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    services.task_accept(actor=worker, task=task)
    services.task_report_progress(
        actor=worker,
        task=task,
        percent=60,
        text="Đã hoàn thành dự thảo",
        reported_on=datetime.date(2025, 1, 15),
    )
    services.task_submit(actor=worker, task=task, text="Báo cáo đã ký", files=EVIDENCE)
    return services.task_approve(actor=head, task=task, closed_on=closed_on)


def test_closed_on_the_due_date_is_on_time(make_task, people):
    task = full_cycle(make_task(), people, closed_on=datetime.date(2025, 1, 24))
    assert task.state == TaskState.APPROVED and task.late_working_days == 0 and task.progress == 100


def test_due_friday_before_tet_and_approved_after_it_is_one_working_day_late(make_task, people):
    task = full_cycle(make_task(), people, closed_on=datetime.date(2025, 2, 3))
    assert task.late_working_days == 1  # 25/01-02/02/2025 are not working days


def test_rework_is_counted_and_the_task_goes_back_to_work(make_task, people):
    task = make_task()
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    services.task_accept(actor=worker, task=task)
    services.task_submit(actor=worker, task=task, text="Kết quả", links=["https://example.vn/bao-cao"])
    task = services.task_send_back(actor=head, task=task, reason="Thiếu số liệu quý IV")
    assert task.state == TaskState.IN_PROGRESS and task.rework_count == 1
    services.task_submit(actor=worker, task=task, text="Bổ sung", links=["https://example.vn/bao-cao-2"])
    task = services.task_send_back(actor=head, task=task, reason="Vẫn thiếu")
    assert task.rework_count == 2


# Every action, and who may take it in the state where it is allowed: the worker (ward staff, lead unit),
# the assigner (district head, assigning unit), an inspector over the district (may only look), and a
# ward staff member of another district (cannot even see the task).
ROLES = ["hoangliet_staff", "hoangmai_head", "hoangmai_inspector", "phucxa_staff"]
ALLOWED = {
    "accept": {"hoangliet_staff", "hoangmai_head"},
    "return": {"hoangliet_staff", "hoangmai_head"},
    "submit": {"hoangliet_staff", "hoangmai_head"},
    "approve": {"hoangmai_head"},
    "send_back": {"hoangmai_head"},
    "cancel": {"hoangmai_head"},
}


def _bring_to(task, people, action):
    worker = people.user("hoangliet_staff")
    if action in ("submit",):
        services.task_accept(actor=worker, task=task)
    if action in ("approve", "send_back"):
        services.task_accept(actor=worker, task=task)
        services.task_submit(actor=worker, task=task, text="x", links=["https://example.vn/x"])
    return Task.objects.get(pk=task.pk)


def _do(action, actor, task):
    calls = {
        "accept": lambda: services.task_accept(actor=actor, task=task),
        "return": lambda: services.task_return(actor=actor, task=task, reason="Không thuộc thẩm quyền"),
        "submit": lambda: services.task_submit(actor=actor, task=task, text="x", links=["https://e.vn/x"]),
        "approve": lambda: services.task_approve(actor=actor, task=task),
        "send_back": lambda: services.task_send_back(actor=actor, task=task, reason="Chưa đạt"),
        "cancel": lambda: services.task_cancel(actor=actor, task=task, reason="Không còn cần thiết"),
    }
    return calls[action]()


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_transition_matrix(make_task, people, action, role):
    task = _bring_to(make_task(), people, action)
    state_before, records_before = task.state, AuditRecord.objects.count()
    if role in ALLOWED[action]:
        _do(action, people.user(role), task)
        assert Task.objects.get(pk=task.pk).state != state_before
    else:
        with pytest.raises(PermissionDenied):
            _do(action, people.user(role), task)
        assert Task.objects.get(pk=task.pk).state == state_before
        assert AuditRecord.objects.count() == records_before


FORBIDDEN_IN_STATE = [
    ("approve", TaskState.ASSIGNED),  # nothing was submitted
    ("submit", TaskState.ASSIGNED),  # not accepted yet
    ("accept", TaskState.SUBMITTED),
    ("send_back", TaskState.ACCEPTED),
]


@pytest.mark.parametrize("action,state", FORBIDDEN_IN_STATE)
def test_actions_outside_their_states_are_refused_clearly(make_task, people, action, state):
    task = make_task()
    if state != TaskState.ASSIGNED:
        services.task_accept(actor=people.user("hoangliet_staff"), task=task)
    if state == TaskState.SUBMITTED:
        services.task_submit(
            actor=people.user("hoangliet_staff"), task=task, text="x", links=["https://e.vn"]
        )
    task.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError, match="cannot be done while"):
        _do(action, people.user("hoangmai_head"), task)
    assert Task.objects.get(pk=task.pk).state == state


def test_return_and_reassign(make_task, people):
    task = make_task()
    services.task_return(actor=people.user("hoangliet_staff"), task=task, reason="Không thuộc chức năng")
    assert Notification.objects.filter(user=people.user("hoangmai_head"), kind="task_returned").exists()
    task = services.task_reassign(
        actor=people.user("hoangmai_head"), task=Task.objects.get(pk=task.pk), lead_unit=people.dinhcong
    )
    assert task.state == TaskState.ASSIGNED and task.lead_unit == people.dinhcong and task.responsible is None


def test_submission_needs_evidence(make_task, people):
    task = make_task()
    worker = people.user("hoangliet_staff")
    services.task_accept(actor=worker, task=task)
    with pytest.raises(ValidationError) as error:
        services.task_submit(actor=worker, task=task, text="Xong")
    assert "files" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.task_submit(actor=worker, task=task, text="Xong", links=["javascript:alert(1)"])
    task = services.task_submit(actor=worker, task=task, text="Xong", files=EVIDENCE)
    attachment = task.attachments.get()
    assert attachment.sha256 and attachment.size == len(b"%PDF-1.4 report")


def test_extension_granted_keeps_the_old_due_date(make_task, people):
    task = make_task()
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    extension = services.extension_request(
        actor=worker,
        task=task,
        requested_due_date=datetime.date(2025, 2, 14),
        reason="Chờ số liệu của Chi cục Thống kê",
    )
    with pytest.raises(ValidationError):
        services.extension_request(
            actor=worker, task=task, requested_due_date=datetime.date(2025, 2, 20), reason="again"
        )
    services.extension_decide(actor=head, extension=extension, grant=True)
    task.refresh_from_db()
    extension.refresh_from_db()
    assert task.due_date == datetime.date(2025, 2, 14)
    assert (
        extension.old_due_date == datetime.date(2025, 1, 24)
        and extension.state == ExtensionRequest.State.GRANTED
    )
    kinds = list(task.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [TaskEvent.Kind.EXTENSION_REQUESTED, TaskEvent.Kind.EXTENSION_GRANTED]


def test_extension_refusal_needs_a_reason_and_changes_no_date(make_task, people):
    task = make_task()
    extension = services.extension_request(
        actor=people.user("hoangliet_staff"),
        task=task,
        requested_due_date=datetime.date(2025, 2, 14),
        reason="Chờ số liệu",
    )
    with pytest.raises(ValidationError):
        services.extension_decide(actor=people.user("hoangmai_head"), extension=extension, grant=False)
    services.extension_decide(
        actor=people.user("hoangmai_head"), extension=extension, grant=False, note="Không có căn cứ"
    )
    task.refresh_from_db()
    assert task.due_date == datetime.date(2025, 1, 24)
    with pytest.raises(ValidationError):
        services.extension_decide(actor=people.user("hoangmai_head"), extension=extension, grant=True)


def test_a_due_date_on_a_day_off_moves_to_the_next_working_day(make_task):
    assert make_task(due_date=datetime.date(2025, 1, 31)).due_date == datetime.date(2025, 2, 3)  # Tết


def test_monthly_task_creates_its_next_occurrence_once(make_task, people):
    task = make_task(
        recurrence="monthly", start_date=datetime.date(2025, 5, 5), due_date=datetime.date(2025, 5, 30)
    )
    full_cycle(task, people, closed_on=datetime.date(2025, 5, 29))
    following = Task.objects.get(previous_occurrence=task)
    assert (following.start_date, following.due_date) == (
        datetime.date(2025, 6, 5),
        datetime.date(2025, 6, 30),
    )
    assert following.state == TaskState.ASSIGNED


def test_lateness_counts_to_the_submission_not_to_the_approval(make_task, people):
    from kycuong.tasks.selectors import TaskFilters, task_list, unit_task_summary

    task = make_task(due_date=datetime.date(2025, 3, 7))
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    services.task_accept(actor=worker, task=task)
    services.task_submit(actor=worker, task=task, text="Xong", links=["https://e.vn/x"])
    Task.objects.filter(pk=task.pk).update(submitted_on=datetime.date(2025, 3, 7))
    waiting_day = datetime.date(2025, 3, 12)
    assert not task_list(actor=head, filters=TaskFilters(overdue=True), day=waiting_day).exists()
    task = services.task_approve(actor=head, task=Task.objects.get(pk=task.pk), closed_on=waiting_day)
    assert task.late_working_days == 0
    summary = unit_task_summary(
        actor=head,
        unit_id=people.hoangmai.pk,
        with_descendants=True,
        due_from=datetime.date(2025, 1, 1),
        due_to=datetime.date(2025, 12, 31),
    )
    assert (summary.on_time, summary.late) == (1, 0)


def test_closing_a_task_settles_a_waiting_extension_request(make_task, people):
    from kycuong.tasks.selectors import tasks_awaiting_decision

    task = make_task()
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    extension = services.extension_request(
        actor=worker, task=task, requested_due_date=datetime.date(2025, 2, 28), reason="Chờ số liệu"
    )
    services.task_cancel(actor=head, task=task, reason="Không cần nữa")
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.REFUSED and extension.decision_note
    assert not tasks_awaiting_decision(actor=head).exists()


def test_subtasks_only_by_those_who_carry_the_task_and_only_while_open(make_task, people):
    parent = make_task()
    with pytest.raises(PermissionDenied):
        make_task(
            actor=people.user("badinh_head"),
            assigning_unit=people.badinh,
            lead_unit=people.phucxa,
            responsible=None,
            parent=parent,
        )
    services.task_cancel(actor=people.user("hoangmai_head"), task=parent, reason="Dừng")
    with pytest.raises(ValidationError):
        make_task(parent=Task.objects.get(pk=parent.pk))


def test_task_page_hides_a_parent_outside_the_scope_and_the_audit_keeps_the_reason(make_task, people):
    from kycuong.core.models import AuditRecord
    from kycuong.tasks.selectors import task_get

    city_task = make_task(
        actor=people.user("superuser"),
        assigning_unit=people.city,
        lead_unit=people.hoangmai,
        responsible=None,
        title="Việc của thành phố",
    )
    child = make_task(parent=city_task)
    assert task_get(actor=people.user("hoangliet_staff"), task_id=child.pk).parent_title is None
    assert task_get(actor=people.user("hoangmai_head"), task_id=child.pk).parent_title == "Việc của thành phố"
    services.task_cancel(actor=people.user("hoangmai_head"), task=child, reason="Trùng nhiệm vụ")
    record = (
        AuditRecord.objects.filter(object_type="tasks.task", object_id=str(child.pk)).order_by("-id").first()
    )
    assert record.after["note"] == "Trùng nhiệm vụ" and record.after["state"] == "cancelled"


def test_a_small_scope_lists_tasks_in_the_same_order_as_a_large_one(people, make_task, monkeypatch):
    from kycuong.tasks import selectors
    from kycuong.tasks.selectors import TaskFilters, task_list

    dues = [datetime.date(2025, 3, 4), datetime.date(2025, 1, 24), datetime.date(2025, 2, 10)]
    made = [make_task(title=f"Việc {n}", due_date=due) for n, due in enumerate(dues)]
    made.append(make_task(title="Cùng hạn", due_date=dues[1]))  # a tie, broken by id
    staff = people.user("hoangliet_staff")

    def listed(sort: str) -> list[int]:
        tasks = task_list(actor=staff, filters=TaskFilters(sort=sort)).filter(pk__in=[t.pk for t in made])
        return [task.pk for task in tasks]

    assert selectors._few_units(staff)
    for sort in ("due_date", "-due_date"):
        expected = sorted(made, key=lambda task: (task.due_date, task.pk), reverse=sort.startswith("-"))
        sorted_after_filtering = listed(sort)
        monkeypatch.setattr(selectors, "FEW_UNITS", 0)  # the order of a large scope
        sorted_by_index = listed(sort)
        monkeypatch.undo()
        assert sorted_after_filtering == [task.pk for task in expected] == sorted_by_index


def test_scope_conditions_stay_short_whatever_the_number_of_units(make_task, people):
    """A city-wide scope is said as "has a unit" and, on PostgreSQL, a list of units is one array parameter:
    the rows are exactly those of the same condition written with every unit's id."""
    from django.db import connection

    from kycuong.core.scoping import covered_units, restrict
    from kycuong.org.models import Unit
    from kycuong.tasks.models import TaskEvent

    make_task()
    leader, head = people.user("city_leader"), people.user("hoangmai_head")
    everywhere = restrict(TaskEvent.objects.all(), leader, "tasks.view_task")
    _sql, params = everywhere.query.sql_with_params()
    assert params == ()
    every_id = list(Unit.objects.values_list("pk", flat=True))
    assert set(everywhere) == set(TaskEvent.objects.filter(task__lead_unit__in=every_id)) != set()

    district = restrict(TaskEvent.objects.all(), head, "tasks.view_task")
    units = covered_units(head, "tasks.view_task")
    assert set(district) == set(TaskEvent.objects.filter(task__lead_unit__in=units))
    if connection.vendor == "postgresql":
        sql, params = district.query.sql_with_params()
        assert "= ANY(" in sql and list(params) == [sorted(units)]
