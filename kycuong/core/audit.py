"""The audit service: every change writes one hash-chained record in the transaction that makes it.

Records are appended to one of several chains (`AuditChainHead` rows). A writer takes a chain that no other
open transaction holds, so concurrent writers do not wait for each other; within a chain, records follow one
another exactly as in a single chain. See docs/architecture.md, "The audit chain".
"""

import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from .context import SystemActor, actor_label, current_request_id
from .models import AuditChainHead, AuditRecord

GENESIS_HASH = "0" * 64
# How many chains may exist; a new one is opened only when every existing chain is held by another writer.
DEFAULT_CHAINS = 16
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


def loaded_unit_name(instance: models.Model) -> str | None:
    """The name of the object's unit when the instance already holds it (no query), else None."""
    path = getattr(type(instance), "SCOPE_UNIT_FIELD", None)
    if path is None or path in ("pk", "id"):
        return None
    value: Any = instance
    for hop in path.split("__"):
        field = value._meta.get_field(hop)
        if not field.is_relation or not field.many_to_one or not field.is_cached(value):
            return None
        value = getattr(value, hop)
        if value is None:
            return None
    return getattr(value, "name", None) if value._meta.label_lower == "org.unit" else None


@dataclass(frozen=True)
class AuditEntry:
    action: str
    object_type: str
    object_id: str = ""
    object_repr: str = ""
    unit_id: int | None = None
    before: dict | None = None
    after: dict | None = None
    # The unit's name when the caller has it at hand; audit_write reads the others in one query.
    unit_label: str | None = None


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
        unit_label=loaded_unit_name(instance) if unit_id else None,
    )


def _unit_labels(unit_ids: set[int]) -> dict[int, str]:
    from django.apps import apps

    if not unit_ids:
        return {}
    unit_model = apps.get_model("org", "Unit")
    return dict(unit_model.objects.filter(pk__in=unit_ids).values_list("pk", "name"))


def _max_chains() -> int:
    return max(1, int(getattr(settings, "AUDIT_CHAINS", DEFAULT_CHAINS)))


# PostgreSQL: lock the first chain no other transaction holds (the one this connection used last, if free),
# then draw the new ids from the sequence. The lateral draw runs after the lock is taken, so within a chain
# ids always grow in the order the records are appended.
_TAKE_FREE_CHAIN = """
SELECT head.id, head.last_id, head.last_hash, ids.ids
FROM (
    SELECT id, last_id, last_hash FROM core_auditchainhead
    ORDER BY id = %s DESC, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
) AS head
CROSS JOIN LATERAL (
    SELECT array_agg(nextval('core_auditrecord_id_seq') ORDER BY n) AS ids
    FROM generate_series(1, %s + 0 * head.id) AS n
) AS ids
"""
_TAKE_CHAIN = """
SELECT head.id, head.last_id, head.last_hash, ids.ids
FROM (SELECT id, last_id, last_hash FROM core_auditchainhead WHERE id = %s FOR UPDATE) AS head
CROSS JOIN LATERAL (
    SELECT array_agg(nextval('core_auditrecord_id_seq') ORDER BY n) AS ids
    FROM generate_series(1, %s + 0 * head.id) AS n
) AS ids
"""


_MOVE_HEAD = "UPDATE core_auditchainhead SET last_id = %s, last_hash = %s WHERE id = %s"
AUDIT_BATCH = 500


def _open_chain() -> int:
    """Add the next chain (every existing one is busy) and return its id; two writers adding it at once make
    one chain."""
    next_id = (AuditChainHead.objects.aggregate(models.Max("id"))["id__max"] or 0) + 1
    if next_id <= _max_chains():
        AuditChainHead.objects.bulk_create([AuditChainHead(id=next_id)], ignore_conflicts=True)
    return next_id


def _take_chain(count: int) -> tuple[int, int, str, list[int]]:
    """Lock a chain for the rest of the transaction: (chain, last id, last hash, `count` new record ids)."""
    preferred = getattr(connection, "kycuong_audit_chain", 1)
    if connection.vendor != "postgresql":
        # SQLite: the transaction already holds the database's only write lock, so one chain serves.
        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        last = AuditRecord.objects.aggregate(models.Max("id"))["id__max"] or 0
        return head.id, head.last_id, head.last_hash, list(range(last + 1, last + count + 1))
    with connection.cursor() as cursor:
        for _attempt in range(3):
            cursor.execute(_TAKE_FREE_CHAIN, [preferred, count])
            row = cursor.fetchone()
            if row is not None:
                break
            # Take the chain just opened rather than one freed meanwhile: a writer that took another would
            # leave its new chain unused, and chains would outnumber the writers.
            preferred = _open_chain()
        else:
            # More writers than chains: wait for one. This transaction holds no chain yet (it would have been
            # offered the one it holds), so waiting cannot deadlock on chains.
            chains = AuditChainHead.objects.count()
            cursor.execute(_TAKE_CHAIN, [1 + connection.connection.info.backend_pid % chains, count])
            row = cursor.fetchone()
    connection.kycuong_audit_chain = row[0]
    return row[0], row[1], row[2], list(row[3])


