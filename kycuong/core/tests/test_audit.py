import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kycuong.core.audit import (
    GENESIS_HASH,
    audit_verify_chain,
    audit_write,
    entry_for,
    hashed_fields,
    record_hash,
)
from kycuong.core.models import AuditChainHead, AuditRecord
from kycuong.org.models import Unit
from kycuong.org.services import unit_update

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: list) -> None:
    """Change the audit table behind the product's back, as an intruder with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger refuses this; a superuser can still bypass triggers, which the chain must catch.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_service_change_writes_one_chained_record_with_before_and_after(world):
    before = AuditRecord.objects.count()
    unit_update(actor=world.user("superuser"), unit=world.hoangliet, name="Phường Hoàng Liệt mới")
    record = AuditRecord.objects.order_by("-id").first()
    assert AuditRecord.objects.count() == before + 1
    assert record.action == "update"
    assert record.object_type == "org.unit" and record.object_id == str(world.hoangliet.pk)
    assert record.before == {"name": "Phường Hoàng Liệt"}
    assert record.after["name"] == "Phường Hoàng Liệt mới"
    assert record.unit_id == world.hoangliet.pk
    assert record.actor_label == "root"
    previous = AuditRecord.objects.get(id=record.id - 1)
    assert record.prev_hash == previous.hash
    assert audit_verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_audit_refuses_to_be_written_outside_a_transaction(world):
    with pytest.raises(RuntimeError):
        audit_write(actor=world.user("superuser"), entries=[entry_for(world.city, "touch")])


def test_chain_detects_a_record_altered_with_sql(world):
    assert audit_verify_chain().ok
    target = AuditRecord.objects.order_by("id")[3]
    _tamper(f"UPDATE {AuditRecord._meta.db_table} SET object_repr = %s WHERE id = %s", ["forged", target.id])
    report = audit_verify_chain()
    assert not report.ok
    assert report.broken_at == target.id
    with pytest.raises(CommandError, match=f"record {target.id}"):
        call_command("audit_verify")


def test_chain_detects_a_deleted_record(world):
    target = AuditRecord.objects.order_by("id")[2]
    _tamper(f"DELETE FROM {AuditRecord._meta.db_table} WHERE id = %s", [target.id])
    report = audit_verify_chain()
    assert report.broken_at == target.id


def test_chain_detects_records_cut_from_the_end(world):
    last = AuditChainHead.objects.get().last_id
    _tamper(f"DELETE FROM {AuditRecord._meta.db_table} WHERE id = %s", [last])
    assert not audit_verify_chain().ok


def test_audit_verify_command_passes_on_an_intact_chain(world, capsys):
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_update_and_delete_on_the_audit_table(world):
    record = AuditRecord.objects.order_by("id").first()
    for statement in (
        f"UPDATE {AuditRecord._meta.db_table} SET action = 'x' WHERE id = %s",
        f"DELETE FROM {AuditRecord._meta.db_table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [record.id])
    record.refresh_from_db()
    assert record.action == "create"


def test_failed_change_leaves_no_audit_record(world):
    before = AuditRecord.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - any validation failure
        unit_update(actor=world.user("superuser"), unit=world.hoangliet, code=world.city.code)
    assert AuditRecord.objects.count() == before
    assert Unit.objects.get(pk=world.hoangliet.pk).code == "T00337"


def _append_by_hand(chain: int, *, prev: AuditRecord | None, record_id: int, repr_text: str) -> AuditRecord:
    """A record linked after `prev` in `chain`, hashed as the service would: what a forger can compute."""
    record = AuditRecord(
        id=record_id,
        chain=chain,
        prev_id=prev.id if prev else None,
        actor_label="forger",
        object_type="org.unit",
        object_id="1",
        object_repr=repr_text,
        action="update",
        prev_hash=prev.hash if prev else GENESIS_HASH,
    )
    record.hash = record_hash(hashed_fields(record))
    AuditRecord.objects.bulk_create([record])
    return record


def test_chain_detects_a_record_inserted_in_the_middle(world):
    records = list(AuditRecord.objects.order_by("id"))
    forged = _append_by_hand(
        1, prev=records[2], record_id=records[-1].id + 1000, repr_text="a change nobody made"
    )
    report = audit_verify_chain()
    assert not report.ok
    assert report.broken_at == forged.id


def test_chain_detects_a_record_appended_without_moving_the_head(world):
    last = AuditRecord.objects.order_by("-id").first()
    _append_by_hand(last.chain, prev=last, record_id=last.id + 1000, repr_text="appended later")
    report = audit_verify_chain()
    assert not report.ok
    assert "head" in report.reason


def test_chains_are_verified_each_on_its_own(world):
    """A second chain interleaved with the first: intact, then a removal and a move are both found."""
    last = AuditRecord.objects.order_by("-id").first()
    first = _append_by_hand(2, prev=None, record_id=last.id + 10, repr_text="chain two, first")
    second = _append_by_hand(2, prev=first, record_id=last.id + 20, repr_text="chain two, second")
    AuditChainHead.objects.create(id=2, last_id=second.id, last_hash=second.hash)
    unit_update(actor=world.user("superuser"), unit=world.hoangliet, name="Phường Hoàng Liệt (2)")
    report = audit_verify_chain()
    assert report.ok, report
    assert report.checked == AuditRecord.objects.count()
    _tamper(f"UPDATE {AuditRecord._meta.db_table} SET chain = 1 WHERE id = %s", [second.id])
    assert not audit_verify_chain().ok
    _tamper(f"UPDATE {AuditRecord._meta.db_table} SET chain = 2 WHERE id = %s", [second.id])
    assert audit_verify_chain().ok
    _tamper(f"DELETE FROM {AuditRecord._meta.db_table} WHERE id = %s", [first.id])
    report = audit_verify_chain()
    assert report.broken_at == first.id
    assert "missing" in report.reason


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks between connections: SQLite lets one writer at a time into the whole database",
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_for_another_open_transaction(world):
    """While one transaction holds its chain, another audited change commits on a second chain."""
    holding, release = threading.Event(), threading.Event()
    root = world.user("superuser")
    outcome: dict = {}

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                unit_update(actor=root, unit=Unit.objects.get(pk=world.dinhcong.pk), name="Định Công (A)")
                holding.set()
                outcome["released"] = release.wait(timeout=60)
        finally:
            connection.close()

    def quick_change() -> None:
        try:
            unit_update(actor=root, unit=Unit.objects.get(pk=world.phucxa.pk), name="Phúc Xá (B)")
            outcome["quick_done_while_held"] = not release.is_set()
        finally:
            connection.close()

    first = threading.Thread(target=long_transaction)
    first.start()
    assert holding.wait(timeout=60)
    second = threading.Thread(target=quick_change)
    second.start()
    second.join(timeout=60)
    finished_while_held = not second.is_alive()
    release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert finished_while_held and outcome["quick_done_while_held"]
    assert outcome["released"]
    a = AuditRecord.objects.get(object_type="org.unit", after__name="Định Công (A)")
    b = AuditRecord.objects.get(object_type="org.unit", after__name="Phúc Xá (B)")
    assert a.chain != b.chain
    assert audit_verify_chain().ok


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_writers_keep_every_chain_whole(world):
    root = world.user("superuser")
    before = AuditRecord.objects.count()
    writers, changes = 6, 15
    start = threading.Barrier(writers)
    failures: list = []

    def write(number: int) -> None:
        try:
            start.wait(timeout=60)
            unit = Unit.objects.get(pk=world.hoangliet.pk)
            for change in range(changes):
                with transaction.atomic():
                    audit_write(
                        actor=root,
                        entries=[
                            entry_for(unit, "touch", after={"writer": number, "change": change}),
                            entry_for(unit, "touch", after={"writer": number, "change": change, "part": 2}),
                        ],
                    )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert AuditRecord.objects.count() == before + writers * changes * 2
    report = audit_verify_chain()
    assert report.ok, report
    assert report.checked == before + writers * changes * 2
    # The two records of one write sit next to each other in one chain.
    for record in AuditRecord.objects.filter(action="touch", after__part=2):
        previous = AuditRecord.objects.get(id=record.prev_id)
        assert previous.chain == record.chain
        assert previous.after == {"writer": record.after["writer"], "change": record.after["change"]}
    assert 1 <= AuditChainHead.objects.count() <= writers


def test_a_write_of_more_records_than_one_batch_keeps_the_chain_whole(world):
    from kycuong.core.audit import AUDIT_BATCH

    units = list(Unit.objects.all()[:3])
    entries = [
        entry_for(units[n % len(units)], "checked", after={"n": n}) for n in range(2 * AUDIT_BATCH + 7)
    ]
    with transaction.atomic():
        records = audit_write(actor=world.user("superuser"), entries=entries)
    assert len(records) == len(entries)
    head = AuditChainHead.objects.get(pk=records[-1].chain)
    assert (head.last_id, head.last_hash) == (records[-1].id, records[-1].hash)
    stored = AuditRecord.objects.filter(pk__in=[r.id for r in records]).order_by("id")
    assert [r.after["n"] for r in stored] == list(range(len(entries)))
    assert audit_verify_chain().ok
