"""Each provider's figures equal the module's own statistics for the same unit and period, and hand-counted
figures; the drill-down links open the module's list filtered to exactly those records."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from kycuong.core.dashboard import Period, registered_modules
from kycuong.reports.selectors import month_period, quarter_period, year_period
from kycuong.satisfaction import selectors as satisfaction_selectors
from kycuong.satisfaction.dashboard import summary as satisfaction_summary
from kycuong.targets import selectors as targets_selectors
from kycuong.targets import services as targets_services
from kycuong.targets.dashboard import summary as targets_summary
from kycuong.tasks import selectors as task_selectors
from kycuong.tasks.dashboard import summary as tasks_summary

pytestmark = pytest.mark.django_db
BILLION = 1_000_000_000


def figure(summary, key):
    return next(f for f in summary.figures if f.key == key)


def test_every_module_is_registered_once_in_order():
    modules = [name for name, _path in registered_modules()]
    assert modules == [
        "tasks",
        "evaluations",
        "inspections",
        "discipline",
        "processes",
        "satisfaction",
        "targets",
    ]


def test_periods_and_their_previous_ones():
    assert month_period(2025, 1) == Period(datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    assert month_period(2025, 1).previous() == Period(datetime.date(2024, 12, 1), datetime.date(2024, 12, 31))
    assert quarter_period(2025, 1).previous() == quarter_period(2024, 4)
    assert year_period(2025).previous() == year_period(2024)
    assert month_period(2024, 3).previous() == month_period(2024, 2)
    custom = Period(datetime.date(2025, 1, 10), datetime.date(2025, 1, 19))
    assert custom.previous() == Period(datetime.date(2024, 12, 31), datetime.date(2025, 1, 9))


def test_tasks_figures_equal_the_task_summary(tasks_world, login):
    head = tasks_world.user("hoangmai_head")
    period = month_period(2025, 1)
    summary = tasks_summary(actor=head, unit=tasks_world.hoangmai, period=period)
    own = task_selectors.unit_task_summary(
        actor=head,
        unit_id=tasks_world.hoangmai.pk,
        with_descendants=True,
        due_from=period.start,
        due_to=period.end,
    )
    # Hand count: 4 due in January (2 in each ward), 1 on time, 1 late, 2 overdue → 1 of 4 = 25.0 %.
    assert figure(summary, "tasks.assigned").value == own.assigned == 4
    assert figure(summary, "tasks.on_time").value == own.on_time == 1
    assert figure(summary, "tasks.late").value == own.late == 1
    assert figure(summary, "tasks.overdue").value == own.overdue == 2
    assert figure(summary, "tasks.on_time_rate").value == own.on_time_rate == 25.0
    # December: 1 due, done on time → 100 %.
    assert figure(summary, "tasks.assigned").previous == 1
    assert figure(summary, "tasks.on_time_rate").previous == 100.0
    # Ranking: Hoàng Liệt 1 of 3 = 33.3 %, Định Công 0 of 1 = 0 %.
    assert summary.by_subunit == {tasks_world.hoangliet.pk: 33.3, tasks_world.dinhcong.pk: 0.0}
    assert summary.headline == "tasks.on_time_rate"
    client = login(head)
    overdue = client.get(figure(summary, "tasks.overdue").drill_url).content.decode()
    assert "Quá hạn HL" in overdue and "Quá hạn ĐC" in overdue
    assert "Đúng hạn" not in overdue and "Ba Đình" not in overdue and "Tháng trước" not in overdue
    due = client.get(figure(summary, "tasks.assigned").drill_url).content.decode()
    assert all(title in due for title in ("Đúng hạn", "Trễ hạn", "Quá hạn HL", "Quá hạn ĐC"))
    assert "Tháng trước" not in due


def test_tasks_sentence_uses_vietnamese_number_formats(tasks_world):
    with translation.override("vi"):
        summary = tasks_summary(
            actor=tasks_world.user("hoangmai_head"), unit=tasks_world.hoangmai, period=month_period(2025, 1)
        )
    sentence = summary.sentences[0]
    assert "25,0 %" in sentence and " 4 " in sentence


def test_tasks_figures_follow_the_actor_scope(tasks_world):
    outsider = tasks_world.user("badinh_head")
    summary = tasks_summary(actor=outsider, unit=tasks_world.hoangmai, period=month_period(2025, 1))
    assert figure(summary, "tasks.assigned").value == 0 and summary.by_subunit == {}


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


ALL = ("access", "procedure", "civil_servant", "result", "feedback")


def test_satisfaction_figures_equal_the_index(rate, points, login):
    # January 2025 at Hoàng Liệt's desk: three ratings of 5 on every factor and one of 2 → each factor 75 %.
    for score in (5, 5, 5, 2):
        rate(submitted_at=at(datetime.date(2025, 1, 14)), **dict.fromkeys(ALL, score))
    # December 2024: one rating of 4 everywhere → 100 %; Phúc Xá (another district) is not Hoàng Mai's.
    rate(submitted_at=at(datetime.date(2024, 12, 3)), **dict.fromkeys(ALL, 4))
    rate(point=points.other_point, submitted_at=at(datetime.date(2025, 1, 14)), **dict.fromkeys(ALL, 1))
    head = points.user("hoangmai_head")
    period = month_period(2025, 1)
    summary = satisfaction_summary(actor=head, unit=points.hoangmai, period=period)
    own = satisfaction_selectors.satisfaction_index(
        actor=head,
        filters=satisfaction_selectors.IndexFilters(
            unit_id=points.hoangmai.pk, date_from=period.start, date_to=period.end
        ),
    )
    assert figure(summary, "satisfaction.index").value == round(own.overall.percent, 1) == 75.0
    assert figure(summary, "satisfaction.ratings").value == own.ratings == 4
    assert figure(summary, "satisfaction.index").previous == 100.0
    assert figure(summary, "satisfaction.ratings").previous == 1
    assert summary.by_subunit == {points.hoangliet.pk: 75.0}
    # A one-month period charts day by day: one day with ratings.
    assert figure(summary, "satisfaction.index").series == [("14/01", 75.0)]
    client = login(head)
    page = client.get(figure(summary, "satisfaction.ratings").drill_url)
    assert page.status_code == 200 and len(page.context["page"].items) == 4


@pytest.fixture
def disbursed(world, planned):
    head = world.user("hoangmai_head")
    ward_project = targets_services.project_create(
        actor=head,
        code="DA-HL-001",
        name="Trường mầm non Hoàng Liệt",
        investor_unit=world.hoangliet,
        responsible_unit=world.hoangliet,
    )
    targets_services.plan_revise(
        actor=head,
        project=ward_project,
        year=2024,
        assigned_amount=50 * BILLION,
        effective_on=datetime.date(2024, 1, 1),
    )
    for project, day, billions in (
        (planned, datetime.date(2024, 3, 10), 30),
        (planned, datetime.date(2024, 6, 20), 30),
        (ward_project, datetime.date(2024, 5, 5), 10),
    ):
        targets_services.disbursement_record(
            actor=head, project=project, plan_year=2024, paid_on=day, amount=billions * BILLION
        )
    return world


def test_targets_figures_equal_the_disbursement_dashboard(disbursed, login):
    head = disbursed.user("hoangmai_head")
    summary = targets_summary(actor=head, unit=disbursed.hoangmai, period=year_period(2024))
    own = targets_selectors.disbursement_dashboard(
        actor=head, year=2024, unit_id=disbursed.hoangmai.pk, day=datetime.date(2024, 12, 31)
    )
    # Plans: 120 + 50 = 170 billion in all, 100 + 50 = 150 assigned; paid 30 + 30 + 10 = 70.
    assert figure(summary, "targets.disbursement_rate").value == own.totals.rate_total == D("41.18")
    assert (
        figure(summary, "targets.disbursement_rate_assigned").value == own.totals.rate_assigned == D("46.67")
    )
    assert figure(summary, "targets.lagging_projects").value == own.totals.lagging
    assert figure(summary, "targets.disbursement_rate").previous is None  # nothing planned for 2023
    # Ranking: Hoàng Liệt paid 10 of 50 = 20 %; the district's own project is in no sub-unit.
    assert summary.by_subunit == {disbursed.hoangliet.pk: D("20.00")}
    curve = figure(summary, "targets.disbursement_rate").series
    assert curve[-1] == ("12/2024", float(D("41.18")))
    # The dashboard's sums are the disbursement page's, field by field, month by month.
    totals, by_child = targets_selectors.disbursement_totals(
        actor=head,
        year=2024,
        unit_id=disbursed.hoangmai.pk,
        day=datetime.date(2024, 12, 31),
        children_of=disbursed.hoangmai.pk,
    )
    assert totals.totals == own.totals and totals.months == own.months and totals.units == []
    assert totals.threshold == own.threshold and totals.path_today == own.path_today
    ward_row = next(row for row in own.units if row.unit_id == disbursed.hoangliet.pk)
    assert by_child[disbursed.hoangliet.pk].total == ward_row.total == 50 * BILLION
    client = login(head)
    page = client.get(figure(summary, "targets.disbursement_rate").drill_url)
    codes = {row.project.code for row in page.context["page"].items}
    assert codes == {"DA-HM-001", "DA-HL-001"}
