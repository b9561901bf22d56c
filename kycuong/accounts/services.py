"""Writes to accounts: users, grants and API tokens, each scoped and audited."""

import datetime
import hmac

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_created, audit_event, audit_updated, audit_write, entry_for, snapshot
from kycuong.core.context import SystemActor
from kycuong.core.scoping import require
from kycuong.org.models import Staff, Unit

from .models import ApiToken, Grant, Role, User, hash_token_secret
from .roles import default_roles

MAX_TOKEN_DAYS = 366


ROLES_ACTOR = SystemActor("roles-sync", kind="command")


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def roles_sync() -> list[Role]:
    """Create missing default roles, and give existing ones the default permissions newer versions added.

    A permission an administrator removed from a role is not given back: each role remembers which defaults
    it has been offered (`defaults_applied`).
    """
    changed = []
    with transaction.atomic():
        for code, spec in default_roles().items():
            role = Role.objects.filter(code=code).first()
            if role is None:
                role = Role.objects.create(code=code, name=spec["name"], name_en=spec["name_en"])
                new = sorted(set(spec["permissions"]))
                action, before = "create", None
            else:
                new = sorted(set(spec["permissions"]) - set(role.defaults_applied))
                action, before = "permissions", {"defaults_applied": role.defaults_applied}
            if not new and action != "create":
                continue
            role.permissions.add(*[_permission(name) for name in new])
            role.defaults_applied = sorted({*role.defaults_applied, *new})
            role.save(update_fields=["defaults_applied"])
            entry = entry_for(role, action, before=before, after={"permissions_added": sorted(new)})
            audit_write(actor=ROLES_ACTOR, entries=[entry])
            changed.append(role)
    return changed


def user_create(
    *,
    actor,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    staff: Staff | None = None,
    is_superuser: bool = False,
) -> User:
    # An account for a person needs the right over their unit; one for nobody in particular, full authority.
    require(actor, "org.change_staff" if staff else "accounts.add_grant", staff.unit_id if staff else None)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        staff=staff,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.full_clean(exclude=["password"])
        user.save()
        audit_created(actor=actor, instance=user)
    return user


def grant_create(
    *,
    actor,
    user: User,
    role: Role,
    unit: Unit,
    include_descendants: bool = True,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> Grant:
    require(actor, "accounts.add_grant", unit.pk)
    grant = Grant(
        user=user,
        role=role,
        unit=unit,
        include_descendants=include_descendants,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    with transaction.atomic():
        grant.full_clean()
        grant.save()
        audit_created(actor=actor, instance=grant)
    return grant


def grant_end(*, actor, grant: Grant, valid_to: datetime.date | None = None) -> Grant:
    require(actor, "accounts.change_grant", grant.unit_id)
    with transaction.atomic():
        before = snapshot(grant)
        grant.valid_to = valid_to or timezone.localdate()
        grant.full_clean()
        grant.save(update_fields=["valid_to"])
        audit_updated(actor=actor, instance=grant, before=before)
    return grant


def api_token_create(*, actor: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for the actor; the plain token is returned once and never stored."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    errors = {}
    if not name or not name.strip():
        errors["name"] = _("Give the token a name.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = _("A token is valid for 1 to %(max)d days.") % {"max": MAX_TOKEN_DAYS}
    if errors:
        raise ValidationError(errors)
    key_id, secret, plain = ApiToken.new_secret()
    token = ApiToken(
        user=actor,
        name=name.strip()[:100],
        key_id=key_id,
        token_hash=hash_token_secret(secret),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    with transaction.atomic():
        token.save()
        audit_created(actor=actor, instance=token)
    return token, plain


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        raise ValidationError(_("Only the owner can revoke a token."))
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        before = snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_updated(actor=actor, instance=token, before=before)
    return token


def api_token_authenticate(plain: str) -> User | None:
    """The user behind a bearer token, or None for an unknown, revoked or expired one."""
    if not plain.startswith("kc_") or plain.count("_") < 2:
        return None
    key_id, _sep, secret = plain[3:].partition("_")
    token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
    if token is None or not token.is_usable():
        return None
    if not hmac.compare_digest(token.token_hash, hash_token_secret(secret)):
        return None
    now = timezone.now()
    # Last use is bookkeeping, not a change of anyone's data: updated at most once a minute, not audited.
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def user_logged_in_record(*, user: User) -> None:
    with transaction.atomic():
        audit_event(actor=user, action="login", instance=user)
