"""Hand-over of open work when units are reorganised.

The organisation may not import the apps that keep records per unit (they sit to its right), so each of
them registers, from its AppConfig.ready(), a module `kycuong/<app>/handover.py` whose `HANDLERS` list holds
objects with this interface:

- `key` ("tasks.task") and `label` (translatable, plural: "Open tasks");
- `open_counts(unit_ids) -> {unit_id: count}`: the open records per unit, for the preview;
- `open_records(unit_ids, limit) -> [OpenRecord]`: open records to choose a successor for (splits);
- `move(*, actor, moves, note)`: hand records over, `moves` being (record id, from unit id, to unit id)
  triples; writes one audit record per record, in the caller's transaction. Undo calls it with the
  triples reversed.

The accounts app registers, the same way, a module whose `GRANT_CARRIER` carries grants over to successors:
`grants_on(unit_ids) -> [GrantInfo]`, `create(*, actor, user_id, role_code, unit_id, include_descendants,
valid_from) -> grant id` and `remove(*, actor, grant_id)`.

A module may also list `COMPARABLE` sources: figures of a unit's subtree over a period, which the "comparable"
view maps onto today's units through the shares of the reorganisations (selectors.comparable_figures).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_MODULES: list[str] = []


@dataclass(frozen=True)
class OpenRecord:
    id: int
    unit_id: int
    label: str


@dataclass(frozen=True)
class GrantInfo:
    id: int
    user_id: int
    username: str
    role_code: str
    unit_id: int
    include_descendants: bool


class HandoverHandler(Protocol):
    key: str
    label: str

    def open_counts(self, unit_ids: list[int]) -> dict[int, int]: ...

    def open_records(self, unit_ids: list[int], limit: int) -> list[OpenRecord]: ...

    def move(self, *, actor, moves: list[tuple[int, int, int]], note: str) -> None: ...


class GrantCarrier(Protocol):
    def grants_on(self, unit_ids: list[int]) -> list[GrantInfo]: ...

    def create(
        self,
        *,
        actor,
        user_id: int,
        role_code: str,
        unit_id: int,
        include_descendants: bool,
        valid_from: datetime.date,
    ) -> int: ...

    def remove(self, *, actor, grant_id: int) -> None: ...


@dataclass(frozen=True)
class ComparableSource:
    key: str
    label: str
    # (figure key, translatable label) in the order shown
    columns: list[tuple[str, str]]
    # figures(actor=, unit_id=, date_from=, date_to=) -> {figure key: int}, the unit with its sub-units
    figures: Callable[..., dict[str, int]]


def comparable_sources() -> list[ComparableSource]:
    found: list[ComparableSource] = []
    for path in _MODULES:
        found += list(getattr(import_module(path), "COMPARABLE", []))
    return found


def refusal(reason: str) -> ValidationError:
    """The errors handlers raise, worded (and translated) once here: "record_changed", "role_missing",
    "grant_exists"."""
    messages = {
        "record_changed": _("A record changed its unit in the meantime: nothing was moved."),
        "role_missing": _("The role of a grant no longer exists."),
        "grant_exists": _("The user already holds this role in this unit."),
    }
    return ValidationError(messages[reason])


def register_handover(module_path: str) -> None:
    """Called from an AppConfig.ready(): `register_handover("kycuong.tasks.handover")`."""
    if module_path not in _MODULES:
        _MODULES.append(module_path)


def handlers() -> list[HandoverHandler]:
    found: list[HandoverHandler] = []
    for path in _MODULES:
        found += list(getattr(import_module(path), "HANDLERS", []))
    return sorted(found, key=lambda handler: handler.key)


def handler_for(key: str) -> HandoverHandler | None:
    return next((handler for handler in handlers() if handler.key == key), None)


def grant_carrier() -> GrantCarrier | None:
    for path in _MODULES:
        carrier = getattr(import_module(path), "GRANT_CARRIER", None)
        if carrier is not None:
            return carrier
    return None


class UnitFieldHandover:
    """A handler for records whose unit is one foreign key and that are open under a condition: it counts,
    lists and moves them by that field, one audit record per record (`hand_over`, before and after).

    `after_move(instance, from_unit_id)` lets an app keep its own pre-aggregates in step.
    """

    def __init__(self, *, key: str, label, model, field: str, open_filter, label_field: str, after_move=None):
        self.key = key
        self.label = label
        self.model = model
        self.field = field
        self.column = f"{field}_id"
        self.open_filter = open_filter
        self.label_field = label_field
        self.after_move = after_move

    def _open(self, unit_ids: list[int]):
        return self.model.objects.filter(self.open_filter, **{f"{self.column}__in": unit_ids})

    def open_counts(self, unit_ids: list[int]) -> dict[int, int]:
        from django.db.models import Count

        rows = self._open(unit_ids).order_by().values(self.column).annotate(total=Count("pk"))
        return {row[self.column]: row["total"] for row in rows}

    def open_records(self, unit_ids: list[int], limit: int | None) -> list[OpenRecord]:
        rows = self._open(unit_ids).order_by("pk").values_list("pk", self.column, self.label_field)
        if limit is not None:
            rows = rows[:limit]
        return [OpenRecord(id=pk, unit_id=unit_id, label=str(text)[:200]) for pk, unit_id, text in rows]

    def move(self, *, actor, moves: list[tuple[int, int, int]], note: str) -> None:
        from kycuong.core.audit import audit_write, entry_for

        objects = self.model.objects.select_for_update().in_bulk([record_id for record_id, _f, _t in moves])
        entries = []
        for record_id, from_unit, to_unit in moves:
            instance = objects.get(record_id)
            if instance is None or getattr(instance, self.column) != from_unit:
                raise refusal("record_changed")
            setattr(instance, self.column, to_unit)
            instance.save(update_fields=[self.field])
            if self.after_move is not None:
                self.after_move(instance, from_unit)
            entries.append(
                entry_for(
                    instance,
                    "hand_over",
                    before={self.column: from_unit},
                    after={self.column: to_unit, "note": note},
                )
            )
        audit_write(actor=actor, entries=entries)
