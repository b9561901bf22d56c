import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kycuong.core.context import SystemActor
from kycuong.core.models import AuditRecord
from kycuong.org.models import Unit, UnitClosure, UnitKind
from kycuong.org.services import post_end, staff_create, staff_update, unit_create, unit_update

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test-setup", kind="command")  # as in conftest's world fixture


def closure_pairs() -> set[tuple[str, str, int]]:
    return set(UnitClosure.objects.values_list("ancestor__code", "descendant__code", "depth"))


def expected_closure() -> set[tuple[str, str, int]]:
    """Recompute the closure from the parent links, the slow obvious way, to check the maintained one."""
    pairs = set()
    for unit in Unit.objects.all():
        node, depth = unit, 0
        while node is not None:
            pairs.add((node.code, unit.code, depth))
            node, depth = node.parent, depth + 1
    return pairs


def test_closure_follows_creation_and_moves_of_whole_subtrees(world):
    cell = unit_create(
        actor=SYSTEM, parent=world.hoangliet, kind=UnitKind.PARTY_CELL, code="CB1", name="Chi bộ 1"
    )
    assert closure_pairs() == expected_closure()
    unit_update(actor=SYSTEM, unit=world.hoangliet, parent=world.badinh)
    assert closure_pairs() == expected_closure()
    cell.refresh_from_db()
    assert cell.depth == 3
    assert UnitClosure.objects.filter(ancestor=world.badinh, descendant=cell).exists()
    assert not UnitClosure.objects.filter(ancestor=world.hoangmai, descendant=cell).exists()


def test_moving_needs_rights_at_the_destination(world):
    head = world.user("hoangmai_head")
    with pytest.raises(PermissionDenied):
        unit_update(actor=head, unit=world.hoangliet, parent=world.badinh)
    assert closure_pairs() == expected_closure()


def test_a_unit_cannot_move_under_its_descendant(world):
    with pytest.raises(ValidationError):
        unit_update(actor=SYSTEM, unit=world.hoangmai, parent=world.hoangliet)
    world.hoangmai.refresh_from_db()
    assert world.hoangmai.parent_id == world.city.pk


def test_validity_period_must_be_in_order(world):
    with pytest.raises(ValidationError) as error:
        unit_update(
            actor=SYSTEM,
            unit=world.hoangliet,
            valid_from=datetime.date(2025, 7, 1),
            valid_to=datetime.date(2025, 6, 30),
        )
    assert error.value.messages
    world.hoangliet.refresh_from_db()
    assert world.hoangliet.valid_to is None


def test_a_dissolved_unit_stays_queryable_for_its_period(world):
    unit_update(actor=SYSTEM, unit=world.dinhcong, valid_to=datetime.date(2025, 6, 30))
    assert not Unit.objects.valid_on(datetime.date(2026, 1, 1)).filter(pk=world.dinhcong.pk).exists()
    assert Unit.objects.valid_on(datetime.date(2024, 5, 1)).filter(pk=world.dinhcong.pk).exists()


def test_party_organisation_must_be_a_party_unit_of_a_member(world):
    committee = unit_create(
        actor=SYSTEM,
        parent=world.hoangliet,
        kind=UnitKind.PARTY_COMMITTEE,
        code="DU1",
        name="Đảng ủy phường Hoàng Liệt",
    )
    with pytest.raises(ValidationError):
        staff_create(
            actor=SYSTEM, unit=world.hoangliet, full_name="A", is_party_member=True, party_unit=world.hoangmai
        )
    with pytest.raises(ValidationError):
        staff_create(
            actor=SYSTEM, unit=world.hoangliet, full_name="B", is_party_member=False, party_unit=committee
        )
    member = staff_create(
        actor=SYSTEM,
        unit=world.hoangliet,
        full_name="  Phạm   Thu  Hà ",
        is_party_member=True,
        party_unit=committee,
    )
    assert member.full_name == "Phạm Thu Hà" and member.search_text == "pham thu ha"


def test_moving_a_person_to_another_unit_needs_rights_at_both(world):
    before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        staff_update(actor=world.user("hoangmai_head"), staff=world.hoangliet_staff, unit=world.phucxa)
    assert AuditRecord.objects.count() == before
    staff_update(actor=world.user("hoangmai_head"), staff=world.hoangliet_staff, unit=world.dinhcong)
    record = AuditRecord.objects.order_by("-id").first()
    assert record.before == {"unit_id": world.hoangliet.pk} and record.after == {"unit_id": world.dinhcong.pk}


def test_ending_a_post_keeps_its_history(world):
    post = world.hoangliet_staff.posts.get()
    post_end(actor=world.user("hoangmai_head"), post=post, end_date=datetime.date(2026, 6, 30))
    post.refresh_from_db()
    assert post.end_date == datetime.date(2026, 6, 30)
    assert not post.is_current(datetime.date(2026, 7, 1)) and post.is_current(datetime.date(2026, 6, 30))
    with pytest.raises(ValidationError):
        post_end(actor=world.user("hoangmai_head"), post=post, end_date=datetime.date(2019, 1, 1))
