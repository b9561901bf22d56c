"""API: the dashboard's figures, reports and their files, thresholds and subscriptions against the
authorization matrix; refused requests change nothing."""

import pytest

from kycuong.core.models import AuditRecord
from kycuong.reports import services
from kycuong.reports.models import Report, SignalThreshold, Subscription

pytestmark = pytest.mark.django_db


def audited() -> int:
    return AuditRecord.objects.filter(object_type__startswith="reports.").count()


def test_dashboard_api_matrix(tasks_world, api_client):
    query = {"unit_id": tasks_world.hoangmai.pk, "period": "month", "year": 2025, "month": 1}
    assert api_client(None).get("/api/v1/dashboard", query).status_code == 401
    assert api_client(tasks_world.user("no_grant")).get("/api/v1/dashboard", query).status_code == 404
    assert api_client(tasks_world.user("badinh_head")).get("/api/v1/dashboard", query).status_code == 404
    response = api_client(tasks_world.user("hoangmai_head")).get("/api/v1/dashboard", query)
    assert response.status_code == 200
    body = response.json()
    assert (body["period_start"], body["period_end"]) == ("2025-01-01", "2025-01-31")
    assert (body["previous_start"], body["previous_end"]) == ("2024-12-01", "2024-12-31")
    tasks = next(module for module in body["modules"] if module["module"] == "tasks")
    figures = {figure["key"]: figure for figure in tasks["figures"]}
    assert (
        figures["tasks.on_time_rate"]["value"] == 25.0 and figures["tasks.on_time_rate"]["previous"] == 100.0
    )
    assert figures["tasks.on_time_rate"]["signal"] == "red"
    assert [(row["unit_name"], row["value"]) for row in tasks["ranking"]] == [
        ("Phường Hoàng Liệt", 33.3),
        ("Phường Định Công", 0.0),
    ]
    bad = api_client(tasks_world.user("hoangmai_head")).get(
        "/api/v1/dashboard", {**query, "period": "custom", "start": "2025-02-01", "end": "2025-01-01"}
    )
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert (
        api_client(tasks_world.user("hoangmai_head")).get("/api/v1/dashboard", {"month": 13}).status_code
        == 422
    )


def test_report_api_matrix(tasks_world, api_client, django_capture_on_commit_callbacks):
    payload = {"unit_id": tasks_world.hoangmai.pk, "kind": "month", "year": 2025, "month": 1}
    before = (Report.objects.count(), audited())
    assert (
        api_client(None).post("/api/v1/reports", payload, content_type="application/json").status_code == 401
    )
    for name, status in (("no_grant", 404), ("badinh_head", 404), ("hoangmai_observer", 403)):
        response = api_client(tasks_world.user(name)).post(
            "/api/v1/reports", payload, content_type="application/json"
        )
        assert response.status_code == status, name
    invalid = api_client(tasks_world.user("hoangmai_head")).post(
        "/api/v1/reports", {**payload, "month": None}, content_type="application/json"
    )
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "month"
    extra = api_client(tasks_world.user("hoangmai_head")).post(
        "/api/v1/reports", {**payload, "state": "done"}, content_type="application/json"
    )
    assert extra.status_code == 422
    assert (Report.objects.count(), audited()) == before
    head = api_client(tasks_world.user("hoangmai_head"))
    with django_capture_on_commit_callbacks(execute=False):
        created = head.post("/api/v1/reports", payload, content_type="application/json")
    assert created.status_code == 201 and created.json()["state"] == "queued"
    report_id = created.json()["id"]
    services.report_make(report_id=report_id)
    detail = head.get(f"/api/v1/reports/{report_id}").json()
    assert detail["state"] == "done" and {f["format"] for f in detail["files"]} == {"pdf", "docx", "xlsx"}
    xlsx = next(f for f in detail["files"] if f["format"] == "xlsx")
    download = head.get(xlsx["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    listing = head.get("/api/v1/reports").json()
    assert [item["id"] for item in listing["items"]] == [report_id]
    outsider = api_client(tasks_world.user("badinh_head"))
    assert outsider.get(f"/api/v1/reports/{report_id}").status_code == 404
    assert outsider.get(xlsx["url"]).status_code == 404
    assert outsider.get("/api/v1/reports").json()["items"] == []


def test_threshold_api_matrix(tasks_world, api_client):
    payload = {"key": "satisfaction.index", "amber_at": "88", "red_at": "80", "valid_from": "2026-01-01"}
    count = SignalThreshold.objects.count()
    post = "/api/v1/reports/thresholds"
    assert api_client(None).post(post, payload, content_type="application/json").status_code == 401
    assert (
        api_client(tasks_world.user("no_grant"))
        .post(post, payload, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_client(tasks_world.user("hoangmai_head"))
        .post(post, payload, content_type="application/json")
        .status_code
        == 403
    )
    assert SignalThreshold.objects.count() == count
    admin = api_client(tasks_world.user("superuser"))
    wrong = admin.post(post, {**payload, "red_at": "90"}, content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "red_at"
    assert admin.post(post, payload, content_type="application/json").status_code == 201
    keys = [row["key"] for row in api_client(tasks_world.user("hoangmai_head")).get(post).json()]
    assert keys.count("satisfaction.index") == 2


def test_subscription_api_matrix(tasks_world, api_client):
    head = tasks_world.user("hoangmai_head")
    head.email = "head@hoangmai.vn"
    head.save(update_fields=["email"])
    url = "/api/v1/reports/subscriptions"
    payload = {"unit_id": tasks_world.hoangmai.pk}
    assert api_client(None).post(url, payload, content_type="application/json").status_code == 401
    assert (
        api_client(tasks_world.user("no_grant"))
        .post(url, payload, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_client(tasks_world.user("badinh_head"))
        .post(url, payload, content_type="application/json")
        .status_code
        == 404
    )
    assert Subscription.objects.count() == 0
    created = api_client(head).post(url, payload, content_type="application/json")
    assert created.status_code == 201
    subscription_id = created.json()["id"]
    cancel = f"{url}/{subscription_id}/cancel"
    assert api_client(tasks_world.user("badinh_head")).post(cancel).status_code == 404
    assert api_client(head).get(url).json()[0]["id"] == subscription_id
    assert api_client(head).post(cancel).json()["active"] is False
