"""Violations, discipline cases and their steps, decisions, appeals, and the notice that a Party organisation
is owed when one of its members is disciplined administratively.

Forms of discipline are data with a validity period: Regulation 69-QĐ/TW for Party organisations and members,
Decree 112/2020/NĐ-CP for cadres and civil servants until 30 June 2025, Decree 172/2025/NĐ-CP from 1 July
2025. A case decided in 2024 keeps the forms of 2024.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.inspections.models import Finding
from kycuong.org.models import Staff, Unit


class Regime(models.TextChoices):
    PARTY_ORGANISATION = "party_organisation", _("Party organisation")
    PARTY_MEMBER = "party_member", _("Party member")
    CADRE = "cadre", _("Cadre")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")


PARTY_REGIMES = (Regime.PARTY_ORGANISATION, Regime.PARTY_MEMBER)


class DisciplineForm(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    regime = models.CharField(_("applies to"), max_length=30, choices=Regime.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), help_text=_("1 is the lightest form."))
    # None: no limitation (expulsion-level violations).
    limitation_years = models.PositiveSmallIntegerField(_("limitation period (years)"), null=True, blank=True)
    effect_months = models.PositiveSmallIntegerField(_("effect (months)"), null=True, blank=True)
    managers_only = models.BooleanField(_("only for those holding a post"), default=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["regime", "valid_from", "level"]
        verbose_name = _("discipline form")
        verbose_name_plural = _("discipline forms")

    def __str__(self) -> str:
        return f"{self.name} ({self.legal_basis})"

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "vi").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def is_party(self) -> bool:
        return self.regime in PARTY_REGIMES

    def valid_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def limitation_ends(self, committed_on: datetime.date) -> datetime.date | None:
        if self.limitation_years is None:
            return None
        try:
            return committed_on.replace(year=committed_on.year + self.limitation_years)
        except ValueError:  # 29 February
            return committed_on.replace(year=committed_on.year + self.limitation_years, day=28)


class Severity(models.TextChoices):
    LESS_SERIOUS = "less_serious", _("Less serious")
    SERIOUS = "serious", _("Serious")
    VERY_SERIOUS = "very_serious", _("Very serious")


class CaseStatus(models.TextChoices):
    REVIEW = "review", _("Under review")
    PROPOSAL = "proposal", _("Proposal")
    DECIDED = "decided", _("Decided")
    DROPPED = "dropped", _("Not disciplined")


OPEN_CASE_STATUSES = (CaseStatus.REVIEW, CaseStatus.PROPOSAL)


class Case(models.Model):
    """A discipline case about an organisation or a person, handled by a competent body."""

    regime = models.CharField(_("applies to"), max_length=30, choices=Regime.choices)
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
    subject_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    competent_unit = models.ForeignKey(
        Unit, verbose_name=_("competent body"), on_delete=models.PROTECT, related_name="+"
    )
    finding = models.ForeignKey(
        Finding, verbose_name=_("finding"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    violation = models.TextField(_("violation"))
    committed_on = models.DateField(_("violation committed on"))
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    proposed_form = models.ForeignKey(
        DisciplineForm,
        verbose_name=_("proposed form"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REVIEW
    )
    opened_on = models.DateField(_("opened on"))
    deadline = models.DateField(_("handling deadline"))
    extended = models.BooleanField(_("handling time extended"), default=False)
    limitation_warning = models.TextField(_("limitation period"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)  # raised by every change: optimistic locking
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "subject_unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("competent_unit",)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("discipline case")
        verbose_name_plural = _("discipline cases")
        permissions = [
            ("handle_case", _("Can open and handle discipline cases")),
        ]
        indexes = [
            models.Index(fields=["competent_unit", "status", "deadline"], name="case_unit_status_idx"),
            models.Index(fields=["subject_unit", "-opened_on"], name="case_subject_unit_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(unit__isnull=False, staff__isnull=True) | Q(unit__isnull=True, staff__isnull=False)
                ),
                name="case_unit_or_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff or self.unit}: {self.violation[:60]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    @property
    def is_party(self) -> bool:
        return self.regime in PARTY_REGIMES


class CaseStep(models.Model):
    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened (review)")
        PROPOSAL = "proposal", _("Proposal")
        EXTENDED = "extended", _("Handling time extended")
        DECISION = "decision", _("Decision")
        DROPPED = "dropped", _("Not disciplined")
        APPEAL = "appeal", _("Appeal lodged")
        APPEAL_OUTCOME = "appeal_outcome", _("Appeal decided")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "case__subject_unit"

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind}"


class Decision(models.Model):
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="decision")
    form = models.ForeignKey(
        DisciplineForm, verbose_name=_("form"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("decision number"), max_length=60)
    signed_on = models.DateField(_("signed on"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    annulled = models.BooleanField(_("annulled on appeal"), default=False)
    # Copies of the case's subject and body, kept by the services, for the statistics.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    competent_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    is_party = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "subject_unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("competent_unit",)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("discipline decision")
        verbose_name_plural = _("discipline decisions")
        indexes = [
            models.Index(fields=["effective_from", "competent_unit", "form"], name="decision_stats_idx"),
            models.Index(fields=["staff", "effective_from"], name="decision_staff_idx"),
            models.Index(fields=["unit", "effective_from"], name="decision_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.form.name})"


class AppealOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Decision upheld")
    ANNULLED = "annulled", _("Decision annulled")


class Appeal(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="appeals")
    lodged_on = models.DateField(_("lodged on"))
    grounds = models.TextField(_("grounds"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=AppealOutcome.choices, default=AppealOutcome.PENDING
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    outcome_note = models.TextField(_("note"), blank=True)

    SCOPE_UNIT_FIELD = "decision__subject_unit"

    class Meta:
        ordering = ["lodged_on", "id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.outcome}"


class PartyNotice(models.Model):
    """A Party member was disciplined administratively: their Party organisation must be notified in time."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="party_notice")
    party_unit = models.ForeignKey(
        Unit, verbose_name=_("Party organisation"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("notify by"))
    notified_on = models.DateField(_("notified on"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    SCOPE_UNIT_FIELD = "decision__competent_unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("party_unit",)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("notice to the Party organisation")
        verbose_name_plural = _("notices to Party organisations")

    def __str__(self) -> str:
        return f"{self.decision}: {self.party_unit}"
