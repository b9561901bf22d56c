import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kycuong.core.models import AuditRecord
from kycuong.notifications.models import Notification
from kycuong.processes import services
from kycuong.processes.models import InstanceEvent, MonthlyFigure, ProcessInstance, ProcessStep
from kycuong.processes.worktime import add_working_minutes, deadline, working_minutes_between

from .helpers import at, open_step, start, two_unit_process

pytestmark = pytest.mark.django_db


def test_working_days_across_tet_2026():
    # Tết 2026: Monday 16 to Friday 20 February off, with the weekends around it. Two working days from
    # Friday 13 February are Monday 23 and Tuesday 24 February; the limit ends when the office closes.
    assert deadline(at(2026, 2, 13, 10), 2, "days") == at(2026, 2, 24, 17)
    # From Friday 13 at 16:00 to Monday 23 at 09:00: one hour on the 13th, one on the 23rd.
    assert working_minutes_between(at(2026, 2, 13, 16), at(2026, 2, 23, 9)) == 120


def test_make_up_saturday_counts_as_working_day():
    # Saturday 22 August 2026 is a make-up working day (for Monday 31 August).
    assert deadline(at(2026, 8, 21, 9), 1, "days") == at(2026, 8, 22, 17)
    # Four working hours from Friday 21 at 16:00: one on Friday, three on the Saturday morning.
    assert deadline(at(2026, 8, 21, 16), 4, "hours") == at(2026, 8, 22, 11)
    # Monday 31 August, 1 and 2 September are off: one working day from Saturday 29 is Thursday 3.
    assert deadline(at(2026, 8, 29, 9), 1, "days") == at(2026, 9, 3, 17)
    assert add_working_minutes(at(2026, 8, 22, 11, 30), 60) == at(2026, 8, 22, 13, 30)


def test_process_crossing_two_units_runs_to_the_end(world):
    definition = two_unit_process(world)
    assert definition.interconnected
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    first = open_step(instance)
    assert (first.name, first.unit_id, first.due_at) == (
        "Tiếp nhận hồ sơ",
        world.hoangliet.pk,
        at(2026, 3, 3, 17),
    )
    # The whole process: 1 + 2 working days + 4 hours rounded up to a day = 4 working days.
    assert instance.due_at == at(2026, 3, 6, 17)
    services.step_complete(
        actor=world.user("hoangliet_staff"), step=first, result="Đủ hồ sơ", now=at(2026, 3, 2, 10)
    )
    second = open_step(instance)
    assert second.unit_id == world.dinhcong.pk
    assert second.due_at == at(2026, 3, 4, 17)
    # The ward's staff cannot act for the other ward; the district head (covering both) can.
    with pytest.raises(PermissionDenied):
        services.step_complete(actor=world.user("hoangliet_staff"), step=second, result="x")
    instance.refresh_from_db()
    assert list(instance.participant_units.values_list("pk", flat=True)) == [world.dinhcong.pk]
    services.step_complete(
        actor=world.user("hoangmai_head"), step=second, result="Khớp", now=at(2026, 3, 5, 9)
    )
    third = open_step(instance)
    assert third.unit_id == world.hoangliet.pk
    # Four working hours from 09:00: three in the morning, one after the lunch break.
    assert third.due_at == at(2026, 3, 5, 14)
    services.step_complete(
        actor=world.user("hoangmai_head"), step=third, result="Đã ký", now=at(2026, 3, 5, 11)
    )
    instance.refresh_from_db()
    assert instance.state == ProcessInstance.State.COMPLETED
    assert instance.outcome == "early"  # 5 March, the due day being 6 March
    # Working minutes from 2 March 09:00 to 5 March 11:00: 7 h + 8 h + 8 h + 3 h = 26 h.
    assert instance.used_minutes == 26 * 60
    outcomes = list(instance.steps.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["early", "late", "on_time"]
    figure = MonthlyFigure.objects.get(level="instance", unit=world.hoangliet)
    assert (figure.finished, figure.early, figure.late, figure.used_minutes) == (1, 1, 0, 26 * 60)
    steps_done = MonthlyFigure.objects.filter(level="step").values_list("unit_id", "finished", "late")
    assert sorted(steps_done) == sorted([(world.hoangliet.pk, 2, 0), (world.dinhcong.pk, 1, 1)])
    actions = set(
        AuditRecord.objects.filter(object_type="processes.processstep").values_list("action", flat=True)
    )
    assert {"create", "done"} <= actions


def test_pause_does_not_count(world):
    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    services.instance_pause(
        actor=world.user("hoangliet_staff"),
        instance=instance,
        reason="Thiếu bản chính",
        now=at(2026, 3, 2, 10),
    )
    with pytest.raises(ValidationError):
        services.step_complete(actor=world.user("hoangliet_staff"), step=open_step(instance), result="x")
    # Waiting from Monday 10:00 to Wednesday 10:00 is 16 working hours: every deadline moves by as much.
    services.instance_resume(actor=world.user("hoangliet_staff"), instance=instance, now=at(2026, 3, 4, 10))
    instance.refresh_from_db()
    step = open_step(instance)
    assert instance.paused_minutes == 16 * 60
    assert step.due_at == at(2026, 3, 5, 17)
    assert instance.due_at == at(2026, 3, 10, 17)
    services.step_complete(
        actor=world.user("hoangliet_staff"), step=step, result="Đủ", now=at(2026, 3, 4, 11)
    )
    step.refresh_from_db()
    # Used: Monday 09:00–10:00 and Wednesday 10:00–11:00; the two days waiting do not count.
    assert step.used_minutes == 120
    assert step.outcome == "early"


def test_return_to_an_earlier_step_with_reason(world):
    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    services.step_complete(
        actor=world.user("hoangliet_staff"), step=open_step(instance), result="Đủ", now=at(2026, 3, 2, 10)
    )
    second = open_step(instance)
    with pytest.raises(ValidationError):
        services.step_return(actor=world.user("hoangmai_head"), step=second, to_bpmn_id="Step_1", reason="")
    with pytest.raises(ValidationError):
        services.step_return(actor=world.user("hoangmai_head"), step=second, to_bpmn_id="Step_3", reason="x")
    services.step_return(
        actor=world.user("hoangmai_head"),
        step=second,
        to_bpmn_id="Step_1",
        reason="Bản sao mờ",
        now=at(2026, 3, 3, 9),
    )
    second.refresh_from_db()
    assert second.state == ProcessStep.State.RETURNED
    again = open_step(instance)
    assert (again.bpmn_id, again.unit_id, again.started_at) == (
        "Step_1",
        world.hoangliet.pk,
        at(2026, 3, 3, 9),
    )
    event = InstanceEvent.objects.get(instance=instance, kind="returned")
    assert "Bản sao mờ" in event.text
    services.step_complete(
        actor=world.user("hoangliet_staff"), step=again, result="Bổ sung", now=at(2026, 3, 3, 10)
    )
    assert open_step(instance).bpmn_id == "Step_2"


def test_timer_escalation_fired_by_the_scheduler(world):
    from kycuong.core.context import SystemActor

    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    step = open_step(instance)
    instance.refresh_from_db()
    # The boundary timer "P1D" of step 1 runs in working time: it falls due when the office closes on Tuesday.
    assert instance.next_timer_at == at(2026, 3, 3, 17)
    system = SystemActor("scheduler", kind="job")
    assert services.timers_fire(actor=system, now=at(2026, 3, 3, 16)) == 0
    assert services.timers_fire(actor=system, now=at(2026, 3, 3, 17, 1)) == 1
    step.refresh_from_db()
    assert step.escalated_at == at(2026, 3, 3, 17, 1)
    assert step.state == "open"  # the timer does not interrupt the step
    head = world.user("hoangmai_head")
    notice = Notification.objects.get(user=head, kind="process_escalation")
    assert "Tiếp nhận hồ sơ" in notice.title
    instance.refresh_from_db()
    assert instance.next_timer_at is None
    assert InstanceEvent.objects.filter(instance=instance, kind="timer").count() == 1
    # Fired once only.
    assert services.timers_fire(actor=system, now=at(2026, 3, 9, 9)) == 0


def test_the_scheduler_job_runs_timers(world):
    from kycuong.core.jobs import PERIODIC_JOBS
    from kycuong.processes import jobs

    assert "process-timers" in PERIODIC_JOBS
    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2020, 3, 2, 9))
    result = jobs.fire_process_timers.call()
    assert result["timers"] == 1
    assert result["overdue"] == 0  # the step escalated by its timer is not escalated twice
    assert open_step(instance).escalated_at is not None


