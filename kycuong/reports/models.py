"""The leadership dashboard and the periodic reports generated from every module.

- `SignalThreshold`: the red/amber/green limits of one dashboard figure (by its key), with a validity period,
  so a report of 2025 keeps the limits of 2025.
- `Report`: a generated report for a unit and a period, made in the background; its files are `ReportFile`
  rows (PDF, .docx, .xlsx) kept with who asked for them and when.
- `Subscription`: a user receives a unit's monthly report by e-mail.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kycuong.core.files import StoredFile
from kycuong.org.models import Unit


class Signal(models.TextChoices):
    GREEN = "green", _("Good")
    AMBER = "amber", _("Needs watching")
    RED = "red", _("Needs action")


class SignalThreshold(models.Model):
    """For a figure where higher is better: below `red_at` is red, below `amber_at` amber, otherwise green.
    Where lower is better the comparison turns round: above `red_at` red, above `amber_at` amber."""

    key = models.CharField(_("figure key"), max_length=100)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    amber_at = models.DecimalField(_("amber from"), max_digits=16, decimal_places=2)
    red_at = models.DecimalField(_("red from"), max_digits=16, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["key", "-valid_from"]
        indexes = [models.Index(fields=["key", "valid_from"], name="threshold_key_from_idx")]
        verbose_name = _("signal threshold")
        verbose_name_plural = _("signal thresholds")

    def __str__(self) -> str:
        return f"{self.key} ({self.valid_from:%d/%m/%Y})"

    def clean(self) -> None:
        errors = {}
        if self.amber_at is not None and self.red_at is not None:
            if self.higher_is_better and self.red_at > self.amber_at:
                errors["red_at"] = _("Where higher is better, the red limit cannot be above the amber one.")
            if not self.higher_is_better and self.red_at < self.amber_at:
                errors["red_at"] = _("Where lower is better, the red limit cannot be below the amber one.")
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end of validity cannot come before its start.")
        if errors:
            raise ValidationError(errors)

    def signal_for(self, value) -> str | None:
        if value is None:
            return None
        if self.higher_is_better:
            if value < self.red_at:
                return Signal.RED
            return Signal.AMBER if value < self.amber_at else Signal.GREEN
        if value > self.red_at:
            return Signal.RED
        return Signal.AMBER if value > self.amber_at else Signal.GREEN


class ReportKind(models.TextChoices):
    MONTH = "month", _("Monthly report")
    QUARTER = "quarter", _("Quarterly report")
    YEAR = "year", _("Yearly report")
    REVIEW = "review", _("Review of years of implementing a directive")


class ReportState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    directive = models.CharField(_("directive"), max_length=200, blank=True)
    years = models.PositiveSmallIntegerField(_("years"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=500)
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("made by")
    )
    requested_at = models.DateTimeField(_("asked for at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["unit", "-requested_at"], name="report_unit_requested_idx")]
        permissions = [("view_dashboard", "Can view the leadership dashboard")]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.title

    @property
    def is_running(self) -> bool:
        return self.state in (ReportState.QUEUED, ReportState.RUNNING)


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (.docx)"
    XLSX = "xlsx", "Excel (.xlsx)"


class ReportFile(StoredFile):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(max_length=5, choices=ReportFormat.choices)

    SCOPE_UNIT_FIELD = "report__unit"

    class Meta:
        ordering = ["report", "format"]
        constraints = [models.UniqueConstraint(fields=["report", "format"], name="reportfile_one_per_format")]
        verbose_name = _("report file")
        verbose_name_plural = _("report files")

    def file_directory(self) -> str:
        return f"reports/{self.report_id}"


class Subscription(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_month_sent = models.DateField(_("last month sent"), null=True, blank=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["unit", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "user"], condition=models.Q(active=True), name="subscription_one_active"
            )
        ]
        indexes = [models.Index(fields=["active", "last_month_sent"], name="subscription_due_idx")]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.unit} → {self.user}"
