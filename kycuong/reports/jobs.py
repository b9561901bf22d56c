"""Background jobs of the reports app: making a report that was asked for, and the monthly subscriptions."""

import datetime

from django.tasks import task

from kycuong.core.jobs import periodic

from . import services


@task()
def make_report(report_id: int) -> dict:
    report = services.report_make(report_id=report_id)
    return {"report": report.pk, "state": report.state}


@periodic("reports-monthly", every=datetime.timedelta(hours=24), at=datetime.timedelta(hours=6))
@task()
def send_monthly_reports() -> dict:
    """Every morning at 06:00: subscribers not yet served get last month's report of their unit."""
    return services.monthly_reports_send()
