"""Reads of evaluations, always through the actor's scope: staff see their own evaluations, heads their
units', the city everything (`evaluations.view_evaluation` over the unit, or the evaluation is one's own)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.http import Http404

from kycuong.core.calendar import today
from kycuong.core.scoping import covered_units, restrict
from kycuong.org.models import Unit, UnitClosure

from . import scoring
from .models import Cycle, CycleState, Evaluation, EvaluationState, Method, Role

VIEW = "evaluations.view_evaluation"
LEADER_ROLES = (Role.HEAD, Role.DEPUTY, Role.UNIT)


def method_list() -> QuerySet[Method]:
    # The methods are public rules: every signed-in user may read them.
    return Method.objects.order_by("code", "-valid_from")


def method_get(*, method_id: int) -> Method:
    try:
        return Method.objects.get(pk=method_id)
    except (Method.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise Http404 from error


def _own_staff_id(actor) -> int | None:
    return getattr(actor, "staff_id", None) if getattr(actor, "is_authenticated", False) else None


def _visible_evaluations(actor) -> QuerySet[Evaluation]:
    units = covered_units(actor, VIEW)
    if units is None:
        return Evaluation.objects.all()
    condition = Q(unit_id__in=units) if units else Q(pk__in=[])
    staff_id = _own_staff_id(actor)
    if staff_id is not None:
        condition |= Q(staff_id=staff_id)
    return Evaluation.objects.filter(condition)


def _visible_cycles(actor) -> QuerySet[Cycle]:
    units = covered_units(actor, "evaluations.view_cycle")
    if units is None:
        return Cycle.objects.all()
    condition = Q(unit_id__in=units) if units else Q(pk__in=[])
    staff_id = _own_staff_id(actor)
    if staff_id is not None:
        condition |= Q(pk__in=Evaluation.objects.filter(staff_id=staff_id).values("cycle_id"))
    return Cycle.objects.filter(condition)


@dataclass
class CycleFilters:
    unit_id: int | None = None
    state: str | None = None
    year: int | None = None


def cycle_list(*, actor, filters: CycleFilters | None = None) -> QuerySet[Cycle]:
    filters = filters or CycleFilters()
    cycles = _visible_cycles(actor).select_related("unit", "method")
    if filters.unit_id:
        cycles = cycles.filter(unit_id=filters.unit_id)
    if filters.state:
        cycles = cycles.filter(state=filters.state)
    if filters.year:
        cycles = cycles.filter(period_start__year=filters.year)
    return cycles.annotate(evaluation_count=Count("evaluations")).order_by("-period_start", "id")


def cycle_get(*, actor, cycle_id: int) -> Cycle:
    return _get(_visible_cycles(actor).select_related("unit", "method", "created_by"), cycle_id)


def _get(queryset: QuerySet, pk) -> object:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise Http404 from error


@dataclass
class EvaluationFilters:
    cycle_id: int | None = None
    unit_id: int | None = None
    with_descendants: bool = False
    staff_id: int | None = None
    level: str | None = None
    state: str | None = None
    published_only: bool = False
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None


def evaluation_list(*, actor, filters: EvaluationFilters | None = None) -> QuerySet[Evaluation]:
    filters = filters or EvaluationFilters()
    evaluations = _visible_evaluations(actor).select_related("unit", "staff", "cycle__method")
    if filters.cycle_id:
        evaluations = evaluations.filter(cycle_id=filters.cycle_id)
    if filters.unit_id:
        if filters.with_descendants:
            below = UnitClosure.objects.filter(ancestor_id=filters.unit_id).values("descendant_id")
            evaluations = evaluations.filter(unit_id__in=below)
        else:
            evaluations = evaluations.filter(unit_id=filters.unit_id)
    if filters.staff_id:
        evaluations = evaluations.filter(staff_id=filters.staff_id)
    if filters.level:
        evaluations = evaluations.filter(level=filters.level)
    if filters.state:
        evaluations = evaluations.filter(state=filters.state)
    if filters.published_only:
        evaluations = evaluations.filter(cycle__state=CycleState.PUBLISHED)
    if filters.period_from:
        evaluations = evaluations.filter(cycle__period_start__gte=filters.period_from)
    if filters.period_to:
        evaluations = evaluations.filter(cycle__period_end__lte=filters.period_to)
    return evaluations.order_by("unit__name", "-total", "id")


def evaluation_get(*, actor, evaluation_id: int) -> Evaluation:
    return _get(
        _visible_evaluations(actor).select_related(
            "unit", "staff", "cycle__method", "cycle__unit", "reviewed_by"
        ),
        evaluation_id,
    )


def staff_history(*, actor, staff_id: int) -> list[Evaluation]:
    """A person's evaluations over time (newest first), as far as the actor may see them."""
    return list(
        _visible_evaluations(actor)
        .filter(staff_id=staff_id)
        .select_related("cycle__method", "unit", "staff")
        .order_by("-cycle__period_start", "-id")
    )


