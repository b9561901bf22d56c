"""Inspection and supervision plans, inspections, their subjects and findings, conclusions, recommendations,
and the log of who opened a confidential record.

Kinds are data with a validity period (Regulation 296-QĐ/TW replaced 22-QĐ/TW in 2025; the Law on Inspection
changes too). A subject row copies the few inspection fields that the statistics filter on (deciding unit,
decision date, kind, planned), so that the city-wide figures are one indexed pass over one table.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.core.files import StoredFile, stored_file_path
from kycuong.org.models import Staff, Unit


class KindCategory(models.TextChoices):
    SUPERVISION = "supervision", _("Supervision")
    INSPECTION = "inspection", _("Inspection")


class InspectionKind(models.Model):
    """A kind of inspection or supervision, valid for a period (rules change: keep them as data)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=KindCategory.choices)
    is_party = models.BooleanField(_("Party inspection or supervision"), default=False)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("inspection kind")
        verbose_name_plural = _("inspection kinds")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "vi").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    def valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Plan(models.Model):
    """The annual inspection and supervision plan of one body (Party committee, inspection committee,
    People's Committee, inspectorate)."""

    unit = models.ForeignKey(Unit, verbose_name=_("body"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.CharField(_("number"), max_length=60)
    title = models.CharField(_("title"), max_length=300)
    approved_on = models.DateField(_("approved on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["-year", "unit_id", "number"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "number"], name="inspection_plan_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"


class PlanItem(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    kind = models.ForeignKey(
        InspectionKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=500)
    subject_units = models.ManyToManyField(
        Unit, verbose_name=_("organisations"), blank=True, related_name="+"
    )
    subject_staff = models.ManyToManyField(Staff, verbose_name=_("individuals"), blank=True, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    team_lead = models.ForeignKey(
        Staff, verbose_name=_("team lead"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team_members = models.ManyToManyField(Staff, verbose_name=_("team members"), blank=True, related_name="+")

    SCOPE_UNIT_FIELD = "plan__unit"

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="plan_item_dates"),
        ]

    def __str__(self) -> str:
        return self.topic


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DECIDED = "decided", _("Decided")
    IN_PROGRESS = "in_progress", _("In progress")
    CONCLUDED = "concluded", _("Concluded")
    CLOSED = "closed", _("Follow-up closed")


# Inspections that took place: counted in the statistics by their decision date.
HELD_STATUSES = (Status.DECIDED, Status.IN_PROGRESS, Status.CONCLUDED, Status.CLOSED)


def conclusion_path(instance, filename: str) -> str:
    return f"inspections/{instance.pk}/conclusion-{filename[-80:]}"


class Inspection(models.Model):
    kind = models.ForeignKey(
        InspectionKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+"
    )
    plan_item = models.ForeignKey(
        PlanItem,
        verbose_name=_("plan item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    planned = models.BooleanField(_("planned"), default=True)
    deciding_unit = models.ForeignKey(
        Unit, verbose_name=_("deciding body"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=500)
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    covered_from = models.DateField(_("period covered from"), null=True, blank=True)
    covered_to = models.DateField(_("period covered to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    team_lead = models.ForeignKey(
        Staff, verbose_name=_("team lead"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team_members = models.ManyToManyField(Staff, verbose_name=_("team members"), blank=True, related_name="+")
    started_on = models.DateField(_("started on"), null=True, blank=True)
    conclusion_number = models.CharField(_("conclusion number"), max_length=60, blank=True)
    conclusion_date = models.DateField(_("conclusion date"), null=True, blank=True)
    conclusion_summary = models.TextField(_("conclusion"), blank=True)
    conclusion_file = models.FileField(upload_to=conclusion_path, blank=True)
    closed_on = models.DateField(_("follow-up closed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "deciding_unit"

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("inspection or supervision")
        verbose_name_plural = _("inspections and supervisions")
        permissions = [
            ("manage_inspection", _("Can plan, conduct and conclude inspections and supervisions")),
        ]
        indexes = [
            models.Index(fields=["decision_date", "deciding_unit", "kind", "planned"], name="insp_stats_idx"),
            models.Index(fields=["deciding_unit", "status", "decision_date"], name="insp_unit_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="planned") | Q(decision_date__isnull=False), name="inspection_decided_date"
            ),
        ]

    def __str__(self) -> str:
        return self.topic


class SubjectResult(models.TextChoices):
    PENDING = "", _("Not assessed yet")
    COMPLIANT = "compliant", _("Compliant")
    SHORTCOMINGS = "shortcomings", _("Shortcomings")
    VIOLATION = "violation", _("Violation")


RESULT_RANK = {"": 0, "compliant": 1, "shortcomings": 2, "violation": 3}


class Subject(models.Model):
    """An organisation (a unit) or an individual (a staff member) inspected or supervised."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="subjects")
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ForeignKey(
        Staff, verbose_name=_("individual"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The unit the subject belongs to: the organisation itself, or the person's managing unit. Confidential
    # findings are scoped by it.
    subject_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(
        _("result"), max_length=20, choices=SubjectResult.choices, blank=True, default=SubjectResult.PENDING
    )
    # Copies of the inspection's fields, kept by the services, for the statistics.
    deciding_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    kind = models.ForeignKey(InspectionKind, on_delete=models.PROTECT, related_name="+")
    is_supervision = models.BooleanField(default=False)
    is_party_member = models.BooleanField(default=False)

    SCOPE_UNIT_FIELD = "inspection__deciding_unit"

    class Meta:
        ordering = ["id"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        indexes = [
            # Covers the statistics: a year of subjects is read by an index-only scan (PostgreSQL).
            models.Index(
                fields=[
                    "decided_on",
                    "deciding_unit",
                    "unit",
                    "staff",
                    "result",
                    "is_supervision",
                    "is_party_member",
                ],
                name="subject_stats_idx",
            ),
            models.Index(fields=["staff", "decided_on"], name="subject_staff_idx"),
            models.Index(fields=["unit", "decided_on"], name="subject_unit_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(unit__isnull=False, staff__isnull=True) | Q(unit__isnull=True, staff__isnull=False)
                ),
                name="subject_unit_or_staff",
            ),
            models.UniqueConstraint(
                fields=["inspection", "unit"], condition=Q(unit__isnull=False), name="subject_unit_once"
            ),
            models.UniqueConstraint(
                fields=["inspection", "staff"], condition=Q(staff__isnull=False), name="subject_staff_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.staff or self.unit)

    @property
    def is_individual(self) -> bool:
        return self.staff_id is not None


class Finding(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="findings")
    result = models.CharField(_("result"), max_length=20, choices=SubjectResult.choices[1:])
    description = models.TextField(_("description"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "subject__subject_unit"

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.subject}: {self.get_result_display()}"


# Named in the first migration; files now go where StoredFile puts them.
evidence_path = stored_file_path


class EvidenceFile(StoredFile):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="files")

    SCOPE_UNIT_FIELD = "finding__subject__subject_unit"

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def file_directory(self) -> str:
        return f"inspections/findings/{self.finding_id}"


class RecommendationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Carried out")
    CANCELLED = "cancelled", _("Withdrawn")


class Recommendation(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="recommendations")
    text = models.TextField(_("recommendation"))
    responsible_unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=20, choices=RecommendationStatus.choices, default=RecommendationStatus.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    result_note = models.TextField(_("result"), blank=True)
    task = models.ForeignKey(
        "tasks.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "inspection__deciding_unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("responsible_unit",)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return self.text[:80]


class ConfidentialAccess(models.Model):
    """Who opened a confidential record (a finding about a person, a discipline case), and when. Append-only:
    nothing in the code updates or deletes a row, and on PostgreSQL a trigger refuses both."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No cascade and no constraint: nothing that later happens to a user may rewrite or block the log.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    user_label = models.CharField(_("user"), max_length=150)
    action = models.CharField(_("action"), max_length=20)  # view, download, export
    object_type = models.CharField(_("record type"), max_length=60)
    object_id = models.CharField(_("record"), max_length=40)
    object_repr = models.CharField(_("record"), max_length=255)
    subject_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(max_length=64, blank=True)

    SCOPE_UNIT_FIELD = "subject_unit"

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access to a confidential record")
        verbose_name_plural = _("accesses to confidential records")
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="access_object_idx"),
            models.Index(fields=["subject_unit", "-at"], name="access_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_label} {self.action} {self.object_repr}"
