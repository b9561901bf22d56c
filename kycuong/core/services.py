"""Helpers that entity services build on: validate, save and audit in one transaction."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import audit_created, audit_updated, snapshot


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
