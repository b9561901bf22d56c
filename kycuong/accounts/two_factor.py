"""Two-step sign-in with a time-based code (TOTP, RFC 6238) from an authenticator app, through django-otp.

Whoever has a confirmed device enters a code after the password. Holders of the roles listed in
TWO_FACTOR_REQUIRED_ROLES (by default administrators, leaders, heads of units and inspectors; superusers
count as administrators) must set one up before they can do anything else. A session that has not passed
the second step reaches only the two-step pages, the log-out and the public pages; the API does not accept
such a session either (bearer tokens are created from a verified session).

Wrong codes slow down: django-otp doubles the wait after each failure (OTP_TOTP_THROTTLE_FACTOR).
"""

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kycuong.core.audit import audit_event
from kycuong.core.scoping import covers_every_unit

from .models import Grant, User

DEVICE_NAME = "authenticator"


def two_factor_required(user) -> bool:
    roles = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    if not roles or not getattr(user, "is_authenticated", False) or not hasattr(user, "grants"):
        return False
    if user.is_superuser and "system_admin" in roles:
        return True
    return Grant.objects.active().filter(user=user, role__code__in=roles).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def needs_second_step(request) -> bool:
    """Signed in with a password, but the second step is still owed (set up, or enter the code)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "is_verified"):
        return False
    if user.is_verified():
        return False
    return confirmed_device(user) is not None or two_factor_required(user)


def device_start(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed device with a fresh secret, replacing any earlier unconfirmed one."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)


def device_confirm(*, actor: User, request, token: str) -> TOTPDevice:
    """The first code from the app proves it holds the secret: the device is confirmed, the session too."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        raise ValidationError({"token": _("Start the set-up again: no pending authenticator was found.")})
    if not device.verify_token(token.strip()):
        raise ValidationError(
            {"token": _("The code is not correct. Check the time on your phone and try again.")}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_event(actor=actor, action="two_factor_enabled", instance=actor)
    otp_login(request, device)
    return device


def second_step_verify(*, request, token: str) -> None:
    device = confirmed_device(request.user)
    if device is None:
        raise ValidationError({"token": _("No authenticator is set up for this account.")})
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = details.get("locked_until") if details else None
        if wait:
            seconds = max(1, int((wait - timezone.now()).total_seconds()))
            raise ValidationError(
                {
                    "token": _("Too many wrong codes. Wait %(seconds)s seconds and try again.")
                    % {"seconds": seconds}
                }
            )
        raise ValidationError({"token": _("Too many wrong codes. Wait a moment and try again.")})
    if not device.verify_token(token.strip()):
        raise ValidationError(
            {"token": _("The code is not correct. Check the time on your phone and try again.")}
        )
    otp_login(request, device)


def two_factor_disable(*, actor: User) -> None:
    if two_factor_required(actor):
        raise PermissionDenied(_("Your role requires two-step sign-in; it cannot be switched off."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        audit_event(actor=actor, action="two_factor_disabled", instance=actor)


def two_factor_reset(*, actor, user: User) -> int:
    """A city-wide administrator removes someone's authenticator (a lost phone); they set up a new one at
    their next sign-in."""
    if not covers_every_unit(actor, "accounts.unlock_login"):
        raise PermissionDenied
    with transaction.atomic():
        removed, _details = TOTPDevice.objects.filter(user=user).delete()
        audit_event(
            actor=actor, action="two_factor_reset", instance=user, details={"devices_removed": removed}
        )
    return removed


def qr_svg(device: TOTPDevice) -> str:
    """The set-up QR code as inline SVG (no script, no external request)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("Set-up code"))


EXEMPT_PREFIXES = ("/static/", "/healthz", "/readyz", "/i18n/", "/logout/", "/account/two-factor/")


class SecondStepMiddleware:
    """Sends a session that still owes the second step to it, whatever page it asks for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES) and needs_second_step(request):
            if request.path.startswith("/api/"):
                return self.get_response(request)  # the API's session auth refuses it (accounts.auth)
            target = (
                "accounts:two-factor-verify"
                if confirmed_device(request.user)
                else "accounts:two-factor-setup"
            )
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
