"""Writes to indicators, targets, actual figures, projects, capital plans and disbursements.

Each service checks the actor's right over the unit concerned, validates, writes, and records the audit
record in one transaction. Plan revisions and disbursements also keep the dashboard's pre-aggregates
(ProjectYear, UnitMonth) exact in that same transaction: a figure on the dashboard always equals the sum of
the records behind it.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_deleted, snapshot
from kycuong.core.calendar import today
from kycuong.core.scoping import can, require
from kycuong.core.services import create_audited, update_audited
from kycuong.org.models import Unit, UnitClosure

from . import progress
from .models import (
    Disbursement,
    Frequency,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    PlanRevision,
    Project,
    ProjectTask,
    ProjectYear,
    UnitMonth,
)

MANAGE_INDICATOR = "targets.manage_indicator"
RECORD_ACTUAL = "targets.record_actual"
PLAN_PROJECT = "targets.plan_project"
RECORD_DISBURSEMENT = "targets.record_disbursement"
MAX_AMOUNT = 10**17  # 100 million billion đồng: far above any plan, far below the column's limit


def _date_text(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# --- indicators ------------------------------------------------------------------------------------------

INDICATOR_EDITABLE = (
    "name",
    "name_en",
    "unit_of_measure",
    "direction",
    "additive",
    "measure_kind",
    "frequency",
    "tolerance_percent",
    "description",
    "valid_from",
    "valid_to",
)


def indicator_create(
    *, actor, owner_unit: Unit, code: str, name: str, unit_of_measure: str, **fields
) -> Indicator:
    """Define an indicator owned by `owner_unit`; needs the right to manage indicators there."""
    require(actor, MANAGE_INDICATOR, owner_unit.pk)
    unknown = set(fields) - set(INDICATOR_EDITABLE)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    indicator = Indicator(
        owner_unit=owner_unit,
        code=code.strip(),
        name=" ".join(name.split()),
        unit_of_measure=unit_of_measure,
        **fields,
    )
    _check_validity(indicator.valid_from, indicator.valid_to)
    return create_audited(actor=actor, instance=indicator)


def indicator_update(*, actor, indicator: Indicator, changes: dict) -> Indicator:
    require(actor, MANAGE_INDICATOR, indicator.owner_unit_id)
    _check_validity(
        changes.get("valid_from", indicator.valid_from), changes.get("valid_to", indicator.valid_to)
    )
    return update_audited(actor=actor, instance=indicator, changes=changes, editable=INDICATOR_EDITABLE)


def _check_validity(valid_from, valid_to) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end of validity cannot be before its start.")})


def target_set(
    *,
    actor,
    indicator: Indicator,
    unit: Unit,
    year: int,
    target_min: Decimal | None,
    target_max: Decimal | None,
    valid_from: datetime.date | None = None,
    note: str = "",
) -> IndicatorTarget:
    """Set (or revise, from `valid_from`) the target of an indicator for a unit and a year."""
    require(actor, MANAGE_INDICATOR, unit.pk)
    errors = {}
    if target_min is None and target_max is None:
        errors["target_min"] = _("Give a target value, or the bounds of a range.")
    elif target_min is not None and target_max is not None and target_min > target_max:
        errors["target_max"] = _("The upper bound cannot be below the lower bound.")
    if not 2000 <= year <= 2100:
        errors["year"] = _("Enter a year between 2000 and 2100.")
    if errors:
        raise ValidationError(errors)
    valid_from = valid_from or datetime.date(year, 1, 1)
    with transaction.atomic():
        existing = IndicatorTarget.objects.filter(
            indicator=indicator, unit=unit, year=year, valid_from=valid_from
        ).first()
        if existing is not None:
            return update_audited(
                actor=actor,
                instance=existing,
                changes={"target_min": target_min, "target_max": target_max, "note": note},
                editable=("target_min", "target_max", "note"),
            )
        target = IndicatorTarget(
            indicator=indicator,
            unit=unit,
            year=year,
            target_min=target_min,
            target_max=target_max,
            valid_from=valid_from,
            note=note,
        )
        return create_audited(actor=actor, instance=target)


def actual_record(
    *,
    actor,
    indicator: Indicator,
    unit: Unit,
    year: int,
    month: int,
    value: Decimal,
    source: str = "",
    note: str = "",
) -> IndicatorActual:
    """Record the figure of a month (or of a quarter, at its last month); recording it again corrects it."""
    require(actor, RECORD_ACTUAL, unit.pk)
    errors = {}
    if not 1 <= month <= 12:
        errors["month"] = _("Enter a month from 1 to 12.")
    elif indicator.frequency == Frequency.QUARTERLY and month % 3:
        errors["month"] = _("This indicator is quarterly: record it at month 3, 6, 9 or 12.")
    elif datetime.date(year, month, 1) > today():
        errors["month"] = _("A figure cannot be recorded for a period that has not started.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        existing = (
            IndicatorActual.objects.select_for_update()
            .filter(indicator=indicator, unit=unit, year=year, month=month)
            .first()
        )
        if existing is not None:
            return update_audited(
                actor=actor,
                instance=existing,
                changes={"value": value, "source": source, "note": note, "recorded_by": actor},
                editable=("value", "source", "note", "recorded_by"),
            )
        actual = IndicatorActual(
            indicator=indicator,
            unit=unit,
            year=year,
            month=month,
            value=value,
            source=source,
            note=note,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        return create_audited(actor=actor, instance=actual)


# --- projects and plans ---------------------------------------------------------------------------------


def project_create(*, actor, code: str, name: str, investor_unit: Unit, responsible_unit: Unit) -> Project:
    require(actor, PLAN_PROJECT, responsible_unit.pk)
    if not can(actor, "org.view_unit", investor_unit.pk) and not can(actor, PLAN_PROJECT, investor_unit.pk):
        raise ValidationError({"investor_unit": _("There is no such unit.")})
    project = Project(
        code=code.strip(),
        name=" ".join(name.split()),
        investor_unit=investor_unit,
        responsible_unit=responsible_unit,
    )
    return create_audited(actor=actor, instance=project)


def project_update(*, actor, project: Project, changes: dict) -> Project:
    """Rename a project or hand it to another responsible unit (the pre-aggregates move with it)."""
    require(actor, PLAN_PROJECT, project.responsible_unit_id)
    new_unit = changes.get("responsible_unit")
    if new_unit is not None and new_unit.pk != project.responsible_unit_id:
        require(actor, PLAN_PROJECT, new_unit.pk)
    with transaction.atomic():
        old_unit_id = project.responsible_unit_id
        project = update_audited(
            actor=actor,
            instance=project,
            changes=changes,
            editable=("name", "investor_unit", "responsible_unit"),
        )
        if project.responsible_unit_id != old_unit_id:
            _move_aggregates(project, old_unit_id)
    return project


def _move_aggregates(project: Project, old_unit_id: int) -> None:
    projects_move_aggregates({project.pk: (old_unit_id, project.responsible_unit_id)})


def projects_move_aggregates(moves: dict[int, tuple[int, int]]) -> None:
    """Keep the pre-aggregates exact when projects change responsible unit: `moves` maps a project id to
    (old unit id, new unit id). One pass over the projects' disbursements sums the change per (unit, plan
    year, month); the UnitMonth rows concerned are locked and written in bulk."""
    if not moves:
        return
    project_ids = list(moves)
    by_target: dict[int, list[int]] = {}
    for project_id, (_old, new) in moves.items():
        by_target.setdefault(new, []).append(project_id)
    for unit_id, ids in by_target.items():
        for start in range(0, len(ids), 500):
            ProjectYear.objects.filter(project_id__in=ids[start : start + 500]).update(
                responsible_unit_id=unit_id
            )
    deltas: dict[tuple[int, int, int], int] = {}
    for start in range(0, len(project_ids), 500):
        sums = (
            Disbursement.objects.filter(project_id__in=project_ids[start : start + 500])
            .annotate(window_month=_window_month())
            .values("project_id", "plan_year", "window_month")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in sums:
            old, new = moves[row["project_id"]]
            for unit_id, amount in ((old, -row["total"]), (new, row["total"])):
                key = (unit_id, row["plan_year"], row["window_month"])
                deltas[key] = deltas.get(key, 0) + amount
    deltas = {key: amount for key, amount in deltas.items() if amount}
    if not deltas:
        return
    UnitMonth.objects.bulk_create(
        [UnitMonth(unit_id=u, year=y, month=m) for u, y, m in deltas],
        ignore_conflicts=True,
        batch_size=1000,
    )
    unit_ids = sorted({unit_id for unit_id, _y, _m in deltas})
    rows = []
    for start in range(0, len(unit_ids), 500):
        rows += list(
            UnitMonth.objects.select_for_update()
            .filter(unit_id__in=unit_ids[start : start + 500], year__in={y for _u, y, _m in deltas})
            .order_by("pk")
        )
    changed = []
    for row in rows:
        amount = deltas.get((row.unit_id, row.year, row.month))
        if amount:
            row.amount += amount
            changed.append(row)
    UnitMonth.objects.bulk_update(changed, ["amount"], batch_size=1000)


def _check_amount(errors: dict, name: str, amount: int | None, *, allow_zero: bool) -> None:
    if amount is None:
        errors[name] = _("This field is required.")
    elif amount < 0 or (amount == 0 and not allow_zero):
        errors[name] = (
            _("Enter an amount greater than zero.")
            if not allow_zero
            else _("Enter an amount of zero or more.")
        )
    elif amount > MAX_AMOUNT:
        errors[name] = _("This amount is too large.")


def _locked_project_year(project: Project, year: int) -> ProjectYear:
    ProjectYear.objects.bulk_create(
        [ProjectYear(project=project, year=year, responsible_unit_id=project.responsible_unit_id)],
        ignore_conflicts=True,
    )
    return ProjectYear.objects.select_for_update().get(project=project, year=year)


def plan_revise(
    *,
    actor,
    project: Project,
    year: int,
    assigned_amount: int,
    local_amount: int = 0,
    effective_on: datetime.date | None = None,
    decision: str = "",
    note: str = "",
) -> PlanRevision:
    """Record the capital plan of a year as decided on `effective_on` (the first plan, or a revision).

    The plan in force is the latest revision by effective date; a revision cannot take effect in the future
    (record it when it is decided), so that the plan in force today never changes without a write.
    """
    require(actor, PLAN_PROJECT, project.responsible_unit_id)
    effective_on = effective_on or today()
    errors: dict = {}
    _check_amount(errors, "assigned_amount", assigned_amount, allow_zero=True)
    _check_amount(errors, "local_amount", local_amount, allow_zero=True)
    if not 2000 <= year <= 2100:
        errors["year"] = _("Enter a year between 2000 and 2100.")
    elif effective_on > today():
        errors["effective_on"] = _("A plan revision cannot take effect in the future.")
    elif not datetime.date(year - 1, 1, 1) <= effective_on <= progress.window(year)[1]:
        errors["effective_on"] = _(
            "The plan of %(year)d can take effect from 01/01/%(before)d to %(end)s."
        ) % {"year": year, "before": year - 1, "end": _date_text(progress.window(year)[1])}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        aggregate = _locked_project_year(project, year)
        revision = PlanRevision(
            project=project,
            year=year,
            effective_on=effective_on,
            assigned_amount=assigned_amount,
            local_amount=local_amount,
            decision=decision.strip(),
            note=note,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        create_audited(actor=actor, instance=revision)
        current = plan_in_force(project, year, None)
        aggregate.assigned_amount = current.assigned_amount
        aggregate.local_amount = current.local_amount
        aggregate.total_amount = current.total_amount
        aggregate.save(update_fields=["assigned_amount", "local_amount", "total_amount"])
    return revision


def plan_in_force(project: Project, year: int, day: datetime.date | None) -> PlanRevision | None:
    """The revision in force on `day` (None: the latest of all)."""
    revisions = PlanRevision.objects.filter(project=project, year=year)
    if day is not None:
        revisions = revisions.filter(effective_on__lte=day)
    return revisions.order_by("-effective_on", "-id").first()


# --- disbursements ------------------------------------------------------------------------------------


def _add_unit_month(unit_id: int, year: int, month: int, amount: int) -> None:
    UnitMonth.objects.bulk_create([UnitMonth(unit_id=unit_id, year=year, month=month)], ignore_conflicts=True)
    UnitMonth.objects.filter(unit_id=unit_id, year=year, month=month).update(amount=F("amount") + amount)


def check_disbursement(
    *, plan_year: int, paid_on: datetime.date | None, amount: int | None, day: datetime.date | None = None
) -> dict:
    """The field errors of a disbursement, without writing: the carry-over window, the amount, the date."""
    errors: dict = {}
    _check_amount(errors, "amount", amount, allow_zero=False)
    if paid_on is None:
        errors["paid_on"] = _("This field is required.")
        return errors
    start, end = progress.window(plan_year)
    if not start <= paid_on <= end:
        errors["paid_on"] = _(
            "Capital of the %(year)d plan can be disbursed from %(start)s to %(end)s (the carry-over window "
            "ends on 31 January of the next year)."
        ) % {"year": plan_year, "start": _date_text(start), "end": _date_text(end)}
    elif paid_on > (day or today()):
        errors["paid_on"] = _("A disbursement cannot be dated in the future.")
    return errors


def disbursement_record(
    *,
    actor,
    project: Project,
    plan_year: int,
    paid_on: datetime.date,
    amount: int,
    reference: str = "",
    note: str = "",
) -> Disbursement:
    """Record capital paid for the plan of `plan_year`: dated from 1 January of that year to 31 January of
    the next. The project must have a plan for that year."""
    require(actor, RECORD_DISBURSEMENT, project.responsible_unit_id)
    errors = check_disbursement(plan_year=plan_year, paid_on=paid_on, amount=amount)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        aggregate = _locked_project_year(project, plan_year)
        if not PlanRevision.objects.filter(project=project, year=plan_year).exists():
            raise ValidationError(
                {"plan_year": _("The project has no capital plan for %(year)d.") % {"year": plan_year}}
            )
        disbursement = Disbursement(
            project=project,
            plan_year=plan_year,
            paid_on=paid_on,
            amount=amount,
            reference=reference.strip(),
            note=note,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        create_audited(actor=actor, instance=disbursement)
        ProjectYear.objects.filter(pk=aggregate.pk).update(disbursed=F("disbursed") + amount)
        _add_unit_month(
            aggregate.responsible_unit_id, plan_year, progress.window_month(plan_year, paid_on), amount
        )
    return disbursement


def disbursement_cancel(*, actor, disbursement: Disbursement) -> None:
    """Remove a disbursement recorded by mistake (the audit record keeps what it was)."""
    project = disbursement.project
    require(actor, RECORD_DISBURSEMENT, project.responsible_unit_id)
    with transaction.atomic():
        aggregate = _locked_project_year(project, disbursement.plan_year)
        before = snapshot(disbursement)
        pk = disbursement.pk
        disbursement.delete()
        disbursement.pk = pk
        audit_deleted(actor=actor, instance=disbursement, before=before)
        ProjectYear.objects.filter(pk=aggregate.pk).update(disbursed=F("disbursed") - disbursement.amount)
        month = progress.window_month(disbursement.plan_year, disbursement.paid_on)
        _add_unit_month(aggregate.responsible_unit_id, disbursement.plan_year, month, -disbursement.amount)


# --- follow-up of lagging projects ---------------------------------------------------------------------


def project_follow_up(
    *,
    actor,
    project: Project,
    plan_year: int,
    due_date: datetime.date | None = None,
    due_working_days: int | None = 10,
    title: str = "",
) -> ProjectTask:
    """Give the project's responsible unit a task to speed up disbursement, assigned from the closest unit
    above it (or itself) where the actor may assign tasks."""
    from kycuong.tasks.services import task_assign

    require(actor, "targets.view_project", project.responsible_unit_id)
    ancestors = (
        UnitClosure.objects.filter(descendant_id=project.responsible_unit_id)
        .order_by("depth")
        .values_list("ancestor_id", flat=True)
    )
    assigning_id = next((pk for pk in ancestors if can(actor, "tasks.assign_task", pk)), None)
    if assigning_id is None:
        require(actor, "tasks.assign_task", project.responsible_unit_id)
    with transaction.atomic():
        task = task_assign(
            actor=actor,
            title=title
            or _("Speed up the disbursement of project %(code)s (plan %(year)d)")
            % {"code": project.code, "year": plan_year},
            assigning_unit=Unit.objects.get(pk=assigning_id),
            lead_unit=project.responsible_unit,
            due_date=due_date if due_working_days is None else None,
            due_working_days=due_working_days if due_date is None else None,
            expected_product=_("Report on the disbursement"),
            description=_("Project %(project)s is behind the disbursement path of %(year)d.")
            % {"project": str(project), "year": plan_year},
        )
        link = ProjectTask(project=project, task=task, plan_year=plan_year)
        return create_audited(actor=actor, instance=link)


# --- pre-aggregates --------------------------------------------------------------------------------------


def aggregates_rebuild(*, years: list[int] | None = None) -> None:
    """Recompute ProjectYear and UnitMonth from the records (bulk loads: the demo and the benchmark).

    Not an actor's action: it rewrites derived figures only, so it writes no audit record.
    """
    with transaction.atomic():
        projects_years = ProjectYear.objects.all()
        unit_months = UnitMonth.objects.all()
        revisions = PlanRevision.objects.all()
        disbursements = Disbursement.objects.all()
        if years is not None:
            projects_years = projects_years.filter(year__in=years)
            unit_months = unit_months.filter(year__in=years)
            revisions = revisions.filter(year__in=years)
            disbursements = disbursements.filter(plan_year__in=years)
        projects_years.delete()
        unit_months.delete()
        latest = PlanRevision.objects.filter(
            project_id=OuterRef("project_id"), year=OuterRef("year")
        ).order_by("-effective_on", "-id")
        pairs = (
            revisions.order_by()
            .values("project_id", "year")
            .distinct()
            .annotate(
                unit_id=F("project__responsible_unit_id"),
                assigned=Subquery(latest.values("assigned_amount")[:1]),
                local=Subquery(latest.values("local_amount")[:1]),
            )
        )
        paid = dict(
            ((row["project_id"], row["plan_year"]), row["total"])
            for row in disbursements.values("project_id", "plan_year")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        batch = []
        for row in pairs.iterator(chunk_size=5000):
            batch.append(
                ProjectYear(
                    project_id=row["project_id"],
                    year=row["year"],
                    responsible_unit_id=row["unit_id"],
                    assigned_amount=row["assigned"],
                    local_amount=row["local"],
                    total_amount=row["assigned"] + row["local"],
                    disbursed=paid.get((row["project_id"], row["year"]), 0),
                )
            )
        ProjectYear.objects.bulk_create(batch, batch_size=5000)
        _rebuild_unit_months(years)


def _window_month():
    """`progress.window_month` as an expression: the month of the payment, 13 for the carry-over January."""
    return Case(
        When(paid_on__year__gt=F("plan_year"), then=Value(progress.CARRY_OVER_MONTH)),
        default=ExtractMonth("paid_on"),
    )


def _rebuild_unit_months(years: list[int] | None) -> None:
    disbursements = Disbursement.objects.all()
    if years is not None:
        disbursements = disbursements.filter(plan_year__in=years)
    sums = (
        disbursements.annotate(unit_id=F("project__responsible_unit_id"), window_month=_window_month())
        .values("unit_id", "plan_year", "window_month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    UnitMonth.objects.bulk_create(
        [
            UnitMonth(
                unit_id=row["unit_id"], year=row["plan_year"], month=row["window_month"], amount=row["total"]
            )
            for row in sums
        ],
        batch_size=5000,
    )
