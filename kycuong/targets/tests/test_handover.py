"""Projects handed over in a reorganisation: all at once, with the UnitMonth and ProjectYear pre-aggregates
kept equal to the disbursements behind them, and back again on undo."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from kycuong.core.models import AuditRecord
from kycuong.targets import selectors, services
from kycuong.targets.handover import Projects
from kycuong.targets.models import Project, ProjectYear, UnitMonth

pytestmark = pytest.mark.django_db
BILLION = 1_000_000_000


def pay(world, project, day, billions):
    services.disbursement_record(
        actor=world.user("hoangmai_head"),
        project=project,
        plan_year=2024,
        paid_on=day,
        amount=billions * BILLION,
    )


def month_amounts(unit) -> dict[tuple[int, int], int]:
    return {
        (row.year, row.month): row.amount // BILLION
        for row in UnitMonth.objects.filter(unit=unit).exclude(amount=0)
    }


@pytest.fixture
def two_projects(world, planned):
    head = world.user("hoangmai_head")
    ward_project = services.project_create(
        actor=head,
        code="DA-HL-002",
        name="Chỉnh trang vỉa hè Hoàng Liệt",
        investor_unit=world.hoangliet,
        responsible_unit=world.hoangliet,
    )
    services.plan_revise(
        actor=head,
        project=ward_project,
        year=2024,
        assigned_amount=50 * BILLION,
        effective_on=datetime.date(2024, 1, 1),
    )
    pay(world, planned, datetime.date(2024, 3, 10), 30)
    pay(world, planned, datetime.date(2024, 3, 20), 10)
    pay(world, planned, datetime.date(2025, 1, 15), 5)  # the carry-over January: month 13
    pay(world, ward_project, datetime.date(2024, 3, 5), 7)
    return planned, ward_project


def test_projects_move_with_their_aggregates_and_come_back(world, two_projects):
    planned, ward_project = two_projects
    moves = [
        (planned.pk, world.hoangmai.pk, world.dinhcong.pk),
        (ward_project.pk, world.hoangliet.pk, world.dinhcong.pk),
    ]
    Projects().move(actor=world.user("superuser"), moves=moves, note="Sắp xếp")

    assert set(Project.objects.values_list("responsible_unit_id", flat=True)) == {world.dinhcong.pk}
    assert set(ProjectYear.objects.values_list("responsible_unit_id", flat=True)) == {world.dinhcong.pk}
    assert month_amounts(world.dinhcong) == {(2024, 3): 47, (2024, 13): 5}
    assert month_amounts(world.hoangmai) == {} and month_amounts(world.hoangliet) == {}
    assert selectors.aggregates_mismatches() == []
    handed = AuditRecord.objects.filter(action="hand_over", object_type="targets.project")
    assert set(handed.values_list("object_id", flat=True)) == {str(planned.pk), str(ward_project.pk)}

    Projects().move(actor=world.user("superuser"), moves=[(r, t, f) for r, f, t in moves], note="Hoàn tác")
    assert month_amounts(world.hoangmai) == {(2024, 3): 40, (2024, 13): 5}
    assert month_amounts(world.hoangliet) == {(2024, 3): 7}
    assert month_amounts(world.dinhcong) == {}
    assert selectors.aggregates_mismatches() == []


def test_a_project_that_changed_unit_meanwhile_stops_the_whole_move(world, two_projects):
    planned, ward_project = two_projects
    moves = [
        (ward_project.pk, world.hoangliet.pk, world.dinhcong.pk),
        (planned.pk, world.hoangliet.pk, world.dinhcong.pk),  # it is Hoàng Mai's, not Hoàng Liệt's
    ]
    with pytest.raises(ValidationError):
        Projects().move(actor=world.user("superuser"), moves=moves, note="Sắp xếp")
    assert Project.objects.get(pk=ward_project.pk).responsible_unit_id == world.hoangliet.pk
    assert month_amounts(world.dinhcong) == {}
    assert selectors.aggregates_mismatches() == []
