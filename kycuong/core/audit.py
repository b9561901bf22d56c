"""The audit service: every change writes one hash-chained record in the transaction that makes it."""

import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .context import SystemActor, actor_label, current_request_id
from .models import AuditChainHead, AuditRecord

GENESIS_HASH = "0" * 64
# Never copied into an audit record, whatever the model.
SECRET_FIELDS = frozenset({"password", "token_hash"})
# Kept by the database or the model itself: recording them would only add noise to every diff.
DERIVED_FIELDS = frozenset({"search_text", "updated_at"})


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of an instance, JSON-safe, secrets left out."""
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.name in DERIVED_FIELDS:
            continue
        values[field.attname] = json_safe(getattr(instance, field.attname))
    return values


def changed_values(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def record_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hashed_fields(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "created_at": json_safe(record.created_at),
        "actor_id": record.actor_id,
        "actor_label": record.actor_label,
        "request_id": record.request_id,
        "unit_id": record.unit_id,
        "unit_label": record.unit_label,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "object_repr": record.object_repr,
        "action": record.action,
        "before": record.before,
        "after": record.after,
        "prev_hash": record.prev_hash,
    }


def scope_unit_id(instance: models.Model) -> int | None:
    """The unit an object belongs to for scoping and audit, as its model declares (SCOPE_UNIT_FIELD)."""
    path = getattr(type(instance), "SCOPE_UNIT_FIELD", None)
    if path is None:
        return None
    *hops, last = path.split("__")
    value: Any = instance
    for hop in hops:
        value = getattr(value, hop, None)
        if value is None:
            return None
    if last in ("pk", "id"):
        return value.pk
    return getattr(value, value._meta.get_field(last).attname)


@dataclass(frozen=True)
class AuditEntry:
    action: str
    object_type: str
    object_id: str = ""
    object_repr: str = ""
    unit_id: int | None = None
    before: dict | None = None
    after: dict | None = None


def entry_for(instance: models.Model, action: str, *, before=None, after=None) -> AuditEntry:
    unit_id = scope_unit_id(instance)
    return AuditEntry(
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk or ""),
        object_repr=str(instance)[:255],
        unit_id=unit_id,
        before=before,
        after=after,
    )


def _unit_labels(unit_ids: set[int]) -> dict[int, str]:
    from django.apps import apps

    if not unit_ids:
        return {}
    unit_model = apps.get_model("org", "Unit")
    return dict(unit_model.objects.filter(pk__in=unit_ids).values_list("pk", "name"))


def audit_write(*, actor, entries: Iterable[AuditEntry]) -> list[AuditRecord]:
    """Append records to the chain. Must run inside the caller's transaction, so both commit or neither."""
    entries = list(entries)
    if not entries:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit records are written inside the transaction of the change they record.")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    labels = _unit_labels({entry.unit_id for entry in entries if entry.unit_id})
    now = timezone.now()
    actor_id = None if isinstance(actor, SystemActor) else getattr(actor, "pk", None)
    label = actor_label(actor)
    request_id = current_request_id()
    records = []
    last_id, last_hash = head.last_id, head.last_hash
    for entry in entries:
        record = AuditRecord(
            id=last_id + 1,
            created_at=now,
            actor_id=actor_id,
            actor_label=label,
            request_id=request_id,
            unit_id=entry.unit_id,
            unit_label=labels.get(entry.unit_id, "") if entry.unit_id else "",
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_repr=entry.object_repr,
            action=entry.action,
            before=json_safe(entry.before) if entry.before is not None else None,
            after=json_safe(entry.after) if entry.after is not None else None,
            prev_hash=last_hash,
        )
        record.hash = record_hash(hashed_fields(record))
        records.append(record)
        last_id, last_hash = record.id, record.hash
    AuditRecord.objects.bulk_create(records, batch_size=500)
    head.last_id, head.last_hash = last_id, last_hash
    head.save(update_fields=["last_id", "last_hash"])
    return records


def audit_created(*, actor, instance: models.Model) -> AuditRecord:
    return audit_write(actor=actor, entries=[entry_for(instance, "create", after=snapshot(instance))])[0]


def audit_updated(*, actor, instance: models.Model, before: dict[str, Any]) -> AuditRecord | None:
    old, new = changed_values(before, snapshot(instance))
    if not new:
        return None
    return audit_write(actor=actor, entries=[entry_for(instance, "update", before=old, after=new)])[0]


def audit_deleted(*, actor, instance: models.Model, before: dict[str, Any]) -> AuditRecord:
    return audit_write(actor=actor, entries=[entry_for(instance, "delete", before=before)])[0]


def audit_event(*, actor, action: str, instance: models.Model, details: dict | None = None) -> AuditRecord:
    """A change that is not a field edit (log-in, token revoked, chain verified...)."""
    return audit_write(actor=actor, entries=[entry_for(instance, action, after=details)])[0]


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify_chain() -> ChainReport:
    """Recompute every record's hash and link; report the first record that does not fit."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    for record in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        if record.id != expected_id:
            return ChainReport(checked, expected_id, f"record {expected_id} is missing")
        if record.prev_hash != expected_prev:
            return ChainReport(checked, record.id, "its previous hash does not match the record before it")
        if record_hash(hashed_fields(record)) != record.hash:
            return ChainReport(checked, record.id, "its content does not match its hash")
        expected_prev = record.hash
        expected_id += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and (head.last_id != checked or head.last_hash != expected_prev):
        return ChainReport(checked, checked + 1, "records at the end of the chain are missing")
    return ChainReport(checked)
