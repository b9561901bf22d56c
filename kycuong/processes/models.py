"""Internal work processes (BPMN), their instances and steps.

The engine's state of an instance is kept as JSON in `ProcessInstance.workflow`; everything that lists,
queues or counts reads the plain columns of instances and steps and the monthly figures, never the JSON.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.core.files import StoredFile, stored_file_path
from kycuong.core.models import SearchableModel
from kycuong.org.models import Unit


class LimitUnit(models.TextChoices):
    DAYS = "days", _("working days")
    HOURS = "hours", _("working hours")


class Outcome(models.TextChoices):
    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class ProcessDefinition(SearchableModel):
    """One version of a process in a unit's catalogue, with its BPMN diagram."""

    class State(models.TextChoices):
        ACTIVE = "active", _("In force")
        RETIRED = "retired", _("Retired")

    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="process_definitions"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=300)
    scope = models.TextField(_("scope"), blank=True, help_text=_("Who and what the process applies to."))
    version = models.PositiveIntegerField(_("version"), default=1)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    bpmn_process_id = models.CharField(_("BPMN process id"), max_length=100)
    bpmn_xml = models.TextField(_("BPMN diagram"))
    limit_value = models.PositiveIntegerField(_("overall time limit"), null=True, blank=True)
    limit_unit = models.CharField(
        _("time limit counted in"), max_length=5, choices=LimitUnit.choices, default=LimitUnit.DAYS
    )
    interconnected = models.BooleanField(_("interconnected"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "owner_unit"

    class Meta:
        ordering = ["owner_unit", "code", "-version"]
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        permissions = [
            ("manage_process", _("Can import, build and retire processes of the unit")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner_unit", "code", "version"], name="process_code_version"),
        ]
        indexes = [models.Index(fields=["owner_unit", "state", "code"], name="process_owner_state_idx")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}: {self.name}"

    def search_source(self) -> str:
        return f"{self.code} {self.name}"


class StepDefinition(models.Model):
    """A user task of a process version as read from its diagram: who performs it and in how long."""

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.CASCADE, related_name="step_specs")
    position = models.PositiveSmallIntegerField(default=0)
    bpmn_id = models.CharField(max_length=100)
    name = models.CharField(_("step"), max_length=200)
    role = models.CharField(_("role"), max_length=40, blank=True)
    unit_ref = models.CharField(_("performer unit"), max_length=40, blank=True)
    limit_value = models.PositiveIntegerField(_("time limit"), null=True, blank=True)
    limit_unit = models.CharField(max_length=5, choices=LimitUnit.choices, default=LimitUnit.DAYS)
    decisions = models.JSONField(default=list, blank=True)
    timers = models.JSONField(default=list, blank=True)

    SCOPE_UNIT_FIELD = "definition__owner_unit"

    class Meta:
        ordering = ["definition", "position"]
        constraints = [models.UniqueConstraint(fields=["definition", "bpmn_id"], name="step_spec_unique")]

    def __str__(self) -> str:
        return self.name


class ProcessInstance(SearchableModel):
    """A process run for a case (a citizen's dossier, an internal request) by a unit."""

    class State(models.TextChoices):
        RUNNING = "running", _("In progress")
        PAUSED = "paused", _("Waiting for the citizen")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class CaseKind(models.TextChoices):
        DOSSIER = "dossier", _("Citizen's dossier")
        REQUEST = "request", _("Internal request")
        DOCUMENT = "document", _("Incoming document")
        PETITION = "petition", _("Petition")

    definition = models.ForeignKey(
        ProcessDefinition, verbose_name=_("process"), on_delete=models.PROTECT, related_name="instances"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    participant_units = models.ManyToManyField(Unit, blank=True, related_name="+")
    case_kind = models.CharField(_("kind of case"), max_length=10, choices=CaseKind.choices)
    case_reference = models.CharField(_("case reference"), max_length=60)
    case_title = models.CharField(_("case"), max_length=300)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    started_on = models.DateField(_("started on"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    allowed_minutes = models.IntegerField(_("time allowed (working minutes)"), null=True, blank=True)
    used_minutes = models.IntegerField(_("time used (working minutes)"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.IntegerField(default=0)
    pause_reason = models.CharField(max_length=500, blank=True)
    current_steps = models.CharField(_("current steps"), max_length=500, blank=True)
    next_timer_at = models.DateTimeField(null=True, blank=True)
    workflow = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("participant_units",)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("process instance")
        verbose_name_plural = _("process instances")
        permissions = [("start_process", _("Can start processes and pause or resume them"))]
        indexes = [
            models.Index(fields=["unit", "state", "-started_at"], name="pinst_unit_state_idx"),
            models.Index(fields=["unit", "completed_on"], name="pinst_unit_completed_idx"),
            models.Index(fields=["definition", "completed_on"], name="pinst_def_completed_idx"),
            models.Index(fields=["-started_at", "-id"], name="pinst_started_idx"),
            models.Index(
                fields=["next_timer_at"], name="pinst_timer_idx", condition=Q(next_timer_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_reference}: {self.case_title}"

    def search_source(self) -> str:
        return f"{self.case_reference} {self.case_title}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.RUNNING, self.State.PAUSED)


class ProcessStep(models.Model):
    """One time a user task reached its performer: who holds it, since when, until when, and how it ended."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting")
        DONE = "done", _("Done")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="steps")
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="+")
    bpmn_id = models.CharField(max_length=100)
    name = models.CharField(_("step"), max_length=200)
    unit = models.ForeignKey(
        Unit, verbose_name=_("performer unit"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=40, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("held by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    engine_task_id = models.CharField(max_length=36)
    started_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("finished"), null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    limit_value = models.PositiveIntegerField(null=True, blank=True)
    limit_unit = models.CharField(max_length=5, choices=LimitUnit.choices, default=LimitUnit.DAYS)
    allowed_minutes = models.IntegerField(null=True, blank=True)
    used_minutes = models.IntegerField(null=True, blank=True)
    paused_minutes = models.IntegerField(default=0)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    result = models.TextField(_("result"), blank=True)
    decision = models.CharField(_("decision"), max_length=100, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    SCOPE_UNIT_FIELD = "unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("instance__unit",)

    class Meta:
        ordering = ["instance", "started_at", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        permissions = [("work_step", _("Can perform and return process steps of the unit"))]
        indexes = [
            models.Index(fields=["unit", "state", "due_at"], name="pstep_unit_state_due_idx"),
            models.Index(fields=["assignee", "state", "due_at"], name="pstep_assignee_idx"),
            models.Index(fields=["unit", "completed_on"], name="pstep_unit_completed_idx"),
            models.Index(fields=["due_at", "id"], name="pstep_open_due_idx", condition=Q(state="open")),
        ]

    def __str__(self) -> str:
        return self.name


# Named in the first migration; files now go where StoredFile puts them.
attachment_path = stored_file_path


class StepAttachment(StoredFile):
    step = models.ForeignKey(ProcessStep, on_delete=models.CASCADE, related_name="attachments")

    SCOPE_UNIT_FIELD = "step__unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("step__instance__unit",)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def file_directory(self) -> str:
        return f"processes/{self.step.instance_id}"


class InstanceEvent(models.Model):
    """The instance's timeline: started, step done, returned, paused, resumed, escalated, completed."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        STEP_DONE = "step_done", _("Step done")
        RETURNED = "returned", _("Returned to an earlier step")
        PAUSED = "paused", _("Paused, waiting for the citizen")
        RESUMED = "resumed", _("Resumed")
        ESCALATED = "escalated", _("Escalated")
        TIMER = "timer", _("Timer fired")
        COMPLETED = "completed", _("Completed")
        CLAIMED = "claimed", _("Taken")

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="events")
    step = models.ForeignKey(ProcessStep, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.kind


class MonthlyFigure(models.Model):
    """Instances (level "instance") or steps (level "step") finished in a month, per unit and process:
    kept in the transaction that finishes them, so statistics read a few rows per unit and month."""

    class Level(models.TextChoices):
        INSTANCE = "instance", _("Whole process")
        STEP = "step", _("Step")

    level = models.CharField(max_length=8, choices=Level.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="+")
    # The process code, copied so that figures group by process across units without a join.
    code = models.CharField(max_length=40, default="")
    month = models.DateField()
    finished = models.PositiveIntegerField(default=0)
    early = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    used_minutes = models.BigIntegerField(default=0)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "unit", "definition", "month"], name="pfig_unique"),
        ]
        indexes = [models.Index(fields=["level", "month", "unit"], name="pfig_month_idx")]

    def __str__(self) -> str:
        return f"{self.level} {self.unit_id} {self.month}"


class UnitMonthFigure(models.Model):
    """The same figures summed over processes: one row per level, unit and month, so that a city's year
    reads a few thousand rows whatever the number of processes and cases."""

    level = models.CharField(max_length=8, choices=MonthlyFigure.Level.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    finished = models.PositiveIntegerField(default=0)
    early = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    used_minutes = models.BigIntegerField(default=0)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "unit", "month"], name="pufig_unique")]
        indexes = [models.Index(fields=["level", "month", "unit"], name="pufig_month_idx")]

    def __str__(self) -> str:
        return f"{self.level} {self.unit_id} {self.month}"
