import datetime
import json

import pytest
from django.utils import timezone, translation

from kycuong.accounts.models import ApiToken
from kycuong.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def obtain(client, username, password, **extra):
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password, **extra}),
        content_type="application/json",
    )


def test_obtain_token_and_use_it(world, client, password):
    response = obtain(client, "staff.hl", password, name="script")
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert token.startswith("kc_") and body["details"]["name"] == "script"
    stored = ApiToken.objects.get(pk=body["details"]["id"])
    assert token.split("_", 2)[2] not in stored.token_hash  # only a hash is kept
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "staff.hl"
    assert [(g["role"], g["unit_name"], g["include_descendants"]) for g in me["grants"]] == [
        ("unit_staff", "Phường Hoàng Liệt", False)
    ]
    assert AuditRecord.objects.filter(
        object_type="accounts.apitoken", object_id=str(stored.pk), action="create"
    ).exists()


def test_wrong_password_is_a_localised_401_problem(world, client):
    response = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "staff.hl", "password": "nope"}),
        content_type="application/json",
        headers={"Accept-Language": "vi"},
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    with translation.override("vi"):
        expected = translation.gettext("The username or password is not correct.")
    assert expected != "The username or password is not correct."  # the Vietnamese catalogue is compiled
    assert response.json()["title"] == expected
    assert not ApiToken.objects.exists()


def test_inactive_user_cannot_obtain_a_token(world, client, password):
    user = world.user("hoangliet_staff")
    user.is_active = False
    user.save()
    assert obtain(client, "staff.hl", password).status_code == 401


@pytest.mark.parametrize("state", ["revoked", "expired", "garbage"])
def test_unusable_tokens_are_refused(world, api_client, client, state):
    from kycuong.accounts.services import api_token_create, api_token_revoke

    user = world.user("hoangliet_staff")
    token, plain = api_token_create(actor=user, name="t")
    if state == "revoked":
        api_token_revoke(actor=user, token=token)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    else:
        plain = plain[:-4] + "AAAA"
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


def test_tokens_are_listed_created_and_revoked_by_their_owner_only(world, api_client):
    owner = api_client(world.user("hoangliet_staff"))
    other = api_client(world.user("phucxa_staff"))
    created = owner.post(
        "/api/v1/me/tokens", data=json.dumps({"name": "báo cáo", "days": 30}), content_type="application/json"
    )
    assert created.status_code == 201
    token_id = created.json()["details"]["id"]
    names = [t["name"] for t in owner.get("/api/v1/me/tokens").json()]
    assert "báo cáo" in names
    assert all(t["name"] != "báo cáo" for t in other.get("/api/v1/me/tokens").json())
    before = AuditRecord.objects.count()
    assert other.delete(f"/api/v1/me/tokens/{token_id}").status_code == 404
    assert AuditRecord.objects.count() == before
    assert ApiToken.objects.get(pk=token_id).revoked_at is None
    revoked = owner.delete(f"/api/v1/me/tokens/{token_id}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert AuditRecord.objects.filter(
        object_type="accounts.apitoken", object_id=str(token_id), action="update"
    ).exists()


def test_token_validity_is_bounded(world, api_client):
    client = api_client(world.user("hoangliet_staff"))
    for days in (0, 400):
        response = client.post(
            "/api/v1/me/tokens", data=json.dumps({"name": "x", "days": days}), content_type="application/json"
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "days"


def test_session_authenticated_api_needs_csrf_for_writes(world, client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.user("hoangliet_staff"))
    assert strict.get("/api/v1/me").status_code == 200
    response = strict.post(
        "/api/v1/me/tokens", data=json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert not ApiToken.objects.filter(name="x").exists()
