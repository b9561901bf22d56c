import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kycuong.core.context import SystemActor
from kycuong.core.scoping import can, covers_every_unit, get_scoped_or_404, require, restrict
from kycuong.org.models import Staff, Unit

pytestmark = pytest.mark.django_db


def visible_codes(actor) -> set[str]:
    return set(restrict(Unit.objects.all(), actor, "org.view_unit").values_list("code", flat=True))


def test_each_role_sees_exactly_its_subtree(world):
    everything = set(Unit.objects.values_list("code", flat=True))
    assert visible_codes(world.user("superuser")) == everything
    assert visible_codes(world.user("city_leader")) == everything
    assert visible_codes(world.user("hoangmai_inspector")) == {"T008", "T00337", "T00331"}
    assert visible_codes(world.user("hoangmai_head")) == {"T008", "T00337", "T00331"}
    assert visible_codes(world.user("hoangliet_staff")) == {"T00337"}
    assert visible_codes(world.user("phucxa_staff")) == {"T00001"}
    assert visible_codes(world.user("no_grant")) == set()


def test_a_grant_gives_only_the_permissions_of_its_role(world):
    inspector, head = world.user("hoangmai_inspector"), world.user("hoangmai_head")
    assert can(head, "org.change_staff", world.hoangliet.pk)
    assert not can(inspector, "org.change_staff", world.hoangliet.pk)
    assert can(inspector, "core.view_auditrecord", world.hoangliet.pk)
    assert not can(world.user("hoangmai_observer"), "core.view_auditrecord", world.hoangliet.pk)
    with pytest.raises(PermissionDenied):
        require(head, "org.change_staff", world.phucxa.pk)


def test_an_ended_grant_no_longer_counts(world):
    from django.utils import timezone

    from kycuong.accounts.services import grant_end

    grant = world.user("hoangliet_staff").grants.get()
    grant_end(actor=world.user("superuser"), grant=grant, valid_to=timezone.localdate().replace(year=2020))
    assert visible_codes(world.user("hoangliet_staff")) == set()


def test_out_of_scope_lookup_is_a_404_like_a_missing_one(world):
    actor = world.user("hoangliet_staff")
    with pytest.raises(Http404):
        get_scoped_or_404(Staff.objects.all(), actor, "org.view_staff", pk=world.phucxa_staff.pk)
    with pytest.raises(Http404):
        get_scoped_or_404(Staff.objects.all(), actor, "org.view_staff", pk=10**9)
    assert get_scoped_or_404(Staff.objects.all(), actor, "org.view_staff", pk=world.hoangliet_staff.pk)


def test_system_actor_and_anonymous(world):
    from django.contrib.auth.models import AnonymousUser

    assert visible_codes(SystemActor("nightly")) == set(Unit.objects.values_list("code", flat=True))
    assert visible_codes(AnonymousUser()) == set()


def test_inactive_user_sees_nothing(world):
    user = world.user("city_leader")
    user.is_active = False
    assert visible_codes(user) == set()


def _fresh(user):
    """The same user without the scope kept on the object (one request's worth)."""
    return type(user).objects.get(pk=user.pk)


def _units_counted(queries) -> bool:
    return any("COUNT(*)" in q["sql"] and 'FROM "org_unit"' in q["sql"] for q in queries)


def test_every_unit_is_covered_only_with_a_grant_at_each_root(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import Role
    from kycuong.accounts.services import grant_create
    from kycuong.org.models import UnitKind
    from kycuong.org.services import unit_create

    root = world.user("superuser")
    leader = world.user("city_leader")
    assert covers_every_unit(_fresh(leader), "org.view_unit")
    with CaptureQueriesContext(connection) as queries:
        assert not covers_every_unit(_fresh(world.user("hoangmai_head")), "org.view_unit")
    assert not _units_counted(queries)  # no grant at a root: no need to count the units

    # A second tree (a Party organisation with no parent): the city's grant no longer covers every unit.
    party = unit_create(
        actor=root, parent=None, kind=UnitKind.PARTY_COMMITTEE, code="P01", name="Thành ủy Hà Nội"
    )
    assert not covers_every_unit(_fresh(leader), "org.view_unit")
    leader_role = Role.objects.get(code="city_leader")
    grant_create(actor=root, user=leader, role=leader_role, unit=party, include_descendants=False)
    assert covers_every_unit(_fresh(leader), "org.view_unit")
    unit_create(
        actor=root, parent=party, kind=UnitKind.PARTY_AGENCY, code="P0101", name="Ban Tổ chức Thành ủy"
    )
    assert not covers_every_unit(_fresh(leader), "org.view_unit")  # the grant at the root has no sub-units
    # Whatever the answer, the rows are those of the units covered.
    assert visible_codes(_fresh(leader)) == set(
        Unit.objects.exclude(code="P0101").values_list("code", flat=True)
    )
