"""Reads of processes, always restricted to the actor's scope; queues and statistics read plain columns."""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from kycuong.core.replica import reads_replica
from kycuong.core.scoping import covered_units, get_scoped_or_404, has_any_grant, restrict
from kycuong.core.text import fold
from kycuong.org.rollup import totals_by_child

from .models import MonthlyFigure, ProcessDefinition, ProcessInstance, ProcessStep, UnitMonthFigure

VIEW_DEFINITION = "processes.view_processdefinition"
VIEW_INSTANCE = "processes.view_processinstance"


def _subtree(unit_id: int) -> QuerySet:
    closure = apps.get_model("org", "UnitClosure")
    return closure.objects.filter(ancestor_id=unit_id).values("descendant_id")


def _search(queryset: QuerySet, q: str | None) -> QuerySet:
    for word in fold(q or "").split():
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def definition_list(
    *, actor, q: str | None = None, unit_id: int | None = None, state: str | None = "active"
) -> QuerySet:
    queryset = restrict(ProcessDefinition.objects.select_related("owner_unit"), actor, VIEW_DEFINITION)
    if unit_id:
        queryset = queryset.filter(owner_unit_id__in=_subtree(unit_id))
    if state:
        queryset = queryset.filter(state=state)
    return _search(queryset, q).order_by("owner_unit__name", "code", "-version", "id")


def definition_get(*, actor, definition_id: int) -> ProcessDefinition:
    return get_scoped_or_404(
        ProcessDefinition.objects.select_related("owner_unit", "created_by"),
        actor,
        VIEW_DEFINITION,
        pk=definition_id,
    )


@dataclass
class InstanceFilters:
    unit_id: int | None = None
    definition_id: int | None = None
    code: str | None = None
    state: str | None = None
    outcome: str | None = None
    completed_from: datetime.date | None = None
    completed_to: datetime.date | None = None
    q: str | None = None


def instance_list(*, actor, filters: InstanceFilters | None = None) -> QuerySet:
    filters = filters or InstanceFilters()
    queryset = restrict(
        ProcessInstance.objects.select_related("definition", "unit").defer("workflow"), actor, VIEW_INSTANCE
    )
    if filters.unit_id:
        queryset = queryset.filter(unit_id__in=_subtree(filters.unit_id))
    if filters.definition_id:
        queryset = queryset.filter(definition_id=filters.definition_id)
    if filters.code:
        queryset = queryset.filter(definition__code=filters.code)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.outcome:
        queryset = queryset.filter(outcome=filters.outcome)
    if filters.completed_from:
        queryset = queryset.filter(completed_on__gte=filters.completed_from)
    if filters.completed_to:
        queryset = queryset.filter(completed_on__lte=filters.completed_to)
    return _search(queryset, filters.q).order_by("-started_at", "-id")


def instance_get(*, actor, instance_id: int) -> ProcessInstance:
    return get_scoped_or_404(
        ProcessInstance.objects.select_related("definition", "unit", "started_by"),
        actor,
        VIEW_INSTANCE,
        pk=instance_id,
    )


def instance_steps(instance: ProcessInstance) -> list[ProcessStep]:
    return list(
        instance.steps.select_related("unit", "assignee", "completed_by").prefetch_related("attachments")
    )


def step_get(*, actor, step_id: int) -> ProcessStep:
    return get_scoped_or_404(
        ProcessStep.objects.select_related(
            "instance", "instance__unit", "instance__definition", "unit", "definition"
        ),
        actor,
        VIEW_INSTANCE,
        pk=step_id,
    )


def _open_steps(actor) -> QuerySet:
    return restrict(
        ProcessStep.objects.filter(state=ProcessStep.State.OPEN).select_related(
            "instance", "instance__definition", "instance__unit", "unit", "assignee"
        ),
        actor,
        VIEW_INSTANCE,
    )


def _role_codes(actor) -> list[str]:
    grant_model = apps.get_model("accounts", "Grant")
    day = timezone.localdate()
    return list(
        grant_model.objects.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
            user_id=actor.pk,
        )
        .values_list("role__code", flat=True)
        .distinct()
    )


def my_steps(*, actor) -> QuerySet:
    """Steps I hold, and the untaken steps of units where I perform steps in a role I have there."""
    units = covered_units(actor, "processes.work_step")
    mine = Q(assignee_id=actor.pk)
    if units is None:
        claimable = Q(assignee__isnull=True)
    else:
        claimable = Q(assignee__isnull=True, unit_id__in=units) & (
            Q(role="") | Q(role__in=_role_codes(actor))
        )
    return _open_steps(actor).filter(mine | claimable).order_by("due_at", "id")