def _in_period(queryset: QuerySet, start: datetime.date, end: datetime.date) -> QuerySet:
    return queryset.filter(cycle__period_start__gte=start, cycle__period_end__lte=end)


def distribution(
    *, actor, unit: Unit, start: datetime.date, end: datetime.date, published_only: bool = True
) -> list[dict]:
    """Counts by method and final level for the unit and its descendants over the period."""
    below = UnitClosure.objects.filter(ancestor_id=unit.pk).values("descendant_id")
    evaluations = _in_period(restrict(Evaluation.objects.all(), actor, VIEW), start, end).filter(
        unit_id__in=below
    )
    if published_only:
        evaluations = evaluations.filter(cycle__state=CycleState.PUBLISHED)
    rows = (
        evaluations.order_by().values("cycle__method_id", "level").annotate(n=Count("id"), mean=Avg("total"))
    )
    methods = {m.pk: m for m in Method.objects.filter(pk__in={row["cycle__method_id"] for row in rows})}
    result: dict[int, dict] = {}
    for row in rows:
        method = methods[row["cycle__method_id"]]
        entry = result.setdefault(method.pk, {"method": method, "total": 0, "levels": {}})
        entry["levels"][row["level"]] = row["n"]
        entry["total"] += row["n"]
    out = []
    for entry in result.values():
        rules = entry["method"].rules
        entry["rows"] = [
            {
                "code": code,
                "name": scoring.level_name(rules, code),
                "count": entry["levels"].get(code, 0),
                "percent": round(100 * entry["levels"].get(code, 0) / entry["total"], 1)
                if entry["total"]
                else 0,
            }
            for code in scoring.level_codes(rules)
        ]
        out.append(entry)
    return out


def rankings(
    *, actor, kind: str, start: datetime.date, end: datetime.date, method_code: str | None = None
) -> list[dict]:
    """Units of one kind (all wards, all districts…) ranked by the mean score of the published evaluations in
    each unit's subtree over the period, with the share at the top level."""
    evaluations = _in_period(
        restrict(Evaluation.objects.filter(cycle__state=CycleState.PUBLISHED), actor, VIEW), start, end
    )
    if method_code:
        evaluations = evaluations.filter(cycle__method__code=method_code)
    top_levels = {m.pk: m.rules["levels"][0]["code"] for m in Method.objects.all()}
    per_unit = (
        evaluations.order_by()
        .values("unit_id", "cycle__method_id", "level")
        .annotate(n=Count("id"), total=Sum("total"))
    )
    links = defaultdict(list)
    unit_ids = {row["unit_id"] for row in per_unit}
    for ancestor_id, descendant_id in UnitClosure.objects.filter(
        descendant_id__in=unit_ids, ancestor__kind=kind
    ).values_list("ancestor_id", "descendant_id"):
        links[descendant_id].append(ancestor_id)
    sums: dict[int, list] = defaultdict(lambda: [0, Decimal(0), 0])
    for row in per_unit:
        for ancestor_id in links.get(row["unit_id"], []):
            entry = sums[ancestor_id]
            entry[0] += row["n"]
            entry[1] += Decimal(str(row["total"] or 0))
            if row["level"] == top_levels.get(row["cycle__method_id"]):
                entry[2] += row["n"]
    names = dict(Unit.objects.filter(pk__in=sums).values_list("pk", "name"))
    ranked = sorted(
        (
            {
                "unit_id": unit_id,
                "unit_name": names.get(unit_id, ""),
                "evaluations": n,
                "mean": scoring.rounded(total / n) if n else Decimal(0),
                "top_share": round(100 * top / n, 1) if n else 0,
            }
            for unit_id, (n, total, top) in sums.items()
        ),
        key=lambda row: (-row["mean"], row["unit_name"]),
    )
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    return ranked


