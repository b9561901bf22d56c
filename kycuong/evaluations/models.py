"""Evaluation methods (rules as data, with validity periods), cycles, the evaluations of staff and units."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kycuong.org.models import Staff, Unit


class Subject(models.TextChoices):
    STAFF = "staff", _("Staff members")
    UNIT = "unit", _("Units and their heads")


class Method(models.Model):
    """One version of an evaluation method. Versions of one `code` follow each other in time; a cycle keeps
    the version valid on its first day, so a 2024 cycle is scored by the 2024 rules whatever comes later.

    `rules` holds every number of the method (see kycuong/evaluations/scoring.py for what it may contain).
    """

    code = models.SlugField(_("method code"), max_length=60)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    subject = models.CharField(_("evaluates"), max_length=10, choices=Subject.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    rules = models.JSONField(_("rules"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "-valid_from"]
        verbose_name = _("evaluation method")
        verbose_name_plural = _("evaluation methods")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="eval_method_version"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="eval_method_validity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.valid_from:%d/%m/%Y})"

    @property
    def display_name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name

    def clean(self) -> None:
        from .scoring import validate_rules

        validate_rules(self.rules, self.subject)
        overlapping = Method.objects.filter(code=self.code).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        if self.valid_to is not None:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        if overlapping.exists():
            raise ValidationError(
                {"valid_from": _("Another version of this method is valid in part of this period.")}
            )

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class CycleState(models.TextChoices):
    OPEN = "open", _("Open")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    REVIEW = "review", _("Review")
    APPROVAL = "approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class Cycle(models.Model):
    """An evaluation round for a unit or a set of units over a month, a quarter or a year."""

    name = models.CharField(_("name"), max_length=255)
    method = models.ForeignKey(
        Method, verbose_name=_("method"), on_delete=models.PROTECT, related_name="cycles"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="evaluation_cycles"
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("units evaluated"), through="CycleUnit", related_name="evaluated_in_cycles"
    )
    include_descendants = models.BooleanField(_("include sub-units"), default=False)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    state = models.CharField(_("state"), max_length=20, choices=CycleState.choices, default=CycleState.OPEN)
    self_assessment_due = models.DateField(_("self-assessment due"))
    review_due = models.DateField(_("review due"))
    approval_due = models.DateField(_("approval due"))
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    returned_reason = models.TextField(_("reason for returning"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["-period_start", "id"]
        verbose_name = _("evaluation cycle")
        verbose_name_plural = _("evaluation cycles")
        permissions = [
            ("manage_cycle", _("Can open and run evaluation cycles")),
            ("approve_cycle", _("Can approve and publish evaluation cycles")),
        ]
        indexes = [
            models.Index(fields=["unit", "-period_start"], name="eval_cycle_unit_idx"),
            models.Index(fields=["state", "period_start"], name="eval_cycle_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="eval_cycle_period"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def step_due(self) -> datetime.date | None:
        return {
            CycleState.SELF_ASSESSMENT: self.self_assessment_due,
            CycleState.REVIEW: self.review_due,
            CycleState.APPROVAL: self.approval_due,
            CycleState.APPROVED: self.approval_due,
        }.get(self.state)


class CycleUnit(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="cycle_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    outstanding = models.BooleanField(
        _("rated outstanding"),
        default=False,
        help_text=_("Some methods allow a larger share of the top level in units rated outstanding."),
    )

    SCOPE_UNIT_FIELD = "cycle__unit"

    class Meta:
        verbose_name = _("unit of a cycle")
        verbose_name_plural = _("units of a cycle")
        constraints = [models.UniqueConstraint(fields=["cycle", "unit"], name="eval_cycle_unit_once")]

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.unit_id}"


class EvaluationState(models.TextChoices):
    PENDING = "pending", _("Awaiting self-assessment")
    SELF_ASSESSED = "self_assessed", _("Self-assessed")
    RETURNED = "returned", _("Returned for revision")
    REVIEWED = "reviewed", _("Reviewed")


class Role(models.TextChoices):
    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy head")
    MEMBER = "member", _("Member")
    UNIT = "unit", _("Unit")


class Evaluation(models.Model):
    """The evaluation of one person (or one unit and its head) in a cycle, with every point explained."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="evaluations")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(
        _("state"), max_length=20, choices=EvaluationState.choices, default=EvaluationState.PENDING
    )
    # Task results as counted from the tasks of the period (kept so that every figure can be explained).
    tasks_assigned = models.PositiveIntegerField(_("tasks assigned"), default=0)
    tasks_done = models.PositiveIntegerField(_("tasks done"), default=0)
    tasks_late = models.PositiveIntegerField(_("tasks done late"), default=0)
    rework_total = models.PositiveIntegerField(_("times sent back"), default=0)
    task_points = models.DecimalField(_("task results points"), max_digits=6, decimal_places=2, default=0)
    self_general_points = models.DecimalField(
        _("general criteria (self)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    general_points = models.DecimalField(
        _("general criteria"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    bonus_points = models.DecimalField(_("bonus points"), max_digits=6, decimal_places=2, default=0)
    self_criteria_points = models.JSONField(_("scorecard (self)"), default=dict, blank=True)
    criteria_points = models.JSONField(_("scorecard"), default=dict, blank=True)
    adjustment = models.DecimalField(_("adjustment"), max_digits=6, decimal_places=2, default=0)
    adjustment_reason = models.TextField(_("reason for the adjustment"), blank=True)
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2, default=0)
    score_level = models.CharField(_("level by score"), max_length=20, blank=True)
    level = models.CharField(_("level"), max_length=20, blank=True)
    ground_reason = models.TextField(_("grounds for “not completed”"), blank=True)
    manual_ground = models.TextField(_("grounds stated by the reviewer"), blank=True)
    quota_moved = models.BooleanField(_("moved down for the quota"), default=False)
    quota_reason = models.TextField(_("reason for moving down"), blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    self_note = models.TextField(_("self-assessment"), blank=True)
    review_note = models.TextField(_("reviewer's comment"), blank=True)
    returned_reason = models.TextField(_("reason for returning"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["unit_id", "-total", "id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        permissions = [("review_evaluation", _("Can review evaluations"))]
        indexes = [
            models.Index(fields=["cycle", "unit", "level"], name="eval_cycle_unit_level_idx"),
            models.Index(fields=["staff", "cycle"], name="eval_staff_idx"),
            models.Index(fields=["unit", "cycle"], name="eval_unit_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "staff"], condition=Q(staff__isnull=False), name="eval_once_per_staff"
            ),
            models.UniqueConstraint(
                fields=["cycle", "unit"], condition=Q(role="unit"), name="eval_once_per_unit"
            ),
        ]

    def __str__(self) -> str:
        who = self.staff.full_name if self.staff_id and self.staff else self.unit.name
        return f"{who}: {self.cycle.name}" if self.cycle_id else who

    @property
    def is_leader(self) -> bool:
        return self.role in (Role.HEAD, Role.DEPUTY, Role.UNIT)

    @property
    def level_name(self) -> str:
        from .scoring import level_name

        return level_name(self.cycle.method.rules, self.level)

    @property
    def score_level_name(self) -> str:
        from .scoring import level_name

        return level_name(self.cycle.method.rules, self.score_level)

    @property
    def general_used(self) -> Decimal | None:
        return self.general_points if self.general_points is not None else self.self_general_points
