"""Socio-economic indicators with their targets and actual figures; public investment projects, their capital
plans (with revisions) and disbursements.

Money is stored as whole đồng (BigIntegerField): 87,000 billion VND is 8.7e13, far within the 9.2e18 limit.

The dashboard figures come from two pre-aggregated tables, ProjectYear and UnitMonth, that the services keep
in step with every plan revision and disbursement in the same transaction (see services.py). They are exact
sums, never estimates; `services.aggregates_rebuild` recomputes them from the records and
`selectors.aggregates_mismatches` compares the two.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.core.models import SearchableModel
from kycuong.org.models import Unit


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class MeasureKind(models.TextChoices):
    FLOW = "flow", _("Each figure is for its own month or quarter; the year is their sum")
    YEAR_TO_DATE = "year_to_date", _("Each figure is the value for the year so far")


class Indicator(SearchableModel):
    """A socio-economic indicator as data: what is measured, in which unit of measure, which way is better."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("indicator name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=40)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="indicators"
    )
    additive = models.BooleanField(
        _("adds up over units"),
        default=False,
        help_text=_("The figure of a unit is the sum of the figures of the units below it."),
    )
    measure_kind = models.CharField(
        _("kind of figure"), max_length=20, choices=MeasureKind.choices, default=MeasureKind.YEAR_TO_DATE
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    tolerance_percent = models.DecimalField(
        _("at-risk band (%)"),
        max_digits=5,
        decimal_places=2,
        default=5,
        help_text=_("A forecast short of the target by at most this share of the target is “at risk”."),
    )
    description = models.TextField(_("description"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "owner_unit"

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        permissions = [
            ("manage_indicator", _("Can define indicators and set targets")),
            ("record_actual", _("Can record actual figures of indicators")),
        ]
        indexes = [models.Index(fields=["owner_unit", "code"], name="indicator_owner_idx")]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def search_source(self) -> str:
        return f"{self.code} {self.name} {self.name_en}"

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "vi").startswith("en"):
            return self.name_en
        return self.name


class IndicatorTarget(models.Model):
    """The target of an indicator for a unit and a year: a value (one bound) or a range (both bounds).

    Targets are revised by adding a row with a later `valid_from`; the target in force on a day is the row
    with the latest `valid_from` not after that day.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    target_min = models.DecimalField(_("at least"), max_digits=20, decimal_places=4, null=True, blank=True)
    target_max = models.DecimalField(_("at most"), max_digits=20, decimal_places=4, null=True, blank=True)
    valid_from = models.DateField(_("in force from"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["indicator", "unit", "year", "-valid_from", "-id"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "year", "valid_from"], name="target_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(target_min__isnull=False) | Q(target_max__isnull=False), name="target_has_bound"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year}: {self.target_min}–{self.target_max}"


class IndicatorActual(models.Model):
    """An actual figure for a month (1–12) or a quarter (recorded at its last month: 3, 6, 9, 12)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="actuals")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["indicator", "unit", "year", "month"]
        verbose_name = _("actual figure")
        verbose_name_plural = _("actual figures")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "year", "month"], name="actual_one_per_period"
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="actual_month_range"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.month:02d}/{self.year}: {self.value}"


