"""The audit log becomes several chains, so that concurrent writers no longer wait for one another.

Existing records stay in chain 1, each naming the record before it (their ids were dense: id - 1). Their
hashes do not change: the hashed fields are the same. On PostgreSQL new ids come from a sequence that
starts after the last existing id; the append-only trigger is held off only while the new link column of
the existing rows is filled.
"""

from django.db import migrations, models

FILL_PREVIOUS = "UPDATE core_auditrecord SET prev_id = id - 1 WHERE id > 1"
POSTGRES_FORWARD = """
ALTER TABLE core_auditrecord DISABLE TRIGGER core_auditrecord_append_only;
UPDATE core_auditrecord SET prev_id = id - 1 WHERE id > 1;
ALTER TABLE core_auditrecord ENABLE TRIGGER core_auditrecord_append_only;
CREATE SEQUENCE IF NOT EXISTS core_auditrecord_id_seq OWNED BY core_auditrecord.id;
SELECT setval('core_auditrecord_id_seq', COALESCE((SELECT MAX(id) FROM core_auditrecord), 0) + 1, false);
"""
POSTGRES_BACKWARD = "DROP SEQUENCE IF EXISTS core_auditrecord_id_seq;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    else:
        schema_editor.execute(FILL_PREVIOUS, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_calendar_days_2025_2026")]
    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="chain",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="chain"),
        ),
        migrations.AddField(
            model_name="auditrecord",
            name="prev_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="previous record"),
        ),
        migrations.RunPython(forward, backward),
    ]
