"""A sensible first set of red/amber/green limits; administrators change them (with a new validity) later."""

import datetime
from decimal import Decimal

from django.db import migrations

# key, higher is better, amber from, red from. Valid from the day Directive 24-CT/TU was issued.
DEFAULTS = [
    # Tasks: the share done on time of those that fell due.
    ("tasks.on_time_rate", True, Decimal("90"), Decimal("75")),
    # Satisfaction: Hanoi reached 86.5 % in 2024, the national average was 83.94 %.
    ("satisfaction.index", True, Decimal("85"), Decimal("75")),
    # Disbursement: points below the seasonal path; the module calls a project lagging beyond 10 points.
    ("targets.gap_to_path", False, Decimal("5"), Decimal("10")),
    ("targets.indicators_off_track", False, Decimal("0"), Decimal("2")),
]
VALID_FROM = datetime.date(2023, 8, 7)


def create(apps, schema_editor):
    threshold = apps.get_model("reports", "SignalThreshold")
    for key, higher, amber, red in DEFAULTS:
        if not threshold.objects.filter(key=key).exists():
            threshold.objects.create(
                key=key, higher_is_better=higher, amber_at=amber, red_at=red, valid_from=VALID_FROM
            )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
