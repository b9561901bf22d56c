"""The disbursement rule a new installation starts with: 95 % of the plan by 31 January of the next year,
along the seasonal path of a typical year, lagging beyond 10 percentage points below it. It is data: the
administration may add a rule for later years."""

import datetime

from django.db import migrations

# Cumulative share of the year's target reached by the end of each month, January to December and then the
# January of the carry-over window: public investment pays out slowly in the first months and fastest in
# the last quarter (Ministry of Finance reports, 2022–2024).
TYPICAL_PROFILE = ["2", "5", "10", "15", "21", "30", "37", "45", "55", "65", "76", "90", "100"]


def create_rule(apps, schema_editor):
    rule = apps.get_model("targets", "DisbursementRule")
    if not rule.objects.exists():
        rule.objects.create(
            name="Giải ngân theo mùa vụ, mục tiêu 95 %",
            valid_from=datetime.date(2020, 1, 1),
            target_percent=95,
            lag_margin_points=10,
            profile=TYPICAL_PROFILE,
        )


class Migration(migrations.Migration):
    dependencies = [("targets", "0001_initial")]

    operations = [migrations.RunPython(create_rule, migrations.RunPython.noop)]
