"""The organisation API: the authorization matrix (anonymous, no grant, out of scope, in scope) for every
operation, validation errors as problem+json, and query counts that do not grow with the page."""

import datetime
import json

import pytest

from kycuong.core.context import SystemActor
from kycuong.core.models import AuditRecord
from kycuong.org.models import Post, Staff, Unit
from kycuong.org.services import post_create, staff_create, unit_create

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test-setup", kind="command")  # as in conftest's world fixture


def state():
    """Everything an endpoint could change, to prove a refused request changed nothing."""
    return (
        list(Unit.objects.order_by("pk").values()),
        list(Staff.objects.order_by("pk").values()),
        list(Post.objects.order_by("pk").values()),
        AuditRecord.objects.filter(action__in=["create", "update"])
        .exclude(object_type="accounts.apitoken")
        .count(),
    )


def call(client, method, path, body=None):
    data = json.dumps(body) if body is not None else None
    return client.generic(method, f"/api/v1{path}", data=data or "", content_type="application/json")


def hoangliet_post(world):
    return Post.objects.get(staff=world.hoangliet_staff)


# (label, method, path(world), body(world), {actor: expected status})
# Actors: None = anonymous; the names are users of the `world` fixture.
READS = [
    ("unit", "GET", lambda w: f"/units/{w.hoangliet.pk}", None),
    ("unit children", "GET", lambda w: f"/units/{w.hoangliet.pk}/children", None),
    ("unit by code", "GET", lambda w: "/units/by-code/T00337", None),
    ("staff", "GET", lambda w: f"/staff/{w.hoangliet_staff.pk}", None),
    ("post", "GET", lambda w: f"/posts/{hoangliet_post(w).pk}", None),
]
READ_EXPECTATIONS = {
    None: 401,
    "no_grant": 404,
    "phucxa_staff": 404,
    "badinh_head": 404,
    "hoangliet_staff": 200,
    "hoangmai_inspector": 200,
    "city_leader": 200,
}


@pytest.mark.parametrize("label,method,path,body", READS, ids=[r[0] for r in READS])
@pytest.mark.parametrize("actor,expected", READ_EXPECTATIONS.items(), ids=[str(a) for a in READ_EXPECTATIONS])
def test_read_matrix(world, api_client, label, method, path, body, actor, expected):
    client = api_client(world.user(actor) if actor else None)
    response = call(client, method, path(world))
    assert response.status_code == expected, response.content
    if expected != 200:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == expected


WRITES = [
    (
        "create unit",
        "POST",
        lambda w: "/units",
        lambda w: {"parent_id": w.hoangmai.pk, "kind": "ward", "code": "T00340", "name": "Phường Mới"},
        {None: 401, "no_grant": 404, "badinh_head": 404, "hoangmai_head": 403, "superuser": 201},
    ),
    (
        "change unit",
        "PATCH",
        lambda w: f"/units/{w.hoangliet.pk}",
        lambda w: {"name": "Phường Hoàng Liệt A"},
        {None: 401, "no_grant": 404, "phucxa_staff": 404, "hoangmai_head": 403, "superuser": 200},
    ),
    (
        "create staff",
        "POST",
        lambda w: "/staff",
        lambda w: {"full_name": "Lê Văn Nam", "unit_id": w.hoangliet.pk},
        {
            None: 401,
            "no_grant": 404,
            "badinh_head": 404,
            "hoangliet_staff": 403,
            "hoangmai_inspector": 403,
            "hoangmai_head": 201,
        },
    ),
    (
        "change staff",
        "PATCH",
        lambda w: f"/staff/{w.hoangliet_staff.pk}",
        lambda w: {"birth_year": 1979},
        {None: 401, "no_grant": 404, "badinh_head": 404, "hoangmai_inspector": 403, "hoangmai_head": 200},
    ),
    (
        "create post",
        "POST",
        lambda w: "/posts",
        lambda w: {
            "staff_id": w.hoangliet_staff.pk,
            "unit_id": w.dinhcong.pk,
            "title": "Phó Chủ tịch",
            "role": "deputy",
            "start_date": "2025-01-01",
            "is_concurrent": True,
        },
        {None: 401, "no_grant": 404, "badinh_head": 404, "hoangmai_observer": 403, "hoangmai_head": 201},
    ),
    (
        "end post",
        "PATCH",
        lambda w: f"/posts/{hoangliet_post(w).pk}",
        lambda w: {"end_date": "2026-06-30"},
        {None: 401, "no_grant": 404, "phucxa_staff": 404, "hoangliet_staff": 403, "hoangmai_head": 200},
    ),
]


def _write_cases():
    for label, method, path, body, expectations in WRITES:
        for actor, expected in expectations.items():
            yield pytest.param(method, path, body, actor, expected, id=f"{label}-{actor}")


@pytest.mark.parametrize("method,path,body,actor,expected", list(_write_cases()))
def test_write_matrix(world, api_client, method, path, body, actor, expected):
    client = api_client(world.user(actor) if actor else None)
    before = state()
    response = call(client, method, path(world), body(world))
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert state() == before, "a refused request changed something"
    else:
        assert state() != before
        record = AuditRecord.objects.order_by("-id").first()
        assert record.actor_id == world.user(actor).pk


