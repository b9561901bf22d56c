"""Sign-in throttling and lockout, kept in the database so that every worker process sees the same counts.

- A username with LOGIN_FAILURES_PER_ACCOUNT failures within LOGIN_LOCK_MINUTES is locked for that long
  (counted per username as typed, whether or not such an account exists, so that the answer tells an
  outsider nothing about which accounts exist).
- A client address with LOGIN_FAILURES_PER_CLIENT failures within the same window is refused for that long,
  whatever username it tries.
- Failures go on counting while locked, so an attack that keeps going stays locked out. A successful sign-in
  clears the username's failures. An administrator with `accounts.unlock_login` over every unit can unlock a
  username or an address at once; the unlock is audited.

The checks run in an authentication backend, so they hold for every password sign-in (the pages, the admin).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.access import client_address
from kycuong.core.audit import audit_write, entry_for
from kycuong.core.context import SystemActor
from kycuong.core.scoping import covers_every_unit

from .models import LoginFailure

GUARD = SystemActor("login-guard")


def _window() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)


def _normal(username: str) -> str:
    return (username or "").strip().lower()[:150]


@dataclass(frozen=True)
class Lock:
    reason: str  # "account" or "client"
    until: datetime.datetime

    @property
    def message(self) -> str:
        until = timezone.localtime(self.until).strftime("%H:%M")
        if self.reason == "client":
            return _("Too many failed sign-ins from your network address. Try again after %(time)s.") % {
                "time": until
            }
        return _(
            "This account is locked after too many failed sign-ins. Try again after %(time)s, or ask an "
            "administrator to unlock it."
        ) % {"time": until}


def _lock_from(failures, limit: int, reason: str) -> Lock | None:
    recent = failures.filter(at__gte=_window()).aggregate(count=Count("id"), last=Max("at"))
    if recent["count"] < limit:
        return None
    return Lock(reason, recent["last"] + datetime.timedelta(minutes=settings.LOGIN_LOCK_MINUTES))


def current_lock(*, username: str, client: str) -> Lock | None:
    return _lock_from(
        LoginFailure.objects.filter(client=client), settings.LOGIN_FAILURES_PER_CLIENT, "client"
    ) or _lock_from(
        LoginFailure.objects.filter(username=_normal(username)),
        settings.LOGIN_FAILURES_PER_ACCOUNT,
        "account",
    )


def login_failure_record(*, username: str, client: str) -> None:
    """Record a failure; the failure that reaches a limit writes an audit record of the lock."""
    with transaction.atomic():
        failure = LoginFailure.objects.create(username=_normal(username), client=client)
        counts = {
            "account": LoginFailure.objects.filter(username=failure.username, at__gte=_window()).count(),
            "client": LoginFailure.objects.filter(client=client, at__gte=_window()).count(),
        }
        limits = {
            "account": settings.LOGIN_FAILURES_PER_ACCOUNT,
            "client": settings.LOGIN_FAILURES_PER_CLIENT,
        }
        reached = [reason for reason in counts if counts[reason] == limits[reason]]
        if reached:
            after = {"username": failure.username, "client": client, "locked": reached}
            audit_write(actor=GUARD, entries=[entry_for(failure, "lock", after=after)])


def login_success_record(*, username: str) -> None:
    LoginFailure.objects.filter(username=_normal(username)).delete()


def login_unlock(*, actor, username: str = "", client: str = "") -> int:
    """Lift the lock of a username or of a client address; returns the number of failures cleared."""
    if not covers_every_unit(actor, "accounts.unlock_login"):
        raise PermissionDenied
    failures = LoginFailure.objects.none()
    if username:
        failures = LoginFailure.objects.filter(username=_normal(username))
    elif client:
        failures = LoginFailure.objects.filter(client=client.strip())
    with transaction.atomic():
        first = failures.order_by("at").first()
        cleared = failures.count()
        if first is not None:
            after = {"username": _normal(username), "client": client.strip(), "failures_cleared": cleared}
            audit_write(actor=actor, entries=[entry_for(first, "unlock", after=after)])
            failures.delete()
    return cleared


def locked_sign_ins() -> list[dict]:
    """Usernames and addresses locked now, for the administrators' page."""
    window = _window()
    rows = []
    for field, limit, reason in (
        ("username", settings.LOGIN_FAILURES_PER_ACCOUNT, "account"),
        ("client", settings.LOGIN_FAILURES_PER_CLIENT, "client"),
    ):
        grouped = (
            LoginFailure.objects.filter(at__gte=window)
            .values(field)
            .annotate(count=Count("id"), last=Max("at"))
            .filter(count__gte=limit)
            .order_by("-last")
        )
        for row in grouped:
            until = row["last"] + datetime.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
            rows.append({"reason": reason, "key": row[field], "failures": row["count"], "until": until})
    return rows


class GuardedModelBackend(ModelBackend):
    """Username and password, refused while the username or the client address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and current_lock(username=username or "", client=client_address(request)):
            raise PermissionDenied  # stops authentication; Django then sends user_login_failed
        return super().authenticate(request, username=username, password=password, **kwargs)
