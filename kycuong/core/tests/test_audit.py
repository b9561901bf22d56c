import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kycuong.core.audit import audit_verify_chain, audit_write, entry_for
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
