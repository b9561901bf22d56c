"""Containing abuse of the public form: rate limits per client and per service point, repeats, a honeypot.

Counters live in Django's cache (fixed windows). The default cache (LocMemCache) is per process: with
several gunicorn workers each counts on its own, so the effective limit is the limit times the number of
workers. A shared cache (Redis, `django.core.cache.backends.redis.RedisCache`) makes the limits exact across
processes and machines.

Limits are "count/seconds" strings, read at every request from the settings or, failing that, from the
environment: SATISFACTION_RATE_PER_CLIENT (default 20/3600), SATISFACTION_RATE_PER_SERVICE_POINT (default
600/3600), SATISFACTION_REPEAT_SECONDS (default 600). "off" (or 0) switches a limit off, as the benchmark
does. SATISFACTION_RATE_EXEMPT_ADDRESSES lists client addresses that are not limited (a kiosk's address).
The client address is REMOTE_ADDR, or the last address of X-Forwarded-For when SATISFACTION_BEHIND_PROXY is
set (the proxy in front appends the address it saw; earlier entries are the client's to forge).
"""

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from kycuong.core.access import client_address as core_client_address

DEFAULTS = {
    "SATISFACTION_RATE_PER_CLIENT": "20/3600",
    "SATISFACTION_RATE_PER_SERVICE_POINT": "600/3600",
    "SATISFACTION_REPEAT_SECONDS": "600",
    "SATISFACTION_RATE_EXEMPT_ADDRESSES": "",
    "SATISFACTION_BEHIND_PROXY": "",
}
HONEYPOT_FIELD = "website"


def _setting(name: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, DEFAULTS[name])
    return str(value).strip()


def _rate(name: str) -> tuple[int, int] | None:
    value = _setting(name).lower()
    if value in ("", "0", "off", "none"):
        return None
    count, _slash, seconds = value.partition("/")
    return int(count), int(seconds or 60)


@dataclass
class Refused(Exception):
    """A submission that is not accepted; nothing is stored. `status` is the HTTP status to answer with."""

    message: str
    status: int


def client_address(request) -> str:
    proxy = _setting("SATISFACTION_BEHIND_PROXY").lower() in ("1", "true", "yes", "on")
    return core_client_address(request, behind_proxy=proxy or settings.BEHIND_PROXY)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]


def _window_key(kind: str, subject: str, seconds: int) -> str:
    return f"satisfaction:rate:{kind}:{_digest(subject)}:{int(time.time() // seconds)}"


def _limits(client: str, service_point_id: int) -> list[tuple[str, int, int]]:
    limits = []
    exempt = {a.strip() for a in _setting("SATISFACTION_RATE_EXEMPT_ADDRESSES").split(",") if a.strip()}
    per_client = _rate("SATISFACTION_RATE_PER_CLIENT")
    if per_client and client not in exempt:
        limits.append((_window_key("client", client, per_client[1]), *per_client))
    per_point = _rate("SATISFACTION_RATE_PER_SERVICE_POINT")
    if per_point:
        limits.append((_window_key("point", str(service_point_id), per_point[1]), *per_point))
    return limits


def repeat_key(client: str, service_point_id: int, scores: Mapping, comment: str, receipt_code: str) -> str:
    answers = sorted((str(key), str(value)) for key, value in scores.items() if value not in (None, ""))
    text = " ".join(comment.lower().split())
    return "satisfaction:repeat:" + _digest(client, service_point_id, answers, text, receipt_code.upper())


def check(*, honeypot: str, client: str, service_point_id: int, repeat: str) -> None:
    """Raise Refused if the submission must not be stored. Nothing is counted here."""
    if honeypot:
        raise Refused(_("Your rating could not be accepted. Please try again."), 400)
    for key, limit, _seconds in _limits(client, service_point_id):
        if (cache.get(key) or 0) >= limit:
            raise Refused(
                _("Too many ratings have been sent from here in a short time. Please try again later."), 429
            )
    if _rate_seconds("SATISFACTION_REPEAT_SECONDS") and cache.get(repeat):
        raise Refused(_("This rating has just been received; it is not counted twice."), 409)


def _rate_seconds(name: str) -> int:
    value = _setting(name).lower()
    return 0 if value in ("", "off", "none") else int(value)


def accepted(*, client: str, service_point_id: int, repeat: str) -> None:
    """Count an accepted submission against the limits and remember it to catch a repeat."""
    for key, _limit, seconds in _limits(client, service_point_id):
        if not cache.add(key, 1, timeout=seconds + 1):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=seconds + 1)
    seconds = _rate_seconds("SATISFACTION_REPEAT_SECONDS")
    if seconds:
        cache.set(repeat, 1, timeout=seconds)
