"""Staff pages: the authorization matrix, the index page with its drill-downs, posters, erasure, feedback."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kycuong.core.models import AuditRecord
from kycuong.satisfaction.models import Feedback, Rating, ServicePoint

pytestmark = pytest.mark.django_db

# Who may open the pages of the service point of Phường Hoàng Liệt.
EXPECTED = {
    "no_grant": 404,
    "phucxa_staff": 404,
    "badinh_head": 404,
    "hoangliet_staff": 200,
    "hoangmai_inspector": 200,
    "hoangmai_head": 200,
    "city_leader": 200,
}


@pytest.fixture
def rated(rate, points):
    return rate(
        access=5,
        result=4,
        comment="Chờ hơi lâu",
        contact_name="Lê Văn An",
        contact_phone="0912345678",
        submitted_at=timezone.now(),
    )


@pytest.mark.parametrize("actor,expected", EXPECTED.items(), ids=list(EXPECTED))
def test_pages_matrix(rated, points, login, actor, expected):
    client = login(points.user(actor))
    for url in (
        reverse("satisfaction:point", args=[points.point.pk]),
        reverse("satisfaction:point-qr", args=[points.point.pk]),
        reverse("satisfaction:rating", args=[rated.pk]),
    ):
        assert client.get(url).status_code == expected, url
    listing = client.get(reverse("satisfaction:ratings")).content.decode()
    assert ("Chờ hơi lâu" in listing) == (expected == 200)
    index = client.get(reverse("satisfaction:index"), {"unit": points.hoangliet.pk})
    assert index.status_code == (200 if expected == 200 else 404)


def test_contact_details_only_for_staff_whose_grant_covers_the_unit(rated, points, login):
    url = reverse("satisfaction:rating", args=[rated.pk])
    assert "0912345678" in login(points.user("hoangliet_staff")).get(url).content.decode()
    assert "0912345678" in login(points.user("hoangmai_head")).get(url).content.decode()
    # Inspectors and observers see the rating but not who gave it.
    assert "0912345678" not in login(points.user("hoangmai_inspector")).get(url).content.decode()
    assert login(points.user("phucxa_staff")).get(url).status_code == 404


@pytest.mark.parametrize("actor", ["phucxa_staff", "hoangmai_inspector", "no_grant", "hoangliet_staff"])
def test_refused_erasure_changes_nothing(rated, points, login, actor):
    client = login(points.user(actor))
    records = AuditRecord.objects.count()
    response = client.post(reverse("satisfaction:rating-erase", args=[rated.pk]))
    assert response.status_code in (302, 404)
    assert Rating.objects.get(pk=rated.pk).contact_phone == "0912345678"
    assert AuditRecord.objects.count() == records


def test_erasure_through_the_page(rated, points, login):
    client = login(points.user("hoangmai_head"))
    client.post(reverse("satisfaction:rating-erase", args=[rated.pk]))
    rating = Rating.objects.get(pk=rated.pk)
    assert rating.contact_phone == "" and rating.contact_erased_at is not None
    assert AuditRecord.objects.latest("id").action == "erase_contact"


def test_feedback_through_the_pages(rated, points, login):
    outsider = login(points.user("phucxa_staff"))
    records = AuditRecord.objects.count()
    assert (
        outsider.post(reverse("satisfaction:rating-tag", args=[rated.pk]), {"kind": "complaint"}).status_code
        == 404
    )
    assert not Feedback.objects.exists() and AuditRecord.objects.count() == records
    client = login(points.user("hoangliet_staff"))
    response = client.post(
        reverse("satisfaction:rating-tag", args=[rated.pk]), {"kind": "complaint", "topic": "Chờ"}
    )
    feedback = Feedback.objects.get()
    assert response.url == reverse("satisfaction:feedback-detail", args=[feedback.pk])
    client.post(response.url, {"action": "answer", "answer": "Đã bố trí thêm quầy"})
    client.post(response.url, {"action": "close"})
    feedback.refresh_from_db()
    assert feedback.state == "closed" and feedback.on_time
    page = client.get(reverse("satisfaction:feedback")).content.decode()
    assert "100,0 %" in page or "100.0 %" in page


def test_index_page_counts_and_drills_down(rate, points, login):
    day = timezone.localdate()
    rate(
        access=5,
        submitted_at=timezone.now(),
        staff=points.hoangliet_staff,
        procedure_name="Đăng ký khai sinh",
    )
    rate(point=points.other_point, access=1, submitted_at=timezone.now())
    client = login(points.user("city_leader"))
    page = client.get(
        reverse("satisfaction:index"), {"unit": points.city.pk, "date_from": day.replace(day=1)}
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="ratings-count">2<' in html
    assert "Quận Hoàng Mai" in html and "Quận Ba Đình" in html and "<svg" in html
    ward = client.get(reverse("satisfaction:index"), {"unit": points.hoangliet.pk}).content.decode()
    assert (
        'data-testid="ratings-count">1<' in ward and "Nguyễn Văn Hùng" in ward and "Đăng ký khai sinh" in ward
    )
    point = client.get(reverse("satisfaction:index"), {"point": points.point.pk}).content.decode()
    assert 'data-testid="ratings-count">1<' in point
    # The head of Hoàng Mai sees only their district's rating, even from the city's page.
    head = login(points.user("hoangmai_head"))
    assert head.get(reverse("satisfaction:index"), {"unit": points.city.pk}).status_code == 404
    assert 'data-testid="ratings-count">1<' in head.get(reverse("satisfaction:index")).content.decode()


def test_index_page_query_count_does_not_grow(rate, points, login, django_assert_max_num_queries):
    client = login(points.user("city_leader"))
    rate(access=5, submitted_at=timezone.now(), staff=points.hoangliet_staff, procedure_name="Khai sinh")
    client.get(reverse("satisfaction:index"), {"unit": points.hoangliet.pk})
    with django_assert_max_num_queries(40) as captured:
        client.get(reverse("satisfaction:index"), {"unit": points.hoangliet.pk})
    first = len(captured.captured_queries)
    for n in range(15):
        rate(
            access=1 + n % 5,
            submitted_at=timezone.now() - datetime.timedelta(days=n * 20),
            staff=points.hoangliet_staff if n % 2 else None,
            procedure_name=f"Thủ tục {n % 3}",
        )
    with django_assert_max_num_queries(first):
        client.get(reverse("satisfaction:index"), {"unit": points.hoangliet.pk})


def test_rating_list_query_count_does_not_grow(rate, points, login, django_assert_max_num_queries):
    client = login(points.user("city_leader"))
    rate(access=5, comment="a")
    client.get(reverse("satisfaction:ratings"))
    with django_assert_max_num_queries(12) as captured:
        client.get(reverse("satisfaction:ratings"))
    first = len(captured.captured_queries)
    for n in range(10):
        rate(access=4, comment=f"c{n}")
    with django_assert_max_num_queries(first):
        client.get(reverse("satisfaction:ratings"))


def test_service_point_created_and_edited_through_the_pages(points, login):
    head = login(points.user("hoangmai_head"))
    response = head.post(
        reverse("satisfaction:point-new"),
        {
            "unit": points.dinhcong.pk,
            "code": "T00331-TN",
            "name": "Tiếp dân phường Định Công",
            "kind": "reception",
            "form_kind": "survey",
            "active": "on",
        },
    )
    assert response.status_code == 302
    point = ServicePoint.objects.get(code="T00331-TN")
    records = AuditRecord.objects.count()
    refused = head.post(
        reverse("satisfaction:point-new"),
        {"unit": points.phucxa.pk, "code": "X", "name": "X", "kind": "reception", "form_kind": "survey"},
    )
    assert refused.status_code == 422 and not ServicePoint.objects.filter(code="X").exists()
    assert AuditRecord.objects.count() == records
    head.post(
        reverse("satisfaction:point-edit", args=[point.pk]),
        {"name": "Bộ phận tiếp công dân", "kind": "reception", "form_kind": "kiosk"},
    )
    point.refresh_from_db()
    assert point.name == "Bộ phận tiếp công dân" and point.form_kind == "kiosk" and not point.active
    old = point.slug
    head.post(reverse("satisfaction:point-renew", args=[point.pk]))
    point.refresh_from_db()
    assert point.slug != old
    inspector = login(points.user("hoangmai_inspector"))
    assert inspector.get(reverse("satisfaction:point-edit", args=[point.pk])).status_code == 403


def test_qr_and_poster(points, login):
    from io import BytesIO

    from pypdf import PdfReader

    client = login(points.user("hoangliet_staff"))
    png = client.get(reverse("satisfaction:point-qr", args=[points.point.pk]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    pdf = client.get(reverse("satisfaction:point-poster", args=[points.point.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(BytesIO(pdf.content)).pages[0].extract_text()
    assert "PHƯỜNG HOÀNG LIỆT" in text.upper() and "Đánh giá" in text
    assert points.point.slug in text.replace("\n", "")
