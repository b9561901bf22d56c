"""Every API operation against the authorization matrix: anonymous, no role, out of scope, in scope."""

import datetime

import pytest

from kycuong.core.models import AuditRecord
from kycuong.processes.models import ProcessDefinition, ProcessInstance, ProcessStep

from .helpers import at, open_step, start, two_unit_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    definition = two_unit_process(world)
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    return definition, instance


def _state():
    return (
        list(ProcessDefinition.objects.order_by("pk").values_list("pk", "state", "version")),
        list(ProcessInstance.objects.order_by("pk").values_list("pk", "state", "paused_minutes", "version")),
        list(ProcessStep.objects.order_by("pk").values_list("pk", "state", "assignee_id", "result")),
        AuditRecord.objects.count(),
    )


def _writes(world, definition, instance):
    step = open_step(instance)
    builder = {
        "owner_unit_id": world.hoangliet.pk,
        "code": "NP-01",
        "name": "Duyệt nghỉ phép",
        "steps": [{"name": "Xem xét", "limit_value": 2}],
    }
    return [
        ("post", "/api/v1/processes/definitions/build", builder, "json"),
        ("post", f"/api/v1/processes/definitions/{definition.pk}/retire", None, "json"),
        (
            "post",
            "/api/v1/processes/instances",
            {
                "definition_id": definition.pk,
                "case_kind": "request",
                "case_reference": "R1",
                "case_title": "X",
            },
            "json",
        ),
        ("post", f"/api/v1/processes/instances/{instance.pk}/pause", {"reason": "Thiếu giấy"}, "json"),
        ("post", f"/api/v1/processes/steps/{step.pk}/claim", None, "json"),
        ("post", f"/api/v1/processes/steps/{step.pk}/complete", {"result": "Xong"}, "multipart"),
        ("post", f"/api/v1/processes/steps/{step.pk}/return", {"to_step": "Step_1", "reason": "x"}, "json"),
    ]


