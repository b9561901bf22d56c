"""The unit task summary across a reorganisation: comparable figures of an earlier period on today's unit,
and the sub-units of the period's own structure."""

import datetime

import pytest
from django.urls import reverse

from conftest import SYSTEM
from kycuong.accounts.models import User
from kycuong.org.models import EventKind, Unit, UnitKind
from kycuong.org.reorganisation import LinkSpec, NewUnitSpec, event_apply, event_create
from kycuong.tasks import services

pytestmark = pytest.mark.django_db
FIRST_HALF = {"from": "2025-01-01", "to": "2025-06-30"}


@pytest.fixture
def merged(make_task, people):
    """Hoàng Liệt finished one task on time in January 2025; two more were still open (one in each ward)
    when both wards merged into a new ward under Quận Hoàng Mai on 1 July 2025."""
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    done = make_task(title="Đúng hạn")
    services.task_accept(actor=worker, task=done)
    services.task_submit(actor=worker, task=done, text="x", links=["https://e.vn/x"])
    services.task_approve(actor=head, task=done, closed_on=datetime.date(2025, 1, 20))
    make_task(title="Còn mở ở Hoàng Liệt", due_date=datetime.date(2025, 3, 3))
    make_task(
        title="Còn mở ở Định Công",
        lead_unit=people.dinhcong,
        responsible=None,
        due_date=datetime.date(2025, 2, 10),
    )
    event = event_create(
        actor=SYSTEM,
        kind=EventKind.MERGE,
        title="Hợp nhất phường Hoàng Liệt và Định Công",
        effective_date=datetime.date(2025, 7, 1),
        legal_basis="Nghị quyết 1656/NQ-UBTVQH15",
        new_units=[
            NewUnitSpec(code="N001", name="Phường Hoàng Mai mới", kind=UnitKind.WARD, parent=people.hoangmai)
        ],
        links=[
            LinkSpec(predecessor=people.hoangliet, successor="N001"),
            LinkSpec(predecessor=people.dinhcong, successor="N001"),
        ],
    )
    event_apply(actor=SYSTEM, event=event)
    return Unit.objects.get(code="N001")


def test_comparable_figures_of_an_earlier_period_on_todays_unit(merged, people, login):
    page = login(people.user("hoangmai_head")).get(
        reverse("tasks:summary"), {"unit": merged.pk, **FIRST_HALF}
    )
    assert page.status_code == 200
    # its own figures: the two open tasks handed to it, both overdue now
    assert (page.context["summary"].assigned, page.context["summary"].overdue) == (2, 2)
    comparable = page.context["comparable"].comparable
    lines = {
        line.label: (line.weight, line.own["assigned"], line.own["on_time"]) for line in comparable.lines
    }
    assert lines == {
        "Phường Hoàng Mai mới": (1, 2, 0),
        "Phường Hoàng Liệt": (1, 1, 1),
        "Phường Định Công": (1, 0, 0),
    }
    assert (comparable.totals["assigned"], comparable.totals["on_time"], comparable.totals["overdue"]) == (
        3,
        1,
        2,
    )
    html = page.content.decode()
    assert 'data-testid="comparable-label"' in html and 'data-testid="comparable-tasks"' in html
    assert (
        reverse("org:unit-comparable", args=[merged.pk]) + "?date_from=2025-01-01&amp;date_to=2025-06-30"
        in html
    )


def test_a_unit_no_reorganisation_fed_shows_no_comparable_figures(merged, people, login):
    page = login(people.user("hoangmai_head")).get(
        reverse("tasks:summary"), {"unit": people.hoangmai.pk, **FIRST_HALF}
    )
    assert page.context["comparable"] is None
    assert 'data-testid="comparable-label"' not in page.content.decode()


def test_sub_units_are_those_of_the_periods_structure(merged, make_task, people, login):
    # a fresh copy of the head: the scope read before the merge does not know the new ward
    head = User.objects.get(pk=people.user("hoangmai_head").pk)
    make_task(
        actor=head,
        title="Việc của phường mới",
        lead_unit=merged,
        responsible=None,
        due_date=datetime.date(2026, 3, 2),
    )
    client = login(people.user("hoangmai_head"))
    first_half = client.get(reverse("tasks:summary"), {"unit": people.hoangmai.pk, **FIRST_HALF})
    names = [child.name for child, figures in first_half.context["children"] if figures.assigned]
    # Hoàng Liệt closed on 30 June 2025 but was a sub-unit then; the new ward did not exist yet
    assert names == ["Phường Hoàng Liệt"]
    assert "Phường Hoàng Liệt" in first_half.content.decode()
    year_2026 = client.get(
        reverse("tasks:summary"), {"unit": people.hoangmai.pk, "from": "2026-01-01", "to": "2026-12-31"}
    )
    names = [child.name for child, figures in year_2026.context["children"] if figures.assigned]
    assert names == ["Phường Hoàng Mai mới"]


@pytest.mark.parametrize("actor", ["phucxa_staff", "badinh_head", "hoangliet_staff", "no_grant"])
def test_out_of_scope_users_see_neither_the_summary_nor_its_comparable_figures(merged, people, login, actor):
    response = login(people.user(actor)).get(reverse("tasks:summary"), {"unit": merged.pk, **FIRST_HALF})
    assert response.status_code == 404
    assert "Phường Hoàng Liệt" not in response.content.decode()
