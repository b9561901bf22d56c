"""The API: an authorization matrix per operation (anonymous, no role, out of scope, in scope without the
right, in scope), nothing changed by refused requests, hand-computed figures in the answers."""

import datetime

import pytest

from kycuong.core.models import AuditRecord
from kycuong.evaluations import services
from kycuong.evaluations.models import Cycle, CycleState, Evaluation

from .conftest import MARCH_2026, ten_tasks

REFUSED = [(None, 401), ("no_grant", 404), ("badinh_head", 404)]


@pytest.fixture
def cycle(world, person, make_tasks):
    staff = person(world.hoangliet, "Lê Thị Mai", "mai")
    make_tasks(staff, ten_tasks(), due=datetime.date(2026, 3, 20))
    cycle = services.cycle_create(
        actor=world.user("hoangmai_head"),
        method_code="civil-servants",
        unit=world.hoangmai,
        units=[world.hoangliet],
        frequency="monthly",
        period_start=MARCH_2026,
    )
    services.cycle_compute(actor=world.user("hoangmai_head"), cycle=cycle)
    return Cycle.objects.get(pk=cycle.pk)


def _client(api_client, world, who):
    from kycuong.accounts.models import User

    if who is None:
        return api_client(None)
    user = world.users.get(who) or User.objects.get(username=who)
    return api_client(user)


def _state(cycle):
    return (
        Cycle.objects.get(pk=cycle.pk).state,
        list(Evaluation.objects.filter(cycle=cycle).values_list("state", "total", "version").order_by("id")),
        AuditRecord.objects.count(),
    )


