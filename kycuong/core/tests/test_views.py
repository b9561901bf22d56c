import datetime

import pytest
from django.urls import reverse
from django.utils import formats, translation

from kycuong.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["pending_migrations"] == 0


def test_search_ignores_diacritics_and_scope(world, login):
    client = login(world.user("hoangmai_inspector"))
    html = client.get(reverse("search"), {"q": "hoang liet"}).content.decode()
    assert "Phường Hoàng Liệt" in html
    html = client.get(reverse("search"), {"q": "HOÀNG   mai"}).content.decode()
    assert "Quận Hoàng Mai" in html
    html = client.get(reverse("search"), {"q": "phuc xa"}).content.decode()
    assert "Phường Phúc Xá" not in html  # exists, but outside this inspector's scope
    html = client.get(reverse("search"), {"q": "nguyen van"}).content.decode()
    assert "Nguyễn Văn Hùng" in html


REFUSED_AUDIT_VIEWERS = ["no_grant", "phucxa_staff", "hoangmai_observer", "badinh_head"]


def test_audit_page_is_scoped_by_unit(world, login):
    hoangliet_records = AuditRecord.objects.filter(unit_id=world.hoangliet.pk).count()
    assert hoangliet_records > 0
    url = reverse("core:audit")
    for actor in REFUSED_AUDIT_VIEWERS:
        html = login(world.user(actor)).get(url, {"unit": world.hoangliet.code}).content.decode()
        assert "Nguyễn Văn Hùng" not in html, actor  # the ward's staff record, created in the world fixture
    html = login(world.user("hoangmai_inspector")).get(url, {"unit": world.hoangliet.code}).content.decode()
    assert "Nguyễn Văn Hùng" in html
    html = login(world.user("hoangmai_inspector")).get(url).content.decode()
    assert "Phường Phúc Xá" not in html and "Trần Thị Lan" not in html


def test_audit_page_filters_and_refuses_bad_dates_clearly(world, login):
    client = login(world.user("city_leader"))
    response = client.get(
        reverse("core:audit"),
        {"object_type": "org.staff", "date_from": "31/02/2025"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert "31/02/2025" in response.content.decode() and "alert-danger" in response.content.decode()
    html = client.get(reverse("core:audit"), {"object_type": "org.staff"}).content.decode()
    assert "Trần Thị Lan" in html and "Phường Định Công</td>" not in html
    today = datetime.date.today().strftime("%d/%m/%Y")
    assert (
        "Trần Thị Lan"
        in client.get(reverse("core:audit"), {"date_from": today, "date_to": today}).content.decode()
    )
    assert "Trần Thị Lan" not in client.get(reverse("core:audit"), {"date_to": "01/01/2020"}).content.decode()


def test_vietnamese_formats():
    with translation.override("vi"):
        assert formats.number_format(1520, force_grouping=True) == "1.520"
        assert formats.number_format(86.5, decimal_pos=1) == "86,5"
        assert formats.date_format(datetime.date(2023, 8, 7), "SHORT_DATE_FORMAT") == "07/08/2023"


def test_language_switch_changes_the_page_language(world, login):
    client = login(world.user("city_leader"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    vietnamese = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in english and '<html lang="vi">' in vietnamese
    with translation.override("vi"):
        assert translation.gettext("My units and roles") in vietnamese
    assert "My units and roles" in english


def test_audit_page_filters_by_unit_code_and_user_name(world, login):
    from kycuong.org.services import staff_update

    staff_update(actor=world.user("hoangmai_head"), staff=world.hoangliet_staff, birth_year=1979)
    client = login(world.user("hoangmai_inspector"))
    by_head = client.get(reverse("core:audit"), {"user": "head.hm"}).content.decode()
    assert "1979" in by_head and "Phường Định Công" not in by_head
    by_setup = client.get(reverse("core:audit"), {"user": "command:test-setup"}).content.decode()
    assert "Phường Định Công" in by_setup and "1979" not in by_setup
    outside = client.get(
        reverse("core:audit"), {"unit": world.phucxa.code}, headers={"Accept-Language": "en"}
    )
    html = outside.content.decode()
    assert f"No unit with the code “{world.phucxa.code}”" in html and "Trần Thị Lan" not in html
