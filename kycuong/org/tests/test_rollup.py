"""Figures per unit rolled up to a unit's direct sub-units, checked against the records counted one by one."""

import pytest
from django.db.models import Count, Sum

from kycuong.core.context import SystemActor
from kycuong.org.models import Staff, UnitClosure
from kycuong.org.rollup import totals_by_child
from kycuong.org.services import staff_create

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("test-setup", kind="command")


def by_hand(parent) -> dict[int, dict[str, int]]:
    """What each direct sub-unit's subtree holds, from the records themselves."""
    totals = {}
    for child in parent.children.all():
        subtree = UnitClosure.objects.filter(ancestor=child).values("descendant_id")
        staff = list(Staff.objects.filter(unit_id__in=subtree))
        if staff:
            totals[child.pk] = {"n": len(staff), "born": sum(member.birth_year for member in staff)}
    return totals


def test_each_direct_sub_unit_sums_its_whole_subtree(world):
    # Staff on three levels: the district itself, its wards, and a ward of another district.
    staff_create(actor=SYSTEM, unit=world.hoangmai, full_name="Lê Văn Nam", birth_year=1970)
    staff_create(actor=SYSTEM, unit=world.dinhcong, full_name="Phạm Thị Hoa", birth_year=1990)
    staff_create(actor=SYSTEM, unit=world.hoangliet, full_name="Đỗ Văn Bình", birth_year=1992)
    per_unit = Staff.objects.values("unit_id").annotate(n=Count("id"), born=Sum("birth_year"))

    of_city = totals_by_child(per_unit, unit_field="unit_id", parent_id=world.city.pk)
    assert of_city == by_hand(world.city)
    assert of_city[world.hoangmai.pk] == {"n": 4, "born": 1970 + 1990 + 1992 + 1980}
    assert of_city[world.badinh.pk] == {"n": 1, "born": 1985}

    # The district's wards: its own staff member belongs to no ward; a ward with nobody is left out.
    of_district = totals_by_child(per_unit, unit_field="unit_id", parent_id=world.hoangmai.pk)
    assert of_district == by_hand(world.hoangmai)
    assert of_district == {
        world.hoangliet.pk: {"n": 2, "born": 3972},
        world.dinhcong.pk: {"n": 1, "born": 1990},
    }
    assert totals_by_child(per_unit, unit_field="unit_id", parent_id=world.phucxa.pk) == {}


def test_the_records_filter_is_kept(world):
    staff_create(actor=SYSTEM, unit=world.dinhcong, full_name="Phạm Thị Hoa", birth_year=1990)
    born_after_1981 = Staff.objects.filter(birth_year__gt=1981).values("unit_id").annotate(n=Count("id"))
    assert totals_by_child(born_after_1981, unit_field="unit_id", parent_id=world.hoangmai.pk) == {
        world.dinhcong.pk: {"n": 1}
    }


def test_sums_keep_their_kind(world):
    """Counts come back as int, a sum of decimals with its fraction, on both databases."""
    from decimal import Decimal

    from django.db.models import DecimalField, ExpressionWrapper, F

    staff_create(actor=SYSTEM, unit=world.dinhcong, full_name="Phạm Thị Hoa", birth_year=1990)
    half = ExpressionWrapper(
        F("birth_year") / Decimal("2.00"), output_field=DecimalField(max_digits=8, decimal_places=2)
    )
    per_unit = Staff.objects.values("unit_id").annotate(n=Count("id"), half=Sum(half))
    figures = totals_by_child(per_unit, unit_field="unit_id", parent_id=world.hoangmai.pk)
    assert figures[world.dinhcong.pk] == {"n": 1, "half": Decimal("995")}
    assert figures[world.hoangliet.pk]["half"] == Decimal("990")
    assert type(figures[world.dinhcong.pk]["n"]) is int
    of_city = totals_by_child(per_unit, unit_field="unit_id", parent_id=world.city.pk)
    assert of_city[world.badinh.pk]["half"] == Decimal("992.5")  # 1985 / 2: the fraction is kept
