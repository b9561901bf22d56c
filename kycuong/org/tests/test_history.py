"""Queries by period on the structure valid then, and the comparable view on a hand-made case."""

import datetime
from fractions import Fraction

import pytest

from kycuong.accounts.models import User
from kycuong.org.models import EventKind, ShareKind, Unit, UnitKind
from kycuong.org.reorganisation import LinkSpec, NewUnitSpec, event_apply, event_create
from kycuong.org.selectors import comparable_predecessors, unit_comparable, units_in_period
from kycuong.tasks.models import TaskState
from kycuong.tasks.selectors import unit_task_summary
from kycuong.tasks.tally import tally_differences

from .conftest import EFFECTIVE

pytestmark = pytest.mark.django_db
YEAR_2024 = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
YEAR_2026 = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


@pytest.fixture
def closed_task(open_task):
    """A task approved on time, due on the given day (closed records stay with the unit that did them)."""

    def make(unit, due):
        task = open_task(unit, due=due, start=due - datetime.timedelta(days=20))
        task.state = TaskState.APPROVED
        task.late_working_days = 0
        task.closed_on = due
        task.progress = 100
        task.save()
        return task

    return make


@pytest.fixture
def reorganised(world, reorg_admin, closed_task):
    """2024: Hoàng Liệt did 4 tasks, Định Công 2. On 1/7/2025 Hoàng Liệt merges whole into a new ward N,
    and Định Công is split in three equal parts: N (by default), Phúc Xá and Ba Đình."""
    for day in (3, 10, 17, 24):
        closed_task(world.hoangliet, datetime.date(2024, 6, day))
    for day in (5, 12):
        closed_task(world.dinhcong, datetime.date(2024, 9, day))
    event = event_create(
        actor=reorg_admin,
        kind=EventKind.REORGANISE,
        title="Sắp xếp phường",
        effective_date=EFFECTIVE,
        legal_basis="Nghị quyết 1656/NQ-UBTVQH15",
        new_units=[NewUnitSpec(code="N", name="Phường Mới", kind=UnitKind.WARD, parent=world.city)],
        links=[
            LinkSpec(predecessor=world.hoangliet, successor="N"),
            LinkSpec(predecessor=world.dinhcong, successor="N", share=ShareKind.PART_DEFAULT),
            LinkSpec(predecessor=world.dinhcong, successor=world.phucxa, share=ShareKind.PART),
            LinkSpec(predecessor=world.dinhcong, successor=world.badinh, share=ShareKind.PART),
        ],
    )
    event_apply(actor=reorg_admin, event=event)
    return Unit.objects.get(code="N")


def test_a_2024_report_counts_the_2024_wards_and_a_2026_report_the_2025_units(
    world, reorganised, closed_task
):
    new = reorganised
    for month in (2, 3, 4):
        closed_task(new, datetime.date(2026, month, 16))
    leader = User.objects.get(username="leader")

    def assigned(unit, period):
        return unit_task_summary(
            actor=leader, unit_id=unit.pk, with_descendants=True, due_from=period[0], due_to=period[1]
        ).assigned

    assert {
        u.code
        for u in units_in_period(
            actor=leader, parent_id=world.hoangmai.pk, date_from=YEAR_2024[0], date_to=YEAR_2024[1]
        )
    } == {"T00331", "T00337"}
    assert assigned(world.hoangmai, YEAR_2024) == 6
    assert assigned(world.hoangmai, YEAR_2026) == 0
    assert (
        list(
            units_in_period(
                actor=leader, parent_id=world.hoangmai.pk, date_from=YEAR_2026[0], date_to=YEAR_2026[1]
            )
        )
        == []
    )
    sub_units_2026 = units_in_period(
        actor=leader, parent_id=world.city.pk, date_from=YEAR_2026[0], date_to=YEAR_2026[1]
    )
    assert {u.code for u in sub_units_2026} == {
        "T008",
        "T001",
        "N",
    }  # the district itself was not closed here
    assert assigned(new, YEAR_2026) == 3
    assert assigned(world.city, YEAR_2026) == 3
    assert assigned(world.city, YEAR_2024) == 6  # the closed wards still count for the city in 2024
    assert tally_differences() == []


def test_the_comparable_view_maps_2024_figures_onto_the_new_ward_by_shares(world, reorganised):
    new = reorganised
    weights = {p.unit.code: p.weight for p in comparable_predecessors(unit=new)}
    assert weights == {"T00337": Fraction(1), "T00331": Fraction(1, 3)}
    [tasks] = unit_comparable(
        actor=User.objects.get(username="leader"), unit=new, date_from=YEAR_2024[0], date_to=YEAR_2024[1]
    )
    # N itself did nothing in 2024; Hoàng Liệt's 4 count whole, a third of Định Công's 2: 4 + 2/3 = 14/3
    assert tasks.comparable.totals["assigned"] == Fraction(14, 3)
    assert tasks.comparable.totals["on_time"] == Fraction(14, 3)
    assert tasks.comparable.totals["late"] == 0
    assert tasks.totals_shown["assigned"].endswith("(= 14/3)")
    # Phúc Xá keeps its own figures (none) and gets a third of Định Công's: 2/3
    [phucxa] = unit_comparable(
        actor=User.objects.get(username="leader"),
        unit=world.phucxa,
        date_from=YEAR_2024[0],
        date_to=YEAR_2024[1],
    )
    assert phucxa.comparable.totals["assigned"] == Fraction(2, 3)


def test_the_comparable_page_shows_the_label_and_the_exact_figure(world, reorganised, login):
    client = login(world.user("city_leader"))
    response = client.get(f"/units/{reorganised.pk}/comparable/?date_from=2024-01-01&date_to=2024-12-31")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="comparable-label"' in page
    assert "(= 14/3)" in page
    assert "Phường Hoàng Liệt" in page and "Phường Định Công" in page
    bad = client.get(f"/units/{reorganised.pk}/comparable/?date_from=2024-12-31&date_to=2024-01-01")
    assert bad.status_code == 200 and "(= 14/3)" not in bad.content.decode()
