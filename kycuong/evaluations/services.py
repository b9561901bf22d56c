"""Writes to evaluations: cycles and their steps, computation, self-assessment, review, quota, publication.

Every service checks the actor's right over the unit concerned, runs in one transaction and writes its audit
record there. Who does what:

- `evaluations.manage_cycle` over the organising unit: open a cycle, compute, move it to review and on.
- the person evaluated (their user's staff record): the self-assessment.
- `evaluations.review_evaluation` over the person's unit, or over the unit above for heads, deputies and
  unit scorecards ("by the level above"); nobody reviews their own evaluation.
- `evaluations.approve_cycle` over the organising unit: move people down for the quota, return the cycle
  with a reason, approve, publish.
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_write, changed_values, entry_for, snapshot
from kycuong.core.calendar import add_working_days, today
from kycuong.core.concurrency import check_version
from kycuong.core.scoping import can, require
from kycuong.notifications.services import notify
from kycuong.org.models import Unit, UnitClosure

from . import compute, scoring
from .grounds import find_grounds
from .models import (
    Cycle,
    CycleState,
    CycleUnit,
    Evaluation,
    EvaluationState,
    Frequency,
    Method,
    Role,
    Subject,
)

SCORE_FIELDS = (
    "tasks_assigned",
    "tasks_done",
    "tasks_late",
    "rework_total",
    "task_points",
    "total",
    "score_level",
    "level",
    "ground_reason",
    "explanation",
    "role",
)


def method_for(*, code: str, day: datetime.date) -> Method:
    """The version of a method valid on a day."""
    method = (
        Method.objects.filter(code=code, valid_from__lte=day)
        .exclude(valid_to__lt=day)
        .order_by("-valid_from")
        .first()
    )
    if method is None:
        raise ValidationError(
            {
                "method": _("No version of this method is valid on %(day)s.")
                % {"day": day.strftime("%d/%m/%Y")}
            }
        )
    return method


def period_bounds(frequency: str, start: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month, quarter or year that begins on `start` (which must be its first day)."""
    if frequency == Frequency.MONTHLY:
        months = 1
        valid = start.day == 1
    elif frequency == Frequency.QUARTERLY:
        months = 3
        valid = start.day == 1 and start.month in (1, 4, 7, 10)
    elif frequency == Frequency.YEARLY:
        months = 12
        valid = start.day == 1 and start.month == 1
    else:
        raise ValidationError({"frequency": _("Choose monthly, quarterly or yearly.")})
    if not valid:
        raise ValidationError(
            {"period_start": _("The period must start on the first day of its month, quarter or year.")}
        )
    index = start.year * 12 + start.month - 1 + months
    following = datetime.date(index // 12, index % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


def cycle_create(
    *,
    actor,
    method_code: str,
    unit: Unit,
    units: list[Unit],
    frequency: str,
    period_start: datetime.date,
    name: str = "",
    include_descendants: bool = False,
    outstanding_units: list[Unit] = (),
    self_assessment_due: datetime.date | None = None,
    review_due: datetime.date | None = None,
    approval_due: datetime.date | None = None,
) -> Cycle:
    """Open a cycle for `units` (the organising unit's own subtree); the method version is the one valid on
    the first day of the period."""
    require(actor, "evaluations.manage_cycle", unit.pk)
    if not units:
        raise ValidationError({"units": _("Choose at least one unit to evaluate.")})
    for evaluated in units:
        if not can(actor, "evaluations.manage_cycle", evaluated.pk):
            raise PermissionDenied(_("You do not have permission to do this in this unit."))
    start, end = period_bounds(frequency, period_start)
    method = method_for(code=method_code, day=start)
    self_due = self_assessment_due or add_working_days(end, 3)
    review = review_due or add_working_days(self_due, 3)
    approval = approval_due or add_working_days(review, 3)
    if not self_due <= review <= approval:
        raise ValidationError({"review_due": _("Deadlines must follow the order of the steps.")})
    if self_due < start:
        raise ValidationError({"self_assessment_due": _("A deadline cannot fall before the period starts.")})
    cycle = Cycle(
        name=(" ".join(name.split()) or _default_name(method, frequency, start, unit))[:255],
        method=method,
        unit=unit,
        include_descendants=include_descendants,
        frequency=frequency,
        period_start=start,
        period_end=end,
        self_assessment_due=self_due,
        review_due=review,
        approval_due=approval,
        created_by=actor,
    )
    outstanding = {u.pk for u in outstanding_units}
    with transaction.atomic():
        cycle.full_clean()
        cycle.save()
        CycleUnit.objects.bulk_create(
            [CycleUnit(cycle=cycle, unit=u, outstanding=u.pk in outstanding) for u in units]
        )
        after = {
            **snapshot(cycle),
            "unit_ids": sorted(u.pk for u in units),
            "outstanding": sorted(outstanding),
        }
        audit_write(actor=actor, entries=[entry_for(cycle, "create", after=after)])
    return cycle


def _default_name(method: Method, frequency: str, start: datetime.date, unit: Unit) -> str:
    if frequency == Frequency.MONTHLY:
        period = _("month %(month)s/%(year)s") % {"month": start.month, "year": start.year}
    elif frequency == Frequency.QUARTERLY:
        period = _("quarter %(quarter)s/%(year)s") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    else:
        period = _("year %(year)s") % {"year": start.year}
    return _("Evaluation %(period)s, %(unit)s") % {"period": period, "unit": unit.name}


def evaluated_unit_ids(cycle: Cycle) -> list[int]:
    listed = list(cycle.cycle_units.values_list("unit_id", flat=True))
    if not cycle.include_descendants:
        return sorted(listed)
    below = UnitClosure.objects.filter(ancestor_id__in=listed).values_list("descendant_id", flat=True)
    return sorted(set(below) | set(listed))


def _lock(cycle: Cycle) -> Cycle:
    return Cycle.objects.select_for_update().get(pk=cycle.pk)


def _check_state(cycle: Cycle, *states: str) -> None:
    if cycle.state not in states:
        raise ValidationError(
            _("This cannot be done while the cycle is “%(state)s”.") % {"state": cycle.get_state_display()}
        )


def _audit_cycle(actor, cycle: Cycle, action: str, before: dict, **details) -> None:
    old, new = changed_values(before, snapshot(cycle))
    audit_write(actor=actor, entries=[entry_for(cycle, action, before=old, after={**new, **details})])


def cycle_compute(
    *,
    actor,
    cycle: Cycle,
    notify_people: bool = True,
    prepare: Callable[[Cycle, list[Evaluation]], None] | None = None,
) -> int:
    """Compute (or compute again) every evaluation of the cycle from the tasks of the period.

    Opening the cycle moves it to self-assessment. Points entered by people (general criteria, scorecards,
    bonus, adjustments) are kept; task results, grounds and levels are refreshed. Returns the number of
    evaluations. `prepare` may fill in points that come from elsewhere (an import from an earlier system, the
    demo data) before the evaluations are written; it must leave them classified (`scoring.classify`).
    """
    require(actor, "evaluations.manage_cycle", cycle.unit_id)
    with transaction.atomic():
        cycle = _lock(cycle)
        _check_state(cycle, CycleState.OPEN, CycleState.SELF_ASSESSMENT, CycleState.REVIEW)
        before = snapshot(cycle)
        result = _compute(actor, cycle, prepare)
        if cycle.state == CycleState.OPEN:
            cycle.state = CycleState.SELF_ASSESSMENT
        cycle.computed_at = timezone.now()
        cycle.save(update_fields=["state", "computed_at", "updated_at"])
        # One record for the computation (counts and a fingerprint of the scores); every change a person
        # makes to an evaluation afterwards has a record of its own.
        _audit_cycle(actor, cycle, "compute", before, **result)
        if notify_people:
            transaction.on_commit(lambda: _notify_self_assessment(actor, cycle))
    return result["evaluations"]


class Scored:
    """One evaluation while it is computed: the attributes the scoring reads, without a model instance (a
    city-wide cycle builds 150,000 of them; Django model instances and their field preparation cost more
    than the arithmetic)."""

    def __init__(self, **values):
        self.__dict__.update(values)

    @property
    def general_used(self) -> Decimal | None:
        return self.general_points if self.general_points is not None else self.self_general_points


def _fields() -> list:
    return [field for field in Evaluation._meta.concrete_fields if not field.primary_key]


def _compute(actor, cycle: Cycle, prepare=None) -> dict:
    """Build every evaluation of the cycle from the tasks of the period; write the new and the changed ones.
    Returns what the audit record of the computation holds."""
    method = cycle.method
    rules = method.rules
    unit_ids = evaluated_unit_ids(cycle)
    tasks = compute.period_tasks(cycle.period_start, cycle.period_end)
    unit_stats = compute.task_stats(rules, tasks, "lead_unit_id", lead_unit_id__in=unit_ids)
    fields = _fields()
    now = timezone.now()
    defaults = {field.attname: field.get_default() for field in fields}
    defaults.update(cycle_id=cycle.pk, created_at=now, updated_at=now)
    existing = {}
    stored = {}
    for values in Evaluation.objects.filter(cycle=cycle).values("id", *defaults):
        row = Scored(pk=values.pop("id"), **values)
        existing[row.staff_id if row.role != Role.UNIT else ("unit", row.unit_id)] = row
        stored[row.pk] = tuple(values[name] for name in SCORE_FIELDS)

    def fresh(**values) -> Scored:
        return Scored(pk=None, **{**defaults, "self_criteria_points": {}, "criteria_points": {}, **values})

    subjects: list[Scored] = []
    if method.subject == Subject.UNIT:
        heads = compute.unit_heads(unit_ids, cycle.period_end)
        for unit_id in unit_ids:
            stats = unit_stats.get(unit_id, compute.TaskStats())
            row = existing.get(("unit", unit_id)) or fresh(
                unit_id=unit_id, role=Role.UNIT, staff_id=heads.get(unit_id)
            )
            _apply_stats(row, stats)
            _, own = compute.percent_of(rules, stats)
            explanation = compute.explanation_for(rules, stats, None)
            explanation["suggested"] = {
                item["code"]: compute.as_text(Decimal(str(item["weight"])) * own / scoring.HUNDRED)
                for item in rules.get("criteria", [])
                if item.get("from_tasks")
            }
            row.explanation = explanation
            subjects.append(row)
    else:
        staff_rows = list(compute.staff_in(unit_ids).values_list("id", "unit_id"))
        roles = compute.leader_roles(unit_ids, cycle.period_end)
        staff_stats = compute.task_stats(rules, tasks, "responsible_id", responsible__unit_id__in=unit_ids)
        unit_percents = {uid: compute.percent_of(rules, s)[1] for uid, s in unit_stats.items()}
        empty_stats = compute.TaskStats()
        empty_unit = compute.percent_of(rules, empty_stats)[1]
        # People with the same counts get the same points: a city has far fewer distinct counts than people.
        scored: dict[tuple, tuple[Decimal, dict]] = {}
        for staff_id, unit_id in staff_rows:
            stats = staff_stats.get(staff_id, empty_stats)
            role = roles.get(staff_id, Role.MEMBER)
            row = existing.get(staff_id) or fresh(staff_id=staff_id, unit_id=unit_id)
            row.role = role
            unit_percent = unit_percents.get(unit_id, empty_unit) if role != Role.MEMBER else None
            _apply_stats(row, stats)
            key = (stats.assigned, stats.done, stats.late, stats.quality_deducted, unit_percent)
            if key not in scored:
                _, own = compute.percent_of(rules, stats)
                explanation = compute.explanation_for(rules, stats, unit_percent)
                scored[key] = (scoring.task_points(rules, own, unit_percent), explanation)
            row.task_points, explanation = scored[key]
            row.explanation = dict(explanation)
            subjects.append(row)
    found, missing = find_grounds(
        rules.get("grounds", []),
        staff_ids=[row.staff_id for row in subjects if row.staff_id],
        unit_ids=unit_ids,
        start=cycle.period_start,
        end=cycle.period_end,
    )
    for row in subjects:
        reasons = list(found.get(("unit", row.unit_id), [])) if row.role == Role.UNIT else []
        if row.staff_id:
            reasons += found.get(("staff", row.staff_id), [])
        row.ground_reason = "\n".join(reasons)
        if missing:
            row.explanation["unchecked_grounds"] = missing
        scoring.classify(rules, row)
    if prepare is not None:
        prepare(cycle, subjects)
    new = [row for row in subjects if row.pk is None]
    # Computing again changes few rows: only those are written.
    changed = [
        row
        for row in subjects
        if row.pk is not None and stored[row.pk] != tuple(getattr(row, n) for n in SCORE_FIELDS)
    ]
    _insert(fields, new)
    Evaluation.objects.bulk_update(
        [Evaluation(id=row.pk, **{name: getattr(row, name) for name in SCORE_FIELDS}) for row in changed],
        list(SCORE_FIELDS),
        batch_size=500,
    )
    levels: dict[str, int] = {}
    for row in subjects:
        levels[row.level] = levels.get(row.level, 0) + 1
    return {
        "evaluations": len(subjects),
        "created": len(new),
        "changed": len(changed),
        "levels": levels,
        "digest": _digest(subjects),
    }


def _insert(fields: list, rows: list[Scored]) -> None:
    """Insert new evaluations: COPY on PostgreSQL (a city-wide cycle), bulk INSERT elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Evaluation.objects.bulk_create(
            [Evaluation(**{field.attname: getattr(row, field.attname) for field in fields}) for row in rows],
            batch_size=2000,
        )
        return
    json_fields = {field.attname for field in fields if field.get_internal_type() == "JSONField"}
    columns = [field.column for field in fields]
    with connection.cursor() as cursor:
        sql = f"COPY {Evaluation._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(getattr(row, field.attname), ensure_ascii=False)
                        if field.attname in json_fields
                        else getattr(row, field.attname)
                        for field in fields
                    ]
                )


def _digest(rows: list[Scored]) -> str:
    """A fingerprint of the computed scores (who, task points, total, level), kept in the audit record so
    that the computed state can be checked later without one audit record per person."""
    lines = sorted(
        f"{row.staff_id or ''}/{row.unit_id}:{row.task_points}:{row.total}:{row.level}" for row in rows
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _apply_stats(row, stats: compute.TaskStats) -> None:
    row.tasks_assigned = stats.assigned
    row.tasks_done = stats.done
    row.tasks_late = stats.late
    row.rework_total = stats.rework


def _notify_self_assessment(actor, cycle: Cycle) -> None:
    from django.urls import reverse

    from kycuong.accounts.models import User

    people = Evaluation.objects.filter(cycle=cycle, staff_id__isnull=False).values("staff_id")
    users = User.objects.filter(is_active=True, staff_id__in=people)[:5000]
    notify(
        actor=actor,
        users=list(users),
        kind="evaluation_self_assessment",
        title=_("Self-assessment: %(cycle)s") % {"cycle": cycle.name},
        body=_("Due %(date)s.") % {"date": cycle.self_assessment_due.strftime("%d/%m/%Y")},
        url=reverse("evaluations:cycle", args=[cycle.pk]),
        event_key=f"evaluation-cycle:{cycle.pk}:self",
    )


def _decimal(value, field: str, low: Decimal, high: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({field: _("Enter a number.")}) from error
    if not number.is_finite() or not low <= number <= high:
        raise ValidationError(
            {field: _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}}
        )
    return scoring.rounded(number)


def _criteria(rules: dict, points: dict | None) -> dict:
    if not points:
        return {}
    if not isinstance(points, dict):
        raise ValidationError({"criteria_points": _("Give points per content.")})
    weights = {item["code"]: Decimal(str(item["weight"])) for item in rules.get("criteria", [])}
    clean = {}
    for code, value in points.items():
        if code not in weights:
            raise ValidationError({"criteria_points": _("Unknown content: %(code)s.") % {"code": code}})
        number = _decimal(value, "criteria_points", Decimal(0), weights[code])
        if number is not None:
            clean[code] = str(number)
    return clean


def _lock_evaluation(evaluation: Evaluation) -> tuple[Evaluation, Cycle]:
    locked = Evaluation.objects.select_for_update().select_related("cycle__method").get(pk=evaluation.pk)
    check_version(locked, evaluation)
    return locked, locked.cycle


def _save_evaluation(actor, evaluation: Evaluation, before: dict, action: str, **details) -> Evaluation:
    scoring.classify(evaluation.cycle.method.rules, evaluation)
    evaluation.version += 1
    evaluation.full_clean()
    evaluation.save()
    old, new = changed_values(before, snapshot(evaluation))
    audit_write(actor=actor, entries=[entry_for(evaluation, action, before=old, after={**new, **details})])
    return evaluation


def is_own(actor, evaluation: Evaluation) -> bool:
    staff_id = getattr(actor, "staff_id", None)
    return staff_id is not None and staff_id == evaluation.staff_id


def evaluation_self_assess(
    *,
    actor,
    evaluation: Evaluation,
    general_points=None,
    criteria_points: dict | None = None,
    note: str = "",
) -> Evaluation:
    """The person evaluated (or the head, for a unit's scorecard) gives their own points and comment."""
    if not is_own(actor, evaluation):
        raise PermissionDenied(_("Only the person evaluated makes the self-assessment."))
    with transaction.atomic():
        evaluation, cycle = _lock_evaluation(evaluation)
        _check_state(cycle, CycleState.SELF_ASSESSMENT, CycleState.REVIEW)
        if evaluation.state == EvaluationState.REVIEWED or (
            cycle.state == CycleState.REVIEW and evaluation.state != EvaluationState.RETURNED
        ):
            raise ValidationError(_("The self-assessment can no longer be changed."))
        rules = cycle.method.rules
        before = snapshot(evaluation)
        if rules.get("kind") == "scorecard":
            evaluation.self_criteria_points = _criteria(rules, criteria_points)
        else:
            general = _decimal(
                general_points, "general_points", Decimal(0), Decimal(str(rules["general_max"]))
            )
            if general is None:
                raise ValidationError({"general_points": _("Give your points for the general criteria.")})
            evaluation.self_general_points = general
        evaluation.self_note = note.strip()
        evaluation.state = EvaluationState.SELF_ASSESSED
        return _save_evaluation(actor, evaluation, before, "self_assess")


def reviewing_unit_id(evaluation: Evaluation) -> int | None:
    """Heads, deputies and units are reviewed by the level above; everyone else by their unit's head."""
    if evaluation.is_leader:
        parent_id = Unit.objects.filter(pk=evaluation.unit_id).values_list("parent_id", flat=True).first()
        return parent_id or evaluation.unit_id
    return evaluation.unit_id


def can_review(actor, evaluation: Evaluation) -> bool:
    return not is_own(actor, evaluation) and can(
        actor, "evaluations.review_evaluation", reviewing_unit_id(evaluation)
    )


def evaluation_review(
    *,
    actor,
    evaluation: Evaluation,
    general_points=None,
    bonus_points=None,
    criteria_points: dict | None = None,
    adjustment=None,
    adjustment_reason: str = "",
    manual_ground: str = "",
    note: str = "",
) -> Evaluation:
    """The reviewer sets the points that people give, and may adjust the total only with a reason."""
    if not can_review(actor, evaluation):
        raise PermissionDenied(_("You may not review this evaluation."))
    with transaction.atomic():
        evaluation, cycle = _lock_evaluation(evaluation)
        _check_state(cycle, CycleState.REVIEW)
        rules = cycle.method.rules
        before = snapshot(evaluation)
        if rules.get("kind") == "scorecard":
            evaluation.criteria_points = _criteria(rules, criteria_points)
        else:
            general = _decimal(
                general_points, "general_points", Decimal(0), Decimal(str(rules["general_max"]))
            )
            evaluation.general_points = general if general is not None else evaluation.self_general_points
            if evaluation.general_points is None:
                raise ValidationError({"general_points": _("Give the points for the general criteria.")})
            bonus_max = Decimal(str(rules.get("bonus_max", 0)))
            evaluation.bonus_points = _decimal(
                bonus_points, "bonus_points", Decimal(0), bonus_max
            ) or Decimal(0)
        change = _decimal(adjustment, "adjustment", Decimal(-100), Decimal(100)) or Decimal(0)
        reason = " ".join(adjustment_reason.split())
        if change and not reason:
            raise ValidationError({"adjustment_reason": _("Give the reason for the adjustment.")})
        evaluation.adjustment = change
        evaluation.adjustment_reason = reason if change else ""
        evaluation.manual_ground = manual_ground.strip()
        evaluation.review_note = note.strip()
        evaluation.returned_reason = ""
        evaluation.reviewed_by = actor
        evaluation.state = EvaluationState.REVIEWED
        return _save_evaluation(actor, evaluation, before, "review")


def evaluation_return(*, actor, evaluation: Evaluation, reason: str) -> Evaluation:
    """The reviewer sends the self-assessment back for revision, with a reason."""
    if not can_review(actor, evaluation):
        raise PermissionDenied(_("You may not review this evaluation."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    with transaction.atomic():
        evaluation, cycle = _lock_evaluation(evaluation)
        _check_state(cycle, CycleState.REVIEW)
        before = snapshot(evaluation)
        evaluation.state = EvaluationState.RETURNED
        evaluation.returned_reason = reason
        return _save_evaluation(actor, evaluation, before, "return")


def evaluation_move_down(*, actor, evaluation: Evaluation, reason: str, undo: bool = False) -> Evaluation:
    """The approver moves a person one level down to keep the quota (or takes the move back)."""
    require(actor, "evaluations.approve_cycle", evaluation.cycle.unit_id)
    reason = reason.strip()
    if not undo and not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    with transaction.atomic():
        evaluation, cycle = _lock_evaluation(evaluation)
        _check_state(cycle, CycleState.APPROVAL)
        quota = cycle.method.rules.get("quota")
        before = snapshot(evaluation)
        if undo:
            if not evaluation.quota_moved:
                raise ValidationError(_("This person was not moved down."))
            evaluation.quota_moved = False
            evaluation.quota_reason = ""
        else:
            if not quota or evaluation.level != quota["level"] or evaluation.quota_moved:
                raise ValidationError(_("Only someone at the level the quota limits can be moved down."))
            evaluation.quota_moved = True
            evaluation.quota_reason = reason
        return _save_evaluation(actor, evaluation, before, "quota_undo" if undo else "quota_move")


def quota_status(cycle: Cycle) -> list[dict]:
    """Per unit: counts by final level, how many the quota allows, and the excess (0 when it holds)."""
    rules = cycle.method.rules
    quota = rules.get("quota")
    if not quota:
        return []
    outstanding = set(cycle.cycle_units.filter(outstanding=True).values_list("unit_id", flat=True))
    counts: dict[int, dict[str, int]] = {}
    rows = cycle.evaluations.order_by().values("unit_id", "level").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["unit_id"], {})[row["level"]] = row["n"]
    names = dict(Unit.objects.filter(pk__in=counts).values_list("pk", "name"))
    status = []
    for unit_id, by_level in sorted(counts.items(), key=lambda item: names.get(item[0], "")):
        allowed = scoring.quota_allowed(rules, by_level, outstanding=unit_id in outstanding)
        holding = by_level.get(quota["level"], 0)
        status.append(
            {
                "unit_id": unit_id,
                "unit_name": names.get(unit_id, ""),
                "counts": by_level,
                "level": quota["level"],
                "holding": holding,
                "allowed": allowed,
                "excess": max(0, holding - (allowed or 0)),
                "outstanding": unit_id in outstanding,
            }
        )
    return status


def quota_holds(cycle: Cycle) -> bool:
    return all(row["excess"] == 0 for row in quota_status(cycle))


def _advance(actor, cycle: Cycle, permission: str, from_state: str, to_state: str, action: str, check=None):
    require(actor, permission, cycle.unit_id)
    with transaction.atomic():
        cycle = _lock(cycle)
        _check_state(cycle, from_state)
        before = snapshot(cycle)
        if check is not None:
            check(cycle)
        cycle.state = to_state
        cycle.returned_reason = ""
        if to_state == CycleState.PUBLISHED:
            cycle.published_on = today()
        cycle.save()
        _audit_cycle(actor, cycle, action, before)
    return cycle


def cycle_open_review(*, actor, cycle: Cycle) -> Cycle:
    """Close the self-assessment and open the review."""
    return _advance(
        actor, cycle, "evaluations.manage_cycle", CycleState.SELF_ASSESSMENT, CycleState.REVIEW, "open_review"
    )


def _all_reviewed(cycle: Cycle) -> None:
    waiting = cycle.evaluations.exclude(state=EvaluationState.REVIEWED).count()
    if waiting:
        raise ValidationError(_("%(count)s evaluations are not reviewed yet.") % {"count": waiting})


def cycle_submit(*, actor, cycle: Cycle) -> Cycle:
    """Send the reviewed cycle to the competent person for approval."""
    return _advance(
        actor,
        cycle,
        "evaluations.manage_cycle",
        CycleState.REVIEW,
        CycleState.APPROVAL,
        "submit",
        _all_reviewed,
    )


def _quota_check(cycle: Cycle) -> None:
    excess = [row for row in quota_status(cycle) if row["excess"]]
    if excess:
        names = ", ".join(f"{row['unit_name']} (+{row['excess']})" for row in excess[:10])
        raise ValidationError(
            _("The quota is exceeded in: %(units)s. Choose who moves down a level.") % {"units": names}
        )


def cycle_approve(*, actor, cycle: Cycle) -> Cycle:
    return _advance(
        actor,
        cycle,
        "evaluations.approve_cycle",
        CycleState.APPROVAL,
        CycleState.APPROVED,
        "approve",
        _quota_check,
    )


def cycle_publish(*, actor, cycle: Cycle, document_number: str = "") -> Cycle:
    def check(locked: Cycle) -> None:
        _quota_check(locked)
        locked.document_number = document_number.strip()[:60]

    return _advance(
        actor, cycle, "evaluations.approve_cycle", CycleState.APPROVED, CycleState.PUBLISHED, "publish", check
    )


def cycle_return(*, actor, cycle: Cycle, reason: str) -> Cycle:
    """The approver returns the cycle to review, with a reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    require(actor, "evaluations.approve_cycle", cycle.unit_id)
    with transaction.atomic():
        cycle = _lock(cycle)
        _check_state(cycle, CycleState.APPROVAL, CycleState.APPROVED)
        before = snapshot(cycle)
        cycle.state = CycleState.REVIEW
        cycle.returned_reason = reason
        cycle.save()
        _audit_cycle(actor, cycle, "return", before)
    return cycle
