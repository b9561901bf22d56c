"""Writes of the reports app: asking for a report, making it (in the background), thresholds, subscriptions.

A report is asked for by a user for a unit and a period; the background job makes it with that user's scope,
so a report never shows more than its author may see. Each step reports its progress on the row, which the
page polls.
"""

import datetime
import hashlib
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_write, entry_for, snapshot
from kycuong.core.calendar import today
from kycuong.core.dashboard import Period
from kycuong.core.replica import bookkeeping
from kycuong.core.scoping import can, covers_every_unit, require
from kycuong.core.services import create_audited
from kycuong.org.models import Unit

from .models import Report, ReportFile, ReportFormat, ReportKind, ReportState, SignalThreshold, Subscription
from .selectors import (
    ADD_REPORT,
    ADD_SUBSCRIPTION,
    MANAGE_THRESHOLDS,
    VIEW_REPORT,
    dashboard_build,
    review_period,
    year_period,
)

logger = logging.getLogger("kycuong.reports")

MAX_REVIEW_YEARS = 10
CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _check_period(kind: str, period: Period, directive: str, years: int | None) -> None:
    errors = {}
    if kind not in ReportKind.values:
        errors["kind"] = _("Choose one of the allowed values.")
    if period.end < period.start:
        errors["period_end"] = _("The end of the period cannot come before its start.")
    if period.start.year < 2000 or period.end > today() + datetime.timedelta(days=366):
        errors["period_start"] = _("The period lies outside the years the records cover.")
    if kind == ReportKind.REVIEW:
        if not directive.strip():
            errors["directive"] = _("Name the directive that the review is about.")
        if not years or not 1 <= years <= MAX_REVIEW_YEARS:
            errors["years"] = _("A review covers from 1 to 10 years.")
    if errors:
        raise ValidationError(errors)


def report_request(
    *,
    actor,
    unit: Unit,
    kind: str,
    period: Period,
    directive: str = "",
    years: int | None = None,
    subscription: Subscription | None = None,
    enqueue: bool = True,
) -> Report:
    """Record the request and queue the job that makes the files (after the transaction commits)."""
    require(actor, ADD_REPORT, unit.pk)
    _check_period(kind, period, directive, years)
    from .documents import report_title

    report = Report(
        unit=unit,
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        directive=" ".join(directive.split()),
        years=years if kind == ReportKind.REVIEW else None,
        requested_by=actor,
        subscription=subscription,
        title="",
    )
    with translation.override("vi"):
        report.title = report_title(report)[:500]
    with transaction.atomic():
        report = create_audited(actor=actor, instance=report)
        if enqueue:
            from .jobs import make_report

            transaction.on_commit(lambda: make_report.enqueue(report.pk))
    return report


def _progress(report: Report, percent: int, step: str) -> None:
    # The figures never read the progress: the job's later reads may still go to a replica.
    with bookkeeping():
        Report.objects.filter(pk=report.pk).update(progress=percent, step=step[:200])


def _store(report: Report, fmt: str, content: bytes, name: str) -> ReportFile:
    stored = ReportFile(
        report=report,
        format=fmt,
        name=name,
        size=len(content),
        content_type=CONTENT_TYPES[fmt],
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=report.requested_by,
    )
    stored.file.save(name, ContentFile(content), save=False)
    stored.save()
    return stored