def test_create_cycle_matrix(world, api_client):
    payload = {
        "method_code": "hanoi-monthly",
        "unit_id": world.hoangmai.pk,
        "unit_ids": [world.dinhcong.pk],
        "frequency": "monthly",
        "period_start": "2026-04-01",
    }
    before = (Cycle.objects.count(), AuditRecord.objects.count())
    for who, status in [*REFUSED, ("hoangmai_inspector", 403), ("hoangmai_observer", 403)]:
        response = _client(api_client, world, who).post(
            "/api/v1/evaluations/cycles", payload, content_type="application/json"
        )
        assert response.status_code == status, (who, response.content)
        assert (Cycle.objects.count(), AuditRecord.objects.count() - (1 if who else 0) * 0)[0] == before[0]
    response = _client(api_client, world, "hoangmai_head").post(
        "/api/v1/evaluations/cycles", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["period_end"] == "2026-04-30"
    assert body["state"] == "open"
    assert body["unit_ids"] == [world.dinhcong.pk]
    bad = {**payload, "period_start": "2026-04-15"}
    response = _client(api_client, world, "hoangmai_head").post(
        "/api/v1/evaluations/cycles", bad, content_type="application/json", headers={"Accept-Language": "vi"}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    extra = {**payload, "state": "published"}
    response = _client(api_client, world, "hoangmai_head").post(
        "/api/v1/evaluations/cycles", extra, content_type="application/json"
    )
    assert response.status_code == 422


def test_read_matrix(world, api_client, cycle):
    evaluation = Evaluation.objects.get(cycle=cycle, staff__full_name="Lê Thị Mai")
    paths = [
        f"/api/v1/evaluations/cycles/{cycle.pk}",
        f"/api/v1/evaluations/cycles/{cycle.pk}/quota",
        f"/api/v1/evaluations/{evaluation.pk}",
    ]
    for path in paths:
        for who, status in REFUSED:
            assert _client(api_client, world, who).get(path).status_code == status, (path, who)
        for who in ("hoangmai_head", "hoangmai_inspector", "city_leader", "mai"):
            assert _client(api_client, world, who).get(path).status_code == 200, (path, who)
    # The ward staff member sees neither the cycle nor others' evaluations: no grant on evaluations.
    assert _client(api_client, world, "hoangliet_staff").get(paths[2]).status_code == 404
    listing = _client(api_client, world, "badinh_head").get("/api/v1/evaluations").json()
    assert listing["items"] == []
    mine = _client(api_client, world, "mai").get("/api/v1/evaluations").json()
    assert [item["id"] for item in mine["items"]] == [evaluation.pk]


def test_evaluation_detail_explains_points_with_tasks(world, api_client, cycle):
    evaluation = Evaluation.objects.get(cycle=cycle, staff__full_name="Lê Thị Mai")
    body = _client(api_client, world, "hoangmai_head").get(f"/api/v1/evaluations/{evaluation.pk}").json()
    assert body["task_points"] == "61.83"
    assert body["explanation"]["percents"]["quality"] == "87.50"
    assert len(body["tasks"]) == 10
    outcomes = sorted(line["outcome"] for line in body["tasks"])
    assert outcomes == ["late"] + ["not_done"] + ["on_time"] * 8
    reworked = [line for line in body["tasks"] if line["quality_deduction"]]
    assert len(reworked) == 1 and reworked[0]["quality"] == "0.75"
    assert all(line["url"] == f"/tasks/{line['task_id']}/" for line in body["tasks"])
    # The per-task lines add up to the stored percentages.
    total_quality = sum(float(line["quality"]) for line in body["tasks"])
    assert total_quality == 8.75


@pytest.mark.parametrize("action", ["open-review", "submit", "approve", "publish"])
def test_cycle_action_matrix(world, api_client, cycle, action):
    clients = [
        (_client(api_client, world, who), status) for who, status in [*REFUSED, ("hoangmai_inspector", 403)]
    ]
    before = _state(cycle)
    for client, status in clients:
        response = client.post(
            f"/api/v1/evaluations/cycles/{cycle.pk}/{action}", content_type="application/json"
        )
        assert response.status_code == status, response.content
        assert _state(cycle) == before


def test_cycle_steps_through_the_api(world, api_client, cycle):
    head = _client(api_client, world, "hoangmai_head")
    mai = _client(api_client, world, "mai")
    evaluation = Evaluation.objects.get(cycle=cycle, staff__full_name="Lê Thị Mai")
    response = mai.post(
        f"/api/v1/evaluations/{evaluation.pk}/self-assessment",
        {"general_points": "28", "note": "Hoàn thành"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (
        head.post(
            f"/api/v1/evaluations/{evaluation.pk}/self-assessment",
            {"general_points": "28"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        head.post(
            f"/api/v1/evaluations/cycles/{cycle.pk}/open-review", content_type="application/json"
        ).json()["state"]
        == "review"
    )
    response = head.post(
        f"/api/v1/evaluations/{evaluation.pk}/review",
        {"adjustment": "2", "adjustment_reason": ""},
        content_type="application/json",
        headers={"Accept-Language": "vi"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "adjustment_reason"
    response = head.post(
        f"/api/v1/evaluations/{evaluation.pk}/review",
        {"adjustment": "2", "adjustment_reason": "Sáng kiến cải cách thủ tục"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["level"], body["general_points"]) == ("91.83", "excellent", "28.00")
    # The head of Hoàng Liệt (reviewed by the district) still waits: the cycle cannot go to approval.
    response = head.post(f"/api/v1/evaluations/cycles/{cycle.pk}/submit", content_type="application/json")
    assert response.status_code == 422
    others = Evaluation.objects.filter(cycle=cycle).exclude(pk=evaluation.pk)
    for other in others:
        assert (
            head.post(
                f"/api/v1/evaluations/{other.pk}/review",
                {"general_points": 20},
                content_type="application/json",
            ).status_code
            == 200
        )
    assert (
        head.post(
            f"/api/v1/evaluations/cycles/{cycle.pk}/submit", content_type="application/json"
        ).status_code
        == 200
    )
    quota = head.get(f"/api/v1/evaluations/cycles/{cycle.pk}/quota").json()
    assert quota[0]["holding"] == 1 and quota[0]["allowed"] == 0 and quota[0]["excess"] == 1
    assert (
        head.post(
            f"/api/v1/evaluations/cycles/{cycle.pk}/approve", content_type="application/json"
        ).status_code
        == 422
    )
    clients = [
        (_client(api_client, world, who), status) for who, status in [*REFUSED, ("hoangmai_inspector", 403)]
    ]
    before = _state(cycle)
    for client, status in clients:
        response = client.post(
            f"/api/v1/evaluations/{evaluation.pk}/move-down", {"reason": "x"}, content_type="application/json"
        )
        assert response.status_code == status
        assert _state(cycle) == before
    response = head.post(
        f"/api/v1/evaluations/{evaluation.pk}/move-down",
        {"reason": "Hạn mức 20 %"},
        content_type="application/json",
    )
    assert response.json()["level"] == "good"
    assert (
        head.post(
            f"/api/v1/evaluations/cycles/{cycle.pk}/approve", content_type="application/json"
        ).status_code
        == 200
    )
    response = head.post(
        f"/api/v1/evaluations/cycles/{cycle.pk}/publish",
        {"document_number": "15/BC-UBND"},
        content_type="application/json",
    )
    assert response.json()["state"] == CycleState.PUBLISHED
    distribution = head.get(
        "/api/v1/evaluations/results/distribution",
        {"unit_id": world.hoangmai.pk, "period_from": "2026-01-01", "period_to": "2026-12-31"},
    ).json()
    counts = {row["code"]: row["count"] for row in distribution[0]["levels"]}
    # Mai moved down to good; the head of Hoàng Liệt: own 100 % (no task), unit 88.33 %: 65.92 + 20 → good.
    assert counts == {"excellent": 0, "good": 2, "completed": 0, "not_completed": 0}
    rankings = head.get(
        "/api/v1/evaluations/results/rankings",
        {"kind": "ward", "period_from": "2026-01-01", "period_to": "2026-12-31"},
    ).json()
    assert [row["unit_id"] for row in rankings] == [world.hoangliet.pk]
    assert (
        _client(api_client, world, "badinh_head")
        .get(
            "/api/v1/evaluations/results/rankings",
            {"kind": "ward", "period_from": "2026-01-01", "period_to": "2026-12-31"},
        )
        .json()
        == []
    )
    assert (
        _client(api_client, world, "badinh_head")
        .get(
            "/api/v1/evaluations/results/distribution",
            {"unit_id": world.hoangmai.pk, "period_from": "2026-01-01", "period_to": "2026-12-31"},
        )
        .status_code
        == 404
    )


def test_methods_are_readable_by_every_signed_in_user(world, api_client):
    assert api_client(None).get("/api/v1/evaluations/methods").status_code == 401
    methods = api_client(world.user("no_grant")).get("/api/v1/evaluations/methods").json()
    codes = sorted({method["code"] for method in methods})
    assert codes == ["civil-servants", "hanoi-monthly", "heads-scorecard"]
    scorecard = next(m for m in methods if m["code"] == "heads-scorecard")
    assert len(scorecard["rules"]["criteria"]) == 12
    assert sum(item["weight"] for item in scorecard["rules"]["criteria"]) == 100


def test_review_and_self_assessment_matrix(world, api_client, cycle):
    evaluation = Evaluation.objects.get(cycle=cycle, staff__full_name="Lê Thị Mai")
    services.cycle_open_review(actor=world.user("hoangmai_head"), cycle=cycle)
    review_refused = [*REFUSED, ("hoangmai_inspector", 403), ("mai", 403)]
    clients = [(_client(api_client, world, who), status) for who, status in review_refused]
    self_refused = [*REFUSED, ("hoangmai_head", 403)]
    self_clients = [(_client(api_client, world, who), status) for who, status in self_refused]
    before = _state(cycle)
    for client, status in clients:
        for action, payload in (("review", {"general_points": 25}), ("return", {"reason": "Bổ sung"})):
            response = client.post(
                f"/api/v1/evaluations/{evaluation.pk}/{action}", payload, content_type="application/json"
            )
            assert response.status_code == status, (action, response.content)
    for client, status in self_clients:
        response = client.post(
            f"/api/v1/evaluations/{evaluation.pk}/self-assessment",
            {"general_points": 25},
            content_type="application/json",
        )
        assert response.status_code == status
    assert _state(cycle) == before
    head = _client(api_client, world, "hoangmai_head")
    response = head.post(
        f"/api/v1/evaluations/{evaluation.pk}/return", {"reason": "Bổ sung"}, content_type="application/json"
    )
    assert response.json()["state"] == "returned"
    mai = _client(api_client, world, "mai")
    response = mai.post(
        f"/api/v1/evaluations/{evaluation.pk}/self-assessment",
        {"general_points": 25},
        content_type="application/json",
    )
    assert response.json()["state"] == "self_assessed"
