"""The inspections API: the authorization matrix of every operation (anonymous, no role, out of scope, in
scope without the right, in scope), nothing changed on refusal, the access log, statistics."""

import datetime
import json

import pytest

from kycuong.core.models import AuditRecord
from kycuong.inspections import services
from kycuong.inspections.models import ConfidentialAccess, Inspection, Plan, PlanItem, Recommendation, Subject

pytestmark = pytest.mark.django_db


def call(client, method, path, body=None):
    if method == "get":
        return client.get(f"/api/v1{path}")
    return client.post(f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def scene(insp, make_inspection):
    actor = insp.user("hoangmai_inspector")
    plan = services.plan_create(
        actor=actor,
        unit=insp.hoangmai,
        year=2025,
        number="01/KH",
        title="Kế hoạch 2025",
        approved_on=datetime.date(2025, 1, 5),
    )
    item = services.plan_item_add(
        actor=actor,
        plan=plan,
        kind=insp.kinds["party-inspection"],
        topic="Kiểm tra chi bộ",
        starts_on=datetime.date(2025, 3, 1),
        ends_on=datetime.date(2025, 3, 31),
        subject_units=[insp.cell],
    )
    decided = make_inspection()
    running = services.inspection_start(actor=actor, inspection=make_inspection(decision_number="16/QĐ"))
    person = running.subjects.get(staff=insp.colleague)
    services.finding_record(actor=actor, subject=person, result="violation", description="Chậm trả hồ sơ")
    recommendation = services.recommendation_add(
        actor=actor,
        inspection=running,
        text="Chấn chỉnh",
        responsible_unit=insp.hoangliet,
        due_date=datetime.date(2025, 6, 30),
    )
    insp.plan, insp.item, insp.decided, insp.running = plan, item, decided, running
    insp.person, insp.recommendation = person, recommendation
    return insp


def state():
    return (
        Plan.objects.count(),
        PlanItem.objects.count(),
        list(Inspection.objects.order_by("id").values_list("status", flat=True)),
        Subject.objects.count(),
        list(Recommendation.objects.values_list("status", "task_id")),
        AuditRecord.objects.exclude(object_type="accounts.apitoken").count(),
    )


READ_MATRIX = {
    None: 401,
    "no_grant": 404,
    "phucxa_staff": 404,
    "badinh_head": 404,
    "hoangmai_observer": 200,
    "hoangmai_inspector": 200,
}
WRITE_MATRIX = {None: 401, "no_grant": 404, "phucxa_staff": 404, "badinh_head": 404, "hoangmai_observer": 403}


def operations(s):
    return {
        "get plan": ("get", f"/inspections/plans/{s.plan.pk}", None, 200),
        "get inspection": ("get", f"/inspections/{s.decided.pk}", None, 200),
        "add item": (
            "post",
            f"/inspections/plans/{s.plan.pk}/items",
            {
                "kind_id": s.kinds["party-inspection"].pk,
                "topic": "Mới",
                "starts_on": "2025-05-01",
                "ends_on": "2025-05-10",
                "subject_unit_ids": [s.dinhcong.pk],
            },
            201,
        ),
        "decide": (
            "post",
            f"/inspections/{s.item.pk and Inspection.objects.filter(status='planned').first().pk}/decide",
            {"decision_number": "30/QĐ", "decision_date": "2025-04-01"},
            200,
        ),
        "start": ("post", f"/inspections/{s.decided.pk}/start", {"started_on": "2025-03-12"}, 200),
        "add subject": ("post", f"/inspections/{s.decided.pk}/subjects", {"unit_id": s.dinhcong.pk}, 201),
        "finding": (
            "post",
            f"/inspections/subjects/{s.running.subjects.get(unit=s.hoangliet).pk}/findings",
            {"result": "compliant", "description": "Đúng quy định"},
            201,
        ),
        "recommend": (
            "post",
            f"/inspections/{s.running.pk}/recommendations",
            {"text": "Bổ sung", "responsible_unit_id": s.hoangliet.pk, "due_date": "2025-07-01"},
            201,
        ),
        "close recommendation": (
            "post",
            f"/inspections/recommendations/{s.recommendation.pk}/close",
            {"carried_out": True, "note": "Đã làm"},
            200,
        ),
    }


@pytest.fixture
def planned(scene):
    inspection = services.inspection_create(actor=scene.user("hoangmai_inspector"), plan_item=scene.item)
    return inspection


OPERATIONS = [
    "get plan",
    "get inspection",
    "add item",
    "decide",
    "start",
    "add subject",
    "finding",
    "recommend",
    "close recommendation",
]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    "actor", [None, "no_grant", "phucxa_staff", "badinh_head", "hoangmai_observer", "hoangmai_inspector"]
)
def test_authorization_matrix(scene, planned, api_client, operation, actor):
    method, path, body, success = operations(scene)[operation]
    client = api_client(scene.user(actor) if actor else None)
    before = state()
    response = call(client, method, path, body)
    if actor == "hoangmai_inspector":
        assert response.status_code == success, response.content
        return
    expected = READ_MATRIX[actor] if method == "get" else WRITE_MATRIX[actor]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"].startswith("application/problem+json")
    assert state() == before


