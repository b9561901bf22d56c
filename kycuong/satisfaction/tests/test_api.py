"""The API's authorization matrix: anonymous 401, no grant and out of scope 404, in scope without the
right 403, in scope 200/201; refused writes change nothing and write no audit record."""

import pytest
from django.utils import timezone

from kycuong.core.models import AuditRecord
from kycuong.satisfaction.models import Feedback, Rating, ServicePoint

pytestmark = pytest.mark.django_db

READERS = {
    None: 401,
    "no_grant": 404,
    "phucxa_staff": 404,
    "badinh_head": 404,
    "hoangliet_staff": 200,
    "hoangmai_inspector": 200,
    "hoangmai_observer": 200,
    "city_leader": 200,
}


@pytest.fixture
def rated(rate, points):
    return rate(access=5, comment="Nhanh gọn", contact_phone="0987654321", submitted_at=timezone.now())


def _user(points, name):
    return points.user(name) if name else None


@pytest.mark.parametrize("actor,expected", READERS.items(), ids=[str(k) for k in READERS])
def test_reads_matrix(rated, points, api_client, actor, expected):
    client = api_client(_user(points, actor))
    for path in (
        f"/api/v1/satisfaction/service-points/{points.point.pk}",
        f"/api/v1/satisfaction/ratings/{rated.pk}",
        f"/api/v1/satisfaction/index?unit_id={points.hoangliet.pk}",
    ):
        response = client.get(path)
        assert response.status_code == expected, path
    listing = client.get("/api/v1/satisfaction/ratings")
    if expected == 200:
        assert [item["id"] for item in listing.json()["items"]] == [rated.pk]
    elif expected == 404:
        assert listing.json()["items"] == []


def test_contact_details_in_the_api(rated, points, api_client):
    staff = api_client(points.user("hoangliet_staff")).get(f"/api/v1/satisfaction/ratings/{rated.pk}").json()
    assert staff["contact"]["phone"] == "0987654321"
    inspector = api_client(points.user("hoangmai_inspector")).get(f"/api/v1/satisfaction/ratings/{rated.pk}")
    assert inspector.json()["contact"] is None and inspector.json()["contact_given"] is True


WRITERS = {
    None: 401,
    "no_grant": 404,
    "phucxa_staff": 404,
    "hoangmai_inspector": 403,
    "hoangmai_observer": 403,
    "hoangmai_head": 200,
}


@pytest.mark.parametrize("actor,expected", WRITERS.items(), ids=[str(k) for k in WRITERS])
def test_writes_matrix(rated, points, api_client, actor, expected):
    client = api_client(_user(points, actor))
    records = AuditRecord.objects.count()
    last_record = AuditRecord.objects.latest("id").id
    erase = client.post(f"/api/v1/satisfaction/ratings/{rated.pk}/erase-contact")
    assert erase.status_code == expected
    assert erase["Content-Type"] == (
        "application/json; charset=utf-8" if expected == 200 else "application/problem+json"
    )
    tag = client.post(
        f"/api/v1/satisfaction/ratings/{rated.pk}/feedback",
        {"kind": "suggestion"},
        content_type="application/json",
    )
    assert tag.status_code == (201 if expected == 200 else expected)
    patch = client.patch(
        f"/api/v1/satisfaction/service-points/{points.point.pk}",
        {"name": "Đổi tên"},
        content_type="application/json",
    )
    assert patch.status_code == expected
    create = client.post(
        "/api/v1/satisfaction/service-points",
        {"unit_id": points.dinhcong.pk, "code": "NEW-1", "name": "Mới", "kind": "reception"},
        content_type="application/json",
    )
    assert create.status_code == (201 if expected == 200 else expected)
    if expected != 200:
        assert Rating.objects.get(pk=rated.pk).contact_phone == "0987654321"
        assert not Feedback.objects.exists()
        assert ServicePoint.objects.get(pk=points.point.pk).name != "Đổi tên"
        assert not ServicePoint.objects.filter(code="NEW-1").exists()
        assert AuditRecord.objects.count() == records
    else:
        assert AuditRecord.objects.count() == records + 4
        assert set(AuditRecord.objects.filter(id__gt=last_record).values_list("actor_label", flat=True)) == {
            "head.hm"
        }


def test_index_trend_and_breakdown(rate, points, api_client):
    rate(access=5, result=5, submitted_at=timezone.now())
    rate(point=points.other_point, access=1, submitted_at=timezone.now())
    client = api_client(points.user("city_leader"))
    index = client.get(f"/api/v1/satisfaction/index?unit_id={points.city.pk}").json()
    assert index["current"]["ratings"] == 2
    assert index["current"]["factors"]["access"] == {
        "answers": 2,
        "satisfied": 1,
        "percent": 50.0,
        "margin": pytest.approx(69.296, abs=0.01),
    }
    assert client.get(f"/api/v1/satisfaction/trend?unit_id={points.city.pk}").status_code == 200
    rows = client.get(f"/api/v1/satisfaction/breakdown?unit_id={points.city.pk}&group_by=unit").json()
    assert {row["label"]: row["figures"]["ratings"] for row in rows} == {
        "Quận Hoàng Mai": 1,
        "Quận Ba Đình": 1,
    }
    assert client.get("/api/v1/satisfaction/breakdown?group_by=unit").status_code == 422
    assert client.get("/api/v1/satisfaction/breakdown?group_by=nonsense").status_code == 422
    head = api_client(points.user("hoangmai_head"))
    assert head.get(f"/api/v1/satisfaction/index?unit_id={points.city.pk}").status_code == 404
    assert head.get("/api/v1/satisfaction/index").json()["current"]["ratings"] == 1


def test_feedback_api_flow(rated, points, api_client):
    client = api_client(points.user("hoangliet_staff"))
    item = client.post(
        f"/api/v1/satisfaction/ratings/{rated.pk}/feedback",
        {"kind": "complaint"},
        content_type="application/json",
    ).json()
    answered = client.post(
        f"/api/v1/satisfaction/feedback/{item['id']}/answer",
        {"answer": "Đã xử lý"},
        content_type="application/json",
    )
    assert answered.json()["state"] == "answered" and answered.json()["on_time"] is True
    assert client.post(f"/api/v1/satisfaction/feedback/{item['id']}/close").json()["state"] == "closed"
    summary = client.get("/api/v1/satisfaction/feedback/summary").json()
    assert summary["on_time_rate"] == 100.0
    outsider = api_client(points.user("phucxa_staff"))
    assert outsider.get(f"/api/v1/satisfaction/feedback/{item['id']}").status_code == 404


def test_list_query_counts_do_not_grow(rate, points, api_client, django_assert_max_num_queries):
    client = api_client(points.user("city_leader"))
    rate(access=5, comment="x")
    client.get("/api/v1/satisfaction/ratings")
    with django_assert_max_num_queries(20) as captured:
        client.get("/api/v1/satisfaction/ratings")
    first = len(captured.captured_queries)
    for n in range(10):
        rate(access=3, comment=f"y{n}")
    with django_assert_max_num_queries(first):
        assert len(client.get("/api/v1/satisfaction/ratings").json()["items"]) == 11