def report_make(*, report_id: int) -> Report:
    """Make the report's PDF, .docx and .xlsx with the scope of the user who asked for it. Runs in the worker;
    a failure is kept on the report with its reason, and nothing half-made is left behind."""
    from kycuong.core.official_document import render_docx, render_pdf

    from .documents import ReportContent, official_document, workbook

    report = Report.objects.select_related("unit", "unit__parent", "requested_by").get(pk=report_id)
    if report.state not in (ReportState.QUEUED, ReportState.RUNNING):
        return report
    actor = report.requested_by
    with bookkeeping():
        Report.objects.filter(pk=report.pk).update(state=ReportState.RUNNING, progress=1)
    try:
        with translation.override("vi"):
            period = Period(report.period_start, report.period_end)
            _progress(report, 5, _("Reading the figures of every module"))
            content = ReportContent(report, dashboard_build(actor=actor, unit=report.unit, period=period))
            if report.kind == ReportKind.REVIEW:
                for index in range(report.years or 0):
                    # review_period(start, n) ends the day before year n + 1 begins.
                    start = review_period(report.period_start, index).end + datetime.timedelta(days=1)
                    one_year = review_period(start, 1)
                    _progress(
                        report,
                        10 + int(50 * (index + 1) / max(report.years or 1, 1)),
                        _("Year %(n)s of %(total)s") % {"n": index + 1, "total": report.years},
                    )
                    content.years.append(
                        (one_year, dashboard_build(actor=actor, unit=report.unit, period=one_year))
                    )
            document = official_document(content)
            _progress(report, 65, _("Writing the PDF"))
            pdf = render_pdf(document)
            _progress(report, 80, _("Writing the Word document"))
            docx = render_docx(document)
            _progress(report, 90, _("Writing the Excel workbook"))
            xlsx = workbook(content)
        base = f"bao-cao-{report.unit.code}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}"
        with transaction.atomic():
            before = snapshot(report)
            files = [
                _store(report, ReportFormat.PDF, pdf, f"{base}.pdf"),
                _store(report, ReportFormat.DOCX, docx, f"{base}.docx"),
                _store(report, ReportFormat.XLSX, xlsx, f"{base}.xlsx"),
            ]
            report.refresh_from_db()
            report.state, report.progress, report.step = ReportState.DONE, 100, ""
            report.finished_at = timezone.now()
            report.save(update_fields=["state", "progress", "step", "finished_at"])
            audit_write(
                actor=actor,
                entries=[
                    entry_for(
                        report,
                        "generate",
                        before={"state": before["state"]},
                        after={"state": report.state, "files": {f.format: f.sha256 for f in files}},
                    )
                ],
            )
    except Exception as error:
        logger.exception("Report %s failed", report.pk)
        with transaction.atomic():
            report.refresh_from_db()
            report.state, report.error = ReportState.FAILED, str(error)[:2000]
            report.save(update_fields=["state", "error"])
            audit_write(actor=actor, entries=[entry_for(report, "fail", after={"error": report.error})])
        return report
    _notify_done(report)
    return report


def _notify_done(report: Report) -> None:
    from django.urls import reverse

    from kycuong.notifications.services import notify

    notify(
        actor=report.requested_by,
        users=[report.requested_by],
        kind="report",
        title=_("Your report is ready: %(title)s") % {"title": report.title},
        event_key=f"report-ready-{report.pk}",
        url=reverse("reports:report", args=[report.pk]),
    )


# --- thresholds --------------------------------------------------------------------------------------------

THRESHOLD_FIELDS = ("key", "higher_is_better", "amber_at", "red_at", "valid_from", "valid_to", "note")


