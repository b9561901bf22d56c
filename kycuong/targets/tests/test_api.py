"""The targets API: authorization matrix for reads and writes (refusals change nothing and write no audit
record), the dashboard figures, and constant query counts on lists."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kycuong.core.models import AuditRecord
from kycuong.targets import services
from kycuong.targets.models import Disbursement, PlanRevision, Project

pytestmark = pytest.mark.django_db
BILLION = 1_000_000_000


def post(client, path, body):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def records():
    return AuditRecord.objects.exclude(object_type="accounts.apitoken").count()


READ = {
    None: 401,
    "no_grant": 404,
    "badinh_head": 404,
    "phucxa_staff": 404,
    "hoangmai_observer": 200,
    "hoangmai_inspector": 200,
    "hoangmai_head": 200,
    "city_leader": 200,
}


@pytest.mark.parametrize("actor,expected", READ.items(), ids=[str(a) for a in READ])
def test_project_read_matrix(world, planned, api_client, actor, expected):
    client = api_client(world.user(actor) if actor else None)
    response = client.get(f"/api/v1/targets/projects/{planned.pk}?year=2024")
    assert response.status_code == expected, response.content
    if expected == 200:
        body = response.json()
        assert body["total_amount"] == 120 * BILLION and body["rate_total"] == "0.00"
    listing = client.get("/api/v1/targets/projects?year=2024")
    if actor is None:
        assert listing.status_code == 401
    else:
        codes = [item["code"] for item in listing.json()["items"]]
        assert codes == (["DA-HM-001"] if expected == 200 else [])


WRITE = {
    None: 401,
    "no_grant": 404,
    "badinh_head": 404,
    "hoangmai_observer": 403,
    "hoangmai_inspector": 403,
    "hoangmai_head": 201,
    "city_leader": 201,
}


@pytest.mark.parametrize("actor,expected", WRITE.items(), ids=[str(a) for a in WRITE])
def test_disbursement_write_matrix(world, planned, api_client, actor, expected):
    client = api_client(world.user(actor) if actor else None)
    before = records()
    response = post(
        client,
        f"/targets/projects/{planned.pk}/disbursements",
        {"plan_year": 2024, "paid_on": "2024-05-02", "amount": 5 * BILLION},
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        assert Disbursement.objects.count() == 1
        assert AuditRecord.objects.filter(
            object_type="targets.disbursement", actor_id=world.user(actor).pk
        ).exists()
    else:
        assert Disbursement.objects.count() == 0
        assert records() == before


@pytest.mark.parametrize("actor,expected", WRITE.items(), ids=[str(a) for a in WRITE])
def test_plan_write_matrix(world, planned, api_client, actor, expected):
    client = api_client(world.user(actor) if actor else None)
    before = records()
    response = post(
        client,
        f"/targets/projects/{planned.pk}/plans",
        {
            "year": 2024,
            "assigned_amount": 100 * BILLION,
            "local_amount": 50 * BILLION,
            "effective_on": "2024-07-01",
        },
    )
    assert response.status_code == expected, response.content
    assert PlanRevision.objects.count() == (2 if expected == 201 else 1)
    if expected != 201:
        assert records() == before


def test_carry_over_over_the_api(world, planned, api_client):
    client = api_client(world.user("hoangmai_head"))
    ok = post(
        client,
        f"/targets/projects/{planned.pk}/disbursements",
        {"plan_year": 2024, "paid_on": "2025-01-15", "amount": 1},
    )
    assert ok.status_code == 201
    before = records()
    refused = post(
        client,
        f"/targets/projects/{planned.pk}/disbursements",
        {"plan_year": 2024, "paid_on": "2025-02-01", "amount": 1},
    )
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "paid_on"
    assert Disbursement.objects.count() == 1 and records() == before


def test_dashboard_figures_and_scope(world, planned, api_client):
    services.disbursement_record(
        actor=world.user("hoangmai_head"),
        project=planned,
        plan_year=2024,
        paid_on=datetime.date(2024, 6, 1),
        amount=60 * BILLION,
    )
    body = api_client(world.user("city_leader")).get("/api/v1/targets/dashboard?year=2024").json()
    assert body["totals"]["rate_assigned"] == "60.00" and body["totals"]["rate_total"] == "50.00"
    assert body["units"][0]["unit_id"] == world.hoangmai.pk
    assert body["months"][5]["cumulative"] == 60 * BILLION
    outsider = api_client(world.user("badinh_head")).get("/api/v1/targets/dashboard?year=2024").json()
    assert outsider["totals"]["projects"] == 0 and outsider["units"] == []
    hidden = api_client(world.user("badinh_head")).get(
        f"/api/v1/targets/dashboard?year=2024&unit_id={world.hoangmai.pk}"
    )
    assert hidden.status_code == 404


def test_follow_up_over_the_api(world, planned, api_client):
    response = post(
        api_client(world.user("hoangmai_head")),
        f"/targets/projects/{planned.pk}/follow-up",
        {"plan_year": 2024},
    )
    assert response.status_code == 201
    before = records()
    refused = post(
        api_client(world.user("hoangmai_inspector")),
        f"/targets/projects/{planned.pk}/follow-up",
        {"plan_year": 2024},
    )
    assert refused.status_code == 403 and records() == before


def test_indicator_api(world, api_client):
    leader = api_client(world.user("city_leader"))
    created = post(
        leader,
        "/targets/indicators",
        {"code": "GRDP", "name": "Tăng trưởng GRDP", "unit_of_measure": "%", "owner_unit_id": world.city.pk},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        post(
            leader,
            f"/targets/indicators/{pk}/targets",
            {"unit_id": world.city.pk, "year": 2024, "target_min": "6.5", "target_max": "7"},
        ).status_code
        == 201
    )
    assert (
        post(
            leader,
            f"/targets/indicators/{pk}/actuals",
            {"unit_id": world.city.pk, "year": 2024, "month": 12, "value": "6.52"},
        ).status_code
        == 201
    )
    progress = leader.get(
        f"/api/v1/targets/indicators/{pk}/progress?unit_id={world.city.pk}&year=2024"
    ).json()
    assert progress["status"] == "on_track" and progress["goal"] == "6.5000"
    before = records()
    refused = post(
        api_client(world.user("hoangmai_observer")),
        f"/targets/indicators/{pk}/actuals",
        {"unit_id": world.hoangmai.pk, "year": 2024, "month": 11, "value": "6"},
    )
    assert refused.status_code == 404  # the indicator is the city's: outside the observer's scope
    assert records() == before
    assert api_client(None).get("/api/v1/targets/indicators").status_code == 401


def _many_projects(world, count):
    head = world.user("hoangmai_head")
    start = Project.objects.count()
    for index in range(start, start + count):
        project = services.project_create(
            actor=head,
            code=f"DA-{index:04d}",
            name=f"Dự án {index}",
            investor_unit=world.hoangliet,
            responsible_unit=world.dinhcong if index % 2 else world.hoangliet,
        )
        services.plan_revise(
            actor=head,
            project=project,
            year=2024,
            assigned_amount=10 * BILLION,
            effective_on=datetime.date(2024, 1, 1),
        )
        services.disbursement_record(
            actor=head, project=project, plan_year=2024, paid_on=datetime.date(2024, 3, 1), amount=BILLION
        )


def _count(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path", ["/api/v1/targets/projects?year=2024", "/api/v1/targets/dashboard?year=2024"]
)
def test_query_count_does_not_grow_with_rows(world, api_client, path):
    client = api_client(world.user("city_leader"))
    _many_projects(world, 2)
    client.get(path)  # the token's first use records its last-used time (one more query)
    few = _count(client, path)
    _many_projects(world, 8)
    assert _count(client, path) == few
