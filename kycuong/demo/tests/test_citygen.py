"""The city-scale generator at district scale: its counts, determinism by seed, and the invariants the product
relies on (units exist, pre-aggregates equal a recount, the audit chain holds, scoping works)."""

import datetime
import hashlib

import pytest
from django.db import transaction
from django.db.models import Sum

from kycuong.accounts.models import User
from kycuong.core.audit import audit_verify_chain
from kycuong.demo.citygen import SCALES, Progress, generate_city
from kycuong.discipline.models import Case
from kycuong.inspections.models import Inspection, Subject
from kycuong.org.models import Staff, Unit, UnitKind
from kycuong.processes.models import MonthlyFigure, ProcessInstance, UnitMonthFigure
from kycuong.satisfaction.models import COUNT_FIELDS, DailyCount, MonthlyCount, Rating
from kycuong.targets.models import Disbursement, ProjectYear
from kycuong.tasks.models import Task
from kycuong.tasks.selectors import task_list
from kycuong.tasks.tally import tally_differences

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 15)
VOLUME = 0.1  # the district's structure with a tenth of its records: seconds, not a minute


def fingerprint() -> str:
    """A digest of the generated records by content (codes, not ids: sequences differ between runs)."""
    codes = dict(Unit.objects.values_list("id", "code"))
    digest = hashlib.sha256()
    for row in Task.objects.order_by("id").values_list(
        "title", "lead_unit_id", "due_date", "state", "late_working_days"
    ):
        digest.update(repr((row[0], codes[row[1]], *row[2:])).encode())
    for row in Rating.objects.order_by("id").values_list("unit_id", "day", *COUNT_FIELDS):
        digest.update(repr((codes[row[0]], *row[1:])).encode())
    for row in ProcessInstance.objects.order_by("id").values_list("unit_id", "started_at", "used_minutes"):
        digest.update(repr((codes[row[0]], *row[1:])).encode())
    for row in Staff.objects.order_by("id").values_list("full_name", "unit_id"):
        digest.update(repr((row[0], codes[row[1]])).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """Generated twice with the same seed (each in a transaction rolled back, so the rows of data migrations
    stay for the tests that follow); the second one stays for the module's tests."""
    quiet = Progress(quiet=True)
    with django_db_blocker.unblock():
        with transaction.atomic():
            generate_city(scale="district", seed=7, as_of=AS_OF, progress=quiet, volume=VOLUME)
            first = fingerprint()
            transaction.set_rollback(True)
        with transaction.atomic():
            counts = generate_city(scale="district", seed=7, as_of=AS_OF, progress=quiet, volume=VOLUME)
            yield {"counts": counts, "first": first, "second": fingerprint()}
            transaction.set_rollback(True)


def test_same_seed_same_data(city):
    assert city["first"] == city["second"]


def test_counts_follow_the_scale(city):
    scale = SCALES["district"]
    assert Unit.objects.filter(kind__in=[UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP]).count() == 14
    assert Unit.objects.filter(kind=UnitKind.URBAN_DISTRICT).get().code == "008"
    # The demo loaders' staff (heads, deputies, members of every unit) and generated staff up to the scale's.
    assert Staff.objects.count() == city["counts"]["staff"] == max(351, int(scale.staff * VOLUME))
    assert Task.objects.count() == city["counts"]["tasks"] == int(scale.tasks * VOLUME)
    assert Inspection.objects.count() == int(scale.inspections * VOLUME)
    assert Subject.objects.count() == city["counts"]["subjects"] > 0
    assert Case.objects.count() == int(scale.cases * VOLUME)
    assert ProcessInstance.objects.count() == int(scale.instances * VOLUME)
    assert Rating.objects.count() == int(scale.ratings * VOLUME)


def test_records_are_skewed_and_late_in_some_units(city):
    per_unit = sorted(
        Task.objects.filter(lead_unit__kind=UnitKind.WARD)
        .values("lead_unit")
        .annotate(n=Sum(1))
        .values_list("n", flat=True)
    )
    assert per_unit[-1] >= 2 * per_unit[len(per_unit) // 2]
    approved = Task.objects.filter(state="approved")
    assert approved.filter(late_working_days__gt=0).exists()
    assert approved.filter(late_working_days=0).count() > approved.filter(late_working_days__gt=0).count()


def test_every_record_points_at_units_that_exist(city):
    units = Unit.objects.values("id")
    assert not Task.objects.exclude(lead_unit_id__in=units).exists()
    assert not Task.objects.exclude(assigning_unit_id__in=units).exists()
    assert not Rating.objects.exclude(unit_id__in=units).exists()
    assert not Subject.objects.exclude(subject_unit_id__in=units).exists()
    assert not Staff.objects.exclude(unit_id__in=units).exists()
    assert not Task.objects.filter(due_date__lt=datetime.date(2022, 1, 1)).exists()
    assert not Task.objects.filter(closed_on__gt=AS_OF).exists()


def test_pre_aggregates_equal_a_recount(city):
    assert tally_differences() == []
    ratings = Rating.objects.count()
    for model in (DailyCount, MonthlyCount):
        sums = model.objects.aggregate(ratings=Sum("ratings"), **{f: Sum(f) for f in COUNT_FIELDS})
        assert sums["ratings"] == ratings
        expected = Rating.objects.aggregate(**{f: Sum(f) for f in COUNT_FIELDS})
        assert {f: sums[f] for f in COUNT_FIELDS} == expected
    instances = ProcessInstance.objects.count()
    assert MonthlyFigure.objects.filter(level="instance").aggregate(n=Sum("finished"))["n"] == instances
    assert UnitMonthFigure.objects.filter(level="instance").aggregate(n=Sum("finished"))["n"] == instances
    late = ProcessInstance.objects.filter(outcome="late").count()
    assert MonthlyFigure.objects.filter(level="instance").aggregate(n=Sum("late"))["n"] == late
    paid = Disbursement.objects.aggregate(total=Sum("amount"))["total"]
    assert ProjectYear.objects.aggregate(total=Sum("disbursed"))["total"] == paid


def test_audit_chain_stays_valid(city):
    report = audit_verify_chain()
    assert report.ok, report.reason
    assert report.checked > 0


def test_generated_users_see_their_scope_only(city):
    ward = Unit.objects.get(code="00337")
    staff_view = set(
        task_list(actor=User.objects.get(username="canbo.hoangliet"), day=AS_OF).values_list(
            "lead_unit_id", flat=True
        )
    )
    assert staff_view == {ward.pk}
    district_view = task_list(actor=User.objects.get(username="truong.hoangmai"), day=AS_OF)
    district_units = set(
        Unit.objects.get(code="008").descendant_links.values_list("descendant_id", flat=True)
    )
    assert district_view.count() > Task.objects.filter(lead_unit=ward).count()
    assert set(district_view.values_list("lead_unit_id", flat=True)) <= district_units
