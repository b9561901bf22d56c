"""Everything the product holds about one person (a staff member), gathered from every app for an export:
the right of a person to see their data, and the administrator's duty to answer it.

An app that holds personal data has a module `personal_data.py` with a function `collect(staff)` that returns
a dict of sections, each a list of plain dicts (dates, datetimes and decimals are written as text). A new app
is included by adding the module: nothing else to register. The export itself is written to the audit log.
"""

import datetime
import importlib
import importlib.util
import json
from decimal import Decimal

from django.apps import apps
from django.utils import timezone


def providers() -> dict[str, object]:
    """App label → its collect function, for every app with a personal_data module."""
    found = {}
    for config in apps.get_app_configs():
        name = f"{config.name}.personal_data"
        if importlib.util.find_spec(name) is not None:
            found[config.label] = importlib.import_module(name).collect
    return found


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-ready")


def personal_data_export(*, actor, staff) -> bytes:
    """The person's data as UTF-8 JSON. The caller has checked that the actor may manage this person; the
    export is audited here."""
    from .audit import audit_event

    document = {
        "exported_at": timezone.now().isoformat(),
        "person": {"id": staff.pk, "full_name": staff.full_name},
        "sections": {app: collect(staff) for app, collect in sorted(providers().items())},
    }
    audit_event(
        actor=actor,
        action="personal_data_export",
        instance=staff,
        details={"apps": sorted(document["sections"])},
    )
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain).encode()