class DisbursementRule(models.Model):
    """How the disbursement of a year is followed: the target rate, the lag margin and the seasonal path.

    `profile` holds 13 cumulative percentages, one for the end of each month of the plan year and the last
    for 31 January of the next year (100): the share of the target that a typical year has reached by then.
    The path needed on a day is target_percent × profile, interpolated linearly within the month.
    """

    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    target_percent = models.DecimalField(_("target rate (%)"), max_digits=5, decimal_places=2, default=95)
    lag_margin_points = models.DecimalField(
        _("lag margin (percentage points)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        help_text=_("A project or unit is lagging when its rate is below the path by more than this."),
    )
    profile = models.JSONField(_("cumulative profile (%)"))
    created_at = models.DateTimeField(auto_now_add=True)

    # The rules are the whole city's: no unit owns them, only system authority changes them.
    SCOPE_UNIT_FIELD = None

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("disbursement rule")
        verbose_name_plural = _("disbursement rules")

    def __str__(self) -> str:
        return self.name


class Project(SearchableModel):
    """A public investment project; scoped by the unit responsible for following it."""

    code = models.CharField(_("project code"), max_length=40, unique=True)
    name = models.CharField(_("project name"), max_length=500)
    investor_unit = models.ForeignKey(
        Unit, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="invested_projects"
    )
    responsible_unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "responsible_unit"

    class Meta:
        ordering = ["code"]
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")
        permissions = [
            ("plan_project", _("Can register projects and revise their capital plans")),
            ("record_disbursement", _("Can record disbursements")),
        ]
        indexes = [models.Index(fields=["responsible_unit", "code"], name="project_unit_code_idx")]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def search_source(self) -> str:
        return f"{self.code} {self.name}"


class PlanRevision(models.Model):
    """The capital plan of a project for a year as decided on a date: the amount assigned by the Prime
    Minister and the local additions. The plan in force on a day is the revision with the latest
    `effective_on` not after that day (ties: the one recorded last)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="plan_revisions")
    year = models.PositiveSmallIntegerField(_("plan year"))
    effective_on = models.DateField(_("effective on"))
    assigned_amount = models.BigIntegerField(_("assigned by the Prime Minister (VND)"))
    local_amount = models.BigIntegerField(_("local additions (VND)"), default=0)
    decision = models.CharField(_("decision"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "project__responsible_unit"

    class Meta:
        ordering = ["project", "year", "effective_on", "id"]
        verbose_name = _("capital plan revision")
        verbose_name_plural = _("capital plan revisions")
        indexes = [models.Index(fields=["project", "year", "effective_on"], name="plan_project_year_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(assigned_amount__gte=0, local_amount__gte=0), name="plan_amounts_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year} ({self.effective_on})"

    @property
    def total_amount(self) -> int:
        return self.assigned_amount + self.local_amount


class Disbursement(models.Model):
    """Capital paid out for a project's plan year: from 1 January of that year to 31 January of the next."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="disbursements")
    plan_year = models.PositiveSmallIntegerField(_("plan year"))
    paid_on = models.DateField(_("paid on"))
    amount = models.BigIntegerField(_("amount (VND)"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "project__responsible_unit"

    class Meta:
        ordering = ["project", "paid_on", "id"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        indexes = [
            models.Index(fields=["project", "plan_year", "paid_on"], name="disb_project_year_idx"),
            models.Index(fields=["plan_year", "paid_on"], name="disb_year_paid_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.paid_on}: {self.amount}"


class ProjectYear(models.Model):
    """Pre-aggregate: a project's plan in force (latest revision) and what it has disbursed for a plan year.

    Written only by the services, in the transaction of the revision or disbursement that changes it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField()
    responsible_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    assigned_amount = models.BigIntegerField(default=0)
    local_amount = models.BigIntegerField(default=0)
    total_amount = models.BigIntegerField(default=0)
    disbursed = models.BigIntegerField(default=0)

    SCOPE_UNIT_FIELD = "responsible_unit"

    class Meta:
        verbose_name = _("project year")
        verbose_name_plural = _("project years")
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="project_year_unique")]
        indexes = [models.Index(fields=["year", "responsible_unit"], name="projyear_year_unit_idx")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"


class UnitMonth(models.Model):
    """Pre-aggregate: the disbursements of a plan year by responsible unit and month (13: January Y+1)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField(default=0)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        verbose_name = _("unit month")
        verbose_name_plural = _("unit months")
        constraints = [models.UniqueConstraint(fields=["year", "unit", "month"], name="unit_month_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month}/{self.year}"


class ProjectTask(models.Model):
    """A follow-up task given to a lagging project's responsible unit."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="follow_up_tasks")
    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="+")
    plan_year = models.PositiveSmallIntegerField(_("plan year"))
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "project__responsible_unit"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")

    def __str__(self) -> str:
        return f"{self.project_id} → {self.task_id}"