def audit_write(*, actor, entries: Iterable[AuditEntry]) -> list[AuditRecord]:
    """Append records to a chain. Must run inside the caller's transaction, so both commit or neither."""
    entries = list(entries)
    if not entries:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit records are written inside the transaction of the change they record.")
    labels = {entry.unit_id: entry.unit_label for entry in entries if entry.unit_id and entry.unit_label}
    labels.update(_unit_labels({entry.unit_id for entry in entries if entry.unit_id} - labels.keys()))
    chain, last_id, last_hash, ids = _take_chain(len(entries))
    now = timezone.now()
    actor_id = None if isinstance(actor, SystemActor) else getattr(actor, "pk", None)
    label = actor_label(actor)
    request_id = current_request_id()
    records = []
    for entry, record_id in zip(entries, ids, strict=True):
        record = AuditRecord(
            id=record_id,
            chain=chain,
            prev_id=last_id or None,
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
    _append(records, chain, last_id, last_hash)
    return records


def _append(records: list[AuditRecord], chain: int, last_id: int, last_hash: str) -> None:
    """Insert the records and move the chain's head to the last one (on PostgreSQL in one statement: most
    writes append one record, and a round trip less counts on the public form)."""
    if connection.vendor != "postgresql":
        AuditRecord.objects.bulk_create(records, batch_size=AUDIT_BATCH)
        AuditChainHead.objects.filter(pk=chain).update(last_id=last_id, last_hash=last_hash)
        return
    fields = AuditRecord._meta.concrete_fields
    with connection.cursor() as cursor:
        for start in range(0, len(records), AUDIT_BATCH):
            query = InsertQuery(AuditRecord)
            query.insert_values(fields, records[start : start + AUDIT_BATCH])
            [(sql, params)] = query.get_compiler(connection=connection).as_sql()
            if start + AUDIT_BATCH >= len(records):
                sql = f"WITH appended AS ({sql}) {_MOVE_HEAD}"
                params = (*params, last_id, last_hash, chain)
            cursor.execute(sql, params)


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


END_MISMATCH = "the chain's head does not name its last record: records at the end are missing or were added"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify_chain() -> ChainReport:
    """Recompute every record's hash and link; report the first record that does not fit.

    Records are read once in id order. Within a chain ids grow in the order records were appended, so each
    record must name the last record seen in its chain as its predecessor (`prev_id`) and carry that
    record's hash; a chain's head must name its last record. A changed record fails its hash, a removed one
    leaves a link to a record that is not there, an inserted one breaks the link of the record after it or
    the head.
    """
    tails: dict[int, tuple[int | None, str]] = {}  # chain -> (last id, last hash) seen so far
    checked = 0
    for record in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        last_id, last_hash = tails.get(record.chain, (None, GENESIS_HASH))
        if record.prev_id != last_id:
            if record.prev_id is not None and (last_id is None or record.prev_id > last_id):
                return ChainReport(checked, record.prev_id, f"record {record.prev_id} is missing")
            return ChainReport(checked, record.id, "it does not follow the last record of its chain")
        if record.prev_hash != last_hash:
            return ChainReport(checked, record.id, "its previous hash does not match the record before it")
        if record_hash(hashed_fields(record)) != record.hash:
            return ChainReport(checked, record.id, "its content does not match its hash")
        tails[record.chain] = (record.id, record.hash)
        checked += 1
    heads = {head.id: head for head in AuditChainHead.objects.all()}
    for chain, (last_id, last_hash) in sorted(tails.items()):
        head = heads.get(chain)
        if head is None:
            return ChainReport(checked, last_id, f"the head of chain {chain} is missing")
        if head.last_id != last_id or head.last_hash != last_hash:
            return ChainReport(checked, head.last_id, END_MISMATCH)
    for chain, head in sorted(heads.items()):
        if chain not in tails and head.last_id:
            return ChainReport(checked, head.last_id, END_MISMATCH)
    return ChainReport(checked)
