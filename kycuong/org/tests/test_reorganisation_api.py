"""The reorganisation API and pages: the authorization matrix (anonymous, no grant, out of scope, in scope)
for every operation and page; a refused request changes nothing; bad input gets problem+json."""

import json

import pytest

from kycuong.accounts.models import Grant, Role
from kycuong.accounts.services import grant_create, user_create
from kycuong.core.models import AuditRecord
from kycuong.org.models import EventKind, EventState, GrantProposal, ReorganisationEvent, Unit, UnitKind
from kycuong.org.reorganisation import LinkSpec, NewUnitSpec, event_apply, event_create

from .conftest import EFFECTIVE, SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(world):
    """A system administrator of Hoàng Mai (in scope) and one of Ba Đình (out of scope)."""
    role = Role.objects.get(code="system_admin")
    made = {}
    for name, unit in (("admin_hm", world.hoangmai), ("admin_bd", world.badinh)):
        user = user_create(
            actor=SYSTEM, username=name.replace("_", "."), password="correct-horse-battery-staple"
        )
        grant_create(actor=SYSTEM, user=user, role=role, unit=unit)
        made[name] = user
    world.users.update(made)
    return made


def merge_event(world, actor=SYSTEM):
    return event_create(
        actor=actor,
        kind=EventKind.MERGE,
        title="Hợp nhất hai phường",
        effective_date=EFFECTIVE,
        legal_basis="Nghị quyết 1656/NQ-UBTVQH15",
        new_units=[NewUnitSpec(code="N1", name="Phường Mới", kind=UnitKind.WARD, parent=world.hoangmai)],
        links=[
            LinkSpec(predecessor=world.hoangliet, successor="N1"),
            LinkSpec(predecessor=world.dinhcong, successor="N1"),
        ],
    )


def state():
    return (
        list(ReorganisationEvent.objects.order_by("pk").values("pk", "state", "record_choices")),
        list(Unit.objects.order_by("pk").values("pk", "valid_to")),
        list(Grant.objects.order_by("pk").values_list("pk", flat=True)),
        list(GrantProposal.objects.order_by("pk").values("pk", "state")),
        AuditRecord.objects.exclude(object_type="accounts.apitoken").count(),
    )


def call(client, method, path, body=None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, f"/api/v1{path}", data=data, content_type="application/json")


VIEWERS = {
    None: 401,
    "no_grant": 404,
    "badinh_head": 404,
    "admin_bd": 404,
    "hoangmai_head": 200,
    "admin_hm": 200,
}


@pytest.mark.parametrize("suffix", ["", "/preview"])
@pytest.mark.parametrize("actor,expected", VIEWERS.items(), ids=[str(a) for a in VIEWERS])
def test_reading_an_event(world, admins, api_client, actor, expected, suffix):
    event = merge_event(world)
    client = api_client(world.user(actor) if actor else None)
    response = call(client, "GET", f"/reorganisations/{event.pk}{suffix}")
    assert response.status_code == expected
    if expected == 200 and suffix:
        body = response.json()
        assert body["can_apply"] is True and {row["unit_name"] for row in body["closing"]} == {
            "Phường Hoàng Liệt",
            "Phường Định Công",
        }


@pytest.mark.parametrize("actor,expected", VIEWERS.items(), ids=[str(a) for a in VIEWERS])
def test_listing_events_shows_only_those_in_scope(world, admins, api_client, actor, expected):
    event = merge_event(world)
    response = call(api_client(world.user(actor) if actor else None), "GET", "/reorganisations")
    if actor is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    assert ids == ([event.pk] if expected == 200 else [])


# Writes: only the administrator of Hoàng Mai may; a viewer in scope gets 403, others 404; nothing changes.
WRITERS = {None: 401, "no_grant": 404, "badinh_head": 404, "admin_bd": 404, "hoangmai_head": 403}


