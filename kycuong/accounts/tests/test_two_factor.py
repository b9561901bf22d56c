"""Two-step sign-in: required for the roles that need it, a code from a real TOTP computation, audited."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kycuong.core.models import AuditRecord

pytestmark = pytest.mark.two_factor


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or `offset_steps` periods later)."""

    return (
        f"{totp(device.bin_key, step=device.step, t0=device.t0 - offset_steps * device.step, digits=6):06d}"
    )


def clear_backoff(device: TOTPDevice) -> None:
    """A wrong code starts django-otp's back-off; tests that go on at once skip the wait."""
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


def password_sign_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302
    return client


def test_a_leader_must_set_it_up_before_anything_else(world, password):
    client = password_sign_in("head.hm", password)
    home = client.get("/tasks/")
    assert home.status_code == 302
    assert home["Location"].startswith("/account/two-factor/setup/")
    assert parse_qs(urlsplit(home["Location"]).query)["next"] == ["/tasks/"]
    # The API does not take the half-signed-in session either.
    assert client.get("/api/v1/units").status_code == 401

    setup = client.get("/account/two-factor/setup/")
    assert setup.status_code == 200
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=world.user("hoangmai_head"), confirmed=False)
    wrong = client.post("/account/two-factor/setup/", {"token": "000000"})
    assert wrong.status_code == 422
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    clear_backoff(device)
    done = client.post("/account/two-factor/setup/", {"token": code_for(device), "next": "/tasks/"})
    assert done.status_code == 302 and done["Location"] == "/tasks/"
    assert client.get("/tasks/").status_code == 200
    assert AuditRecord.objects.filter(action="two_factor_enabled", actor_label="head.hm").exists()


def test_the_next_sign_in_asks_for_the_code(world, password):
    user = world.user("hoangmai_head")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = password_sign_in("head.hm", password)
    assert client.get("/").headers["Location"].startswith("/account/two-factor/verify/")
    refused = client.post("/account/two-factor/verify/", {"token": "123456"})
    assert refused.status_code == 422
    assert client.get("/").status_code == 302
    clear_backoff(device)
    accepted = client.post("/account/two-factor/verify/", {"token": code_for(device)})
    assert accepted.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/units").status_code == 200


def test_wrong_codes_slow_down(world, password):
    device = TOTPDevice.objects.create(user=world.user("hoangmai_head"), name="authenticator", confirmed=True)
    client = password_sign_in("head.hm", password)
    client.post("/account/two-factor/verify/", {"token": "111111"})
    # Even the right code is refused during the back-off that the wrong one started.
    blocked = client.post("/account/two-factor/verify/", {"token": code_for(device)})
    assert blocked.status_code == 422
    assert "Wait" in blocked.content.decode() or "Chờ" in blocked.content.decode()


def test_staff_without_a_required_role_may_go_without(world, password):
    client = password_sign_in("staff.hl", password)
    assert client.get("/tasks/").status_code == 200


def test_a_required_role_cannot_switch_it_off_but_others_can(world, password, login):
    leader = world.user("hoangmai_head")
    TOTPDevice.objects.create(user=leader, name="authenticator", confirmed=True)
    client = password_sign_in("head.hm", password)
    device = TOTPDevice.objects.get(user=leader)
    client.post("/account/two-factor/verify/", {"token": code_for(device)})
    client.post("/account/two-factor/disable/")
    assert TOTPDevice.objects.filter(user=leader).exists()

    staff = world.user("hoangliet_staff")
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    client = password_sign_in("staff.hl", password)
    client.post("/account/two-factor/verify/", {"token": code_for(TOTPDevice.objects.get(user=staff))})
    client.post("/account/two-factor/disable/")
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert AuditRecord.objects.filter(action="two_factor_disabled", actor_label="staff.hl").exists()


def test_only_a_city_wide_administrator_resets_someone_elses(world, password, settings):
    from django_otp import DEVICE_ID_SESSION_KEY

    leader = world.user("hoangmai_head")
    TOTPDevice.objects.create(user=leader, name="authenticator", confirmed=True)
    settings.TWO_FACTOR_REQUIRED_ROLES = []  # the two administrators below sign in with force_login
    district = Client()
    district.force_login(world.user("badinh_head"))
    assert district.post("/account/sign-in-locks/", {"reset_two_factor": "head.hm"}).status_code == 404
    assert TOTPDevice.objects.filter(user=leader).exists()
    root = Client()
    root.force_login(world.user("superuser"))
    assert DEVICE_ID_SESSION_KEY not in root.session
    assert root.post("/account/sign-in-locks/", {"reset_two_factor": "head.hm"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=leader).exists()
    reset = AuditRecord.objects.get(action="two_factor_reset")
    assert (reset.actor_label, reset.object_id) == ("root", str(leader.pk))


def test_an_open_redirect_is_not_followed(world, password):
    device = TOTPDevice.objects.create(user=world.user("hoangmai_head"), name="authenticator", confirmed=True)
    client = password_sign_in("head.hm", password)
    response = client.post(
        "/account/two-factor/verify/", {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
