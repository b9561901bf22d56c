"""The Hanoi demo data: its size, its structure, and the scope of each demo login."""

import pytest
from django.core.management import call_command
from django.db import transaction

from kycuong.accounts.models import User
from kycuong.core.audit import audit_verify_chain
from kycuong.core.models import AuditRecord
from kycuong.demo.loader import DEMO_USERS, seed_demo
from kycuong.org.models import Staff, Unit, UnitClosure, UnitKind
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
    administrative = Unit.objects.filter(kind__in=[UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP])
    assert administrative.count() == len(rows) == 526
    assert set(administrative.values_list("code", flat=True)) == {row["ward_code"] for row in rows}
    districts = Unit.objects.filter(
        kind__in=[UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN]
    )
    assert districts.count() == 30
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
    assert visible("canbo.hoangliet") == {"Phường Hoàng Liệt"}
    assert visible("canbo.phucxa") == {"Phường Phúc Xá"}
    hoangmai = Unit.objects.get(code="008")
    below_hoangmai = set(
        Unit.objects.filter(ancestor_links__ancestor=hoangmai).values_list("code", flat=True)
    )
    assert visible_codes("thanhtra.hoangmai", include_expired=True) == below_hoangmai
    inspector = visible("thanhtra.hoangmai")
    assert {"Quận Hoàng Mai", "Phường Hoàng Liệt", "Phường Định Công"} <= inspector
    assert "Phường Phúc Xá" not in inspector
    assert "Huyện Ứng Hòa" in visible("truong.unghoa") and "Huyện Đông Anh" not in visible("truong.unghoa")
    for username, *_ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password("kycuong-demo") or user.has_usable_password()


def test_search_examples_from_the_product_description(demo):
    leader = User.objects.get(username="lanhdao.thanhpho")
    assert "Quận Hoàng Mai" in set(unit_list(actor=leader, q="hoang mai").values_list("name", flat=True))
    assert "Huyện Ứng Hòa" in set(unit_list(actor=leader, q="ung hoa").values_list("name", flat=True))
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
        AuditRecord.objects.filter(actor_label="command:seed-demo", object_type="org.staff").count()
        == Staff.objects.count()
    )


def test_demo_tasks_tell_a_story(demo):
    import datetime

    from kycuong.tasks.models import Task, TaskState
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
    assert mine.exists() and all(task.lead_unit.code == "00337" for task in mine)
    assert not task_list(actor=ward_staff, filters=TaskFilters()).exclude(lead_unit__code="00337").exists()


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
