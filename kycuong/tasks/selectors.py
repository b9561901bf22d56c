"""Reads of tasks, always through the actor's scope. Overdue and at-risk are defined here and only here."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.fields import BooleanField
from django.db.models.functions import Coalesce
from django.http import Http404

from kycuong.core import response_cache
from kycuong.core.calendar import add_working_days, today
from kycuong.core.scoping import covered_units, covers_subtree, get_scoped_or_404, restrict
from kycuong.core.text import search
from kycuong.org.models import UnitClosure

from . import tally
from .models import OPEN_STATES, SourceDocument, Task, TaskState, TaskTally


def overdue_q(day: datetime.date) -> Q:
    """Past its due date and not closed, unless its result was handed in by the due date and only waits
    for the assigner's decision."""
    handed_in_on_time = Q(state=TaskState.SUBMITTED, submitted_on__lte=F("due_date"))
    return Q(state__in=OPEN_STATES, due_date__lt=day) & ~handed_in_on_time


def at_risk_q(day: datetime.date) -> Q:
    """Open, not overdue yet, and either behind schedule or close to its due date without a recent report.

    Behind schedule: the share of the time used exceeds the reported progress by more than the margin, in
    percent points (`risk_gap`, annotated by _with_risk_gap, which every caller applies first).
    """
    behind = Q(due_day__gt=F("start_day"), risk_gap__gt=settings.TASK_AT_RISK_MARGIN_PERCENT)
    soon = add_working_days(day, settings.TASK_AT_RISK_DUE_WITHIN_WORKING_DAYS)
    stale_before = day - datetime.timedelta(days=settings.TASK_AT_RISK_REPORT_AGE_DAYS)
    quiet = Q(due_date__lte=soon) & (Q(last_report_on__isnull=True) | Q(last_report_on__lt=stale_before))
    return Q(state__in=OPEN_STATES, due_date__gte=day) & (behind | quiet)


def _with_risk_gap(tasks: QuerySet, day: datetime.date) -> QuerySet:
    # Share of time used minus progress, in whole percent points (integer division on both databases).
    elapsed = Value(day.toordinal()) - F("start_day")
    span = F("due_day") - F("start_day")
    return tasks.annotate(
        risk_gap=Case(
            When(due_day__gt=F("start_day"), then=(elapsed * 100) / span - F("progress")),
            default=Value(0),
        )
    )


@dataclass(frozen=True)
class TaskFilters:
    scope: str = "units"  # "mine" (I am responsible), "assigned" (I assigned), "units" (my units' tasks)
    unit_id: int | None = None
    with_descendants: bool = True
    state: str | None = None
    overdue: bool = False
    at_risk: bool = False
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None
    document_id: int | None = None
    priority: int | None = None
    responsible_id: int | None = None
    outcome: str | None = None  # on_time, late, overdue, open: the summary's drill-down
    open_only: bool = False
    q: str | None = None
    sort: str = "due_date"


SORTS = {
    "due_date": ("due_date", "id"),
    "-due_date": ("-due_date", "-id"),
    "priority": ("-priority", "due_date", "id"),
    "title": ("title", "id"),
    "-updated": ("-updated_at", "-id"),
}


# A scope of at most this many units (a ward's staff, a small office) holds a few thousand tasks at most.
FEW_UNITS = 30


def _few_units(actor) -> bool:
    units = covered_units(actor, "tasks.view_task")
    return units is not None and len(units) <= FEW_UNITS


def _ordered_after_filtering(ordering: tuple[str, ...]) -> tuple:
    """The same order, by an expression no index provides. A small scope is an OR over the lead, assigning
    and cooperating units; sorted by `due_date`, PostgreSQL walks the whole table's due-date index and tests
    every row against the scope (0.4 s for a ward's first page among 5,000,000 tasks), where reading the
    scope's rows through the unit indexes and sorting them takes 3 ms."""
    by_due = {
        "due_date": Coalesce("due_date", "due_date").asc(),
        "-due_date": Coalesce("due_date", "due_date").desc(),
    }
    return tuple(by_due.get(key, key) for key in ordering)


