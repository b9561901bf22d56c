"""Source documents, the tasks they are broken into, and what happens to a task until it is closed."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.core import response_cache
from kycuong.core.files import StoredFile, stored_file_path
from kycuong.core.models import SearchableModel
from kycuong.org.models import Staff, Unit


class DocumentKind(models.TextChoices):
    DIRECTIVE = "directive", _("Directive")
    RESOLUTION = "resolution", _("Resolution")
    PLAN = "plan", _("Plan")
    CONCLUSION = "conclusion", _("Conclusion of a meeting")
    OFFICIAL_LETTER = "official_letter", _("Official letter")
    OTHER = "other", _("Other document")


class SourceDocument(SearchableModel):
    """A directive, resolution, plan, conclusion or letter that gives rise to tasks."""

    number = models.CharField(_("number"), max_length=60)
    kind = models.CharField(_("document kind"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("document title"), max_length=500)
    issuing_unit = models.ForeignKey(
        Unit, verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="issued_documents"
    )
    issued_on = models.DateField(_("date"))
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "issuing_unit"

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")
        constraints = [
            models.UniqueConstraint(fields=["issuing_unit", "number"], name="document_number_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"

    def search_source(self) -> str:
        return f"{self.number} {self.title}"


class TaskState(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned to the assigner")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved (closed)")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (
    TaskState.ASSIGNED,
    TaskState.ACCEPTED,
    TaskState.RETURNED,
    TaskState.IN_PROGRESS,
    TaskState.SUBMITTED,
)
CLOSED_STATES = (TaskState.APPROVED, TaskState.CANCELLED)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Recurrence(models.TextChoices):
    NONE = "", _("Does not repeat")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


# What decides where a task counts in the tally (tasks.tally).
TALLY_FIELDS = ("lead_unit_id", "due_date", "state", "late_working_days", "submitted_on")


class Task(SearchableModel):
    """A task assigned by a unit to a lead unit, with a responsible person and a due date."""

    title = models.CharField(_("task title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    document = models.ForeignKey(
        SourceDocument,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subtasks",
    )
    assigning_unit = models.ForeignKey(
        Unit, verbose_name=_("assigning unit"), on_delete=models.PROTECT, related_name="assigned_tasks"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="tasks_assigned",
    )
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="led_tasks"
    )
    cooperating_units = models.ManyToManyField(
        Unit, verbose_name=_("cooperating units"), blank=True, related_name="cooperating_tasks"
    )
    responsible = models.ForeignKey(
        Staff,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    due_working_days = models.PositiveSmallIntegerField(
        _("due in working days"),
        null=True,
        blank=True,
        help_text=_("When set, the due date was computed as this many working days from the start."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    expected_product = models.CharField(_("expected product"), max_length=300, blank=True)
    recurrence = models.CharField(
        _("repeats"), max_length=10, choices=Recurrence.choices, blank=True, default=""
    )
    previous_occurrence = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_occurrence"
    )
    state = models.CharField(_("state"), max_length=20, choices=TaskState.choices, default=TaskState.ASSIGNED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    last_report_on = models.DateField(_("last progress report"), null=True, blank=True)
    submitted_on = models.DateField(_("last submitted on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    late_working_days = models.SmallIntegerField(_("working days late"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("sent back for rework"), default=0)
    version = models.PositiveIntegerField(default=1)
    # Day numbers (date.toordinal) of start and due date, so that "share of time used" is integer arithmetic
    # that SQLite and PostgreSQL compute alike in a list filter.
    start_day = models.PositiveIntegerField(editable=False, default=0)
    due_day = models.PositiveIntegerField(editable=False, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "lead_unit"
    SCOPE_EXTRA_UNIT_FIELDS = ("assigning_unit", "cooperating_units")

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        permissions = [
            ("assign_task", _("Can assign tasks and decide on them")),
            ("work_task", _("Can work on tasks of the unit")),
        ]
        indexes = [
            models.Index(fields=["lead_unit", "state", "due_date"], name="task_lead_state_due_idx"),
            models.Index(fields=["assigning_unit", "state", "due_date"], name="task_assigner_state_due_idx"),
            models.Index(fields=["responsible", "state", "due_date"], name="task_responsible_idx"),
            models.Index(fields=["state", "due_date"], name="task_state_due_idx"),
            models.Index(fields=["due_date", "id"], name="task_due_idx"),
            models.Index(fields=["lead_unit", "due_date", "id"], name="task_lead_due_idx"),
            models.Index(fields=["assigning_unit", "due_date", "id"], name="task_assigner_due_idx"),
            models.Index(fields=["lead_unit", "closed_on"], name="task_lead_closed_idx"),
            # Open tasks in due-date order: overdue lists and reminders read only these.
            models.Index(
                fields=["due_date", "id"],
                name="task_open_due_idx",
                condition=Q(state__in=["assigned", "accepted", "returned", "in_progress", "submitted"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("start_date")), name="task_due_after_start"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_percent"),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        task = super().from_db(db, field_names, values, **kwargs)
        if not task.get_deferred_fields().intersection(TALLY_FIELDS):
            task._tally_source = task.tally_source()
        return task

    def tally_source(self) -> tuple:
        return tuple(getattr(self, name) for name in TALLY_FIELDS)

    def _stored_tally_source(self) -> tuple | None:
        return Task.objects.filter(pk=self.pk).values_list(*TALLY_FIELDS).first()

    def units_concerned(self) -> set[int]:
        """The units whose API answers a write of this task may change (core.response_cache): those it
        belongs to now, and as stored before this write. Read only while the response cache is on, inside
        the write's transaction."""
        if not response_cache.is_enabled():
            return set()
        units = {self.lead_unit_id, self.assigning_unit_id}
        loaded = getattr(self, "_tally_source", None)
        if loaded is not None:  # the lead unit when this object was read: the tally moves a count from it
            units.add(loaded[0])
        if self.pk is not None:
            # Locked (the write that follows would lock it anyway): no other save moves it in between.
            stored = Task.objects.select_for_update().filter(pk=self.pk)
            stored = stored.values_list("lead_unit_id", "assigning_unit_id").first()
            units.update(stored or ())
            links = Task.cooperating_units.through.objects.filter(task_id=self.pk)
            units.update(links.values_list("unit_id", flat=True))
        return units

    def save(self, *args, **kwargs):
        """Saves the task and moves its count in the tally (tasks.tally) in the same transaction, whatever
        path the write comes by."""
        from .tally import tally_move

        self.refresh_day_numbers()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "start_day", "due_day"}
        with transaction.atomic(), response_cache.changes_in_units(self.units_concerned()):
            old = getattr(self, "_tally_source", None)
            if old is None and not self._state.adding:
                old = self._stored_tally_source()
            super().save(*args, **kwargs)
            new = self.tally_source()
            tally_move(old, new)
            self._tally_source = new

    def delete(self, *args, **kwargs):
        from .tally import tally_move

        with transaction.atomic(), response_cache.changes_in_units(self.units_concerned()):
            old = self._stored_tally_source()
            result = super().delete(*args, **kwargs)
            tally_move(old, None)
        return result

    def refresh_day_numbers(self) -> None:
        self.start_day = self.start_date.toordinal()
        self.due_day = self.due_date.toordinal()

    def search_source(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class TallyCategory(models.TextChoices):
    ON_TIME = "on_time", _("Approved on time")
    LATE = "late", _("Approved late")
    APPROVED_UNJUDGED = "approved", _("Approved, lateness not judged")
    CANCELLED = "cancelled", _("Cancelled")
    HANDED_IN = "handed_in", _("Handed in by the due date, awaiting approval")
    OPEN = "open", _("Open")


class TaskTally(models.Model):
    """How many tasks led by the unit (own) or by units under it fall due on a day with an outcome category.
    Kept by tasks.tally in the same transaction as every task write; read by the unit summaries."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    own = models.BooleanField()
    due_date = models.DateField()
    category = models.CharField(max_length=12, choices=TallyCategory.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "own", "due_date", "category"], name="task_tally_key"),
        ]
        # The index on (unit, due_date) is made by migration 0007: on PostgreSQL it carries the category and
        # the count, so the summaries and the dashboard read a period by an index-only scan.

    def __str__(self) -> str:
        return f"{self.unit_id} {self.due_date} {self.category}: {self.count}"


class ProgressReport(models.Model):
    """A report on a task's progress; kept as a timeline, never overwritten."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    text = models.TextField(_("report"))
    reported_on = models.DateField(_("date"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "task__lead_unit"

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.percent}%"


class TaskEvent(models.Model):
    """One step of a task's life (accepted, returned, submitted with evidence, sent back, extended...)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned to the assigner")
        STARTED = "started", _("Work started")
        SUBMITTED = "submitted", _("Submitted with evidence")
        APPROVED = "approved", _("Approved")
        REWORK = "rework", _("Sent back for rework")
        CANCELLED = "cancelled", _("Cancelled")
        REASSIGNED = "reassigned", _("Assigned again")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_GRANTED = "extension_granted", _("Extension granted")
        EXTENSION_REFUSED = "extension_refused", _("Extension refused")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    old_due_date = models.DateField(null=True, blank=True)
    new_due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "task__lead_unit"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.kind}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="extensions")
    old_due_date = models.DateField(_("due date before"))
    requested_due_date = models.DateField(_("requested due date"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    SCOPE_UNIT_FIELD = "task__lead_unit"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(state="requested"), name="one_open_extension_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.requested_due_date}"


# Named in an early migration; files now go where StoredFile puts them.
attachment_path = stored_file_path


class Attachment(StoredFile):
    """A file attached to a task, a progress report or a submission; downloaded only through a scoped view."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    report = models.ForeignKey(
        ProgressReport, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        TaskEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )

    SCOPE_UNIT_FIELD = "task__lead_unit"

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def file_directory(self) -> str:
        return f"tasks/{self.task_id}"


class DocumentAttachment(StoredFile):
    """The text of a source document (the signed scan, the .docx) and its annexes."""

    document = models.ForeignKey(SourceDocument, on_delete=models.CASCADE, related_name="attachments")

    SCOPE_UNIT_FIELD = "document__issuing_unit"

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("document file")
        verbose_name_plural = _("document files")

    def file_directory(self) -> str:
        return f"documents/{self.document_id}"
