"""Inspections: lifecycle, findings, recommendations to tasks, distinct counting, scope and audit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD, SYSTEM
from kycuong.core.models import AuditRecord
from kycuong.inspections import selectors, services
from kycuong.inspections.models import Inspection, RecommendationStatus, Status, Subject
from kycuong.tasks.models import Task

pytestmark = pytest.mark.django_db
YEAR = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))


def run(inspection, insp, *, results=("compliant", "violation")):
    actor = insp.user("hoangmai_inspector")
    inspection = services.inspection_start(
        actor=actor, inspection=inspection, started_on=inspection.decision_date
    )
    for subject, result in zip(inspection.subjects.order_by("id"), results, strict=False):
        services.finding_record(actor=actor, subject=subject, result=result, description="Biên bản làm việc")
    return inspection


def test_lifecycle_from_plan_item_to_closed_follow_up(insp):
    actor = insp.user("hoangmai_inspector")
    plan = services.plan_create(
        actor=actor,
        unit=insp.hoangmai,
        year=2025,
        number="01/KH-UBKT",
        title="Kế hoạch kiểm tra năm 2025",
        approved_on=datetime.date(2025, 1, 5),
    )
    item = services.plan_item_add(
        actor=actor,
        plan=plan,
        kind=insp.kinds["party-supervision-thematic"],
        topic="Giám sát chuyên đề",
        starts_on=datetime.date(2025, 4, 1),
        ends_on=datetime.date(2025, 4, 30),
        subject_units=[insp.cell],
        subject_staff=[insp.colleague],
    )
    inspection = services.inspection_create(actor=actor, plan_item=item)
    assert inspection.planned and inspection.status == Status.PLANNED
    assert inspection.deciding_unit == insp.hoangmai and inspection.subjects.count() == 2
    inspection = services.inspection_decide(
        actor=actor,
        inspection=inspection,
        decision_number="20/QĐ-UBKT",
        decision_date=datetime.date(2025, 4, 2),
    )
    assert set(inspection.subjects.values_list("decided_on", flat=True)) == {datetime.date(2025, 4, 2)}
    inspection = run(inspection, insp, results=("shortcomings", "violation"))
    with pytest.raises(ValidationError):
        services.inspection_close(actor=actor, inspection=inspection)
    recommendation = services.recommendation_add(
        actor=actor,
        inspection=inspection,
        text="Chấn chỉnh việc tiếp nhận hồ sơ",
        responsible_unit=insp.hoangliet,
        due_date=datetime.date(2025, 6, 30),
    )
    file = SimpleUploadedFile("ket-luan.pdf", b"%PDF-1.4 ket luan", content_type="application/pdf")
    inspection = services.inspection_conclude(
        actor=actor,
        inspection=inspection,
        conclusion_number="05/KL-UBKT",
        conclusion_date=datetime.date(2025, 5, 5),
        summary="Có vi phạm",
        file=file,
    )
    assert inspection.status == Status.CONCLUDED and inspection.conclusion_file.name.endswith(".pdf")
    with pytest.raises(ValidationError):
        services.inspection_close(actor=actor, inspection=inspection)
    task = services.recommendation_to_task(actor=insp.user("hoangmai_head"), recommendation=recommendation)
    assert task.lead_unit == insp.hoangliet and task.assigning_unit == insp.hoangmai
    assert task.due_date >= datetime.date(2025, 6, 30)
    with pytest.raises(ValidationError):
        services.recommendation_to_task(actor=insp.user("hoangmai_head"), recommendation=recommendation)
    services.recommendation_close(
        actor=actor, recommendation=recommendation, carried_out=True, note="Đã chấn chỉnh"
    )
    inspection = services.inspection_close(
        actor=actor, inspection=inspection, closed_on=datetime.date(2025, 7, 1)
    )
    assert inspection.status == Status.CLOSED
    actions = AuditRecord.objects.filter(object_type="inspections.inspection", object_id=str(inspection.pk))
    assert actions.count() == 5  # created, decided, started, concluded, closed
    assert Task.objects.filter(pk=task.pk).exists()


def test_inspector_cannot_make_a_task_without_the_right_to_assign(make_inspection, insp):
    inspection = run(make_inspection(), insp)
    recommendation = services.recommendation_add(
        actor=insp.user("hoangmai_inspector"),
        inspection=inspection,
        text="Bổ sung hồ sơ",
        responsible_unit=insp.hoangliet,
        due_date=datetime.date(2025, 6, 30),
    )
    with pytest.raises(PermissionDenied):
        services.recommendation_to_task(actor=insp.user("hoangmai_inspector"), recommendation=recommendation)
    recommendation.refresh_from_db()
    assert recommendation.task_id is None and recommendation.status == RecommendationStatus.OPEN


def test_out_of_scope_writes_are_refused_and_change_nothing(make_inspection, insp):
    inspection = make_inspection()
    before = AuditRecord.objects.count()
    for name in ("badinh_head", "hoangliet_staff", "hoangmai_observer", "no_grant"):
        with pytest.raises(PermissionDenied):
            services.inspection_start(actor=insp.user(name), inspection=inspection)
    with pytest.raises(PermissionDenied):
        make_inspection(actor=insp.user("badinh_head"))
    assert AuditRecord.objects.count() == before
    assert Inspection.objects.get(pk=inspection.pk).status == Status.DECIDED


def test_bad_input_is_refused(make_inspection, insp):
    with pytest.raises(ValidationError) as error:
        make_inspection(decision_number="15/QĐ", decision_date=None)
    assert "decision_number" in error.value.message_dict
    with pytest.raises(ValidationError):
        make_inspection(covered_from=datetime.date(2025, 2, 1), covered_to=datetime.date(2025, 1, 1))
    inspection = make_inspection()
    with pytest.raises(ValidationError):  # findings only while the inspection runs
        services.finding_record(
            actor=insp.user("hoangmai_inspector"),
            subject=inspection.subjects.first(),
            result="violation",
            description="x",
        )
    run_inspection = services.inspection_start(actor=insp.user("hoangmai_inspector"), inspection=inspection)
    with pytest.raises(ValidationError):
        services.finding_record(
            actor=insp.user("hoangmai_inspector"),
            subject=run_inspection.subjects.first(),
            result="great",
            description="x",
        )
    with pytest.raises(ValidationError):  # a subject without a finding
        services.inspection_conclude(
            actor=insp.user("hoangmai_inspector"),
            inspection=run_inspection,
            conclusion_number="1/KL",
            conclusion_date=datetime.date(2025, 4, 1),
            summary="Kết luận",
        )


def test_distinct_counting(make_inspection, insp):
    """Hoàng Liệt inspected three times counts once among organisations and three times among inspections;
    Định Công once more; the colleague twice, violating once."""
    for day in (datetime.date(2025, 2, 3), datetime.date(2025, 5, 6), datetime.date(2025, 9, 9)):
        inspection = make_inspection(decision_date=day, subject_staff=[])
        run(inspection, insp, results=("compliant",))
    second = make_inspection(subject_units=[insp.dinhcong], decision_date=datetime.date(2025, 10, 1))
    run(second, insp, results=("violation", "violation"))
    supervision = make_inspection(
        kind=insp.kinds["party-supervision-regular"],
        plan_item=None,
        subject_units=[],
        decision_date=datetime.date(2025, 11, 1),
        subject_staff=[insp.colleague],
    )
    run(supervision, insp, results=("compliant",))
    make_inspection(decision_date=datetime.date(2024, 12, 31))  # the year before: not counted
    make_inspection(decision_number="", decision_date=None)  # only planned: not held
    figures = selectors.inspection_figures(unit_id=insp.hoangmai.pk, start=YEAR[0], end=YEAR[1])
    assert figures.inspections == 5
    assert figures.unannounced == 5 and figures.planned == 0
    assert figures.supervisions == 1
    assert figures.orgs == 2  # Hoàng Liệt and Định Công
    assert figures.people == 1  # the colleague, inspected once and supervised once
    assert (figures.orgs_violating, figures.people_violating) == (1, 1)
    assert figures.party_people == 1 and figures.party_people_violating == 1
    assert (figures.orgs_supervised, figures.people_supervised) == (0, 1)
    rows = {row.kind.code: row.total for row in figures.by_kind}
    assert rows["public-service-inspection"] == 4 and rows["party-supervision-regular"] == 1
    # Ba Đình's subtree held none of them; the city holds them all.
    assert selectors.inspection_figures(unit_id=insp.badinh.pk, start=YEAR[0], end=YEAR[1]).inspections == 0
    assert selectors.inspection_figures(unit_id=insp.city.pk, start=YEAR[0], end=YEAR[1]).orgs == 2
    # The drill-down lists exactly the distinct subjects, with how often each was inspected.
    orgs = list(
        selectors.distinct_subjects(
            actor=insp.user("hoangmai_inspector"),
            filters=selectors.SubjectFilters(unit_id=insp.hoangmai.pk, start=YEAR[0], end=YEAR[1]),
        )
    )
    assert {row["unit__name"]: row["times"] for row in orgs} == {
        "Phường Định Công": 1,
        "Phường Hoàng Liệt": 3,
    }
    people = selectors.distinct_subjects(
        actor=insp.user("hoangmai_inspector"),
        filters=selectors.SubjectFilters(
            unit_id=insp.hoangmai.pk, start=YEAR[0], end=YEAR[1], individuals=True, violating=True
        ),
    )
    assert [row["staff__full_name"] for row in people] == ["Lê Văn Minh"]


def test_findings_about_a_person_are_confidential(make_inspection, insp):
    inspection = run(make_inspection(), insp)
    person = inspection.subjects.get(staff=insp.colleague)
    organisation = inspection.subjects.get(unit=insp.hoangliet)
    for name in ("hoangmai_inspector", "hoangmai_head", "city_leader"):
        assert selectors.subject_get(actor=insp.user(name), subject_id=person.pk) == person
    from django.http import Http404

    for name in ("hoangliet_staff", "hoangmai_observer", "badinh_head", "no_grant"):
        with pytest.raises(Http404):
            selectors.subject_get(actor=insp.user(name), subject_id=person.pk)
    # The organisation's findings go with the inspection, for those who see it.
    assert (
        selectors.subject_get(actor=insp.user("hoangmai_observer"), subject_id=organisation.pk)
        == organisation
    )
    # The person sees their own.
    from kycuong.accounts.services import user_create

    own = user_create(actor=SYSTEM, username="minh", password=PASSWORD, staff=insp.colleague)
    assert selectors.subject_get(actor=own, subject_id=person.pk) == person
    assert Subject.objects.get(pk=person.pk).result == "violation"


def test_the_access_log_is_append_only_on_postgresql(make_inspection, insp):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    from kycuong.inspections.models import ConfidentialAccess

    inspection = make_inspection()
    person = inspection.subjects.get(staff=insp.colleague)
    services.access_record(
        actor=insp.user("hoangmai_head"),
        action="view",
        instance=person,
        subject_unit_id=person.subject_unit_id,
    )
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    for statement in (
        "UPDATE inspections_confidentialaccess SET action = 'x'",
        "DELETE FROM inspections_confidentialaccess",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ConfidentialAccess.objects.get().action == "view"
