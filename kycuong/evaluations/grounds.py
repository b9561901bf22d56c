"""Grounds that force "not completed" whatever the score (a discipline decision in the period, ...).

Other apps register a ground from their AppConfig.ready(), so that this app never imports them:

    from kycuong.evaluations.grounds import register_ground
    register_ground("discipline", _("Disciplined in the period"), grounds_from_decisions)

The function is called once per computation with every staff member and unit evaluated:

    function(*, staff_ids, unit_ids, start, end) -> {("staff", id) or ("unit", id): reason}

A method lists the codes of the grounds that apply to it in its rules (`"grounds": ["discipline"]`); a code
that no app has registered is shown on the evaluation as not checked.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

GroundFunction = Callable[..., dict[tuple[str, int], str]]


@dataclass(frozen=True)
class Ground:
    code: str
    label: str
    function: GroundFunction


_GROUNDS: dict[str, Ground] = {}


def register_ground(code: str, label, function: GroundFunction) -> None:
    _GROUNDS[code] = Ground(code, label, function)


def unregister_ground(code: str) -> None:
    _GROUNDS.pop(code, None)


def registered_grounds() -> dict[str, Ground]:
    return dict(_GROUNDS)


def find_grounds(
    codes: Iterable[str],
    *,
    staff_ids: list[int],
    unit_ids: list[int],
    start: datetime.date,
    end: datetime.date,
) -> tuple[dict[tuple[str, int], list[str]], list[str]]:
    """The reasons found per subject, and the codes that could not be checked (not registered)."""
    found: dict[tuple[str, int], list[str]] = {}
    missing = []
    for code in codes:
        ground = _GROUNDS.get(code)
        if ground is None:
            missing.append(code)
            continue
        result = ground.function(staff_ids=staff_ids, unit_ids=unit_ids, start=start, end=end)
        for key, reason in result.items():
            found.setdefault(key, []).append(f"{ground.label}: {reason}")
    return found, missing
