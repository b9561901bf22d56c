"""The kinds of inspection and supervision as data, and the append-only access log on PostgreSQL."""

import datetime

from django.db import migrations

KINDS = [
    # code, name, English name, category, Party, legal basis, valid from
    ("party-supervision-regular", "Giám sát thường xuyên", "Regular supervision", "supervision", True, "Quy định 296-QĐ/TW"),
    ("party-supervision-thematic", "Giám sát chuyên đề", "Thematic supervision", "supervision", True, "Quy định 296-QĐ/TW"),
    ("party-inspection", "Kiểm tra của tổ chức đảng", "Party inspection", "inspection", True, "Quy định 296-QĐ/TW"),
    (
        "party-inspection-signs",
        "Kiểm tra khi có dấu hiệu vi phạm",
        "Inspection on signs of violation",
        "inspection",
        True,
        "Quy định 296-QĐ/TW",
    ),
    ("administrative-inspection", "Thanh tra hành chính", "Administrative inspection", "inspection", False, "Luật Thanh tra 2022"),
    (
        "public-service-inspection",
        "Kiểm tra công vụ",
        "Public-service inspection",
        "inspection",
        False,
        "Chỉ thị 24-CT/TU",
    ),
]
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
    kind_model = apps.get_model("inspections", "InspectionKind")
    for order, (code, name, name_en, category, is_party, basis) in enumerate(KINDS, start=1):
        kind_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "is_party": is_party,
                "legal_basis": basis,
                "valid_from": datetime.date(2021, 1, 1),
                "order": order * 10,
            },
        )


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
