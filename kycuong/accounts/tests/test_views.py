import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

from kycuong.accounts.models import ApiToken
from kycuong.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_production_hasher_is_argon2():
    import kycuong.settings as product_settings

    assert product_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AUTH_USER_MODEL == "accounts.User"


def test_login_page_logs_in_and_audits_the_login(world, client, password):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200 and b'autocomplete="current-password"' in page.content
    response = client.post(reverse("accounts:login"), {"username": "staff.hl", "password": password})
    assert response.status_code == 302 and response.url == reverse("home")
    assert AuditRecord.objects.filter(action="login", actor_label="staff.hl").count() == 1


def test_wrong_password_shows_an_error_and_logs_nobody_in(world, client):
    response = client.post(
        reverse("accounts:login"),
        {"username": "staff.hl", "password": "wrong"},
        headers={"Accept-Language": "vi"},
    )
    assert response.status_code == 200
    with translation.override("vi"):
        message = translation.gettext("The username or password is not correct.")
    assert message.encode() in response.content
    assert "_auth_user_id" not in client.session


def test_tokens_page_creates_shows_once_and_revokes(world, login):
    client = login(world.user("hoangliet_staff"))
    response = client.post(reverse("accounts:tokens"), {"name": "Excel", "days": "30"})
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Excel")
    assert f"kc_{token.key_id}_".encode() in response.content
    listing = client.get(reverse("accounts:tokens"))
    assert f"kc_{token.key_id}_".encode() not in listing.content  # the secret is never shown again
    client.post(reverse("accounts:token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_refuses_bad_input_and_saves_nothing(world, login):
    client = login(world.user("hoangliet_staff"))
    response = client.post(reverse("accounts:tokens"), {"name": "", "days": "9999"})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked(world, login):
    from kycuong.accounts.services import api_token_create

    token, _ = api_token_create(actor=world.user("phucxa_staff"), name="theirs")
    client = login(world.user("hoangliet_staff"))
    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_default_roles_exist_after_migrate_and_their_creation_is_audited():
    from kycuong.accounts.models import Role
    from kycuong.accounts.roles import DEFAULT_ROLES

    # The test database was built by `migrate` alone; nothing in this test creates roles.
    assert set(Role.objects.values_list("code", flat=True)) >= set(DEFAULT_ROLES)
    head = Role.objects.get(code="unit_head")
    assert head.permissions.filter(codename="change_staff").exists()


def test_createsuperuser_and_changepassword_are_audited(db, monkeypatch):
    from django.core.management import call_command

    from kycuong.accounts.models import User

    call_command("createsuperuser", username="ops", email="ops@example.vn", interactive=False, verbosity=0)
    user = User.objects.get(username="ops")
    created = AuditRecord.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert created.action == "create" and created.actor_label == "command:createsuperuser"
    assert "password" not in created.after

    # changepassword asks twice on the terminal; answer its prompt as a person would.
    from kycuong.accounts.management.commands.changepassword import Command as ChangePassword

    monkeypatch.setattr(ChangePassword, "_get_pass", lambda self, prompt="": "a-new-long-passphrase-42")
    call_command("changepassword", "ops", verbosity=0)
    changed = AuditRecord.objects.filter(object_id=str(user.pk), action="password_change").get()
    assert changed.actor_label == "command:changepassword" and changed.after is None
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase-42")


def test_admin_password_change_is_audited(world, login):
    target = world.user("phucxa_staff")
    client = login(world.user("superuser"))
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(
        url, {"password1": "another-long-secret-77", "password2": "another-long-secret-77"}
    )
    assert response.status_code == 302
    record = AuditRecord.objects.get(object_id=str(target.pk), action="password_change")
    assert record.actor_label == "root"
