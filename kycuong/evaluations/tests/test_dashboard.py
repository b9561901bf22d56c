"""The dashboard provider: exact figures for a unit's subtree and period, a fixed number of queries."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import SYSTEM
from kycuong.core.dashboard import Period, module_providers
from kycuong.evaluations import services
from kycuong.evaluations.dashboard import summary
from kycuong.evaluations.models import Evaluation
from kycuong.org.models import UnitKind
from kycuong.org.services import unit_create

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