@pytest.mark.parametrize("operation", ["apply", "undo", "choices"])
@pytest.mark.parametrize("actor,expected", WRITERS.items(), ids=[str(a) for a in WRITERS])
def test_refused_writes_change_nothing(world, admins, api_client, open_task, actor, expected, operation):
    task = open_task(world.hoangliet)
    event = merge_event(world)
    if operation == "undo":
        event_apply(actor=SYSTEM, event=event)
    body = (
        {"handler": "tasks.task", "record_id": task.pk, "successor_unit_id": None}
        if operation == "choices"
        else None
    )
    client = api_client(world.user(actor) if actor else None)
    before = state()
    response = call(client, "POST", f"/reorganisations/{event.pk}/{operation}", body)
    assert response.status_code == expected
    assert state() == before


def test_the_administrator_in_scope_prepares_applies_confirms_and_undoes(
    world, admins, api_client, open_task
):
    task = open_task(world.hoangliet)
    client = api_client(admins["admin_hm"])
    payload = {
        "kind": "merge",
        "title": "Hợp nhất hai phường",
        "effective_date": "2025-07-01",
        "legal_basis": "Nghị quyết 1656/NQ-UBTVQH15",
        "new_units": [{"code": "N1", "name": "Phường Mới", "kind": "ward", "parent_id": world.hoangmai.pk}],
        "links": [
            {"predecessor_id": world.hoangliet.pk, "successor_code": "N1"},
            {"predecessor_id": world.dinhcong.pk, "successor_code": "N1"},
        ],
    }
    created = call(client, "POST", "/reorganisations", payload)
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]
    assert created.json()["state"] == "draft" and len(created.json()["links"]) == 2
    applied = call(client, "POST", f"/reorganisations/{event_id}/apply")
    assert applied.status_code == 200 and applied.json()["state"] == "applied"
    assert applied.json()["applied_changes"]["handed_over"] == 1
    task.refresh_from_db()
    assert task.lead_unit.code == "N1"
    proposals = call(client, "GET", f"/grant-proposals?event_id={event_id}").json()["items"]
    assert [(p["username"], p["to_unit_name"]) for p in proposals] == [("staff.hl", "Phường Mới")]
    # the head of Hoàng Mai may not confirm grants; the administrator may
    head = api_client(world.user("hoangmai_head"))
    assert (
        call(head, "POST", f"/grant-proposals/{proposals[0]['id']}/decide", {"confirm": True}).status_code
        == 404
    )
    decided = call(client, "POST", f"/grant-proposals/{proposals[0]['id']}/decide", {"confirm": True})
    assert decided.status_code == 200 and decided.json()["state"] == "confirmed"
    assert Grant.objects.filter(pk=decided.json()["created_grant_id"], unit__code="N1").exists()
    twice = call(client, "POST", f"/grant-proposals/{proposals[0]['id']}/decide", {"confirm": False})
    assert twice.status_code == 422
    undone = call(client, "POST", f"/reorganisations/{event_id}/undo")
    assert undone.status_code == 200 and undone.json()["state"] == "undone"
    assert not Grant.objects.filter(unit__code="N1").exists()
    task.refresh_from_db()
    assert task.lead_unit_id == world.hoangliet.pk


@pytest.mark.parametrize(
    "change,field",
    [
        ({"legal_basis": ""}, "legal_basis"),
        ({"kind": "explode"}, "kind"),
        ({"links": [{"predecessor_id": 1, "successor_code": "N1", "share": "most"}]}, "share"),
        ({"links": []}, "links"),
    ],
)
def test_bad_input_gets_a_problem_and_changes_nothing(world, admins, api_client, change, field):
    payload = {
        "kind": "merge",
        "title": "Hợp nhất",
        "effective_date": "2025-07-01",
        "legal_basis": "NQ",
        "links": [
            {"predecessor_id": world.hoangliet.pk, "successor_id": world.dinhcong.pk},
        ],
        **change,
    }
    before = state()
    response = call(api_client(admins["admin_hm"]), "POST", "/reorganisations", payload)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in json.dumps(response.json())
    assert state() == before


@pytest.mark.parametrize("actor,expected", VIEWERS.items(), ids=[str(a) for a in VIEWERS])
def test_comparable_figures_by_api(world, admins, api_client, actor, expected):
    client = api_client(world.user(actor) if actor else None)
    response = call(
        client, "GET", f"/units/{world.hoangliet.pk}/comparable?date_from=2024-01-01&date_to=2024-12-31"
    )
    # the head of Hoàng Mai sees Hoàng Liệt; Ba Đình's administrator and head do not
    assert response.status_code == expected
    if expected == 200:
        [tasks] = response.json()
        assert tasks["source"] == "tasks" and tasks["totals"]["assigned"] == "0"


