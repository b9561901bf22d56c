"""Helpers that entity services build on (validate, save and audit in one transaction); calendar services."""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import audit_created, audit_deleted, audit_updated, snapshot
from .models import CalendarDay
from .scoping import require


def reject_unknown_fields(changes: Mapping[str, Any], editable: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})


def create_audited(*, actor, instance: models.Model, exclude_validation: Iterable[str] = ()) -> models.Model:
    with transaction.atomic():
        instance.full_clean(exclude=list(exclude_validation))
        instance.save()
        audit_created(actor=actor, instance=instance)
    return instance


def update_audited(
    *, actor, instance: models.Model, changes: Mapping[str, Any], editable: Iterable[str]
) -> models.Model:
    """Apply `changes` (only fields listed in `editable`), validate, save, and audit before/after."""
    reject_unknown_fields(changes, editable)
    with transaction.atomic():
        before = snapshot(instance)
        for name, value in changes.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        audit_updated(actor=actor, instance=instance, before=before)
    return instance


CALENDAR_DAY_EDITABLE = ("is_working_day", "name", "legal_basis")


def calendar_day_set(
    *, actor, day: datetime.date, is_working_day: bool, name: str, legal_basis: str = ""
) -> CalendarDay:
    """Record an announced day off or make-up working day, or change the one recorded for `day`."""
    # The calendar is the whole country's: no unit grant covers it, only system authority.
    require(actor, "core.change_calendarday", None)
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(day=day).first()
        if existing is None:
            calendar_day = CalendarDay(
                day=day, is_working_day=is_working_day, name=name, legal_basis=legal_basis
            )
            return create_audited(actor=actor, instance=calendar_day)
        return update_audited(
            actor=actor,
            instance=existing,
            changes={"is_working_day": is_working_day, "name": name, "legal_basis": legal_basis},
            editable=CALENDAR_DAY_EDITABLE,
        )


def calendar_day_remove(*, actor, calendar_day: CalendarDay) -> None:
    """Delete an exception: the day follows the default rule again."""
    require(actor, "core.delete_calendarday", None)
    with transaction.atomic():
        before = snapshot(calendar_day)
        pk = calendar_day.pk
        calendar_day.delete()
        calendar_day.pk = pk
        audit_deleted(actor=actor, instance=calendar_day, before=before)