def task_list(
    *, actor, filters: TaskFilters = TaskFilters(), day: datetime.date | None = None
) -> QuerySet[Task]:
    day = day or today()
    tasks = restrict(Task.objects.all(), actor, "tasks.view_task")
    if filters.scope == "mine":
        tasks = tasks.filter(responsible__user=actor)
    elif filters.scope == "assigned":
        tasks = tasks.filter(assigned_by_id=actor.pk)
    if filters.unit_id is not None:
        if filters.with_descendants:
            subtree = UnitClosure.objects.filter(ancestor_id=filters.unit_id).values("descendant_id")
            tasks = tasks.filter(lead_unit_id__in=subtree)
        else:
            tasks = tasks.filter(lead_unit_id=filters.unit_id)
    if filters.state:
        tasks = tasks.filter(state=filters.state)
    if filters.open_only:
        tasks = tasks.filter(state__in=OPEN_STATES)
    if filters.overdue:
        tasks = tasks.filter(overdue_q(day))
    if filters.at_risk:
        tasks = _with_risk_gap(tasks, day).filter(at_risk_q(day))
    if filters.due_from:
        tasks = tasks.filter(due_date__gte=filters.due_from)
    if filters.due_to:
        tasks = tasks.filter(due_date__lte=filters.due_to)
    if filters.document_id is not None:
        tasks = tasks.filter(document_id=filters.document_id)
    if filters.priority is not None:
        tasks = tasks.filter(priority=filters.priority)
    if filters.responsible_id is not None:
        tasks = tasks.filter(responsible_id=filters.responsible_id)
    if filters.outcome:
        tasks = tasks.filter(OUTCOMES[filters.outcome](day))
    ordering = SORTS.get(filters.sort, SORTS["due_date"])
    if _few_units(actor):
        ordering = _ordered_after_filtering(ordering)
    if filters.q:
        tasks = search(tasks, filters.q)
        ordering = ("search_rank", *ordering)
    return (
        tasks.select_related("lead_unit", "assigning_unit", "responsible", "document")
        .annotate(
            is_overdue=Case(
                When(overdue_q(day), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .order_by(*ordering)
    )


def task_flags(task: Task, day: datetime.date | None = None) -> dict[str, bool]:
    """Overdue and at-risk for one task, by the same rules as the lists (one query)."""
    day = day or today()
    matches = _with_risk_gap(Task.objects.filter(pk=task.pk), day)
    return {
        "overdue": matches.filter(overdue_q(day)).exists(),
        "at_risk": matches.filter(at_risk_q(day)).exists(),
    }


def task_get(*, actor, task_id: int) -> Task:
    """One task; its parent's title only where the actor may see the parent."""
    visible_parent = restrict(Task.objects.filter(pk=OuterRef("parent_id")), actor, "tasks.view_task")
    return get_scoped_or_404(
        Task.objects.select_related("lead_unit", "assigning_unit", "responsible", "document", "assigned_by")
        .annotate(parent_title=Subquery(visible_parent.values("title")[:1]))
        .prefetch_related("cooperating_units"),
        actor,
        "tasks.view_task",
        pk=task_id,
    )


def subtasks(*, actor, task: Task) -> QuerySet[Task]:
    return task_list(actor=actor).filter(parent_id=task.pk)


def visible_documents(actor) -> QuerySet[SourceDocument]:
    """Documents issued in the actor's units, and any document that a task they can see comes from."""
    cited = restrict(Task.objects.filter(document__isnull=False), actor, "tasks.view_task").values(
        "document_id"
    )
    issued = restrict(SourceDocument.objects.all(), actor, "tasks.view_sourcedocument").values("pk")
    return SourceDocument.objects.filter(Q(pk__in=issued) | Q(pk__in=cited))


def document_list(*, actor, q: str | None = None) -> QuerySet[SourceDocument]:
    visible_tasks = restrict(Task.objects.filter(document_id=OuterRef("pk")), actor, "tasks.view_task")
    task_count = visible_tasks.order_by().values("document_id").annotate(total=Count("id")).values("total")
    return (
        search(visible_documents(actor), q)
        .select_related("issuing_unit")
        .annotate(task_count=Coalesce(Subquery(task_count), 0))
        .order_by("search_rank", "-issued_on", "number")
    )


def document_get(*, actor, document_id: int) -> SourceDocument:
    document = visible_documents(actor).select_related("issuing_unit").filter(pk=document_id).first()
    if document is None:
        raise Http404
    return document


OUTCOMES = {
    # On time and late are judged in working days, exactly as the task page and the export show them.
    "on_time": lambda day: Q(state=TaskState.APPROVED, late_working_days=0),
    "late": lambda day: Q(state=TaskState.APPROVED, late_working_days__gt=0),
    "overdue": overdue_q,
    "open": lambda day: Q(state__in=OPEN_STATES, due_date__gte=day),
    "due": lambda day: ~Q(state=TaskState.CANCELLED),
}


@dataclass(frozen=True)
class UnitTaskSummary:
    assigned: int
    on_time: int
    late: int
    overdue: int
    in_progress: int
    cancelled: int

    @property
    def on_time_rate(self) -> float | None:
        """Of the tasks whose due date has been reached (closed, or still open past it), the share on time."""
        reached = self.on_time + self.late + self.overdue
        return round(100 * self.on_time / reached, 1) if reached else None


def _summary_figures(day: datetime.date) -> dict:
    return {
        "assigned": Count("id", filter=OUTCOMES["due"](day)),
        "on_time": Count("id", filter=OUTCOMES["on_time"](day)),
        "late": Count("id", filter=OUTCOMES["late"](day)),
        "overdue": Count("id", filter=OUTCOMES["overdue"](day)),
        "in_progress": Count("id", filter=OUTCOMES["open"](day)),
        "cancelled": Count("id", filter=Q(state=TaskState.CANCELLED)),
    }


def sub_unit_task_summaries(
    *, actor, unit_id: int, due_from: datetime.date, due_to: datetime.date, day: datetime.date | None = None
) -> dict[int, UnitTaskSummary]:
    """The summary of every sub-unit (each with its own descendants), in one grouped query."""
    day = day or today()
    if covers_subtree(actor, "tasks.view_task", unit_id):
        figures = tally.children_figures(unit_id=unit_id, due_from=due_from, due_to=due_to, day=day)
        return {child: UnitTaskSummary(**values) for child, values in figures.items()}
    tasks = task_list(actor=actor, filters=TaskFilters(due_from=due_from, due_to=due_to), day=day).order_by()
    rows = (
        tasks.filter(lead_unit__ancestor_links__ancestor__parent_id=unit_id)
        .values("lead_unit__ancestor_links__ancestor_id")
        .annotate(**_summary_figures(day))
    )
    return {row.pop("lead_unit__ancestor_links__ancestor_id"): UnitTaskSummary(**row) for row in rows}


def unit_task_summary(
    *,
    actor,
    unit_id: int,
    with_descendants: bool,
    due_from: datetime.date,
    due_to: datetime.date,
    day: datetime.date | None = None,
) -> UnitTaskSummary:
    """Tasks led by the unit and due in the period; each figure has a drill-down. Read from the tally when
    the actor sees every task of the subtree (the usual case for leaders), else counted from the tasks."""
    day = day or today()
    # Both ways read only tasks led by the unit (and its subtree): a kept answer depends on those alone.
    response_cache.note_reads_limited_to(
        [Task._meta.db_table, TaskTally._meta.db_table], [response_cache.unit_key(unit_id, with_descendants)]
    )
    if covers_subtree(actor, "tasks.view_task", unit_id):
        return UnitTaskSummary(
            **tally.subtree_figures(
                unit_id=unit_id, with_descendants=with_descendants, due_from=due_from, due_to=due_to, day=day
            )
        )
    filters = TaskFilters(
        unit_id=unit_id, with_descendants=with_descendants, due_from=due_from, due_to=due_to
    )
    tasks = task_list(actor=actor, filters=filters, day=day).order_by()
    return UnitTaskSummary(**tasks.aggregate(**_summary_figures(day)))


def document_task_summary(*, actor, document_id: int, day: datetime.date | None = None) -> UnitTaskSummary:
    """How far the tasks broken out of a document have got, counting those the actor can see."""
    day = day or today()
    tasks = task_list(actor=actor, filters=TaskFilters(document_id=document_id), day=day).order_by()
    return UnitTaskSummary(**tasks.aggregate(**_summary_figures(day)))


def document_attachment_get(*, actor, attachment_id: int):
    """A document's file, if the document is visible to the actor; 404 like a missing one otherwise."""
    from .models import DocumentAttachment

    attachment = DocumentAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    document_get(actor=actor, document_id=attachment.document_id)
    return attachment


def tasks_awaiting_decision(*, actor) -> QuerySet[Task]:
    """Submitted tasks, and tasks with an extension request, that the actor may decide on as assigner."""
    from kycuong.core.scoping import covered_units

    from .models import ExtensionRequest

    waiting = Task.objects.filter(state__in=OPEN_STATES).filter(
        Q(state=TaskState.SUBMITTED)
        | Q(pk__in=ExtensionRequest.objects.filter(state=ExtensionRequest.State.REQUESTED).values("task_id"))
    )
    units = covered_units(actor, "tasks.assign_task")
    if units is not None:
        waiting = waiting.filter(assigning_unit_id__in_array=units)
    return waiting.select_related("lead_unit").order_by("due_date", "id")
