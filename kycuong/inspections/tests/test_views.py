"""Pages of inspections and discipline: the authorization matrix (404 out of scope, 200 in scope), the flow
through the forms, the access log, the statistics with their drill-down, and the Excel files read back."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kycuong.core.models import AuditRecord
from kycuong.discipline import services as discipline_services
from kycuong.discipline.models import Case, DisciplineForm
from kycuong.inspections import services
from kycuong.inspections.models import ConfidentialAccess, Finding, Inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(insp, make_inspection):
    actor = insp.user("hoangmai_inspector")
    inspection = services.inspection_start(actor=actor, inspection=make_inspection())
    person = inspection.subjects.get(staff=insp.colleague)
    finding = services.finding_record(
        actor=actor,
        subject=person,
        result="violation",
        description="Chậm trả hồ sơ",
        files=[SimpleUploadedFile("bien-ban.txt", b"bien ban", content_type="text/plain")],
    )
    case = discipline_services.case_open(
        actor=actor,
        regime="civil_servant",
        competent_unit=insp.hoangmai,
        staff=insp.colleague,
        finding=finding,
        violation="Chậm trả hồ sơ",
        committed_on=datetime.date(2025, 3, 1),
        severity="less_serious",
        opened_on=datetime.date(2025, 4, 1),
    )
    insp.inspection, insp.person, insp.finding, insp.case = inspection, person, finding, case
    return insp


def pages(s):
    return {
        "index": "/inspections/",
        "detail": f"/inspections/{s.inspection.pk}/",
        "subject": f"/inspections/subjects/{s.person.pk}/",
        "evidence": f"/inspections/evidence/{s.finding.files.get().pk}/",
        "plans": "/inspections/plans/",
        "cases": "/discipline/",
        "case": f"/discipline/cases/{s.case.pk}/",
        "statistics": f"/discipline/statistics/?unit={s.hoangmai.pk}&start=2025-01-01&end=2025-12-31",
        "access log": "/inspections/access-log/",
    }


MATRIX = {
    #              index detail subject evidence plans cases case statistics log
    "no_grant": (404, 404, 404, 404, 404, 404, 404, 404, 404),
    "phucxa_staff": (200, 404, 404, 404, 200, 404, 404, 404, 404),
    "badinh_head": (200, 404, 404, 404, 200, 200, 404, 404, 404),
    "hoangliet_staff": (200, 404, 404, 404, 200, 200, 404, 404, 404),  # a linked person sees own cases
    "hoangmai_observer": (200, 200, 404, 404, 200, 404, 404, 200, 404),
    "hoangmai_inspector": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "city_leader": (200, 200, 200, 200, 200, 200, 200, 200, 404),
}


@pytest.mark.parametrize("actor", list(MATRIX))
def test_page_matrix(scene, login, actor):
    client = login(scene.user(actor))
    for (name, url), expected in zip(pages(scene).items(), MATRIX[actor], strict=True):
        assert client.get(url).status_code == expected, (name, actor)


def test_confidential_openings_are_logged_with_who_looked(scene, login):
    client = login(scene.user("hoangliet_staff"))
    assert client.get(f"/discipline/cases/{scene.case.pk}/").status_code == 404
    assert client.get(f"/inspections/subjects/{scene.person.pk}/").status_code == 404
    assert not ConfidentialAccess.objects.exists()
    client = login(scene.user("hoangmai_head"))
    assert client.get(f"/discipline/cases/{scene.case.pk}/").status_code == 200
    assert client.get(f"/inspections/subjects/{scene.person.pk}/").status_code == 200
    response = client.get(f"/inspections/evidence/{scene.finding.files.get().pk}/")
    assert b"".join(response.streaming_content) == b"bien ban"
    rows = list(ConfidentialAccess.objects.order_by("id").values_list("user_label", "action", "object_type"))
    assert rows == [
        ("head.hm", "view", "discipline.case"),
        ("head.hm", "view", "inspections.subject"),
        ("head.hm", "download", "inspections.evidencefile"),
    ]
    page = login(scene.user("hoangmai_inspector")).get("/inspections/access-log/")
    assert page.content.decode().count("head.hm") == 3


def test_the_whole_flow_through_the_forms(insp, login):
    client = login(insp.user("hoangmai_inspector"))
    response = client.post(
        "/inspections/plans/",
        {
            "unit": insp.hoangmai.pk,
            "year": 2025,
            "number": "02/KH-UBKT",
            "title": "Kế hoạch giám sát 2025",
            "approved_on": "2025-01-10",
        },
    )
    assert response.status_code == 302
    plan_url = response["Location"]
    plan_id = int(plan_url.rstrip("/").rsplit("/", 1)[-1])
    response = client.post(
        f"/inspections/plans/{plan_id}/items/",
        {
            "kind": insp.kinds["public-service-inspection"].pk,
            "topic": "Kiểm tra công vụ phường Hoàng Liệt",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-31",
            "subject_units": [insp.hoangliet.pk],
            "subject_staff": [insp.colleague.pk],
        },
    )
    assert response.status_code == 302
    item = Inspection.objects.none()
    from kycuong.inspections.models import PlanItem

    item = PlanItem.objects.get(plan_id=plan_id)
    response = client.post(
        f"/inspections/plan-items/{item.pk}/start/",
        {"decision_number": "21/QĐ", "decision_date": "2025-03-02"},
    )
    inspection = Inspection.objects.get(plan_item=item)
    assert response["Location"] == f"/inspections/{inspection.pk}/" and inspection.status == "decided"
    assert (
        client.post(f"/inspections/{inspection.pk}/start/", {"started_on": "2025-03-03"}).status_code == 302
    )
    person = inspection.subjects.get(staff=insp.colleague)
    response = client.post(
        f"/inspections/subjects/{person.pk}/findings/",
        {
            "result": "violation",
            "description": "Không niêm yết thủ tục",
            "files": [SimpleUploadedFile("anh.jpg", b"\xff\xd8\xff\xe0JFIF", content_type="image/jpeg")],
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get(subject=person)
    assert finding.files.get().name == "anh.jpg"
    # Bad input is refused with a message and changes nothing.
    before = AuditRecord.objects.count()
    bad = client.post(
        f"/inspections/subjects/{person.pk}/findings/", {"result": "violation", "description": ""}
    )
    assert bad.status_code == 422 and AuditRecord.objects.count() == before
    response = client.get(f"/discipline/new/?finding={finding.pk}")
    assert response.status_code == 200 and "Không niêm yết thủ tục" in response.content.decode()
    response = client.post(
        "/discipline/new/",
        {
            "finding": finding.pk,
            "regime": "civil_servant",
            "competent_unit": insp.hoangmai.pk,
            "staff": insp.colleague.pk,
            "violation": "Không niêm yết thủ tục",
            "committed_on": "2025-02-01",
            "severity": "less_serious",
            "opened_on": "2025-04-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(finding=finding)
    reprimand = DisciplineForm.objects.get(code="nd172-cs-reprimand")
    response = client.post(
        f"/discipline/cases/{case.pk}/decide/",
        {
            "form": reprimand.pk,
            "number": "12/QĐ-UBND",
            "signed_on": "2025-07-15",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "decided"
    page = client.get(
        f"/discipline/statistics/?unit={insp.hoangmai.pk}&start=2025-01-01&end=2025-12-31"
    ).content.decode()
    assert 'data-figure="people-disciplined"' in page
    drill = client.get(
        f"/discipline/statistics/disciplined/?unit={insp.hoangmai.pk}&start=2025-01-01&end=2025-12-31"
    )
    assert "Lê Văn Minh" in drill.content.decode() and "12/QĐ-UBND" in drill.content.decode()


def test_statistics_export_and_inspection_export_open_in_excel(scene, login):
    client = login(scene.user("hoangmai_inspector"))
    response = client.get(
        f"/discipline/statistics/export.xlsx?unit={scene.hoangmai.pk}&start=2025-01-01&end=2025-12-31"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=4, max_col=2, values_only=True) if row[0]}
    assert values["Cuộc kiểm tra, giám sát"] == 1
    assert values["Tổ chức được kiểm tra, giám sát (không trùng lặp)"] == 1
    assert values["Cá nhân vi phạm (không trùng lặp)"] == 1
    response = client.get("/inspections/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "15/QĐ-UBND" and rows[1][1] == datetime.datetime(2025, 3, 10)


def test_htmx_list_returns_the_partial(scene, login):
    response = login(scene.user("hoangmai_inspector")).get("/inspections/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "inspection-table" in body and "<html" not in body
