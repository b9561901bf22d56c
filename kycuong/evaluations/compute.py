"""Task-result points from the tasks of the period, in bulk: one aggregate query per kind of subject, never a
query per person. The per-task breakdown shown on an evaluation's page applies the same rules to one person's
tasks (`task_breakdown`), so every point and deduction can be traced to the tasks behind it."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Least

from kycuong.org.models import Post, PostRole, Staff
from kycuong.tasks.models import Task, TaskState

from . import scoring


@dataclass
class TaskStats:
    assigned: int = 0
    done: int = 0
    late: int = 0
    quality_deducted: int = 0
    rework: int = 0


def period_tasks(start: datetime.date, end: datetime.date) -> QuerySet:
    """The tasks that count for a period: due in it, not cancelled."""
    return Task.objects.filter(due_date__gte=start, due_date__lte=end).exclude(state=TaskState.CANCELLED)


def task_stats(rules: dict, tasks: QuerySet, group_field: str, **filters) -> dict[int, TaskStats]:
    """Counts per `group_field` (responsible_id or lead_unit_id), in one GROUP BY query."""
    quality_percent = int(rules.get("quality_deduction_percent", 0))
    done = Q(state=TaskState.APPROVED)
    rows = (
        tasks.filter(**filters)
        .order_by()
        .values(group_field)
        .annotate(
            assigned=Count("id"),
            done=Count("id", filter=done),
            late=Count("id", filter=done & Q(late_working_days__gt=0)),
            quality_deducted=Coalesce(
                Sum(Least(F("rework_count") * quality_percent, Value(100)), filter=done), 0
            ),
            rework=Coalesce(Sum("rework_count"), 0),
        )
    )
    return {
        row[group_field]: TaskStats(
            row["assigned"], row["done"], row["late"], row["quality_deducted"], row["rework"]
        )
        for row in rows
    }


def percent_of(rules: dict, stats: TaskStats) -> tuple[dict[str, Decimal], Decimal]:
    percents = scoring.dimension_percents(
        rules,
        assigned=stats.assigned,
        done=stats.done,
        late=stats.late,
        quality_deducted=stats.quality_deducted,
    )
    return percents, scoring.weighted_percent(rules, percents)


def leader_roles(unit_ids: list[int], day: datetime.date) -> dict[int, str]:
    """Staff id → "head" or "deputy" for the current heads and deputies of the units (head wins)."""
    roles: dict[int, str] = {}
    posts = Post.objects.current(day).filter(unit_id__in=unit_ids, role__in=[PostRole.HEAD, PostRole.DEPUTY])
    for staff_id, role in posts.values_list("staff_id", "role"):
        if roles.get(staff_id) != PostRole.HEAD:
            roles[staff_id] = role
    return roles


def unit_heads(unit_ids: list[int], day: datetime.date) -> dict[int, int]:
    posts = Post.objects.current(day).filter(unit_id__in=unit_ids, role=PostRole.HEAD)
    return dict(posts.order_by("unit_id", "start_date").values_list("unit_id", "staff_id"))


def staff_in(unit_ids: list[int]) -> QuerySet:
    return Staff.objects.filter(unit_id__in=unit_ids, is_active=True)


def as_text(value: Decimal) -> str:
    return str(scoring.rounded(value))


def explanation_for(rules: dict, stats: TaskStats, unit_percent: Decimal | None) -> dict:
    percents, own = percent_of(rules, stats)
    explanation = {
        "percents": {key: as_text(value) for key, value in percents.items()},
        "own_percent": as_text(own),
        "quality_deducted": stats.quality_deducted,
        "progress_deducted": stats.late * int(rules.get("progress_deduction_percent", 0)),
    }
    if unit_percent is not None and rules.get("leader_unit_weight"):
        explanation["unit_percent"] = as_text(unit_percent)
        explanation["leader_unit_weight"] = str(rules["leader_unit_weight"])
    return explanation


@dataclass
class TaskLine:
    task: Task
    quantity: Decimal
    quality: Decimal
    progress: Decimal
    quality_deduction: int
    progress_deduction: int
    outcome: str


def task_breakdown(rules: dict, *, staff_id: int, start: datetime.date, end: datetime.date) -> list[TaskLine]:
    """One person's tasks of the period with what each contributes (1 = the whole of a task's share)."""
    quality_percent = int(rules.get("quality_deduction_percent", 0))
    progress_percent = int(rules.get("progress_deduction_percent", 0))
    lines = []
    for task in period_tasks(start, end).filter(responsible_id=staff_id).order_by("due_date", "id"):
        done = task.state == TaskState.APPROVED
        late = done and (task.late_working_days or 0) > 0
        quality_deduction = min(task.rework_count * quality_percent, 100) if done else 0
        progress_deduction = progress_percent if late else 0
        outcome = "late" if late else "on_time" if done else "not_done"
        lines.append(
            TaskLine(
                task=task,
                quantity=Decimal(1 if done else 0),
                quality=Decimal(100 - quality_deduction) / 100 if done else Decimal(0),
                progress=Decimal(100 - progress_deduction) / 100 if done else Decimal(0),
                quality_deduction=quality_deduction,
                progress_deduction=progress_deduction,
                outcome=outcome,
            )
        )
    return lines
