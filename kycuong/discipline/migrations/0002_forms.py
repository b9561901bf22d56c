"""The forms of discipline as data (kycuong/discipline/defaults.py)."""

from django.db import migrations

from kycuong.discipline.defaults import forms_sync


def load_forms(apps, schema_editor):
    forms_sync(apps.get_model("discipline", "DisciplineForm"))


class Migration(migrations.Migration):
    dependencies = [("discipline", "0001_initial")]
    operations = [migrations.RunPython(load_forms, migrations.RunPython.noop)]
