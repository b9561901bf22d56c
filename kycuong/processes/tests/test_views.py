"""Pages: the authorization matrix, the forms that write, the export, and htmx partials."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kycuong.core.models import AuditRecord
from kycuong.processes.models import ProcessDefinition, ProcessInstance, ProcessStep

from .helpers import at, open_step, start, two_unit_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    return definition, instance


def _pages(definition, instance):
    return [
        "/processes/",
        "/processes/?queue=unit",
        "/processes/?queue=overdue",
        "/processes/catalogue/",
        f"/processes/catalogue/{definition.pk}/",
        f"/processes/catalogue/{definition.pk}/diagram.bpmn",
        f"/processes/catalogue/{definition.pk}/modeler/",
        "/processes/cases/",
        "/processes/cases/export.xlsx",
        f"/processes/cases/{instance.pk}/",
        "/processes/statistics/",
    ]


OBJECT_PAGES = ("/catalogue/%s/", "diagram.bpmn", "modeler", "/cases/%s/")


def test_pages_in_scope(world, case, login):
    definition, instance = case
    client = login(world.user("hoangliet_staff"))
    for url in _pages(definition, instance):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["no_grant", "phucxa_staff", "badinh_head"])
def test_object_pages_out_of_scope_are_404(world, case, login, who):
    definition, instance = case
    client = login(world.user(who))
    for url in (
        f"/processes/catalogue/{definition.pk}/",
        f"/processes/catalogue/{definition.pk}/diagram.bpmn",
        f"/processes/catalogue/{definition.pk}/modeler/",
        f"/processes/cases/{instance.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    listing = client.get("/processes/cases/").content.decode()
    assert instance.case_reference not in listing
    before = (AuditRecord.objects.count(), list(ProcessStep.objects.values_list("state", flat=True)))
    step = open_step(instance)
    for url, data in [
        (f"/processes/steps/{step.pk}/complete/", {"result": "x"}),
        (f"/processes/steps/{step.pk}/return/", {"to_step": "Step_1", "reason": "x"}),
        (f"/processes/steps/{step.pk}/claim/", {}),
        (f"/processes/cases/{instance.pk}/pause/", {"reason": "x"}),
        (
            f"/processes/catalogue/{definition.pk}/start/",
            {"case_kind": "request", "case_reference": "1", "case_title": "x"},
        ),
        (f"/processes/catalogue/{definition.pk}/retire/", {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert (AuditRecord.objects.count(), list(ProcessStep.objects.values_list("state", flat=True))) == before
    assert client.get("/processes/catalogue/import/").status_code in (403, 200)


def test_complete_with_attachment_through_the_page(world, case, login):
    _definition, instance = case
    client = login(world.user("hoangliet_staff"))
    step = open_step(instance)
    upload = SimpleUploadedFile("bien-nhan.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(f"/processes/steps/{step.pk}/complete/", {"result": "Đã nhận đủ", "files": upload})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.state == "done"
    attachment = step.attachments.get()
    assert attachment.size == len(b"%PDF-1.4 test")
    download = client.get(f"/processes/attachments/{attachment.pk}/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    page = client.get(f"/processes/cases/{instance.pk}/").content.decode()
    assert "bien-nhan.pdf" in page


def test_pause_and_resume_through_the_page(world, case, login):
    _definition, instance = case
    client = login(world.user("hoangliet_staff"))
    client.post(f"/processes/cases/{instance.pk}/pause/", {"reason": "Thiếu bản chính"})
    instance.refresh_from_db()
    assert instance.state == "paused"
    client.post(f"/processes/cases/{instance.pk}/resume/")
    instance.refresh_from_db()
    assert instance.state == "running"


def test_builder_page_generates_a_process(world, login):
    client = login(world.user("hoangmai_head"))
    assert client.get("/processes/catalogue/builder/").status_code == 200
    response = client.post(
        "/processes/catalogue/builder/",
        {
            "owner_unit": world.hoangliet.pk,
            "code": "CT-01",
            "name": "Chứng thực chữ ký",
            "valid_from": "01/01/2020",
            "s0-name": "Tiếp nhận",
            "s0-limit_value": "2",
            "s0-limit_unit": "hours",
            "s0-escalate": "on",
            "s1-name": "Ký",
            "s1-role": "unit_head",
            "s1-limit_value": "1",
            "s1-limit_unit": "days",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    definition = ProcessDefinition.objects.get(code="CT-01")
    assert list(definition.step_specs.values_list("name", "limit_value", "limit_unit")) == [
        ("Tiếp nhận", 2, "hours"),
        ("Ký", 1, "days"),
    ]


def test_import_page_refuses_a_malformed_file_in_vietnamese(world, login):
    client = login(world.user("hoangmai_head"))
    bad = SimpleUploadedFile("x.bpmn", b"<bpmn:definitions", content_type="application/xml")
    response = client.post(
        "/processes/catalogue/import/",
        {"owner_unit": world.hoangliet.pk, "code": "X", "file": bad},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 422
    assert "không phải XML hợp lệ" in response.content.decode()
    assert ProcessDefinition.objects.count() == 0


def test_export_is_a_real_workbook_and_scoped(world, case, login):
    _definition, instance = case
    response = login(world.user("hoangliet_staff")).get("/processes/cases/export.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == instance.pk and rows[1][4] == "HS-001"
    response = login(world.user("phucxa_staff")).get("/processes/cases/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows())
    assert len(rows) == 1


def test_htmx_list_returns_the_partial(world, case, login):
    client = login(world.user("hoangliet_staff"))
    response = client.get("/processes/cases/", headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert "HS-001" in response.content.decode()


def test_list_query_count_does_not_grow(world, case, login, django_assert_max_num_queries):
    definition, _instance = case
    client = login(world.user("hoangliet_staff"))
    client.get("/processes/cases/")
    for number in range(5):
        start(world, definition, now=at(2026, 3, 3, 9), reference=f"N{number}")
    with django_assert_max_num_queries(12):
        client.get("/processes/cases/")
    assert ProcessInstance.objects.count() == 6


def test_queue_search_finds_a_case(world, case, login):
    definition, instance = case
    start(world, definition, now=at(2026, 3, 3, 9), reference="KHAC-9")
    client = login(world.user("hoangliet_staff"))
    page = client.get("/processes/", {"queue": "mine", "q": "hs-001"}).content.decode()
    assert f"/processes/cases/{instance.pk}/" in page
    assert "KHAC-9" not in page


def test_statistics_page_drills_down_to_the_cases(world, login):
    from kycuong.processes import services

    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    for actor in ("hoangliet_staff", "hoangmai_head", "hoangmai_head"):
        services.step_complete(
            actor=world.user(actor), step=open_step(instance), result="ok", now=at(2026, 3, 9, 10)
        )
    client = login(world.user("hoangmai_head"))
    page = client.get("/processes/statistics/", {"unit": world.hoangmai.pk, "year": 2026}).content.decode()
    drill = f"/processes/cases/?unit={world.hoangmai.pk}&amp;completed_from=2026-01-01"
    drill += "&amp;completed_to=2026-12-31"
    assert f"{drill}&amp;code=QT-01&amp;outcome=late" in page
    listing = client.get(
        "/processes/cases/",
        {
            "unit": world.hoangmai.pk,
            "completed_from": "2026-01-01",
            "completed_to": "2026-12-31",
            "code": "QT-01",
            "outcome": "late",
        },
    ).content.decode()
    assert "HS-001" in listing


def test_the_diagram_viewer_carries_its_failure_message_in_the_readers_language(world, case, login):
    definition, _instance = case
    client = login(world.user("hoangliet_staff"))
    page = client.get(f"/processes/catalogue/{definition.pk}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'data-load-error="Không hiển thị được sơ đồ. Hãy tải tệp .bpmn hoặc tải lại trang."' in page