def test_findings_about_a_person_in_the_api_are_confidential_and_logged(scene, api_client):
    path = f"/inspections/subjects/{scene.person.pk}"
    for name in ("hoangmai_observer", "hoangliet_staff", "badinh_head"):
        assert call(api_client(scene.user(name)), "get", path).status_code == 404
    assert not ConfidentialAccess.objects.exists()
    response = call(api_client(scene.user("hoangmai_head")), "get", path)
    assert response.status_code == 200 and response.json()["findings"][0]["result"] == "violation"
    log = ConfidentialAccess.objects.get()
    assert (log.user, log.action, log.object_id) == (
        scene.user("hoangmai_head"),
        "view",
        str(scene.person.pk),
    )
    # The observer sees the inspection but not the person's result.
    detail = call(
        api_client(scene.user("hoangmai_observer")), "get", f"/inspections/{scene.running.pk}"
    ).json()
    results = {subject["staff_id"]: subject["result"] for subject in detail["subjects"]}
    assert results[scene.colleague.pk] is None
    # Inspectors read the log; unit heads and ward staff do not.
    assert (
        call(api_client(scene.user("hoangmai_inspector")), "get", "/inspections/access-log").json()["items"][
            0
        ]["user_label"]
        == "head.hm"
    )
    assert (
        call(api_client(scene.user("hoangmai_head")), "get", "/inspections/access-log").json()["items"] == []
    )


def test_lists_are_scoped(scene, api_client):
    own = call(api_client(scene.user("hoangmai_observer")), "get", "/inspections").json()["items"]
    assert len(own) == 2
    assert call(api_client(scene.user("badinh_head")), "get", "/inspections").json()["items"] == []
    assert call(api_client(scene.user("no_grant")), "get", "/inspections/plans").json()["items"] == []


def test_statistics_and_bad_input(scene, api_client):
    client = api_client(scene.user("hoangmai_observer"))
    response = call(
        client, "get", f"/inspections/statistics?unit_id={scene.hoangmai.pk}&start=2025-01-01&end=2025-12-31"
    )
    body = response.json()
    assert (
        body["inspections"],
        body["organisations"],
        body["individuals"],
        body["individuals_violating"],
    ) == (2, 1, 1, 1)
    wrong = call(
        client, "get", f"/inspections/statistics?unit_id={scene.hoangmai.pk}&start=2025-12-31&end=2025-01-01"
    )
    assert wrong.status_code == 422
    outside = call(
        client, "get", f"/inspections/statistics?unit_id={scene.badinh.pk}&start=2025-01-01&end=2025-12-31"
    )
    assert outside.status_code == 404
    before = state()
    bad = call(
        api_client(scene.user("hoangmai_inspector")),
        "post",
        "/inspections",
        {
            "kind_id": scene.kinds["party-inspection"].pk,
            "deciding_unit_id": scene.hoangmai.pk,
            "topic": "X",
            "decision_number": "1/QĐ",
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "decision_number"
    assert state() == before


def test_recommendation_to_task_over_the_api(scene, api_client):
    path = f"/inspections/recommendations/{scene.recommendation.pk}/task"
    assert call(api_client(scene.user("hoangmai_inspector")), "post", path).status_code == 403
    response = call(api_client(scene.user("hoangmai_head")), "post", path)
    assert response.status_code == 201
    assert Recommendation.objects.get(pk=scene.recommendation.pk).task_id == response.json()["task_id"]


def test_lists_cost_the_same_number_of_queries_whatever_the_rows(insp, make_inspection, api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(insp.user("hoangmai_inspector"))

    def queries(path):
        call(client, "get", path)  # warm the actor's scope cache of this client's token
        with CaptureQueriesContext(connection) as captured:
            assert call(client, "get", path).status_code == 200
        return len(captured)

    make_inspection()
    few = queries("/inspections"), queries("/inspections/plans")
    for number in range(5):
        make_inspection(decision_number=f"{number}/QĐ-X")
    assert (queries("/inspections"), queries("/inspections/plans")) == few