def period_comparison(*, actor, unit: Unit, year: int) -> list[dict]:
    """Per published cycle period of a year: the mean score and the counts by level in the unit's subtree."""
    below = UnitClosure.objects.filter(ancestor_id=unit.pk).values("descendant_id")
    rows = (
        restrict(Evaluation.objects.filter(cycle__state=CycleState.PUBLISHED), actor, VIEW)
        .filter(unit_id__in=below, cycle__period_start__year=year)
        .order_by()
        .values("cycle__period_start", "cycle__period_end", "cycle__method_id", "level")
        .annotate(n=Count("id"), mean=Avg("total"))
    )
    periods: dict[tuple, dict] = {}
    for row in rows:
        key = (row["cycle__period_start"], row["cycle__period_end"], row["cycle__method_id"])
        entry = periods.setdefault(
            key, {"start": key[0], "end": key[1], "n": 0, "sum": Decimal(0), "levels": {}}
        )
        entry["n"] += row["n"]
        entry["sum"] += Decimal(str(row["mean"] or 0)) * row["n"]
        entry["levels"][row["level"]] = entry["levels"].get(row["level"], 0) + row["n"]
    out = []
    for key in sorted(periods):
        entry = periods[key]
        entry["mean"] = scoring.rounded(entry["sum"] / entry["n"]) if entry["n"] else Decimal(0)
        out.append(entry)
    return out


def due_steps(*, actor) -> list[dict]:
    """The evaluation steps that wait for this user, with their deadline (overdue ones flagged)."""
    if not getattr(actor, "is_authenticated", False):
        return []
    day = today()
    steps = []
    staff_id = _own_staff_id(actor)
    if staff_id is not None:
        mine = Evaluation.objects.filter(staff_id=staff_id).filter(
            Q(
                cycle__state=CycleState.SELF_ASSESSMENT,
                state__in=[EvaluationState.PENDING, EvaluationState.RETURNED],
            )
            | Q(cycle__state=CycleState.REVIEW, state=EvaluationState.RETURNED)
        )
        for evaluation in mine.select_related("cycle")[:10]:
            due = evaluation.cycle.self_assessment_due
            steps.append(_step("self", evaluation.cycle, due, day, evaluation=evaluation))
    review_units = covered_units(actor, "evaluations.review_evaluation")
    if review_units is None or review_units:
        waiting = Evaluation.objects.filter(cycle__state=CycleState.REVIEW).exclude(
            state=EvaluationState.REVIEWED
        )
        if staff_id is not None:
            waiting = waiting.exclude(staff_id=staff_id)
        if review_units is not None:
            waiting = waiting.filter(
                Q(unit_id__in_array=review_units) & ~Q(role__in=LEADER_ROLES)
                | Q(role__in=LEADER_ROLES, unit__parent_id__in_array=review_units)
            )
        counts = waiting.order_by().values("cycle_id").annotate(n=Count("id"))
        cycles = Cycle.objects.in_bulk([row["cycle_id"] for row in counts[:10]])
        for row in counts[:10]:
            cycle = cycles[row["cycle_id"]]
            steps.append(_step("review", cycle, cycle.review_due, day, count=row["n"]))
    managed = restrict(
        Cycle.objects.filter(state__in=[CycleState.OPEN, CycleState.SELF_ASSESSMENT, CycleState.REVIEW]),
        actor,
        "evaluations.manage_cycle",
    ).filter(
        Q(state=CycleState.OPEN)
        | Q(state=CycleState.SELF_ASSESSMENT, self_assessment_due__lte=day)
        | Q(state=CycleState.REVIEW, review_due__lte=day)
    )
    for cycle in managed.order_by("self_assessment_due", "id")[:10]:
        kind = {CycleState.OPEN: "compute", CycleState.SELF_ASSESSMENT: "close_self"}.get(
            cycle.state, "submit"
        )
        steps.append(_step(kind, cycle, cycle.step_due() or cycle.self_assessment_due, day))
    approvals = restrict(
        Cycle.objects.filter(state__in=[CycleState.APPROVAL, CycleState.APPROVED]),
        actor,
        "evaluations.approve_cycle",
    )
    for cycle in approvals.order_by("approval_due", "id")[:10]:
        steps.append(
            _step(
                "approve" if cycle.state == CycleState.APPROVAL else "publish", cycle, cycle.approval_due, day
            )
        )
    return sorted(steps, key=lambda step: step["due"])


def _step(kind: str, cycle: Cycle, due: datetime.date, day: datetime.date, **extra) -> dict:
    return {"kind": kind, "cycle": cycle, "due": due, "overdue": due < day, **extra}
