import datetime

import pytest

from kycuong.core.dashboard import Period, module_providers
from kycuong.org.models import Unit
from kycuong.processes import services
from kycuong.processes.bpmn import BuilderStep
from kycuong.reports.tests.module_statistics import assert_figures_equal, statistics_page

from .helpers import at, open_step, start, two_unit_process

pytestmark = pytest.mark.django_db


def _finish(world, instance, day, *, month=3, actors=("hoangliet_staff", "hoangmai_head", "hoangmai_head")):
    for actor in actors:
        services.step_complete(
            actor=world.user(actor), step=open_step(instance), result="ok", now=at(2026, month, day, 10)
        )


def test_dashboard_summary_for_a_district(world):
    definition = two_unit_process(world)
    _finish(world, start(world, definition, now=at(2026, 3, 2, 9), reference="A"), 3)  # early
    _finish(world, start(world, definition, now=at(2026, 3, 2, 9), reference="B"), 9)  # late
    _finish(world, start(world, definition, now=at(2026, 3, 2, 9), reference="C"), 6)  # on time (due 6 March)
    providers = dict(module_providers())
    summary = providers["processes"](
        actor=world.user("city_leader"),
        unit=world.hoangmai,
        period=Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)),
    )
    figures = {figure.key: figure for figure in summary.figures}
    assert figures["processes.finished"].value == 3
    assert figures["processes.finished"].previous == 0
    assert figures["processes.late"].value == 1
    assert figures["processes.timely_rate"].value == pytest.approx(66.7)
    assert f"unit={world.hoangmai.pk}" in figures["processes.timely_rate"].drill_url
    assert summary.by_subunit == {world.hoangliet.pk: pytest.approx(66.7), world.dinhcong.pk: None}
    assert summary.sentences and "3" in summary.sentences[0]


def test_home_section_counts_my_steps(world, login):
    definition = two_unit_process(world)
    start(world, definition, now=at(2020, 3, 2, 9))
    page = login(world.user("hoangliet_staff")).get("/").content.decode()
    assert "/processes/?queue=mine" in page


# The dashboard equals the module's own statistics page ---------------------------------------------------

MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))  # previous: February


def _head_process(world, unit, code):
    """A process of `unit` whose two steps the district's head performs."""
    return services.definition_build(
        actor=world.user("hoangmai_head"),
        owner_unit=unit,
        code=code,
        name="Giải quyết đơn",
        valid_from=datetime.date(2020, 1, 1),
        steps=[
            BuilderStep(name="Tiếp nhận", role="unit_head", limit_value=1),
            BuilderStep(name="Ký duyệt", role="unit_head", limit_value=4, limit_unit="hours"),
        ],
    )


def _statistics_page(client, unit, period: Period) -> dict:
    """The figures of the processes statistics page for a unit's subtree over the period's months."""
    query = {
        "unit": unit.pk,
        "year": period.start.year,
        "start_month": period.start.month,
        "end_month": period.end.month,
    }
    return statistics_page(client, "processes:statistics", query, unit, period)["figures"]


@pytest.fixture
def cases_in_two_months(world):
    """Cases finished early, on time and late in both wards of Hoàng Mai and in the district itself, in
    February and March 2026; one started in February and finished in March, one still running, and one in
    another district."""
    by_ward = two_unit_process(world)
    by_dinhcong = _head_process(world, world.dinhcong, "QT-DC")
    by_district = _head_process(world, world.hoangmai, "QT-HM")
    heads = ("hoangmai_head", "hoangmai_head")
    # March.
    _finish(world, start(world, by_ward, now=at(2026, 3, 2, 9), reference="A"), 3)  # early
    _finish(world, start(world, by_ward, now=at(2026, 3, 2, 9), reference="B"), 9)  # late
    _finish(world, start(world, by_ward, now=at(2026, 3, 2, 9), reference="C"), 6)  # on time
    for reference, day in (("D", 2), ("E", 12)):
        case = start(world, by_dinhcong, now=at(2026, 3, 2, 9), user="hoangmai_head", reference=reference)
        _finish(world, case, day, actors=heads)
    _finish(world, start(world, by_district, now=at(2026, 3, 3, 9), user="hoangmai_head"), 4, actors=heads)
    _finish(world, start(world, by_ward, now=at(2026, 2, 25, 9), reference="F"), 5)  # started in February
    start(world, by_ward, now=at(2026, 3, 20, 9), reference="G")  # still running
    # February.
    _finish(world, start(world, by_ward, now=at(2026, 2, 2, 9), reference="H"), 3, month=2)
    _finish(world, start(world, by_ward, now=at(2026, 2, 2, 9), reference="I"), 24, month=2)
    case = start(world, by_dinhcong, now=at(2026, 2, 2, 9), user="hoangmai_head", reference="K")
    _finish(world, case, 3, month=2, actors=heads)
    # Another district.
    elsewhere = services.definition_build(
        actor=world.user("badinh_head"),
        owner_unit=world.badinh,
        code="QT-BD",
        name="Giải quyết đơn",
        valid_from=datetime.date(2020, 1, 1),
        steps=[BuilderStep(name="Ký duyệt", role="unit_head", limit_value=1)],
    )
    case = start(world, elsewhere, now=at(2026, 3, 2, 9), user="badinh_head", reference="Z")
    _finish(world, case, 10, actors=("badinh_head",))
    return world


# Each dashboard figure and the statistics page's total it must equal.
COUNTERPARTS = {
    "processes.timely_rate": lambda total: total.timely_rate,
    "processes.finished": lambda total: total.finished,
    "processes.late": lambda total: total.late,
    "processes.average_hours": lambda total: total.average_hours,
}


def test_figures_equal_the_statistics_page(cases_in_two_months, login):
    world = cases_in_two_months
    leader = world.user("city_leader")
    client = login(leader)
    summary = dict(module_providers())["processes"](actor=leader, unit=world.hoangmai, period=MARCH)
    now = _statistics_page(client, world.hoangmai, MARCH)["total"]
    before = _statistics_page(client, world.hoangmai, MARCH.previous())["total"]
    assert_figures_equal(summary.figures, COUNTERPARTS, now, before)
    # Hand count: 7 finished in March (4 in Hoàng Liệt, one of them started in February; 2 in Định Công; 1 in
    # the district), 3 in February; both months have cases in time and late.
    assert (now.finished, before.finished) == (7, 3)
    assert now.timely and now.late and before.timely and before.late
    # Per direct sub-unit, that sub-unit's page.
    children = Unit.objects.filter(parent=world.hoangmai)
    per_child = {child.pk: _statistics_page(client, child, MARCH)["total"].timely_rate for child in children}
    assert summary.by_subunit == per_child
    assert None not in per_child.values()
