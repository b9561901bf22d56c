import datetime

import pytest

from kycuong.notifications.models import Notification
from kycuong.tasks.selectors import TaskFilters, task_list
from kycuong.tasks.services import task_reminders_send

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return sorted(
        Notification.objects.filter(user=user).exclude(kind="task_assigned").values_list("kind", flat=True)
    )


def test_reminders_before_on_and_after_the_due_date_each_once(make_task, people):
    worker = people.user("hoangliet_staff")
    make_task(due_date=datetime.date(2025, 3, 14))  # a Friday
    # Tuesday 11/03: Friday is 3 working days away.
    assert task_reminders_send(day=datetime.date(2025, 3, 11))["before"] == 1
    assert (
        task_reminders_send(day=datetime.date(2025, 3, 11))["before"] == 0
    )  # the same event: no second notice
    assert task_reminders_send(day=datetime.date(2025, 3, 13))["before"] == 1  # 1 working day before
    assert task_reminders_send(day=datetime.date(2025, 3, 14))["today"] == 1
    assert task_reminders_send(day=datetime.date(2025, 3, 17))["overdue"] == 1
    assert task_reminders_send(day=datetime.date(2025, 3, 18))["overdue"] == 0
    assert kinds(worker) == ["task_due_soon", "task_due_soon", "task_due_today", "task_overdue"]


def test_a_due_date_after_a_weekend_is_reminded_on_friday(make_task, people):
    make_task(due_date=datetime.date(2025, 3, 17))  # Monday
    sent = task_reminders_send(day=datetime.date(2025, 3, 14))  # Friday: Monday is the next working day
    assert sent["before"] == 1
    assert Notification.objects.get(kind="task_due_soon").event_key.endswith("in-1")


def test_monday_digest_goes_to_the_head_of_the_assigning_unit(make_task, people):
    from kycuong.org.models import Post

    head_user = people.user("hoangmai_head")
    head_staff = people.hoangliet_staff.__class__.objects.create(
        full_name="Lê Văn Trưởng", unit=people.hoangmai
    )
    Post.objects.create(
        staff=head_staff,
        unit=people.hoangmai,
        title="Chủ tịch UBND quận",
        role="head",
        start_date=datetime.date(2020, 1, 1),
    )
    head_user.staff = head_staff
    head_user.save()
    make_task(due_date=datetime.date(2025, 3, 7))
    monday = datetime.date(2025, 3, 10)
    assert task_reminders_send(day=monday)["digest"] == 1
    assert task_reminders_send(day=monday)["digest"] == 0
    digest = Notification.objects.get(kind="task_weekly_digest")
    assert digest.user == head_user and "07/03/2025" in digest.body
    assert task_reminders_send(day=datetime.date(2025, 3, 11))["digest"] == 0  # Tuesday: none


def test_overdue_and_at_risk_are_computed_in_one_place(make_task, people):
    actor = people.user("hoangmai_head")
    on_track = make_task(
        title="Đúng tiến độ", start_date=datetime.date(2025, 3, 3), due_date=datetime.date(2025, 3, 31)
    )
    behind = make_task(
        title="Chậm", start_date=datetime.date(2025, 3, 3), due_date=datetime.date(2025, 3, 31)
    )
    late = make_task(
        title="Quá hạn", start_date=datetime.date(2025, 2, 3), due_date=datetime.date(2025, 3, 7)
    )
    from kycuong.tasks.models import Task

    Task.objects.filter(pk=on_track.pk).update(progress=60, last_report_on=datetime.date(2025, 3, 17))
    Task.objects.filter(pk=behind.pk).update(progress=10, last_report_on=datetime.date(2025, 3, 17))
    day = datetime.date(2025, 3, 18)  # 15 of 28 days used: 54 %; behind is 44 points back, on track 6 ahead
    at_risk = {t.title for t in task_list(actor=actor, filters=TaskFilters(at_risk=True), day=day)}
    overdue = {t.title for t in task_list(actor=actor, filters=TaskFilters(overdue=True), day=day)}
    assert at_risk == {"Chậm"} and overdue == {"Quá hạn"}
    # Close to the due date without a recent report is at risk too.
    Task.objects.filter(pk=on_track.pk).update(last_report_on=datetime.date(2025, 3, 1))
    later = datetime.date(2025, 3, 27)
    assert "Đúng tiến độ" in {
        t.title for t in task_list(actor=actor, filters=TaskFilters(at_risk=True), day=later)
    }
    assert late.pk
