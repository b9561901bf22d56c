"""Hand-computed cases of each shipped method, from tasks to level, through the services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kycuong.core.models import AuditRecord
from kycuong.evaluations import services
from kycuong.evaluations.grounds import register_ground, registered_grounds, unregister_ground
from kycuong.evaluations.models import CycleState, Evaluation, Method
from kycuong.org.models import PostRole
from kycuong.tasks.models import TaskState

from .conftest import MARCH_2026, ten_tasks

D = Decimal


def open_cycle(world, method_code: str, units, start=MARCH_2026, **extra):
    head = world.user("hoangmai_head")
    cycle = services.cycle_create(
        actor=head,
        method_code=method_code,
        unit=world.hoangmai,
        units=units,
        frequency=extra.pop("frequency", "monthly"),
        period_start=start,
        **extra,
    )
    services.cycle_compute(actor=head, cycle=cycle)
    cycle.refresh_from_db()
    return cycle


def review(world, evaluation, **points):
    return services.evaluation_review(actor=world.user("hoangmai_head"), evaluation=evaluation, **points)


def test_decree_335_ten_tasks(world, person, make_tasks):
    # 7 on time, 1 late, 1 sent back once, 1 not done, all due in March 2026.
    # quantity 9/10 = 90 %; quality (9 − 0.25)/10 = 87.5 %; progress (9 − 0.25)/10 = 87.5 %;
    # mean 88.333… % of 70 points = 61.83; with 28 general points: 89.83 → good (below 90).
    staff = person(world.hoangliet, "Lê Thị Mai", "mai")
    make_tasks(staff, ten_tasks(), due=datetime.date(2026, 3, 20))
    cycle = open_cycle(world, "civil-servants", [world.hoangliet])
    assert cycle.method.valid_from == datetime.date(2026, 1, 1)
    assert cycle.state == CycleState.SELF_ASSESSMENT
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    assert (evaluation.tasks_assigned, evaluation.tasks_done, evaluation.tasks_late) == (10, 9, 1)
    assert evaluation.rework_total == 1
    assert evaluation.task_points == D("61.83")
    assert evaluation.explanation["percents"] == {
        "quantity": "90.00",
        "quality": "87.50",
        "progress": "87.50",
    }
    assert evaluation.explanation["quality_deducted"] == 25
    assert evaluation.explanation["progress_deducted"] == 25

    from kycuong.accounts.models import User

    me = User.objects.get(username="mai")
    services.evaluation_self_assess(actor=me, evaluation=evaluation, general_points="28", note="Đạt")
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    evaluation = review(world, Evaluation.objects.get(pk=evaluation.pk))
    assert evaluation.general_points == D("28")
    assert evaluation.total == D("89.83")
    assert evaluation.level == "good"
    evaluation = review(world, evaluation, general_points="30")
    assert evaluation.total == D("91.83")
    assert evaluation.level == "excellent"


def test_hanoi_3814_ten_tasks(world, person, make_tasks):
    # Same tasks: 61.83 task points; 18 discipline and ethics + 5 bonus → 84.83 → grade B.
    staff = person(world.hoangliet, "Lê Thị Mai")
    make_tasks(staff, ten_tasks(), due=datetime.date(2026, 3, 20))
    cycle = open_cycle(world, "hanoi-monthly", [world.hoangliet])
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    evaluation = review(
        world, Evaluation.objects.get(cycle=cycle, staff=staff), general_points=18, bonus_points=5
    )
    assert evaluation.task_points == D("61.83")
    assert evaluation.total == D("84.83")
    assert evaluation.level == "B"
    with pytest.raises(ValidationError):
        review(world, evaluation, general_points=21)  # the discipline part is out of 20
    with pytest.raises(ValidationError):
        review(world, evaluation, general_points=18, bonus_points=11)


def test_head_is_scored_on_the_unit_results(world, person, make_tasks):
    # The head (Nguyễn Văn Hùng, head of Hoàng Liệt) did 2 tasks on time: own 100 %.
    # The unit led 12 tasks (the member's 10 and the head's 2): quantity 11/12, quality and progress
    # (11 − 0.25)/12 each: mean 90.2778 %. Half and half: 95.1389 % of 70 = 66.60.
    member = person(world.hoangliet, "Lê Thị Mai")
    make_tasks(member, ten_tasks(), due=datetime.date(2026, 3, 20))
    make_tasks(world.hoangliet_staff, [{}, {}], due=datetime.date(2026, 3, 25))
    cycle = open_cycle(world, "civil-servants", [world.hoangliet])
    head = Evaluation.objects.get(cycle=cycle, staff=world.hoangliet_staff)
    assert head.role == PostRole.HEAD
    assert head.task_points == D("66.60")
    assert head.explanation["unit_percent"] == "90.28"
    member_evaluation = Evaluation.objects.get(cycle=cycle, staff=member)
    assert member_evaluation.task_points == D("61.83")


def test_no_tasks_in_the_period_counts_as_the_method_says(world, person):
    staff = person(world.dinhcong, "Phạm Văn Nam")
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    assert evaluation.tasks_assigned == 0
    assert evaluation.task_points == D("70.00")


def test_quota_decree_335_twenty_percent_of_good(world, person):
    # 5 rated good and 2 excellent: 20 % of 5 good allows 1 excellent. Moving one down leaves 6 good and
    # 1 excellent: 20 % of 6 = 1.2 → 1 allowed, the quota holds.
    people = [person(world.dinhcong, f"Người {i}") for i in range(7)]
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    head = world.user("hoangmai_head")
    services.cycle_open_review(actor=head, cycle=cycle)
    evaluations = {e.staff_id: e for e in Evaluation.objects.filter(cycle=cycle)}
    for index, staff in enumerate(people):
        review(world, evaluations[staff.pk], general_points=30 if index < 2 else 10)  # 100 or 80
    services.cycle_submit(actor=head, cycle=cycle)
    [status] = services.quota_status(cycle)
    assert (status["holding"], status["allowed"], status["excess"]) == (2, 1, 1)
    with pytest.raises(ValidationError):
        services.cycle_approve(actor=head, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.APPROVAL
    with pytest.raises(ValidationError):
        services.evaluation_move_down(actor=head, evaluation=evaluations[people[3].pk], reason="x")
    with pytest.raises(ValidationError):
        services.evaluation_move_down(actor=head, evaluation=evaluations[people[0].pk], reason="  ")
    moved = services.evaluation_move_down(
        actor=head, evaluation=evaluations[people[1].pk], reason="Ít sáng kiến hơn"
    )
    assert moved.level == "good" and moved.total == D("100.00") and moved.score_level == "excellent"
    [status] = services.quota_status(cycle)
    assert (status["holding"], status["allowed"], status["excess"]) == (1, 1, 0)
    services.cycle_approve(actor=head, cycle=cycle)
    services.cycle_publish(actor=head, cycle=cycle, document_number="12/QĐ-UBND")
    cycle.refresh_from_db()
    assert cycle.state == CycleState.PUBLISHED
    assert AuditRecord.objects.filter(object_type="evaluations.cycle", action="publish").count() == 1


def test_quota_3814_thirty_percent_forty_when_outstanding(world, person):
    # 10 evaluated, 4 grade A: 30 % of 10 = 3 allowed → 1 too many; in an outstanding unit 40 % → 4 allowed.
    people = [person(world.dinhcong, f"Người {i}") for i in range(10)]
    cycle = open_cycle(world, "hanoi-monthly", [world.dinhcong])
    head = world.user("hoangmai_head")
    services.cycle_open_review(actor=head, cycle=cycle)
    evaluations = {e.staff_id: e for e in Evaluation.objects.filter(cycle=cycle)}
    for index, staff in enumerate(people):
        if index < 4:
            review(world, evaluations[staff.pk], general_points=20, bonus_points=5)  # 95 → A
        else:
            review(world, evaluations[staff.pk], general_points=10)  # 80 → B
    services.cycle_submit(actor=head, cycle=cycle)
    [status] = services.quota_status(cycle)
    assert (status["holding"], status["allowed"], status["excess"]) == (4, 3, 1)
    with pytest.raises(ValidationError):
        services.cycle_approve(actor=head, cycle=cycle)

    outstanding = open_cycle(
        world,
        "hanoi-monthly",
        [world.dinhcong],
        start=datetime.date(2026, 4, 1),
        outstanding_units=[world.dinhcong],
    )
    services.cycle_open_review(actor=head, cycle=outstanding)
    evaluations = {e.staff_id: e for e in Evaluation.objects.filter(cycle=outstanding)}
    for index, staff in enumerate(people):
        review(world, evaluations[staff.pk], general_points=20 if index < 4 else 10, bonus_points=5)
    services.cycle_submit(actor=head, cycle=outstanding)
    [status] = services.quota_status(outstanding)
    assert (status["holding"], status["allowed"], status["excess"]) == (4, 4, 0)
    services.cycle_approve(actor=head, cycle=outstanding)


def test_grounds_force_not_completed_whatever_the_score(world, person):
    calls = []

    def disciplined(*, staff_ids, unit_ids, start, end):
        calls.append((sorted(staff_ids), start, end))
        return {("staff", target.pk): "Khiển trách, Quyết định 15/QĐ-UBND ngày 05/03/2026"}

    target = person(world.dinhcong, "Đỗ Văn Bình")
    other = person(world.dinhcong, "Vũ Thị Hoa")
    installed = registered_grounds().get("discipline")  # the discipline app's own, put back afterwards
    register_ground("discipline", "Bị kỷ luật trong kỳ", disciplined)
    try:
        cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    finally:
        unregister_ground("discipline")
        if installed is not None:
            register_ground(installed.code, installed.label, installed.function)
    assert calls == [(sorted([target.pk, other.pk]), MARCH_2026, datetime.date(2026, 3, 31))]
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    hit = review(world, Evaluation.objects.get(cycle=cycle, staff=target), general_points=30)
    assert hit.total == D("100.00") and hit.score_level == "excellent"
    assert hit.level == "not_completed"
    assert "Khiển trách" in hit.ground_reason
    spared = review(world, Evaluation.objects.get(cycle=cycle, staff=other), general_points=30)
    assert spared.level == "excellent"
    # A ground the reviewer states (ideology, ethics...) does the same.
    stated = review(world, spared, general_points=30, manual_ground="Vi phạm đạo đức công vụ")
    assert stated.level == "not_completed"


def test_unregistered_ground_is_shown_as_not_checked(world, person):
    installed = registered_grounds()["discipline"]  # registered by the discipline app
    unregister_ground("discipline")
    try:
        staff = person(world.dinhcong, "Phạm Văn Nam")
        cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    finally:
        register_ground(installed.code, installed.label, installed.function)
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    assert evaluation.explanation["unchecked_grounds"] == ["discipline"]


def test_2024_cycle_keeps_the_2024_rules_after_a_new_version(world, person, make_tasks):
    # Decree 90/2020 (valid until 2025): no 25 % deductions, so the ten tasks give 90 % × 70 = 63.00; with 30
    # general points 93 → excellent by score, but excellent needs every task done → good.
    staff = person(world.hoangliet, "Lê Thị Mai")
    make_tasks(staff, ten_tasks(), due=datetime.date(2024, 5, 20))
    cycle = open_cycle(world, "civil-servants", [world.hoangliet], start=datetime.date(2024, 5, 1))
    assert cycle.method.legal_basis.startswith("Nghị định 90/2020")
    current = Method.objects.get(code="civil-servants", valid_from=datetime.date(2026, 1, 1))
    current.valid_to = datetime.date(2026, 12, 31)
    current.save()
    Method.objects.create(
        code="civil-servants",
        name="Phiên bản 2027",
        legal_basis="Giả định",
        subject="staff",
        valid_from=datetime.date(2027, 1, 1),
        rules={**current.rules, "quality_deduction_percent": 50, "progress_deduction_percent": 50},
    )
    services.cycle_compute(actor=world.user("hoangmai_head"), cycle=cycle)
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    evaluation = review(world, Evaluation.objects.get(cycle=cycle, staff=staff), general_points=30)
    assert evaluation.task_points == D("63.00")
    assert evaluation.total == D("93.00")
    assert (evaluation.score_level, evaluation.level) == ("excellent", "good")
    again = open_cycle(world, "civil-servants", [world.hoangliet], start=datetime.date(2024, 6, 1))
    assert again.method_id == cycle.method_id
    later = open_cycle(world, "civil-servants", [world.hoangliet], start=datetime.date(2027, 1, 1))
    assert later.method.name == "Phiên bản 2027"


def test_overlapping_method_versions_are_refused(world):
    method = Method(
        code="civil-servants",
        name="Trùng",
        legal_basis="x",
        subject="staff",
        valid_from=datetime.date(2025, 6, 1),
        rules=Method.objects.filter(code="civil-servants").first().rules,
    )
    with pytest.raises(ValidationError):
        method.full_clean()


def test_scorecard_for_heads_of_units(world):
    # 12 contents weighing 100; "tasks" (10 points) is computed from the unit's tasks: none → 100 % → 10.
    # The district gives each of the other 11 contents its weight less 1: 90 − 11 = 79, + 10 = 89 → good.
    head_user = world.user("hoangmai_head")
    cycle = open_cycle(
        world,
        "heads-scorecard",
        [world.hoangliet, world.dinhcong],
        frequency="quarterly",
        start=datetime.date(2026, 1, 1),
    )
    evaluations = {e.unit_id: e for e in Evaluation.objects.filter(cycle=cycle)}
    assert set(evaluations) == {world.hoangliet.pk, world.dinhcong.pk}
    ward = evaluations[world.hoangliet.pk]
    assert ward.staff_id == world.hoangliet_staff.pk
    assert ward.total == D("10.00")
    services.cycle_open_review(actor=head_user, cycle=cycle)
    others = {c["code"]: c["weight"] - 1 for c in cycle.method.rules["criteria"] if c["code"] != "tasks"}
    reviewed = review(world, ward, criteria_points=others)
    assert reviewed.total == D("89.00")
    assert reviewed.level == "good"
    with pytest.raises(ValidationError):
        review(world, ward, criteria_points={"party": 11})  # more than the content's weight
    with pytest.raises(ValidationError):
        review(world, ward, criteria_points={"nonexistent": 1})


def test_adjustment_needs_a_reason_and_is_audited(world, person):
    staff = person(world.dinhcong, "Phạm Văn Nam")
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    with pytest.raises(ValidationError):
        review(world, evaluation, general_points=20, adjustment="-5")
    evaluation.refresh_from_db()
    assert evaluation.state == "pending"
    adjusted = review(
        world, evaluation, general_points=20, adjustment="-5", adjustment_reason="Chậm báo cáo tuần"
    )
    assert adjusted.total == D("85.00")
    record = AuditRecord.objects.filter(object_type="evaluations.evaluation", action="review").latest("id")
    assert record.after["adjustment"] == "-5.00"
    assert record.after["adjustment_reason"] == "Chậm báo cáo tuần"


def test_nobody_reviews_their_own_evaluation_and_heads_go_to_the_level_above(world, person):
    from kycuong.accounts.models import User

    cycle = open_cycle(world, "civil-servants", [world.hoangliet])
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    head_evaluation = Evaluation.objects.get(cycle=cycle, staff=world.hoangliet_staff)
    ward_head = User.objects.get(username="staff.hl")
    ward_head.staff = world.hoangliet_staff
    ward_head.save()
    with pytest.raises(PermissionDenied):
        services.evaluation_review(actor=ward_head, evaluation=head_evaluation, general_points=30)
    assert services.reviewing_unit_id(head_evaluation) == world.hoangmai.pk


def test_workflow_return_and_steps(world, person):
    from kycuong.accounts.models import User

    staff = person(world.dinhcong, "Phạm Văn Nam", "nam")
    me = User.objects.get(username="nam")
    head = world.user("hoangmai_head")
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    with pytest.raises(PermissionDenied):
        services.evaluation_self_assess(actor=head, evaluation=evaluation, general_points=25)
    with pytest.raises(ValidationError):
        services.evaluation_self_assess(actor=me, evaluation=evaluation, general_points=31)
    with pytest.raises(ValidationError):
        review(world, evaluation, general_points=25)  # the review has not begun
    services.evaluation_self_assess(actor=me, evaluation=evaluation, general_points=29)
    services.cycle_open_review(actor=head, cycle=cycle)
    with pytest.raises(ValidationError):
        services.cycle_submit(actor=head, cycle=cycle)  # not reviewed yet
    returned = services.evaluation_return(actor=head, evaluation=evaluation, reason="Bổ sung minh chứng")
    assert returned.state == "returned"
    services.evaluation_self_assess(actor=me, evaluation=returned, general_points=17, note="Đã bổ sung")
    reviewed = review(world, Evaluation.objects.get(pk=evaluation.pk))
    assert reviewed.general_points == D("17") and reviewed.total == D("87.00") and reviewed.level == "good"
    services.cycle_submit(actor=head, cycle=cycle)
    services.cycle_return(actor=head, cycle=cycle, reason="Xem lại điểm")
    cycle.refresh_from_db()
    assert (cycle.state, cycle.returned_reason) == (CycleState.REVIEW, "Xem lại điểm")
    services.cycle_submit(actor=head, cycle=cycle)
    services.cycle_approve(actor=head, cycle=cycle)
    services.cycle_publish(actor=head, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.PUBLISHED and cycle.published_on is not None


def test_cycle_needs_the_right_over_every_unit(world):
    with pytest.raises(PermissionDenied):
        services.cycle_create(
            actor=world.user("hoangmai_head"),
            method_code="civil-servants",
            unit=world.hoangmai,
            units=[world.phucxa],
            frequency="monthly",
            period_start=MARCH_2026,
        )
    with pytest.raises(ValidationError):
        services.cycle_create(
            actor=world.user("hoangmai_head"),
            method_code="civil-servants",
            unit=world.hoangmai,
            units=[world.dinhcong],
            frequency="quarterly",
            period_start=datetime.date(2026, 2, 1),
        )


def test_cancelled_and_other_periods_do_not_count(world, person, make_tasks):
    staff = person(world.dinhcong, "Phạm Văn Nam")
    make_tasks(staff, [{}, {"state": TaskState.CANCELLED}], due=datetime.date(2026, 3, 10))
    make_tasks(staff, [{"state": TaskState.IN_PROGRESS}], due=datetime.date(2026, 4, 10))
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    assert (evaluation.tasks_assigned, evaluation.tasks_done) == (1, 1)


def test_computing_again_keeps_what_people_entered_and_audits_once(world, person, make_tasks):
    staff = person(world.dinhcong, "Phạm Văn Nam")
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    record = AuditRecord.objects.filter(object_type="evaluations.cycle", action="compute").latest("id")
    assert record.after["evaluations"] == 1 and record.after["created"] == 1
    assert len(record.after["digest"]) == 64
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    review(world, Evaluation.objects.get(cycle=cycle, staff=staff), general_points=25)
    # A task due in the period is added and left undone: quantity, quality, progress 0 % → 0 task points.
    make_tasks(staff, [{"state": TaskState.IN_PROGRESS, "late": None}], due=datetime.date(2026, 3, 30))
    services.cycle_compute(actor=world.user("hoangmai_head"), cycle=cycle)
    evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
    assert (evaluation.general_points, evaluation.task_points, evaluation.total) == (D("25"), D("0"), D("25"))
    assert evaluation.level == "not_completed"
    again = AuditRecord.objects.filter(object_type="evaluations.cycle", action="compute").latest("id")
    assert (again.after["created"], again.after["changed"]) == (0, 1)
    assert again.after["digest"] != record.after["digest"]
    services.cycle_compute(actor=world.user("hoangmai_head"), cycle=cycle)
    unchanged = AuditRecord.objects.filter(object_type="evaluations.cycle", action="compute").latest("id")
    assert unchanged.after["changed"] == 0 and unchanged.after["digest"] == again.after["digest"]


def test_a_change_made_from_a_stale_copy_of_the_evaluation_is_refused(world, person):
    from kycuong.accounts.models import User
    from kycuong.core.concurrency import EditConflict

    staff = person(world.dinhcong, "Đỗ Thị Hà", "ha")
    me = User.objects.get(username="ha")
    cycle = open_cycle(world, "civil-servants", [world.dinhcong])
    seen = Evaluation.objects.get(cycle=cycle, staff=staff)
    seen.expected_version = seen.version
    services.evaluation_self_assess(
        actor=me, evaluation=Evaluation.objects.get(pk=seen.pk), general_points="27"
    )
    with pytest.raises(EditConflict):
        services.evaluation_self_assess(actor=me, evaluation=seen, general_points="20")
    assert Evaluation.objects.get(pk=seen.pk).self_general_points == D("27")
