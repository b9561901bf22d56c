"""Optimistic locking: a record carries a `version`, raised by every change. A page or an API client sends
back the version it showed; a service that finds another one refuses the change with EditConflict, so that
the second of two people editing the same record never overwrites the first one's work unknowingly.

Callers opt in by setting `expected_version` on the instance they pass to the service (from a hidden form
field, or from the API's If-Match header); services that hold a row lock compare it with the locked row.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class EditConflict(ValidationError):
    """The record changed after the user read it. Pages show the message; the API answers 409."""


def check_version(current, seen) -> None:
    expected = getattr(seen, "expected_version", None)
    if expected is not None and expected != current.version:
        raise EditConflict(
            _(
                "Someone else changed this record while you were working on it. Nothing of yours was saved; "
                "reload the page to see the record as it is now, then make your change again."
            ),
            code="conflict",
        )


def expected_version_from(value) -> int | None:
    """The version a client sent back (a form field, or an If-Match header, quoted or not)."""
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        return None