def _send(client, method, url, body, kind):
    if kind == "multipart":
        return client.post(url, body)
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize("who", [None, "no_grant", "phucxa_staff", "badinh_head"])
def test_refused_writes_change_nothing(world, case, api_client, who):
    definition, instance = case
    client = api_client(world.user(who) if who else None)
    for method, url, body, kind in _writes(world, definition, instance):
        before = _state()
        response = _send(client, method, url, body, kind)
        expected = 401 if who is None else 404
        if url.endswith("/build") and who is not None:
            expected = 404  # the owner unit is out of their scope
        assert response.status_code == expected, (who, url, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert _state() == before, url


def test_observer_sees_but_may_not_act(world, case, api_client):
    definition, instance = case
    client = api_client(world.user("hoangmai_observer"))
    assert client.get(f"/api/v1/processes/instances/{instance.pk}").status_code == 200
    before = _state()
    step = open_step(instance)
    response = client.post(f"/api/v1/processes/steps/{step.pk}/complete", {"result": "x"})
    assert response.status_code == 403
    response = client.post(
        f"/api/v1/processes/instances/{instance.pk}/pause", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert _state() == before


def test_reads_are_scoped(world, case, api_client):
    definition, instance = case
    for who, visible in [
        ("hoangliet_staff", True),
        ("hoangmai_head", True),
        ("city_leader", True),
        ("phucxa_staff", False),
        ("badinh_head", False),
        ("no_grant", False),
    ]:
        client = api_client(world.user(who))
        expected = 200 if visible else 404
        assert client.get(f"/api/v1/processes/instances/{instance.pk}").status_code == expected, who
        assert client.get(f"/api/v1/processes/definitions/{definition.pk}").status_code == expected, who
        listed = client.get("/api/v1/processes/instances").json()["items"]
        assert [item["id"] for item in listed] == ([instance.pk] if visible else []), who
        catalogue = client.get("/api/v1/processes/definitions").json()["items"]
        assert [item["id"] for item in catalogue] == ([definition.pk] if visible else []), who
        response = client.get(
            "/api/v1/processes/statistics",
            {"unit_id": world.hoangliet.pk, "start": "2026-01-01", "end": "2026-12-31"},
        )
        assert response.status_code == expected, who
    assert api_client(None).get("/api/v1/processes/steps").status_code == 401


def test_in_scope_api_runs_a_case_to_the_end(world, api_client, audit_count):
    staff = api_client(world.user("hoangliet_staff"))
    head = api_client(world.user("hoangmai_head"))
    response = head.post(
        "/api/v1/processes/definitions/build",
        {
            "owner_unit_id": world.hoangliet.pk,
            "code": "VB-DEN",
            "name": "Xử lý văn bản đến",
            "valid_from": "2020-01-01",
            "steps": [
                {"name": "Vào sổ", "role": "unit_staff", "limit_value": 4, "limit_unit": "hours"},
                {"name": "Phân công", "unit_ref": "parent", "limit_value": 1},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    definition = response.json()
    assert definition["interconnected"] is True
    assert [step["name"] for step in definition["steps"]] == ["Vào sổ", "Phân công"]
    response = staff.post(
        "/api/v1/processes/instances",
        {
            "definition_id": definition["id"],
            "case_kind": "document",
            "case_reference": "123/UBND",
            "case_title": "Công văn của quận",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    instance = response.json()
    (step,) = [step for step in instance["steps"] if step["state"] == "open"]
    queue = staff.get("/api/v1/processes/steps", {"queue": "mine"}).json()["items"]
    assert [item["id"] for item in queue] == [step["id"]]
    assert staff.post(f"/api/v1/processes/steps/{step['id']}/claim").status_code == 200
    before = audit_count()
    response = staff.post(f"/api/v1/processes/steps/{step['id']}/complete", {"result": "Đã vào sổ"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done"
    assert audit_count() > before
    detail = head.get(f"/api/v1/processes/instances/{instance['id']}").json()
    (second,) = [item for item in detail["steps"] if item["state"] == "open"]
    assert second["unit_id"] == world.hoangmai.pk
    assert detail["participant_unit_ids"] == [world.hoangmai.pk]
    assert head.get("/api/v1/processes/steps", {"queue": "unit"}).json()["items"][0]["id"] == second["id"]
    assert staff.post(f"/api/v1/processes/steps/{second['id']}/complete", {"result": "x"}).status_code == 403
    response = head.post(f"/api/v1/processes/steps/{second['id']}/complete", {"result": "Giao đ/c Hùng"})
    assert response.status_code == 200
    assert head.get(f"/api/v1/processes/instances/{instance['id']}").json()["state"] == "completed"


def test_import_through_the_api_refuses_bad_files(world, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_bpmn import GATEWAY

    head = api_client(world.user("hoangmai_head"))
    bad = SimpleUploadedFile("x.bpmn", b"<not-closed", content_type="application/xml")
    response = head.post(
        "/api/v1/processes/definitions/import",
        {"owner_unit_id": world.hoangliet.pk, "code": "X", "file": bad},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "bpmn"
    assert ProcessDefinition.objects.count() == 0
    good = SimpleUploadedFile("x.bpmn", GATEWAY.encode(), content_type="application/xml")
    response = head.post(
        "/api/v1/processes/definitions/import",
        {"owner_unit_id": world.hoangliet.pk, "code": "X", "file": good, "valid_from": "2020-01-01"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["steps"][1]["decisions"] == []


def test_statistics_figures(world, api_client):
    definition = two_unit_process(world)
    head = world.user("hoangmai_head")
    from kycuong.processes import services

    for number, finish_day in enumerate([3, 9], start=1):
        instance = start(world, definition, now=at(2026, 3, 2, 9), reference=f"HS-{number}")
        for actor in (world.user("hoangliet_staff"), head, head):
            services.step_complete(
                actor=actor, step=open_step(instance), result="ok", now=at(2026, 3, finish_day, 10)
            )
    response = api_client(world.user("city_leader")).get(
        "/api/v1/processes/statistics",
        {"unit_id": world.hoangmai.pk, "start": "2026-03-01", "end": "2026-03-31", "by_process": "true"},
    )
    body = response.json()
    # Due Friday 6 March 17:00: one finished Tuesday 3 (early), one Monday 9 (late).
    assert body["total"] == {
        "finished": 2,
        "early": 1,
        "on_time": 0,
        "late": 1,
        "timely_rate": 50.0,
        "average_hours": pytest.approx((9 * 60 + 41 * 60) / 2 / 60, abs=0.1),
    }
    assert [(item["code"], item["name"], item["figures"]["late"]) for item in body["by_process"]] == [
        ("QT-01", "Cấp bản sao chứng thực", 1)
    ]
    subunits = {item["id"]: item["figures"]["finished"] for item in body["by_subunit"]}
    assert subunits == {world.hoangliet.pk: 2, world.dinhcong.pk: 0}
    assert datetime.date.fromisoformat(body["start"]) == datetime.date(2026, 3, 1)


def test_statistics_by_process_code_and_step_level(world, api_client):
    from kycuong.processes import services

    first = two_unit_process(world, code="QT-01")
    second = two_unit_process(world, code="QT-02")
    head = world.user("hoangmai_head")
    for definition, day in ((first, 3), (second, 9)):
        instance = start(world, definition, now=at(2026, 3, 2, 9), reference=definition.code)
        for actor in (world.user("hoangliet_staff"), head, head):
            services.step_complete(
                actor=actor, step=open_step(instance), result="ok", now=at(2026, 3, day, 10)
            )
    client = api_client(world.user("city_leader"))
    params = {"unit_id": world.city.pk, "start": "2026-01-01", "end": "2026-12-31"}
    body = client.get("/api/v1/processes/statistics", {**params, "code": "QT-02"}).json()
    assert (body["total"]["finished"], body["total"]["late"]) == (1, 1)
    # Steps are counted in their performer's unit: two in Hoàng Liệt, one in Định Công per case.
    steps = client.get("/api/v1/processes/statistics", {**params, "level": "step"}).json()
    assert steps["total"]["finished"] == 6
    assert steps["by_process"] == []  # asked for with by_process=true only
    by_district = {item["id"]: item["figures"]["finished"] for item in steps["by_subunit"]}
    assert by_district == {world.hoangmai.pk: 6, world.badinh.pk: 0}