def unit_steps(*, actor, unit_id: int | None = None) -> QuerySet:
    """Open steps held by the units I cover for performing steps (or one unit's subtree)."""
    units = covered_units(actor, "processes.work_step")
    queryset = _open_steps(actor)
    if units is not None:
        queryset = queryset.filter(unit_id__in=units)
    if unit_id:
        queryset = queryset.filter(unit_id__in=_subtree(unit_id))
    return queryset.order_by("due_at", "id")


def overdue_steps(*, actor, now: datetime.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return (
        _open_steps(actor).filter(due_at__lt=now).exclude(instance__state="paused").order_by("due_at", "id")
    )


def home_counts(actor) -> dict | None:
    if not has_any_grant(actor, VIEW_INSTANCE):
        return None
    return {
        "template": "processes/home_section.html",
        "mine": my_steps(actor=actor)[:100].count(),
        "overdue": overdue_steps(actor=actor)[:100].count(),
    }


# --- statistics ---------------------------------------------------------------------------------------------


@dataclass
class Figures:
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    used_minutes: int = 0

    @property
    def timely(self) -> int:
        return self.early + self.on_time

    @property
    def timely_rate(self) -> float | None:
        return round(100 * self.timely / self.finished, 1) if self.finished else None

    @property
    def average_hours(self) -> float | None:
        return round(self.used_minutes / self.finished / 60, 1) if self.finished else None


SUMS = {name: Sum(name) for name in ("finished", "early", "on_time", "late", "used_minutes")}


def _figures(row: dict) -> Figures:
    return Figures(**{name: row.get(name) or 0 for name in SUMS})


@reads_replica
def statistics(
    *,
    actor,
    unit_id: int,
    start: datetime.date,
    end: datetime.date,
    level: str = MonthlyFigure.Level.INSTANCE,
    definition_id: int | None = None,
    code: str | None = None,
    by_process: bool = True,
    with_subunits: bool = True,
) -> dict:
    """Finished instances (or steps) of a unit's subtree in whole months from `start` to `end`: totals, by
    process, by direct sub-unit (unless `with_subunits` is False) and by month. Exact, from the figures kept
    with each completion: the totals per unit and month when no process is chosen, the figures per process
    otherwise. The breakdown by process reads the figures per process and unit, the largest table:
    `by_process=False` leaves it out."""
    months = {"month__gte": start.replace(day=1), "month__lte": end.replace(day=1)}
    subtree = {"unit_id__in": _subtree(unit_id)}
    fine = restrict(MonthlyFigure.objects.all(), actor, VIEW_INSTANCE).filter(
        level=level, **subtree, **months
    )
    if definition_id:
        fine = fine.filter(definition_id=definition_id)
    if code:
        fine = fine.filter(code=code)
    coarse = (
        fine
        if definition_id or code
        else restrict(UnitMonthFigure.objects.all(), actor, VIEW_INSTANCE).filter(
            level=level, **subtree, **months
        )
    )
    by_month = [
        (row["month"], _figures(row)) for row in coarse.values("month").annotate(**SUMS).order_by("month")
    ]
    total = Figures()
    for _month, figures in by_month:
        _add(total, figures)
    by_code = list(fine.values("code").annotate(**SUMS).order_by("code")) if by_process else []
    names = (
        dict(
            restrict(ProcessDefinition.objects.all(), actor, VIEW_DEFINITION)
            .filter(code__in=[row["code"] for row in by_code], owner_unit_id__in=_subtree(unit_id))
            .order_by("code", "-version")
            .values_list("code", "name")
            .distinct()
        )
        if by_code
        else {}
    )
    by_process = [(row["code"], names.get(row["code"], row["code"]), _figures(row)) for row in by_code]
    by_subunit = []
    if with_subunits:
        children = list(
            apps.get_model("org", "Unit")
            .objects.filter(parent_id=unit_id)
            .order_by("name")
            .values_list("id", "name")
        )
        rolled_up = totals_by_child(
            coarse.values("unit_id").annotate(**SUMS), unit_field="unit_id", parent_id=unit_id
        )
        per_child = {child_id: _figures(figures) for child_id, figures in rolled_up.items()}
        by_subunit = [(child_id, name, per_child.get(child_id, Figures())) for child_id, name in children]
    return {"total": total, "by_process": by_process, "by_month": by_month, "by_subunit": by_subunit}


def _add(into: Figures, part: Figures) -> None:
    for field in SUMS:
        setattr(into, field, getattr(into, field) + getattr(part, field))