def test_list_units_is_scoped_and_searchable_without_diacritics(world, api_client):
    client = api_client(world.user("hoangmai_inspector"))
    codes = {item["code"] for item in call(client, "GET", "/units?limit=200").json()["items"]}
    assert codes == {"T008", "T00337", "T00331"}
    found = call(client, "GET", "/units?q=hoang%20liet").json()["items"]
    assert [item["code"] for item in found] == ["T00337"]
    assert call(api_client(world.user("no_grant")), "GET", "/units").json()["items"] == []
    staff = call(client, "GET", "/staff?q=nguyen%20van").json()["items"]
    assert [s["full_name"] for s in staff] == ["Nguyễn Văn Hùng"]


def test_tree_roots_are_the_top_of_each_scope(world, api_client):
    roots = call(api_client(world.user("hoangmai_inspector")), "GET", "/units/tree").json()
    assert [(r["code"], r["child_count"]) for r in roots] == [("T008", 2)]
    roots = call(api_client(world.user("hoangliet_staff")), "GET", "/units/tree").json()
    assert [(r["code"], r["child_count"]) for r in roots] == [("T00337", 0)]


def test_pagination_reports_more_without_counting(world, api_client):
    client = api_client(world.user("city_leader"))
    first = call(client, "GET", "/units?limit=4").json()
    second = call(client, "GET", "/units?limit=4&offset=4").json()
    assert first["has_more"] is True and len(first["items"]) == 4
    assert second["has_more"] is False and len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


def test_validation_errors_are_localised_problem_details_and_change_nothing(world, api_client):
    client = api_client(world.user("superuser"))
    before = state()
    response = client.post(
        "/api/v1/units",
        data=json.dumps({"kind": "planet", "name": ""}),
        content_type="application/json",
        headers={"Accept-Language": "vi"},
    )
    assert response.status_code == 422
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in body["errors"]}
    assert {"kind", "name", "code"} <= fields
    assert state() == before
    duplicate = call(
        client,
        "POST",
        "/units",
        {"parent_id": world.city.pk, "kind": "ward", "code": "T00337", "name": "Trùng mã"},
    )
    assert duplicate.status_code == 422
    assert [e["field"] for e in duplicate.json()["errors"]] == ["code"]
    assert state() == before


def test_moving_a_unit_under_its_own_descendant_is_refused(world, api_client):
    client = api_client(world.user("superuser"))
    response = call(client, "PATCH", f"/units/{world.hoangmai.pk}", {"parent_id": world.hoangliet.pk})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent"


def test_unknown_fields_are_refused(world, api_client):
    response = call(
        api_client(world.user("superuser")), "PATCH", f"/units/{world.hoangliet.pk}", {"depth": 9}
    )
    assert response.status_code == 422


def count_queries(function) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


@pytest.mark.parametrize("path", ["/units?limit=50", "/staff?limit=50", "/posts?limit=50", "/audit?limit=50"])
def test_list_query_count_does_not_grow_with_rows(world, api_client, path):
    client = api_client(world.user("city_leader"))
    call(client, "GET", path)  # the token's last-use bookkeeping happens once a minute; keep it out
    small = count_queries(lambda: call(client, "GET", path))
    for index in range(15):
        unit = unit_create(
            actor=SYSTEM, parent=world.badinh, kind="ward", code=f"X{index}", name=f"Phường {index}"
        )
        staff = staff_create(actor=SYSTEM, unit=unit, full_name=f"Người {index}")
        post_create(
            actor=SYSTEM,
            staff=staff,
            unit=unit,
            title="Công chức",
            role="member",
            start_date=datetime.date(2024, 1, 1),
        )
    large = count_queries(lambda: call(client, "GET", path))
    assert large == small


@pytest.mark.parametrize("field", ["unit_id", "full_name", "category"])
def test_required_fields_sent_as_null_are_refused(world, api_client, field):
    before = state()
    response = call(
        api_client(world.user("hoangmai_head")), "PATCH", f"/staff/{world.hoangliet_staff.pk}", {field: None}
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert state() == before


def test_details_never_show_what_lies_outside_the_scope(world, api_client):
    post_create(
        actor=SYSTEM,
        staff=world.hoangliet_staff,
        unit=world.phucxa,
        title="Kiêm nhiệm",
        role="member",
        start_date=datetime.date(2024, 1, 1),
        is_concurrent=True,
    )
    inspector = api_client(world.user("hoangmai_inspector"))
    person = call(inspector, "GET", f"/staff/{world.hoangliet_staff.pk}").json()
    assert [post["unit_name"] for post in person["posts"]] == ["Phường Hoàng Liệt"]
    leader = api_client(world.user("city_leader"))
    everything = call(leader, "GET", f"/staff/{world.hoangliet_staff.pk}").json()
    assert {post["unit_name"] for post in everything["posts"]} == {"Phường Hoàng Liệt", "Phường Phúc Xá"}
    ward_staff = api_client(world.user("hoangliet_staff"))
    assert call(ward_staff, "GET", f"/units/{world.hoangliet.pk}").json()["parent_name"] is None
    assert call(inspector, "GET", f"/units/{world.hoangliet.pk}").json()["parent_name"] == "Quận Hoàng Mai"
