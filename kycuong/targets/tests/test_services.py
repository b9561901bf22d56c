"""Services: rates against both denominators with a mid-year revision, the carry-over window, indicators,
rights, audit and the pre-aggregates that the dashboard reads."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kycuong.core.models import AuditRecord
from kycuong.targets import selectors, services
from kycuong.targets.models import Disbursement, IndicatorActual, PlanRevision, ProjectYear, UnitMonth
from kycuong.tasks.models import Task

pytestmark = pytest.mark.django_db
BILLION = 1_000_000_000


def pay(world, project, day, billions, year=2024, actor="hoangmai_head"):
    return services.disbursement_record(
        actor=world.user(actor), project=project, plan_year=year, paid_on=day, amount=billions * BILLION
    )


def test_rates_with_both_denominators_and_a_mid_year_revision(world, planned):
    head = world.user("hoangmai_head")
    pay(world, planned, datetime.date(2024, 3, 10), 30)
    pay(world, planned, datetime.date(2024, 6, 20), 30)
    # 1 July: the local additions rise from 20 to 50 billion; the Prime Minister's 100 stay.
    services.plan_revise(
        actor=head,
        project=planned,
        year=2024,
        assigned_amount=100 * BILLION,
        local_amount=50 * BILLION,
        effective_on=datetime.date(2024, 7, 1),
    )
    pay(world, planned, datetime.date(2024, 11, 5), 30)

    june = selectors.project_year_view(project=planned, year=2024, day=datetime.date(2024, 6, 30))
    # 60 paid; plan in force on 30/06: 100 assigned, 120 in all → 60.00 % and 50.00 %.
    assert (june.disbursed, june.assigned, june.total) == (60 * BILLION, 100 * BILLION, 120 * BILLION)
    assert (june.rate_assigned, june.rate_total) == (D("60.00"), D("50.00"))

    december = selectors.project_year_view(project=planned, year=2024, day=datetime.date(2024, 12, 31))
    # 90 paid; plan in force since 01/07: 100 and 150 → 90.00 % and 60.00 %.
    assert (december.rate_assigned, december.rate_total) == (D("90.00"), D("60.00"))

    aggregate = ProjectYear.objects.get(project=planned, year=2024)
    assert (aggregate.assigned_amount, aggregate.total_amount, aggregate.disbursed) == (
        100 * BILLION,
        150 * BILLION,
        90 * BILLION,
    )
    dashboard = selectors.disbursement_dashboard(actor=head, year=2024, day=datetime.date(2024, 12, 31))
    assert (dashboard.totals.rate_assigned, dashboard.totals.rate_total) == (D("90.00"), D("60.00"))
    assert selectors.aggregates_mismatches() == []


def test_carry_over_window(world, planned):
    # 15 January 2025 still counts for the 2024 plan, in the window's 13th month.
    january = pay(world, planned, datetime.date(2025, 1, 15), 10)
    assert january.plan_year == 2024
    assert UnitMonth.objects.get(unit=world.hoangmai, year=2024, month=13).amount == 10 * BILLION
    records = AuditRecord.objects.count()
    for day in (datetime.date(2025, 2, 1), datetime.date(2023, 12, 31)):
        with pytest.raises(ValidationError) as refused:
            pay(world, planned, day, 10)
        assert "paid_on" in refused.value.message_dict
    assert Disbursement.objects.count() == 1
    assert AuditRecord.objects.count() == records
    assert ProjectYear.objects.get(project=planned, year=2024).disbursed == 10 * BILLION


def test_bad_disbursements_change_nothing(world, planned):
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationError):
        pay(world, planned, datetime.date(2024, 5, 1), 0)
    with pytest.raises(ValidationError) as no_plan:
        pay(world, planned, datetime.date(2023, 5, 1), 1, year=2023)
    assert "plan_year" in no_plan.value.message_dict
    with pytest.raises(PermissionDenied):
        pay(world, planned, datetime.date(2024, 5, 1), 1, actor="badinh_head")
    with pytest.raises(PermissionDenied):
        pay(world, planned, datetime.date(2024, 5, 1), 1, actor="hoangmai_inspector")
    assert Disbursement.objects.count() == 0
    assert AuditRecord.objects.count() == records
    assert ProjectYear.objects.get(project=planned, year=2024).disbursed == 0


def test_plan_revision_rules(world, project):
    head = world.user("hoangmai_head")
    with pytest.raises(ValidationError) as future:
        services.plan_revise(
            actor=head, project=project, year=2024, assigned_amount=1, effective_on=datetime.date(2099, 1, 1)
        )
    assert "effective_on" in future.value.message_dict
    with pytest.raises(ValidationError):
        services.plan_revise(actor=head, project=project, year=2024, assigned_amount=-5)
    assert not PlanRevision.objects.exists()


def test_every_write_is_audited_and_cancel_keeps_aggregates_exact(world, planned):
    head = world.user("hoangmai_head")
    first = pay(world, planned, datetime.date(2024, 2, 1), 5)
    pay(world, planned, datetime.date(2024, 2, 9), 7)
    assert AuditRecord.objects.filter(object_type="targets.disbursement", actor_id=head.pk).count() == 2
    services.disbursement_cancel(actor=head, disbursement=first)
    assert AuditRecord.objects.filter(object_type="targets.disbursement", action="delete").count() == 1
    assert UnitMonth.objects.get(unit=world.hoangmai, year=2024, month=2).amount == 7 * BILLION
    assert selectors.aggregates_mismatches() == []


def test_moving_a_project_moves_its_figures(world, planned):
    pay(world, planned, datetime.date(2024, 4, 1), 9)
    services.project_update(
        actor=world.user("city_leader"), project=planned, changes={"responsible_unit": world.dinhcong}
    )
    assert ProjectYear.objects.get(project=planned).responsible_unit == world.dinhcong
    assert UnitMonth.objects.get(unit=world.dinhcong, year=2024, month=4).amount == 9 * BILLION
    assert UnitMonth.objects.get(unit=world.hoangmai, year=2024, month=4).amount == 0
    assert selectors.aggregates_mismatches() == []
    services.aggregates_rebuild()
    assert selectors.aggregates_mismatches() == []
    assert ProjectYear.objects.get(project=planned).disbursed == 9 * BILLION


def test_lagging_project_and_its_follow_up_task(world, planned):
    head = world.user("hoangmai_head")
    pay(world, planned, datetime.date(2024, 3, 1), 1)
    # At the end of the window the path asks for 95 %; 1 of 120 billion is far below it.
    lagging = selectors.project_list(actor=head, year=2024, lagging=True)
    assert [row.project_id for row in lagging] == [planned.pk]
    dashboard = selectors.disbursement_dashboard(actor=head, year=2024)
    assert dashboard.totals.lagging == 1 and dashboard.units[0].is_lagging
    link = services.project_follow_up(actor=head, project=planned, plan_year=2024)
    task = Task.objects.get(pk=link.task_id)
    assert task.lead_unit == world.hoangmai and task.assigning_unit == world.hoangmai
    assert "DA-HM-001" in task.title
    with pytest.raises(PermissionDenied):
        services.project_follow_up(actor=world.user("hoangmai_inspector"), project=planned, plan_year=2024)


def test_indicator_target_actual_status_and_roll_up(world):
    leader = world.user("city_leader")
    grdp = services.indicator_create(
        actor=leader, owner_unit=world.city, code="GRDP", name="Tăng trưởng GRDP", unit_of_measure="%"
    )
    services.target_set(
        actor=leader, indicator=grdp, unit=world.city, year=2024, target_min=D("6.5"), target_max=D("7")
    )
    for month, value in ((3, "5.2"), (6, "5.9"), (9, "6.1"), (12, "6.52")):
        services.actual_record(
            actor=leader,
            indicator=grdp,
            unit=world.city,
            year=2024,
            month=month,
            value=D(value),
            source="Cục Thống kê",
        )
    result = selectors.indicator_progress(
        actor=leader, indicator=grdp, unit=world.city, year=2024, day=datetime.date(2024, 12, 31)
    )
    assert result.year_to_date == D("6.52") and result.goal == D("6.5")
    # The trend through the four points reaches 6.64 at month 12: on track.
    assert result.status == "on_track"

    enterprises = services.indicator_create(
        actor=leader,
        owner_unit=world.city,
        code="DN",
        name="Doanh nghiệp thành lập mới",
        unit_of_measure="doanh nghiệp",
        additive=True,
        measure_kind="flow",
    )
    services.target_set(
        actor=leader,
        indicator=enterprises,
        unit=world.hoangmai,
        year=2024,
        target_min=D(600),
        target_max=None,
    )
    services.target_set(
        actor=leader, indicator=enterprises, unit=world.badinh, year=2024, target_min=D(400), target_max=None
    )
    for unit, value in ((world.hoangmai, 150), (world.badinh, 100), (world.hoangliet, 50)):
        services.actual_record(
            actor=leader, indicator=enterprises, unit=unit, year=2024, month=3, value=D(value)
        )
    city = selectors.indicator_progress(
        actor=leader, indicator=enterprises, unit=world.city, year=2024, day=datetime.date(2024, 4, 1)
    )
    # 300 in the first quarter, rolled up over the city: 1,200 forecast against 600 + 400 = 1,000.
    assert city.year_to_date == D(300) and city.forecast == D(1200) and city.goal == D(1000)
    assert city.status == "on_track"
    district = selectors.indicator_progress(
        actor=world.user("hoangmai_head"), indicator=enterprises, unit=world.hoangmai, year=2024
    )
    assert district.year_to_date == D(200) and district.goal == D(600)


def test_indicator_refusals_change_nothing(world):
    leader = world.user("city_leader")
    grdp = services.indicator_create(
        actor=leader,
        owner_unit=world.city,
        code="GRDP",
        name="Tăng trưởng GRDP",
        unit_of_measure="%",
        frequency="quarterly",
    )
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationError):
        services.actual_record(actor=leader, indicator=grdp, unit=world.city, year=2024, month=5, value=D(1))
    with pytest.raises(ValidationError):
        services.actual_record(actor=leader, indicator=grdp, unit=world.city, year=2099, month=3, value=D(1))
    with pytest.raises(PermissionDenied):
        services.actual_record(
            actor=world.user("hoangmai_observer"),
            indicator=grdp,
            unit=world.hoangmai,
            year=2024,
            month=3,
            value=D(1),
        )
    with pytest.raises(ValidationError):
        services.target_set(
            actor=leader, indicator=grdp, unit=world.city, year=2024, target_min=D(7), target_max=D(6)
        )
    assert not IndicatorActual.objects.exists()
    assert AuditRecord.objects.count() == records
