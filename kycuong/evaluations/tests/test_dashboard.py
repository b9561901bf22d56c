"""The dashboard provider: exact figures for a unit's subtree and period, a fixed number of queries."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import SYSTEM
from kycuong.core.dashboard import Period, module_providers
from kycuong.evaluations import services
from kycuong.evaluations.dashboard import summary
from kycuong.evaluations.models import Evaluation
from kycuong.org.models import Unit, UnitKind
from kycuong.org.services import unit_create
from kycuong.reports.tests.module_statistics import statistics_page

from .conftest import MARCH_2026

MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def _published_cycle(world, person):
    # Four people in Định Công, no task due: 70 task points each. One gets 20 + 5 bonus (95, grade A), the
    # others 10 (80, grade B): one A in four is within 30 %.
    people = [person(world.dinhcong, f"Người {i}") for i in range(4)]
    head = world.user("hoangmai_head")
    cycle = services.cycle_create(
        actor=head,
        method_code="hanoi-monthly",
        unit=world.hoangmai,
        units=[world.dinhcong],
        frequency="monthly",
        period_start=MARCH_2026,
    )
    services.cycle_compute(actor=head, cycle=cycle)
    services.cycle_open_review(actor=head, cycle=cycle)
    for index, staff in enumerate(people):
        evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
        points = {"general_points": 20, "bonus_points": 5} if index == 0 else {"general_points": 10}
        services.evaluation_review(actor=head, evaluation=evaluation, **points)
    for step in (services.cycle_submit, services.cycle_approve, services.cycle_publish):
        step(actor=head, cycle=cycle)
    return cycle


def test_figures_of_the_subtree_and_the_previous_period(world, person):
    _published_cycle(world, person)
    result = summary(actor=world.user("hoangmai_head"), unit=world.hoangmai, period=MARCH)
    figures = {figure.key: figure for figure in result.figures}
    assert figures["evaluations.count"].value == 4 and figures["evaluations.count"].previous == 0
    assert figures["evaluations.top_share"].value == Decimal("25.00")
    assert figures["evaluations.not_completed_share"].value == Decimal("0.00")
    assert figures["evaluations.mean_score"].value == Decimal("83.75")  # (95 + 3 × 80) / 4
    assert figures["evaluations.mean_score"].previous is None
    assert result.by_subunit == {world.hoangliet.pk: None, world.dinhcong.pk: Decimal("83.75")}
    assert "/evaluations/list/?unit=" in figures["evaluations.count"].drill_url
    assert any("83" in sentence for sentence in result.sentences)
    assert "evaluations" in dict(module_providers())
    # Out of scope: the figures of another district's head are empty.
    other = summary(actor=world.user("badinh_head"), unit=world.hoangmai, period=MARCH)
    assert {f.key: f.value for f in other.figures}["evaluations.count"] == 0


def test_query_count_does_not_grow_with_sub_units(world, person):
    _published_cycle(world, person)
    head = world.user("hoangmai_head")
    summary(actor=head, unit=world.hoangmai, period=MARCH)  # warm the actor's scope cache
    with CaptureQueriesContext(connection) as before:
        summary(actor=head, unit=world.hoangmai, period=MARCH)
    for index in range(5):
        unit_create(
            actor=SYSTEM, parent=world.hoangmai, kind=UnitKind.WARD, code=f"X{index}", name=f"Phường {index}"
        )
    head = type(head).objects.get(pk=head.pk)
    summary(actor=head, unit=world.hoangmai, period=MARCH)
    with CaptureQueriesContext(connection) as after:
        summary(actor=head, unit=world.hoangmai, period=MARCH)
    assert len(after) == len(before) <= 8


# The dashboard equals the module's own results page ------------------------------------------------------

FEBRUARY_2026 = datetime.date(2026, 2, 1)
ONE_DECIMAL = Decimal("0.1")


def _reviewed(general, bonus=0, adjustment=0):
    """Review points: 70 task points (no task due) plus these; a negative adjustment needs a reason."""
    points = {"general_points": general, "bonus_points": bonus, "adjustment": adjustment}
    return {**points, "adjustment_reason": "Vi phạm kỷ luật lao động" if adjustment else ""}


def _cycle(world, actor, *, unit, people_points: dict, period_start, publish=True):
    """A monthly cycle of the hanoi-monthly method for the people's units, each person reviewed with the
    given points, then published (or left in review)."""
    units = {staff.unit_id: staff.unit for staff in people_points}
    cycle = services.cycle_create(
        actor=actor,
        method_code="hanoi-monthly",
        unit=unit,
        units=list(units.values()),
        frequency="monthly",
        period_start=period_start,
    )
    services.cycle_compute(actor=actor, cycle=cycle)
    services.cycle_open_review(actor=actor, cycle=cycle)
    for staff, points in people_points.items():
        evaluation = Evaluation.objects.get(cycle=cycle, staff=staff)
        services.evaluation_review(actor=actor, evaluation=evaluation, **points)
    if publish:
        for step in (services.cycle_submit, services.cycle_approve, services.cycle_publish):
            step(actor=actor, cycle=cycle)
    return cycle


@pytest.fixture
def published_in_two_months(world, person):
    """Published monthly cycles of both wards of Hoàng Mai for February and March 2026, with every level
    (at most one A per ward, the quota); a district cycle for March still in review, and a published one in
    another district."""
    head = world.user("hoangmai_head")
    hoangliet = [world.hoangliet_staff, *(person(world.hoangliet, f"Cán bộ HL {i}") for i in range(3))]
    dinhcong = [person(world.dinhcong, f"Cán bộ ĐC {i}") for i in range(4)]
    a, b, c, d = _reviewed(20, 5), _reviewed(10), _reviewed(0, adjustment=-10), _reviewed(0, adjustment=-40)
    march = {
        **dict(zip(hoangliet, (a, b, b, d), strict=True)),
        **dict(zip(dinhcong, (b, b, c, a), strict=True)),
    }
    february = {
        **dict(zip(hoangliet, (b, c, b, b), strict=True)),
        **dict(zip(dinhcong, (a, d, d, b), strict=True)),
    }
    _cycle(world, head, unit=world.hoangmai, people_points=march, period_start=MARCH_2026)
    _cycle(world, head, unit=world.hoangmai, people_points=february, period_start=FEBRUARY_2026)
    district = {person(world.hoangmai, "Cán bộ quận"): b}
    _cycle(world, head, unit=world.hoangmai, people_points=district, period_start=MARCH_2026, publish=False)
    elsewhere = {world.phucxa_staff: b}
    _cycle(
        world, world.user("badinh_head"), unit=world.badinh, people_points=elsewhere, period_start=MARCH_2026
    )
    return world


def _results_page(client, unit, period: Period, kind: str) -> dict:
    """The context of the results page: distribution by level of the unit's subtree, ranking of units of the
    kind, over the period."""
    query = {
        "unit": unit.pk,
        "period_from": period.start.isoformat(),
        "period_to": period.end.isoformat(),
        "kind": kind,
    }
    return statistics_page(client, "evaluations:results", query, unit, period)


def _own_figures(client, unit, period: Period) -> dict:
    """What the results page shows for the unit over the period: the count and the shares of the top and
    bottom levels from its distribution (one method here), the mean from its ranking."""
    context = _results_page(client, unit, period, unit.kind)
    (entry,) = context["distribution"]
    (ranked,) = [row for row in context["rankings"] if row["unit_id"] == unit.pk]
    assert ranked["evaluations"] == entry["total"]
    return {
        "evaluations.count": entry["total"],
        "evaluations.top_share": Decimal(str(entry["rows"][0]["percent"])),
        "evaluations.not_completed_share": Decimal(str(entry["rows"][-1]["percent"])),
        "evaluations.mean_score": ranked["mean"],
    }


def _as_shown(figure_key: str, value):
    # The page shows shares with one decimal, the dashboard keeps two: compare what both show.
    if figure_key.endswith("_share"):
        return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    return value


def test_figures_equal_the_results_page(published_in_two_months, login):
    world = published_in_two_months
    head = world.user("hoangmai_head")
    client = login(head)
    result = summary(actor=head, unit=world.hoangmai, period=MARCH)
    now = _own_figures(client, world.hoangmai, MARCH)
    before = _own_figures(client, world.hoangmai, MARCH.previous())
    assert {figure.key for figure in result.figures} == set(now)
    for figure in result.figures:
        shown = (figure.key, _as_shown(figure.key, figure.value), _as_shown(figure.key, figure.previous))
        assert shown == (figure.key, now[figure.key], before[figure.key])
    # Hand count: 8 published each month, 2 at A and 1 at D in March, 1 at A and 2 at D in February.
    assert (now["evaluations.count"], before["evaluations.count"]) == (8, 8)
    assert now["evaluations.top_share"] == 25 and before["evaluations.not_completed_share"] == 25
    # Per direct sub-unit, the mean in the page's ranking of wards.
    wards = _results_page(client, world.hoangmai, MARCH, UnitKind.WARD)["rankings"]
    ward_means = {row["unit_id"]: row["mean"] for row in wards}
    children = Unit.objects.filter(parent=world.hoangmai)
    assert result.by_subunit == {child.pk: ward_means.get(child.pk) for child in children}
    assert None not in result.by_subunit.values()
