"""The whole Hanoi 2025 reorganisation applied to the demo data: `seed_demo` ends by applying it (the same
event the `reorganise-hanoi-2025` command builds), and the command then finds it applied."""

import csv
import datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction

from kycuong.accounts.models import Grant, User
from kycuong.core.audit import audit_verify_chain
from kycuong.core.context import SystemActor
from kycuong.demo.loader import seed_demo
from kycuong.org import handover
from kycuong.org.hanoi2025 import TITLE
from kycuong.org.models import (
    EventLink,
    EventState,
    GrantProposal,
    ProposalState,
    ReorganisationEvent,
    Unit,
    UnitKind,
)
from kycuong.org.reorganisation import grant_proposal_decide
from kycuong.org.selectors import unit_list
from kycuong.tasks.tally import tally_differences

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"
DEMO_2024 = Path(__file__).resolve().parents[2] / "demo" / "data" / "hanoi_units_2024.csv"
CLOSE_DAY = datetime.date(2025, 6, 30)
WARD_KINDS = [UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP]


@pytest.fixture(scope="module")
def reorganised_demo(django_db_setup, django_db_blocker):
    """The demo seeded once (the event applied by it), the command run on it once, in a transaction rolled
    back after the module (not a flush, which would also remove the rows that data migrations put in for the
    tests that follow); each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert seed_demo(log=lambda message: None)
        call_command("reorganise_hanoi_2025", verbosity=0)
        yield
        transaction.set_rollback(True)


def codes(path: Path, column: str) -> set[str]:
    with open(path, encoding="utf-8") as source:
        return {row[column] for row in csv.DictReader(source)}


def test_126_wards_and_communes_after_the_change_and_the_old_ones_closed(reorganised_demo):
    city = Unit.objects.get(code="01")
    after = Unit.objects.valid_on(datetime.date(2025, 7, 1)).filter(kind__in=WARD_KINDS)
    assert after.count() == 126
    assert {unit.code for unit in after} == {
        "2025-" + code for code in codes(DATA / "hanoi_units_2025.csv", "ward_code")
    }
    assert set(after.values_list("parent_id", flat=True)) == {city.pk}
    old_codes = codes(DEMO_2024, "ward_code")
    assert len(old_codes) == 526
    old = Unit.objects.filter(code__in=old_codes)
    assert old.count() == 526 and set(old.values_list("valid_to", flat=True)) == {CLOSE_DAY}
    # no district level any more; the structure of 2024 is still there for 2024
    assert (
        not Unit.objects.valid_on(datetime.date(2026, 1, 1))
        .filter(kind__in=[UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN])
        .exists()
    )
    assert Unit.objects.valid_on(datetime.date(2024, 12, 31)).filter(kind__in=WARD_KINDS).count() == 526


def test_every_old_ward_is_mapped_and_no_open_record_is_left_on_a_closed_unit(reorganised_demo):
    event = ReorganisationEvent.objects.get(title=TITLE)
    assert event.state == EventState.APPLIED
    old_codes = codes(DEMO_2024, "ward_code")
    mapped = set(
        EventLink.objects.filter(event=event, predecessor__code__in=old_codes).values_list(
            "predecessor__code", flat=True
        )
    )
    assert mapped == old_codes
    assert EventLink.objects.filter(event=event, predecessor__code__in=old_codes).count() == 794
    closed = list(Unit.objects.filter(valid_to__lt=datetime.date(2025, 7, 1)).values_list("pk", flat=True))
    assert len(closed) > 526  # the districts, their offices and Party organisations close with them
    for handler in handover.handlers():
        assert handler.open_counts(closed) == {}, handler.key
    assert event.applied_changes["handed_over"] > 0
    assert tally_differences() == []
    assert audit_verify_chain().ok


def test_the_demo_users_grants_follow_once_confirmed(reorganised_demo):
    head = User.objects.get(username="truong.hoangmai")
    proposals = GrantProposal.objects.filter(user=head, state=ProposalState.CONFIRMED)
    hoangmai_wards = set(
        Unit.objects.get(code="008").children.filter(kind__in=WARD_KINDS).values_list("pk", flat=True)
    )
    expected = set(
        EventLink.objects.filter(predecessor_id__in=hoangmai_wards).values_list(
            "successor__unit_id", flat=True
        )
    )
    assert {p.to_unit_id for p in proposals} == expected
    assert all(p.role_code == "unit_head" and p.include_descendants for p in proposals)
    visible = set(unit_list(actor=head, valid_on=datetime.date(2026, 1, 1)).values_list("pk", flat=True))
    assert visible == expected
    # a grant over one ward alone follows its holder to the ward they now work in, not to every part
    staff_user = User.objects.get(username="canbo.hoangliet")
    decided = dict(GrantProposal.objects.filter(user=staff_user).values_list("to_unit__code", "state"))
    assert len(decided) > 1 and decided.pop(staff_user.staff.unit.code) == ProposalState.CONFIRMED
    assert set(decided.values()) == {ProposalState.REJECTED}


def test_a_proposal_still_open_gives_nothing_until_an_administrator_confirms_it(reorganised_demo):
    event = ReorganisationEvent.objects.get(title=TITLE)
    proposal = GrantProposal.objects.filter(event=event, state=ProposalState.CONFIRMED).first()
    user, unit_id = proposal.user, proposal.to_unit_id
    # the same proposal as if no one had decided yet: the grant it made goes, the unit leaves the scope
    Grant.objects.filter(pk=proposal.created_grant_id).delete()
    GrantProposal.objects.filter(pk=proposal.pk).update(state=ProposalState.PROPOSED, created_grant_id=None)
    user = User.objects.get(pk=user.pk)
    assert unit_id not in set(unit_list(actor=user).values_list("pk", flat=True))
    outsider = User.objects.get(username="canbo.phucxa")
    with pytest.raises(PermissionDenied):
        grant_proposal_decide(actor=outsider, proposal=proposal, confirm=True)
    grant_proposal_decide(actor=SystemActor("test-admin", kind="command"), proposal=proposal, confirm=True)
    user = User.objects.get(pk=user.pk)
    assert unit_id in set(unit_list(actor=user).values_list("pk", flat=True))


def test_a_second_run_changes_nothing(reorganised_demo, capsys):
    events = ReorganisationEvent.objects.count()
    call_command("reorganise_hanoi_2025")
    assert "Already applied" in capsys.readouterr().out
    assert ReorganisationEvent.objects.count() == events
