"""Sign-in throttling per username and per client address, its lifting, and the audited unlock."""

import datetime

import pytest
from django.test import Client

from kycuong.accounts.models import LoginFailure, Role
from kycuong.accounts.services import grant_create
from kycuong.core.context import SystemActor
from kycuong.core.models import AuditRecord

HOME = "203.0.113.10"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def english(settings):
    """The pages answer in English here (no Accept-Language: the default language), so messages read as
    written in the code."""
    settings.LANGUAGE_CODE = "en"


def sign_in(username: str, password: str, address: str = HOME, path: str = "/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def city_admin(world):
    """A system administrator over the whole city: may unlock sign-ins."""
    from kycuong.accounts.services import user_create

    admin = user_create(actor=SystemActor("test"), username="admin.city", password="another-long-passphrase")
    grant_create(
        actor=SystemActor("test"), user=admin, role=Role.objects.get(code="system_admin"), unit=world.city
    )
    return admin


def test_five_failures_lock_the_username_even_for_the_right_password(world, password):
    for _attempt in range(5):
        assert not signed_in(sign_in("head.hm", "wrong password"))
    refused = sign_in("head.hm", password)
    assert not signed_in(refused)
    assert "locked after too many failed sign-ins" in refused.content.decode()
    locks = AuditRecord.objects.filter(object_type="accounts.loginfailure", action="lock")
    assert locks.count() == 1
    assert locks.get().after["username"] == "head.hm"
    # Another person signs in normally meanwhile.
    assert signed_in(sign_in("head.bd", password))


def test_an_unknown_username_is_answered_exactly_like_a_known_one(world):
    for _attempt in range(5):
        sign_in("khong.ton.tai", "x")
    known = [sign_in("head.hm", "x") for _attempt in range(5)][-1]
    unknown = sign_in("khong.ton.tai", "x")
    assert known.status_code == unknown.status_code == 200
    sixth_known = sign_in("head.hm", "x").content.decode()
    assert "locked after too many failed sign-ins" in sixth_known
    assert "locked after too many failed sign-ins" in unknown.content.decode()


def test_success_clears_the_count(world, password):
    for _attempt in range(4):
        sign_in("head.hm", "wrong")
    assert signed_in(sign_in("head.hm", password))
    for _attempt in range(4):
        sign_in("head.hm", "wrong")
    assert signed_in(sign_in("head.hm", password))


def test_an_address_that_keeps_failing_is_throttled_for_every_username(world, password):
    for attempt in range(20):
        sign_in(f"guess{attempt}", "x")
    refused = sign_in("head.bd", password)
    assert not signed_in(refused)
    assert "from your network address" in refused.content.decode()
    assert signed_in(sign_in("head.bd", password, address=ELSEWHERE))


def test_the_lock_lifts_by_itself_after_the_lock_time(world, password, settings):
    for _attempt in range(5):
        sign_in("head.hm", "wrong")
    assert not signed_in(sign_in("head.hm", password))
    LoginFailure.objects.update(at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))
    assert signed_in(sign_in("head.hm", password))


def test_the_admin_sign_in_is_guarded_too(world, password):
    for _attempt in range(5):
        sign_in("root", "wrong", path="/admin/login/")
    refused = sign_in("root", password, path="/admin/login/")
    assert "_auth_user_id" not in refused.client.session


def test_a_city_administrator_unlocks_and_the_unlock_is_audited(world, password, city_admin, login):
    for _attempt in range(5):
        sign_in("head.bd", "wrong")
    # A district head may not see or use the page.
    district = login(world.user("hoangmai_head"))
    assert district.get("/account/sign-in-locks/").status_code == 404
    assert district.post("/account/sign-in-locks/", {"username": "head.bd"}).status_code == 404
    assert LoginFailure.objects.filter(username="head.bd").count() == 5
    admin = login(city_admin)
    page = admin.get("/account/sign-in-locks/")
    assert "head.bd" in page.content.decode()
    assert admin.post("/account/sign-in-locks/", {"username": "head.bd"}).status_code == 302
    unlock = AuditRecord.objects.get(object_type="accounts.loginfailure", action="unlock")
    assert (unlock.actor_label, unlock.after["failures_cleared"]) == ("admin.city", 5)
    assert signed_in(sign_in("head.bd", password))


def test_anonymous_users_cannot_reach_the_unlock_page(world):
    response = Client().get("/account/sign-in-locks/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