# -- pages ---------------------------------------------------------------------------------------------------

PAGE_VIEWERS = {"no_grant": 404, "badinh_head": 404, "admin_bd": 404, "hoangmai_head": 200, "admin_hm": 200}


@pytest.mark.parametrize("actor,expected", PAGE_VIEWERS.items(), ids=list(PAGE_VIEWERS))
def test_event_page_matrix(world, admins, login, client, actor, expected):
    event = merge_event(world)
    assert client.get(f"/reorganisations/{event.pk}/").status_code == 302  # anonymous: to the log-in page
    response = login(world.user(actor)).get(f"/reorganisations/{event.pk}/")
    assert response.status_code == expected
    if expected == 200:
        page = response.content.decode()
        assert "Phường Hoàng Liệt" in page
        assert ('data-testid="apply"' in page) == (actor == "admin_hm")


@pytest.mark.parametrize("path", ["apply", "undo", "choose"])
@pytest.mark.parametrize("actor", ["no_grant", "badinh_head", "admin_bd", "hoangmai_head"])
def test_refused_page_posts_change_nothing(world, admins, login, client, actor, path):
    event = merge_event(world)
    if path == "undo":
        event_apply(actor=SYSTEM, event=event)
    assert client.post(f"/reorganisations/{event.pk}/{path}/").status_code == 302
    signed_in = login(world.user(actor))
    before = state()
    response = signed_in.post(
        f"/reorganisations/{event.pk}/{path}/", {"record": "1", "handler": "tasks.task"}
    )
    # the head of Hoàng Mai sees the event but may not change it
    assert response.status_code == (403 if actor == "hoangmai_head" else 404)
    assert state() == before


def test_the_pages_from_preparing_to_confirming_grants(world, admins, login):
    client = login(admins["admin_hm"])
    assert client.get("/reorganisations/").status_code == 200
    form = {
        "kind": "merge",
        "title": "Hợp nhất hai phường",
        "effective_date": "2025-07-01",
        "legal_basis": "Nghị quyết 1656/NQ-UBTVQH15",
        "new_units": f"N1; Phường Mới; ward; {world.hoangmai.code}",
        "links": f"{world.hoangliet.code}; N1; whole\n{world.dinhcong.code}; N1; whole",
    }
    bad = client.post("/reorganisations/new/", {**form, "links": "T00337; NOWHERE; whole"})
    assert bad.status_code == 200 and "NOWHERE" in bad.content.decode()
    assert not ReorganisationEvent.objects.exists()
    response = client.post("/reorganisations/new/", form)
    event = ReorganisationEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reorganisations/{event.pk}/"
    assert client.post(f"/reorganisations/{event.pk}/apply/").status_code == 302
    event.refresh_from_db()
    assert event.state == EventState.APPLIED
    home = client.get("/").content.decode()
    assert 'data-testid="pending-grants"' in home and "1 " in home
    assert 'data-testid="pending-grants"' not in login(world.user("hoangmai_head")).get("/").content.decode()
    client = login(admins["admin_hm"])
    proposals = client.get(f"/reorganisations/grants/?event={event.pk}")
    assert proposals.status_code == 200 and "staff.hl" in proposals.content.decode()
    proposal = GrantProposal.objects.get(event=event)
    assert login(world.user("hoangmai_head")).get("/reorganisations/grants/").status_code == 404
    assert (
        login(world.user("hoangmai_head"))
        .post(f"/reorganisations/grants/{proposal.pk}/decide/", {"decision": "confirm"})
        .status_code
        == 404
    )
    client = login(admins["admin_hm"])
    client.post(f"/reorganisations/grants/{proposal.pk}/decide/", {"decision": "confirm"})
    proposal.refresh_from_db()
    assert proposal.state == "confirmed"
    assert Grant.objects.filter(user__username="staff.hl", unit__code="N1").exists()
