"""The tasks API: authorization matrix, transitions, multipart reports, filters, summary."""

import json

import pytest

from kycuong.core.models import AuditRecord
from kycuong.tasks.models import Task, TaskState

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json")


READ = {None: 401, "no_grant": 404, "phucxa_staff": 404, "hoangliet_staff": 200, "hoangmai_inspector": 200}


@pytest.mark.parametrize("actor,expected", READ.items(), ids=[str(a) for a in READ])
def test_read_matrix(make_task, people, api_client, actor, expected):
    task = make_task()
    client = api_client(people.user(actor) if actor else None)
    response = client.get(f"/api/v1/tasks/{task.pk}")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["state"] == "assigned" and response.json()["overdue"] is not None


WRITES = {
    "accept": (
        None,
        {None: 401, "no_grant": 404, "phucxa_staff": 404, "hoangmai_inspector": 403, "hoangliet_staff": 200},
    ),
    "cancel": (
        {"reason": "Không cần nữa"},
        {"phucxa_staff": 404, "hoangliet_staff": 403, "hoangmai_head": 200},
    ),
    "return": ({"reason": "Sai đơn vị"}, {"hoangmai_inspector": 403, "hoangliet_staff": 200}),
}


@pytest.mark.parametrize(
    "action,body,actor,expected",
    [
        (action, body, actor, expected)
        for action, (body, matrix) in WRITES.items()
        for actor, expected in matrix.items()
    ],
)
def test_transition_matrix(make_task, people, api_client, action, body, actor, expected):
    task = make_task()
    client = api_client(people.user(actor) if actor else None)
    records = AuditRecord.objects.exclude(object_type="accounts.apitoken").count()
    response = post(client, f"/tasks/{task.pk}/{action}", body)
    assert response.status_code == expected, response.content
    if expected != 200:
        assert Task.objects.get(pk=task.pk).state == TaskState.ASSIGNED
        assert AuditRecord.objects.exclude(object_type="accounts.apitoken").count() == records


def test_full_cycle_over_the_api_with_files(make_task, people, api_client):
    task = make_task()
    worker, head = api_client(people.user("hoangliet_staff")), api_client(people.user("hoangmai_head"))
    assert post(worker, f"/tasks/{task.pk}/accept").status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = worker.post(
        f"/api/v1/tasks/{task.pk}/reports",
        {"percent": 70, "text": "Đã xong dự thảo", "files": SimpleUploadedFile("a.txt", b"a")},
    )
    assert report.status_code == 201, report.content
    submitted = worker.post(
        f"/api/v1/tasks/{task.pk}/submit", {"text": "Hoàn thành", "links": ["https://example.vn/kq"]}
    )
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    sent_back = post(head, f"/tasks/{task.pk}/send-back", {"reason": "Bổ sung số liệu"})
    assert sent_back.json()["rework_count"] == 1
    worker.post(
        f"/api/v1/tasks/{task.pk}/submit", {"text": "Đã bổ sung", "links": ["https://example.vn/kq2"]}
    )
    approved = post(head, f"/tasks/{task.pk}/approve", {"note": "Đạt"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert [r["percent"] for r in worker.get(f"/api/v1/tasks/{task.pk}/reports").json()] == [70]


def test_create_task_validation_and_scope(people, api_client):
    head = api_client(people.user("hoangmai_head"))
    body = {
        "title": "Rà soát",
        "assigning_unit_id": people.hoangmai.pk,
        "lead_unit_id": people.hoangliet.pk,
        "start_date": "2025-01-24",
        "due_working_days": 3,
    }
    created = post(head, "/tasks", body)
    assert created.status_code == 201 and created.json()["due_date"] == "2025-02-05"
    outside = post(head, "/tasks", {**body, "lead_unit_id": people.phucxa.pk})
    assert outside.status_code == 404
    missing = post(head, "/tasks", {**body, "due_working_days": None})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "due_date"
    assert Task.objects.count() == 1


def test_list_filters_and_summary(make_task, people, api_client):
    import datetime

    make_task(title="Quá hạn", due_date=datetime.date(2025, 1, 10))
    make_task(title="Còn hạn", due_date=datetime.date(2099, 1, 10))
    client = api_client(people.user("hoangmai_head"))
    overdue = client.get("/api/v1/tasks?overdue=true").json()["items"]
    assert [t["title"] for t in overdue] == ["Quá hạn"]
    assert client.get("/api/v1/tasks?sort=nonsense").status_code == 422
    summary = client.get(
        f"/api/v1/tasks/summary?unit_id={people.hoangmai.pk}&due_from=2025-01-01&due_to=2025-12-31"
    )
    assert summary.json()["overdue"] == 1 and summary.json()["assigned"] == 1
    outsider = api_client(people.user("phucxa_staff"))
    assert (
        outsider.get(
            f"/api/v1/tasks/summary?unit_id={people.hoangmai.pk}&due_from=2025-01-01&due_to=2025-12-31"
        ).status_code
        == 404
    )


def test_list_page_reads_only_what_it_returns(make_task, people, api_client):
    """A page of the list reads the returned columns and the lead unit's name: no description, no search
    text, no other related rows; every item still carries every field, equal to the task's detail."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = make_task(title="Báo cáo quý", description="Mô tả dài " * 50)
    client = api_client(people.user("hoangmai_head"))
    with CaptureQueriesContext(connection) as queries:
        items = client.get("/api/v1/tasks").json()["items"]
    page_query = next(q["sql"] for q in queries.captured_queries if '"tasks_task"."title"' in q["sql"])
    assert "description" not in page_query and "search_text" not in page_query
    assert '"org_staff"' not in page_query
    detail = client.get(f"/api/v1/tasks/{task.pk}").json()
    assert items == [{key: detail[key] for key in items[0]}]
    assert items[0]["lead_unit_name"] == task.lead_unit.name and set(items[0]) < set(detail)


def test_import_and_export_over_the_api(make_task, people, api_client):
    import io

    import openpyxl

    from kycuong.tasks import excel

    make_task(title="Có sẵn")
    head = api_client(people.user("hoangmai_head"))
    exported = head.get("/api/v1/tasks/export.xlsx")
    assert exported.status_code == 200, exported.content
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert "Có sẵn" in [cell.value for cell in sheet["A"]]
    template = openpyxl.load_workbook(io.BytesIO(excel.import_template())).worksheets[0]
    headers = [cell.value for cell in template[1]]
    broken = openpyxl.Workbook()
    broken.active.append(headers)
    broken.active.append(["Nhiệm vụ lỗi"] + ["?"] * (len(headers) - 1))
    buffer = io.BytesIO()
    broken.save(buffer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.xlsx", buffer.getvalue(), content_type=excel.XLSX_CONTENT_TYPE)
    response = head.post("/api/v1/tasks/import", {"file": upload})
    assert response.status_code == 422 and response.json()["created"] == 0 and response.json()["errors"]
    assert not Task.objects.filter(title="Nhiệm vụ lỗi").exists()
    observer = api_client(people.user("hoangmai_inspector"))
    upload.seek(0)
    assert observer.post("/api/v1/tasks/import", {"file": upload}).status_code == 403
