"""The public form: no log-in, a rating counted, and everything that must be refused stores nothing."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from kycuong.core.models import AuditRecord
from kycuong.satisfaction.models import DailyCount, Rating

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def form_data(questions, **extra):
    data = {f"q{questions['access']}": "5", f"q{questions['civil_servant']}": "4", "website": ""}
    data.update(extra)
    return data


def nothing_stored(before: tuple[int, int, int]) -> bool:
    return (Rating.objects.count(), DailyCount.objects.count(), AuditRecord.objects.count()) == before


def counts() -> tuple[int, int, int]:
    return Rating.objects.count(), DailyCount.objects.count(), AuditRecord.objects.count()


def test_anyone_can_rate_without_logging_in(points, questions):
    client = Client()
    url = reverse("satisfaction:rate", args=[points.point.slug])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bộ phận một cửa phường Hoàng Liệt" in html and "Nguyễn Văn Hùng" in html
    assert "<script" not in html and "htmx" not in html
    response = client.post(
        url,
        form_data(
            questions,
            receipt_code="H26-0001",
            procedure="Đăng ký khai sinh",
            staff=str(points.hoangliet_staff.pk),
            comment="Cán bộ nhiệt tình",
        ),
    )
    assert response.status_code == 302 and response.url == reverse(
        "satisfaction:thanks", args=[points.point.slug]
    )
    rating = Rating.objects.get()
    assert rating.staff == points.hoangliet_staff and rating.procedure == "Đăng ký khai sinh"
    assert (rating.access_answers, rating.access_satisfied, rating.civil_servant_satisfied) == (1, 1, 1)
    assert DailyCount.objects.get().ratings == 1
    assert client.get(response.url).status_code == 200


def test_an_unknown_link_is_404(points):
    assert Client().get(reverse("satisfaction:rate", args=["not-a-real-key"])).status_code == 404


def test_english_switch(points):
    client = Client()
    url = reverse("satisfaction:rate", args=[points.point.slug])
    client.post(reverse("set_language"), {"language": "en", "next": url})
    html = client.get(url).content.decode()
    assert "Send my rating" in html and "Very satisfied" in html


def test_honeypot_refuses_and_stores_nothing(points, questions):
    before = counts()
    response = Client().post(
        reverse("satisfaction:rate", args=[points.point.slug]), form_data(questions, website="http://spam")
    )
    assert response.status_code == 400 and b'data-testid="refused"' in response.content
    assert nothing_stored(before)


def test_no_answer_is_refused_with_a_message(points, questions):
    before = counts()
    response = Client().post(reverse("satisfaction:rate", args=[points.point.slug]), {"comment": "x"})
    assert response.status_code == 422 and nothing_stored(before)


def test_one_rating_per_receipt_code_through_the_form(points, questions):
    client = Client()
    url = reverse("satisfaction:rate", args=[points.point.slug])
    assert client.post(url, form_data(questions, receipt_code="H26-7")).status_code == 302
    before = counts()
    again = Client().post(url, form_data(questions, receipt_code="h26-7", comment="lần hai"))
    assert again.status_code == 422 and nothing_stored(before)
    assert "already been given" in again.content.decode() or "đã được đánh giá" in again.content.decode()


def test_a_repeat_of_the_same_rating_is_not_counted_twice(points, questions):
    client = Client()
    url = reverse("satisfaction:rate", args=[points.point.slug])
    assert client.post(url, form_data(questions, comment="Tốt")).status_code == 302
    before = counts()
    assert client.post(url, form_data(questions, comment="Tốt")).status_code == 409
    assert nothing_stored(before)
    # Another answer from the same place is a new rating.
    assert client.post(url, form_data(questions, comment="Rất tốt")).status_code == 302


def test_rate_limit_per_client(points, questions, settings):
    settings.SATISFACTION_RATE_PER_CLIENT = "2/3600"
    settings.SATISFACTION_REPEAT_SECONDS = "off"
    url = reverse("satisfaction:rate", args=[points.point.slug])
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert client.post(url, form_data(questions)).status_code == 302
    assert client.post(url, form_data(questions)).status_code == 302
    before = counts()
    refused = client.post(url, form_data(questions))
    assert refused.status_code == 429 and nothing_stored(before)
    # Another address is not limited by the first one's count.
    assert Client(REMOTE_ADDR="203.0.113.6").post(url, form_data(questions)).status_code == 302
    settings.SATISFACTION_RATE_EXEMPT_ADDRESSES = "203.0.113.5"
    assert client.post(url, form_data(questions)).status_code == 302


def test_rate_limit_per_service_point(points, questions, settings):
    settings.SATISFACTION_RATE_PER_CLIENT = "off"
    settings.SATISFACTION_RATE_PER_SERVICE_POINT = "3/60"
    settings.SATISFACTION_REPEAT_SECONDS = "off"
    url = reverse("satisfaction:rate", args=[points.point.slug])
    for n in range(3):
        assert Client(REMOTE_ADDR=f"198.51.100.{n}").post(url, form_data(questions)).status_code == 302
    before = counts()
    assert Client(REMOTE_ADDR="198.51.100.9").post(url, form_data(questions)).status_code == 429
    assert nothing_stored(before)
    other = reverse("satisfaction:rate", args=[points.other_point.slug])
    assert Client(REMOTE_ADDR="198.51.100.9").post(other, form_data(questions)).status_code == 302


def test_kiosk_form_has_one_question_and_returns_to_itself(points):
    client = Client()
    url = reverse("satisfaction:rate", args=[points.kiosk.slug])
    html = client.get(url).content.decode()
    assert html.count('<fieldset class="question">') == 1
    question = Rating._meta.get_field("template").related_model.objects.get(code="KIOSK-1").questions.get()
    response = client.post(url, {f"q{question.pk}": "4"})
    assert response.status_code == 302
    thanks = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in thanks
    assert Rating.objects.get().visit_satisfied == 1


def test_inactive_point_refuses(points, questions):
    from kycuong.satisfaction.services import service_point_update

    service_point_update(
        actor=points.user("superuser"), service_point=points.point, changes={"active": False}
    )
    before = counts()
    url = reverse("satisfaction:rate", args=[points.point.slug])
    assert Client().post(url, form_data(questions)).status_code == 410
    assert nothing_stored(before)


def test_the_point_kept_by_the_process_follows_its_changes(points, questions, django_assert_num_queries):
    from kycuong.satisfaction.services import service_point_update

    url = reverse("satisfaction:rate", args=[points.point.slug])
    client = Client()
    served = points.point.staff.get()
    assert served.full_name in client.get(url).content.decode()
    with django_assert_num_queries(0):  # the point, its staff and the template are kept
        assert client.get(url).status_code == 200
    admin = points.user("superuser")
    service_point_update(actor=admin, service_point=points.point, changes={}, staff=[])
    assert served.full_name not in client.get(url).content.decode()
    service_point_update(actor=admin, service_point=points.point, changes={"active": False})
    assert client.get(url).status_code == 410


def test_submission_query_count_is_fixed(points, questions, django_assert_max_num_queries):
    url = reverse("satisfaction:rate", args=[points.point.slug])
    client = Client()
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.post(url, form_data(questions, staff=str(points.hoangliet_staff.pk))).status_code == 302
