"""Reads of the audit log, scoped by the unit each record belongs to."""

import datetime

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditRecord
from .scoping import get_scoped_or_404, restrict


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_list(
    *,
    actor,
    unit_id: int | None = None,
    with_descendants: bool = True,
    actor_id: int | None = None,
    actor_label: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditRecord]:
    records = restrict(AuditRecord.objects.all(), actor, "core.view_auditrecord")
    if unit_id is not None:
        if with_descendants:
            closure = apps.get_model("org", "UnitClosure")
            records = records.filter(
                unit_id__in=closure.objects.filter(ancestor_id=unit_id).values("descendant_id")
            )
        else:
            records = records.filter(unit_id=unit_id)
    if actor_id is not None:
        records = records.filter(actor_id=actor_id)
    if actor_label:
        records = records.filter(actor_label=actor_label)
    if object_type:
        records = records.filter(object_type=object_type)
    if object_id:
        records = records.filter(object_id=object_id)
    if action:
        records = records.filter(action=action)
    if date_from:
        records = records.filter(created_at__gte=_day_start(date_from))
    if date_to:
        records = records.filter(created_at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    return records.order_by("-id")


def audit_get(*, actor, record_id: int) -> AuditRecord:
    return get_scoped_or_404(AuditRecord.objects.all(), actor, "core.view_auditrecord", pk=record_id)


def audit_object_types() -> list[tuple[str, str]]:
    """The kinds of object the log can hold, for filter menus."""
    choices = []
    for label in (
        "org.unit",
        "org.staff",
        "org.post",
        "accounts.user",
        "accounts.grant",
        "accounts.apitoken",
    ):
        model = apps.get_model(label)
        choices.append((label, str(model._meta.verbose_name)))
    return choices