def threshold_create(*, actor, **fields) -> SignalThreshold:
    """A new version of a figure's limits. The version in force before it ends the day before it starts, so
    past periods keep the limits they had."""
    if not covers_every_unit(actor, MANAGE_THRESHOLDS):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only an administrator of the whole system may change the thresholds."))
    unknown = set(fields) - set(THRESHOLD_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    threshold = SignalThreshold(**fields)
    threshold.key = (threshold.key or "").strip()
    with transaction.atomic():
        threshold.full_clean()
        earlier = (
            SignalThreshold.objects.select_for_update()
            .filter(key=threshold.key, valid_from__lt=threshold.valid_from)
            .filter(valid_to__isnull=True)
        )
        for old in earlier:
            before = snapshot(old)
            old.valid_to = threshold.valid_from - datetime.timedelta(days=1)
            old.save(update_fields=["valid_to"])
            audit_write(
                actor=actor,
                entries=[
                    entry_for(
                        old,
                        "update",
                        before={"valid_to": before["valid_to"]},
                        after={"valid_to": str(old.valid_to)},
                    )
                ],
            )
        if SignalThreshold.objects.filter(key=threshold.key, valid_from=threshold.valid_from).exists():
            raise ValidationError(
                {"valid_from": _("These limits already have a version starting on that day.")}
            )
        threshold.save()
        audit_write(actor=actor, entries=[entry_for(threshold, "create", after=snapshot(threshold))])
    return threshold


# --- subscriptions -----------------------------------------------------------------------------------------


def subscription_create(*, actor, unit: Unit, user) -> Subscription:
    """`user` will receive the unit's monthly report by e-mail; they must be allowed to read its reports."""
    require(actor, ADD_SUBSCRIPTION, unit.pk)
    errors = {}
    if not user.is_active or not can(user, VIEW_REPORT, unit.pk):
        errors["user"] = _("This person may not read this unit's reports.")
    elif not user.email:
        errors["user"] = _("This person has no e-mail address.")
    elif Subscription.objects.filter(unit=unit, user=user, active=True).exists():
        errors["user"] = _("This person already receives this unit's monthly report.")
    if errors:
        raise ValidationError(errors)
    return create_audited(actor=actor, instance=Subscription(unit=unit, user=user, created_by=actor))


def subscription_cancel(*, actor, subscription: Subscription) -> Subscription:
    if actor.pk != subscription.user_id:
        require(actor, ADD_SUBSCRIPTION, subscription.unit_id)
    with transaction.atomic():
        before = snapshot(subscription)
        subscription.active = False
        subscription.save(update_fields=["active"])
        audit_write(
            actor=actor,
            entries=[entry_for(subscription, "cancel", before=before, after=snapshot(subscription))],
        )
    return subscription


def previous_month(day: datetime.date) -> Period:
    end = day.replace(day=1) - datetime.timedelta(days=1)
    return Period(end.replace(day=1), end)


def monthly_reports_send(*, day: datetime.date | None = None) -> dict:
    """For each active subscription not yet served for last month: make the unit's monthly report with the
    recipient's scope and e-mail its PDF and .docx. A subscriber who lost the right to read the unit's
    reports gets nothing."""
    from django.core.mail import EmailMessage

    from kycuong.core.context import SystemActor

    month = previous_month(day or today())
    system = SystemActor("reports-monthly", kind="job")
    sent = skipped = failed = 0
    due = Subscription.objects.filter(active=True).exclude(last_month_sent__gte=month.start)
    for subscription in due.select_related("unit", "user").order_by("id"):
        user = subscription.user
        if not user.is_active or not can(user, VIEW_REPORT, subscription.unit_id):
            skipped += 1
            continue
        with transaction.atomic():
            report = Report(
                unit=subscription.unit,
                kind=ReportKind.MONTH,
                period_start=month.start,
                period_end=month.end,
                requested_by=user,
                subscription=subscription,
            )
            from .documents import report_title

            with translation.override("vi"):
                report.title = report_title(report)
            report = create_audited(actor=system, instance=report)
        report = report_make(report_id=report.pk)
        if report.state != ReportState.DONE:
            failed += 1
            continue
        with translation.override("vi"):
            message = EmailMessage(
                subject=report.title,
                body=_("The monthly report of %(unit)s is attached (PDF, and Word to edit before signing).")
                % {"unit": subscription.unit.name},
                to=[user.email],
            )
        for stored in report.files.filter(format__in=[ReportFormat.PDF, ReportFormat.DOCX]):
            with stored.file.open("rb") as handle:
                message.attach(stored.name, handle.read(), stored.content_type)
        message.send()
        with transaction.atomic():
            subscription.last_month_sent = month.start
            subscription.save(update_fields=["last_month_sent"])
            audit_write(
                actor=system,
                entries=[
                    entry_for(subscription, "send", after={"month": str(month.start), "report": report.pk})
                ],
            )
        sent += 1
    return {"sent": sent, "skipped": skipped, "failed": failed}


def default_period(kind: str, day: datetime.date | None = None) -> Period:
    day = day or today()
    if kind == ReportKind.YEAR:
        return year_period(day.year)
    return previous_month(day)
