"""The kinds of inspection and supervision as data, and the append-only access log on PostgreSQL."""

from django.db import migrations

from kycuong.inspections.defaults import kinds_sync

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION kycuong_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS inspections_access_append_only ON inspections_confidentialaccess;
CREATE TRIGGER inspections_access_append_only
    BEFORE UPDATE OR DELETE ON inspections_confidentialaccess
    FOR EACH ROW EXECUTE FUNCTION kycuong_access_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS inspections_access_append_only ON inspections_confidentialaccess;
DROP FUNCTION IF EXISTS kycuong_access_log_append_only();
"""


def load_kinds(apps, schema_editor):
    kinds_sync(apps.get_model("inspections", "InspectionKind"))


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]
    operations = [
        migrations.RunPython(load_kinds, migrations.RunPython.noop),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
