"""The Hanoi demo data: its size, its structure, and the scope of each demo login."""

import datetime

import pytest
from django.core.management import call_command
from django.db import transaction

from kycuong.accounts.models import User
from kycuong.core.audit import audit_verify_chain
from kycuong.core.models import AuditRecord
from kycuong.demo.loader import DEMO_USERS, seed_demo
from kycuong.org.models import EventLink, Staff, Unit, UnitClosure, UnitKind
from kycuong.org.selectors import staff_list, unit_list

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seeded once for the module (it takes seconds) in a transaction rolled back at the end, so that the rows
    the migrations loaded stay for the tests that follow; each test runs in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert seed_demo(log=lambda message: None)
        yield
        transaction.set_rollback(True)


def visible(username: str, **filters) -> set[str]:
    return set(unit_list(actor=User.objects.get(username=username), **filters).values_list("name", flat=True))


def visible_codes(username: str, **filters) -> set[str]:
    return set(unit_list(actor=User.objects.get(username=username), **filters).values_list("code", flat=True))


def test_city_structure_from_the_official_file(demo):
    import csv

    from kycuong.demo.loader import DATA_DIR

    with open(DATA_DIR / "hanoi_units_2024.csv", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    wards = [UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP]
    # the 2024 structure, closed by the Hanoi 2025 reorganisation the demo applies, and the 2025 one
    administrative = Unit.objects.valid_on(datetime.date(2024, 12, 31)).filter(kind__in=wards)
    assert administrative.count() == len(rows) == 526
    assert set(administrative.values_list("code", flat=True)) == {row["ward_code"] for row in rows}
    assert set(administrative.values_list("valid_to", flat=True)) == {datetime.date(2025, 6, 30)}
    assert Unit.objects.valid_on().filter(kind__in=wards).count() == 126
    districts = Unit.objects.filter(
        kind__in=[UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN]
    )
    assert districts.count() == 30
    assert not districts.filter(valid_to__isnull=True).exists()
    assert districts.filter(kind=UnitKind.URBAN_DISTRICT).count() == 12
    assert districts.filter(kind=UnitKind.RURAL_DISTRICT).count() == 17
    city = Unit.objects.get(kind=UnitKind.CITY)
    # Every unit hangs under the city, and the closure knows it.
    assert UnitClosure.objects.filter(ancestor=city).count() == Unit.objects.count()
    for kind in (
        UnitKind.DEPARTMENT,
        UnitKind.OFFICE,
        UnitKind.PARTY_COMMITTEE,
        UnitKind.PARTY_CELL,
        UnitKind.MASS_ORGANISATION,
        UnitKind.PUBLIC_SERVICE_UNIT,
        UnitKind.PARTY_AGENCY,
    ):
        assert Unit.objects.filter(kind=kind).exists(), kind


def test_about_five_thousand_staff_with_posts_and_party_membership(demo):
    total = Staff.objects.count()
    assert 4500 <= total <= 6000
    assert Staff.objects.filter(posts__isnull=True).count() == 0
    members = Staff.objects.filter(is_party_member=True)
    assert 0.5 * total < members.count() < 0.9 * total
    assert not members.filter(party_unit__isnull=True).exists()
    assert Staff.objects.filter(posts__is_concurrent=True).exists()
    assert Staff.objects.filter(posts__end_date__isnull=False).exists()  # some have a history


def test_demo_logins_see_what_the_product_promises(demo):
    everything = Unit.objects.valid_on().count()
    assert len(visible_codes("lanhdao.thanhpho")) == everything
    # Hoàng Liệt's staff member works in the 2025 ward of that name; their grant followed them there only
    assert visible_codes("canbo.hoangliet") == {"2025-00337"}
    assert visible_codes("canbo.hoangliet", include_expired=True) == {"00337", "2025-00337"}
    # Phúc Xá joined Hồng Hà in 2025
    assert visible("canbo.phucxa") == {"Phường Hồng Hà"}
    assert visible("canbo.phucxa", valid_on=datetime.date(2024, 6, 1)) == {"Phường Phúc Xá"}
    hoangmai = Unit.objects.get(code="008")
    below_hoangmai = set(
        Unit.objects.filter(ancestor_links__ancestor=hoangmai).values_list("code", flat=True)
    )
    successors_of_hoangmai = set(
        EventLink.objects.filter(predecessor__parent=hoangmai).values_list("successor__unit__code", flat=True)
    )
    assert visible_codes("thanhtra.hoangmai", include_expired=True) == below_hoangmai | successors_of_hoangmai
    in_2024 = visible("thanhtra.hoangmai", valid_on=datetime.date(2024, 6, 1))
    assert {"Quận Hoàng Mai", "Phường Hoàng Liệt", "Phường Định Công"} <= in_2024
    assert "Phường Phúc Xá" not in in_2024
    assert visible_codes("thanhtra.hoangmai") == successors_of_hoangmai
    assert {"Phường Hoàng Mai", "Phường Hoàng Liệt", "Phường Định Công"} <= visible("thanhtra.hoangmai")
    assert "Huyện Ứng Hòa" in visible("truong.unghoa", include_expired=True)
    assert "Xã Ứng Hòa" in visible("truong.unghoa") and "Xã Đông Anh" not in visible("truong.unghoa")
    for username, *_ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password("kycuong-demo") or user.has_usable_password()


def test_search_examples_from_the_product_description(demo):
    leader = User.objects.get(username="lanhdao.thanhpho")

    def found(q: str, **filters) -> set[str]:
        return set(unit_list(actor=leader, q=q, **filters).values_list("name", flat=True))

    assert "Phường Hoàng Mai" in found("hoang mai") and "Xã Ứng Hòa" in found("ung hoa")
    # the district of 2024, closed since the reorganisation, is found among earlier units
    assert "Quận Hoàng Mai" in found("hoang mai", include_expired=True)
    assert "Huyện Ứng Hòa" in found("ung hoa", valid_on=datetime.date(2024, 6, 1))
    # Every word must match; people whose name starts with the phrase come first.
    names = list(staff_list(actor=leader, q="nguyen van").values_list("full_name", flat=True)[:20])
    assert names and all(name.startswith("Nguyễn Văn") for name in names)


def test_second_run_keeps_the_data_and_the_chain_verifies(demo, capsys):
    units, records = Unit.objects.count(), AuditRecord.objects.count()
    call_command("seed_demo")
    assert "already" in capsys.readouterr().out
    assert (Unit.objects.count(), AuditRecord.objects.count()) == (units, records)
    report = audit_verify_chain()
    assert report.ok and report.checked == records
    assert (
        AuditRecord.objects.filter(
            actor_label="command:seed-demo", object_type="org.staff", action="create"
        ).count()
        == Staff.objects.count()
    )


def test_demo_tasks_tell_a_story(demo):
    from kycuong.tasks.models import OPEN_STATES, Task, TaskState
    from kycuong.tasks.selectors import TaskFilters, task_list

    leader = User.objects.get(username="lanhdao.thanhpho")
    day = datetime.date.today()
    assert Task.objects.count() > 5000
    assert (
        Task.objects.filter(due_date__year=2023).exists()
        and Task.objects.filter(due_date__year=2026).exists()
    )
    approved = Task.objects.filter(state=TaskState.APPROVED)
    assert approved.filter(late_working_days=0).count() > approved.filter(late_working_days__gt=0).count() > 0
    assert task_list(actor=leader, filters=TaskFilters(overdue=True), day=day).exists()
    assert task_list(actor=leader, filters=TaskFilters(at_risk=True), day=day).exists()
    ward_staff = User.objects.get(username="canbo.hoangliet")
    mine = task_list(actor=ward_staff, filters=TaskFilters(scope="mine"))
    # open tasks of 2024's Hoàng Liệt were handed to the 2025 ward; finished ones stay where they were done
    assert {task.lead_unit.code for task in mine} == {"00337", "2025-00337"}
    assert not mine.filter(lead_unit__code="00337", state__in=OPEN_STATES).exists()
    assert not (
        task_list(actor=ward_staff, filters=TaskFilters())
        .exclude(lead_unit__code__in=["00337", "2025-00337"])
        .exists()
    )


def test_the_hanoi_2025_reorganisation_is_applied_and_audited_as_the_system(demo):
    from kycuong.org.hanoi2025 import TITLE
    from kycuong.org.models import EventState, GrantProposal, ProposalState, ReorganisationEvent

    event = ReorganisationEvent.objects.get(title=TITLE)
    assert event.state == EventState.APPLIED
    decided = GrantProposal.objects.filter(event=event).exclude(state=ProposalState.PROPOSED)
    assert decided.exists() and not decided.exclude(user__username__in=[u for u, *_ in DEMO_USERS]).exists()
    assert not decided.filter(decided_by__isnull=False).exists()
    confirmations = AuditRecord.objects.filter(object_type="org.grantproposal", action="confirm")
    assert confirmations.count() == decided.filter(state=ProposalState.CONFIRMED).count()
    assert set(confirmations.values_list("actor_label", flat=True)) == {"command:seed-demo"}


def test_demo_reports_are_asked_for_by_the_leaders(demo):
    from kycuong.reports.models import Report, ReportKind, ReportState, Subscription

    leader = User.objects.get(username="lanhdao.thanhpho")
    reports = Report.objects.select_related("unit", "requested_by")
    assert {(r.requested_by.username, r.unit.code, r.kind) for r in reports} == {
        ("lanhdao.thanhpho", "01", ReportKind.REVIEW),
        ("lanhdao.thanhpho", "01", ReportKind.YEAR),
        ("truong.hoangmai", "008", ReportKind.YEAR),
    }
    # Waiting for the worker, which `kycuong serve` runs beside the web server.
    assert {r.state for r in reports} == {ReportState.QUEUED}
    review = reports.get(kind=ReportKind.REVIEW)
    assert review.directive == "Chỉ thị số 24-CT/TU" and review.years == 2
    assert "24-CT/TU" in review.title
    assert Subscription.objects.filter(user=leader, unit__code="01", active=True).count() == 1