def test_unauthorised_start_changes_nothing(world):
    definition = two_unit_process(world)
    before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        start(world, definition, now=at(2026, 3, 2, 9), user="phucxa_staff")
    assert ProcessInstance.objects.count() == 0
    assert AuditRecord.objects.count() == before


def test_decision_after_a_gateway(world):
    from .test_bpmn import GATEWAY

    definition = services.definition_import(
        actor=world.user("hoangmai_head"),
        owner_unit=world.hoangliet,
        code="DON",
        name="Nghỉ phép",
        data=GATEWAY.encode(),
        valid_from=datetime.date(2020, 1, 1),
    )
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    step = open_step(instance)
    with pytest.raises(ValidationError) as error:
        services.step_complete(actor=world.user("hoangliet_staff"), step=step, result="ok", decision="maybe")
    assert "decision" in error.value.message_dict
    services.step_complete(
        actor=world.user("hoangliet_staff"),
        step=step,
        result="ok",
        decision="approve",
        now=at(2026, 3, 2, 10),
    )
    assert open_step(instance).bpmn_id == "approve_task"


def test_a_step_is_performed_in_its_role(world):
    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    first = open_step(instance)
    # Step 1 is for the unit's staff: the district head covers the ward but not in that role.
    with pytest.raises(PermissionDenied):
        services.step_complete(actor=world.user("hoangmai_head"), step=first, result="x")
    assert not services.may_perform(world.user("hoangmai_head"), first)
    assert services.may_perform(world.user("hoangliet_staff"), first)
    services.step_complete(
        actor=world.user("hoangliet_staff"), step=first, result="ok", now=at(2026, 3, 2, 10)
    )
    services.step_complete(
        actor=world.user("hoangmai_head"), step=open_step(instance), result="ok", now=at(2026, 3, 2, 11)
    )
    third = open_step(instance)
    with pytest.raises(PermissionDenied):
        services.step_complete(actor=world.user("hoangliet_staff"), step=third, result="x")
    assert third.state == "open"


def test_a_change_made_from_a_stale_copy_of_the_case_is_refused(world):
    from kycuong.core.concurrency import EditConflict

    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    seen = ProcessInstance.objects.get(pk=instance.pk)
    seen.expected_version = seen.version
    services.step_complete(
        actor=world.user("hoangliet_staff"),
        step=open_step(instance),
        result="Đã tiếp nhận",
        now=at(2026, 3, 2, 10),
    )
    with pytest.raises(EditConflict):
        services.instance_pause(actor=world.user("hoangliet_staff"), instance=seen, reason="Thiếu giấy tờ")
    fresh = ProcessInstance.objects.get(pk=instance.pk)
    assert fresh.version == seen.version + 1
    assert fresh.paused_at is None
