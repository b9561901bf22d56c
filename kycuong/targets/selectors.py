"""Reads of indicators and public investment, always through the actor's scope.

The disbursement dashboard costs a fixed number of queries whatever the number of projects: the totals, the
rows by responsible unit and the lag counts are one aggregate over ProjectYear (one row per project and
plan year, indexed by year and unit), and the monthly curve is one aggregate over UnitMonth (one row per
unit and month). Both tables are kept exact by the services (see services.py).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from kycuong.core.calendar import today
from kycuong.core.scoping import covered_units, covers_every_unit, get_scoped_or_404, restrict
from kycuong.core.text import search
from kycuong.org.models import Unit, UnitClosure
from kycuong.org.rollup import totals_by_child

from . import progress
from .models import (
    Direction,
    Disbursement,
    DisbursementRule,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    MeasureKind,
    PlanRevision,
    Project,
    ProjectTask,
    ProjectYear,
    UnitMonth,
)

VIEW_INDICATOR = "targets.view_indicator"
VIEW_PROJECT = "targets.view_project"


def _subtree(unit_id: int) -> QuerySet:
    return UnitClosure.objects.filter(ancestor_id=unit_id).values("descendant_id")


# --- indicators --------------------------------------------------------------------------------------------


def indicator_list(*, actor, q: str | None = None) -> QuerySet[Indicator]:
    """Indicators owned by a unit in scope, or with a target or figure of a unit in scope."""
    units = covered_units(actor, VIEW_INDICATOR)
    indicators = Indicator.objects.all()
    # A grant over every unit sees every indicator (each has an owner unit): no list of thousands of ids.
    if units is not None and not covers_every_unit(actor, VIEW_INDICATOR):
        indicators = indicators.filter(
            Q(owner_unit_id__in=units)
            | Q(pk__in=IndicatorTarget.objects.filter(unit_id__in=units).values("indicator_id"))
            | Q(pk__in=IndicatorActual.objects.filter(unit_id__in=units).values("indicator_id"))
        )
    return search(indicators, q).select_related("owner_unit").order_by("search_rank", "code")


def indicator_get(*, actor, indicator_id: int) -> Indicator:
    """One indicator the actor may see (404 otherwise, like a missing one)."""
    from django.http import Http404

    try:
        return indicator_list(actor=actor).get(pk=indicator_id)
    except (Indicator.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error


def visible_unit(*, actor, unit_id: int, permission: str) -> Unit:
    """A unit where the actor holds `permission` (404 otherwise, like a missing unit)."""
    return get_scoped_or_404(Unit.objects.all(), actor, permission, pk=unit_id)


@dataclass
class IndicatorProgress:
    indicator: Indicator
    unit: Unit
    year: int
    rolled_up: bool
    series: list[tuple[int, Decimal]]
    target_min: Decimal | None
    target_max: Decimal | None
    year_to_date: Decimal | None
    forecast: Decimal | None
    goal: Decimal | None
    status: str
    last_month: int | None

    @property
    def status_label(self) -> str:
        return str(progress.Status(self.status).label)

    @property
    def expected_by_now(self) -> Decimal | None:
        """For a flow: the share of the goal that the months covered call for."""
        if self.goal is None or self.last_month is None:
            return None
        if self.indicator.measure_kind == MeasureKind.FLOW:
            return self.goal * self.last_month / 12
        return self.goal


def _target_in_force(targets: list[IndicatorTarget], day: datetime.date) -> IndicatorTarget | None:
    in_force = [t for t in targets if t.valid_from <= day]
    return max(in_force, key=lambda t: (t.valid_from, t.pk)) if in_force else None


def indicator_progress(
    *, actor, indicator: Indicator, unit: Unit, year: int, day: datetime.date | None = None
) -> IndicatorProgress:
    """The unit's figures of the year, its target in force on `day`, the forecast and the status.

    An additive indicator rolls up: the unit's figure for a period is the sum of the figures of the units
    of its subtree that the actor may see, and without a target of its own, its target is the sum of their
    targets. A non-additive indicator shows the unit's own figures only.
    """
    day = day or today()
    rolled_up = indicator.additive
    units_q = Q(unit_id__in=_subtree(unit.pk)) if rolled_up else Q(unit_id=unit.pk)
    actuals = restrict(
        IndicatorActual.objects.filter(units_q, indicator=indicator, year=year), actor, VIEW_INDICATOR
    )
    series = [
        (row["month"], row["total"])
        for row in actuals.values("month").annotate(total=Sum("value")).order_by("month")
    ]
    targets = list(
        restrict(
            IndicatorTarget.objects.filter(units_q, indicator=indicator, year=year), actor, VIEW_INDICATOR
        )
    )
    own = _target_in_force([t for t in targets if t.unit_id == unit.pk], day)
    if own is not None:
        target_min, target_max = own.target_min, own.target_max
    elif rolled_up and targets:
        by_unit: dict[int, list[IndicatorTarget]] = {}
        for target in targets:
            by_unit.setdefault(target.unit_id, []).append(target)
        chosen = [t for t in (_target_in_force(ts, day) for ts in by_unit.values()) if t is not None]
        target_min = sum((t.target_min for t in chosen if t.target_min is not None), Decimal(0)) or None
        target_max = sum((t.target_max for t in chosen if t.target_max is not None), Decimal(0)) or None
    else:
        target_min = target_max = None
    flow = indicator.measure_kind == MeasureKind.FLOW
    higher = indicator.direction == Direction.HIGHER
    projected = progress.forecast(series, flow=flow)
    goal = progress.goal(target_min, target_max, higher_is_better=higher)
    return IndicatorProgress(
        indicator=indicator,
        unit=unit,
        year=year,
        rolled_up=rolled_up,
        series=series,
        target_min=target_min,
        target_max=target_max,
        year_to_date=progress.year_to_date(series, flow=flow),
        forecast=projected,
        goal=goal,
        status=progress.status(
            projected, goal, higher_is_better=higher, tolerance_percent=indicator.tolerance_percent
        ),
        last_month=series[-1][0] if series else None,
    )


def indicator_board(
    *,
    actor,
    unit: Unit,
    year: int,
    day: datetime.date | None = None,
    indicators: list[Indicator] | None = None,
) -> list[IndicatorProgress]:
    """Every visible indicator (`indicator_list`, read unless given) with the unit's own figures (three
    queries, whatever the count)."""
    day = day or today()
    if indicators is None:
        indicators = list(indicator_list(actor=actor))
    actuals = restrict(IndicatorActual.objects.filter(unit=unit, year=year), actor, VIEW_INDICATOR)
    targets = restrict(IndicatorTarget.objects.filter(unit=unit, year=year), actor, VIEW_INDICATOR)
    series: dict[int, list] = {}
    for row in actuals.values_list("indicator_id", "month", "value").order_by("month"):
        series.setdefault(row[0], []).append((row[1], row[2]))
    targets_of: dict[int, list] = {}
    for target in targets:
        targets_of.setdefault(target.indicator_id, []).append(target)
    board = []
    for indicator in indicators:
        points = series.get(indicator.pk, [])
        target = _target_in_force(targets_of.get(indicator.pk, []), day)
        if not points and target is None:
            continue
        flow = indicator.measure_kind == MeasureKind.FLOW
        higher = indicator.direction == Direction.HIGHER
        projected = progress.forecast(points, flow=flow)
        goal = progress.goal(
            target.target_min if target else None,
            target.target_max if target else None,
            higher_is_better=higher,
        )
        board.append(
            IndicatorProgress(
                indicator=indicator,
                unit=unit,
                year=year,
                rolled_up=False,
                series=points,
                target_min=target.target_min if target else None,
                target_max=target.target_max if target else None,
                year_to_date=progress.year_to_date(points, flow=flow),
                forecast=projected,
                goal=goal,
                status=progress.status(
                    projected, goal, higher_is_better=higher, tolerance_percent=indicator.tolerance_percent
                ),
                last_month=points[-1][0] if points else None,
            )
        )
    return board


# --- disbursement ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    target_percent: Decimal
    lag_margin_points: Decimal
    profile: list
    name: str = ""


def rule_for(year: int) -> Rule:
    """The rule in force for a plan year (the one valid on 1 January), else a linear path to 95 %."""
    start = datetime.date(year, 1, 1)
    rule = (
        DisbursementRule.objects.filter(valid_from__lte=start)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .order_by("-valid_from", "-id")
        .first()
    )
    if rule is None:
        return Rule(Decimal(95), Decimal(10), progress.LINEAR_PROFILE, "")
    return Rule(
        rule.target_percent, rule.lag_margin_points, [Decimal(str(v)) for v in rule.profile], rule.name
    )


def as_of(year: int, day: datetime.date | None = None) -> datetime.date:
    """The day a plan year is looked at: today, or the end of its window once that has passed."""
    return min(day or today(), progress.window(year)[1])


def lag_threshold(year: int, day: datetime.date, rule: Rule) -> Decimal:
    """The rate below which a project or unit is lagging on `day`: the path less the margin."""
    path = progress.path_percent(year, day, target_percent=rule.target_percent, profile=rule.profile)
    return max(Decimal(0), path - rule.lag_margin_points)


def lagging_q(threshold: Decimal) -> Q:
    """disbursed ÷ total plan × 100 < threshold, in integers (basis points) that both databases compare
    alike."""
    basis_points = int((threshold * 100).to_integral_value())
    return Q(total_amount__gt=0, disbursed_bp__lt=basis_points * F("total_amount"))


def _with_bp(rows: QuerySet) -> QuerySet:
    return rows.annotate(disbursed_bp=F("disbursed") * 10000)


def project_years(*, actor, year: int, unit_id: int | None = None) -> QuerySet[ProjectYear]:
    rows = restrict(ProjectYear.objects.filter(year=year), actor, VIEW_PROJECT)
    if unit_id is not None:
        rows = rows.filter(responsible_unit_id__in=_subtree(unit_id))
    return _with_bp(rows)


@dataclass
class Figures:
    projects: int
    assigned: int
    total: int
    disbursed: int
    lagging: int

    @property
    def rate_assigned(self) -> Decimal | None:
        return progress.rate(self.disbursed, self.assigned)

    @property
    def rate_total(self) -> Decimal | None:
        return progress.rate(self.disbursed, self.total)

    @property
    def local(self) -> int:
        return self.total - self.assigned


@dataclass
class UnitRow(Figures):
    unit_id: int = 0
    unit_name: str = ""
    unit_code: str = ""
    is_lagging: bool = False


@dataclass
class Dashboard:
    year: int
    day: datetime.date
    rule: Rule
    path_today: Decimal
    threshold: Decimal
    totals: Figures
    units: list[UnitRow]
    months: list[dict] = field(default_factory=list)

    @property
    def lagging_units(self) -> int:
        return sum(1 for row in self.units if row.is_lagging)

    def chart_data(self) -> dict:
        return {
            "labels": [m["label"] for m in self.months],
            "actual": [
                float(m["actual_percent"]) if m["actual_percent"] is not None else None for m in self.months
            ],
            "path": [float(m["path_percent"]) for m in self.months],
            "target": float(self.rule.target_percent),
        }


def _sums(lag: Q) -> dict:
    return {
        "projects": Count("id"),
        "assigned": Coalesce(Sum("assigned_amount"), 0),
        "total": Coalesce(Sum("total_amount"), 0),
        "disbursed": Coalesce(Sum("disbursed"), 0),
        "lagging": Count("id", filter=lag),
    }


def disbursement_dashboard(
    *, actor, year: int, unit_id: int | None = None, day: datetime.date | None = None
) -> Dashboard:
    """The plan year's figures over the actor's scope (or a unit's subtree): four queries in all."""
    plan = _plan_day(year, day)
    threshold = plan.threshold
    rows = project_years(actor=actor, year=year, unit_id=unit_id)
    units = []
    for row in (
        rows.values("responsible_unit_id", "responsible_unit__name", "responsible_unit__code")
        .annotate(**_sums(lagging_q(threshold)))
        .order_by("responsible_unit__name", "responsible_unit_id")
    ):
        unit_row = UnitRow(
            projects=row["projects"],
            assigned=row["assigned"],
            total=row["total"],
            disbursed=row["disbursed"],
            lagging=row["lagging"],
            unit_id=row["responsible_unit_id"],
            unit_name=row["responsible_unit__name"],
            unit_code=row["responsible_unit__code"],
        )
        rate_total = unit_row.rate_total
        unit_row.is_lagging = rate_total is not None and rate_total < threshold
        units.append(unit_row)
    totals = Figures(
        projects=sum(u.projects for u in units),
        assigned=sum(u.assigned for u in units),
        total=sum(u.total for u in units),
        disbursed=sum(u.disbursed for u in units),
        lagging=sum(u.lagging for u in units),
    )
    return _dashboard(actor, year, unit_id, plan, totals, units)


def disbursement_totals(
    *,
    actor,
    year: int,
    unit_id: int,
    day: datetime.date | None = None,
    with_months: bool = True,
    children_of: int | None = None,
) -> tuple[Dashboard, dict[int, Figures]]:
    """The figures of `disbursement_dashboard` without its table of responsible units (the leadership
    dashboard's needs): the totals in one aggregate, and, with `children_of`, the totals of each direct
    sub-unit's subtree rolled up by the database. Same rows, same sums, fewer rows read back."""
    plan = _plan_day(year, day)
    rows = project_years(actor=actor, year=year, unit_id=unit_id)
    totals = Figures(**rows.aggregate(**_sums(lagging_q(plan.threshold))))
    by_child = {}
    if children_of is not None:
        per_unit = rows.values("responsible_unit_id").annotate(**_sums(lagging_q(plan.threshold)))
        rolled_up = totals_by_child(per_unit, unit_field="responsible_unit_id", parent_id=children_of)
        by_child = {child_id: Figures(**figures) for child_id, figures in rolled_up.items()}
    return _dashboard(actor, year, unit_id, plan, totals, [], with_months=with_months), by_child


@dataclass(frozen=True)
class PlanDay:
    day: datetime.date  # the day the plan year is looked at
    rule: Rule
    threshold: Decimal  # below this rate, a project or unit is lagging


def _plan_day(year: int, day: datetime.date | None) -> PlanDay:
    day = as_of(year, day)
    rule = rule_for(year)
    return PlanDay(day, rule, lag_threshold(year, day, rule))


def _dashboard(
    actor,
    year: int,
    unit_id: int | None,
    plan: PlanDay,
    totals: Figures,
    units: list[UnitRow],
    with_months: bool = True,
) -> Dashboard:
    """The plan year's board: the totals, the path and, month by month, the cumulative rate (one query)."""
    day, rule = plan.day, plan.rule
    month_rows = []
    if with_months:
        months = restrict(UnitMonth.objects.filter(year=year), actor, VIEW_PROJECT)
        if unit_id is not None:
            months = months.filter(unit_id__in=_subtree(unit_id))
        paid = dict(
            months.values("month").annotate(total=Sum("amount")).order_by().values_list("month", "total")
        )
        path = progress.month_path(rule.target_percent, rule.profile)
        current_month = progress.window_month(year, day) if day >= progress.window(year)[0] else 0
        cumulative = 0
        for month in range(1, 14):
            cumulative += paid.get(month, 0)
            shown = month <= current_month
            actual = progress.rate(cumulative, totals.total) if shown else None
            month_rows.append(
                {
                    "month": month,
                    "label": f"{month:02d}/{year}" if month <= 12 else f"01/{year + 1}",
                    "disbursed": paid.get(month, 0) if shown else None,
                    "cumulative": cumulative if shown else None,
                    "actual_percent": actual,
                    "path_percent": path[month - 1].quantize(Decimal("0.01")),
                }
            )
    return Dashboard(
        year=year,
        day=day,
        rule=rule,
        path_today=progress.path_percent(year, day, target_percent=rule.target_percent, profile=rule.profile),
        threshold=plan.threshold,
        totals=totals,
        units=units,
        months=month_rows,
    )


PROJECT_SORTS = {
    "code": ("project__code",),
    "rate": ("rate_key", "project__code"),
    "-plan": ("-total_amount", "project__code"),
}


def project_list(
    *,
    actor,
    year: int,
    unit_id: int | None = None,
    lagging: bool = False,
    q: str | None = None,
    sort: str = "code",
    day: datetime.date | None = None,
) -> QuerySet[ProjectYear]:
    """Projects with a plan for `year`, each with its plan in force and what it has disbursed."""
    rows = project_years(actor=actor, year=year, unit_id=unit_id)
    day = as_of(year, day)
    if lagging:
        rows = rows.filter(lagging_q(lag_threshold(year, day, rule_for(year))))
    if q:
        rows = rows.filter(project__in=search(Project.objects.all(), q).values("pk"))
    if sort == "rate":
        rows = rows.annotate(rate_key=F("disbursed_bp") / Coalesce(F("total_amount"), 1))
    ordering = PROJECT_SORTS.get(sort, PROJECT_SORTS["code"])
    return rows.select_related("project", "project__investor_unit", "responsible_unit").order_by(
        *ordering, "id"
    )


def project_get(*, actor, project_id: int) -> Project:
    return get_scoped_or_404(
        Project.objects.select_related("investor_unit", "responsible_unit"),
        actor,
        VIEW_PROJECT,
        pk=project_id,
    )


@dataclass
class ProjectYearView:
    project: Project
    year: int
    day: datetime.date
    revisions: list[PlanRevision]
    disbursements: list[Disbursement]
    assigned: int
    total: int
    disbursed: int
    months: list[dict]
    threshold: Decimal
    tasks: list[ProjectTask]

    @property
    def rate_assigned(self) -> Decimal | None:
        return progress.rate(self.disbursed, self.assigned)

    @property
    def rate_total(self) -> Decimal | None:
        return progress.rate(self.disbursed, self.total)

    @property
    def is_lagging(self) -> bool:
        rate = self.rate_total
        return rate is not None and rate < self.threshold

    def chart_data(self) -> dict:
        return {
            "labels": [m["label"] for m in self.months],
            "actual": [
                float(m["actual_percent"]) if m["actual_percent"] is not None else None for m in self.months
            ],
            "path": [float(m["path_percent"]) for m in self.months],
        }


def project_year_view(*, project: Project, year: int, day: datetime.date | None = None) -> ProjectYearView:
    """One project's plan year: revisions, disbursements, the rates on `day` against the plan in force on
    that day (both denominators), and its monthly curve against the path."""
    day = as_of(year, day)
    revisions = list(PlanRevision.objects.filter(project=project, year=year).order_by("effective_on", "id"))
    disbursements = list(
        Disbursement.objects.filter(project=project, plan_year=year).order_by("paid_on", "id")
    )
    in_force = [r for r in revisions if r.effective_on <= day]
    plan = max(in_force, key=lambda r: (r.effective_on, r.pk)) if in_force else None
    disbursed = sum(d.amount for d in disbursements if d.paid_on <= day)
    rule = rule_for(year)
    path = progress.month_path(rule.target_percent, rule.profile)
    by_month: dict[int, int] = {}
    for item in disbursements:
        month = progress.window_month(year, item.paid_on)
        by_month[month] = by_month.get(month, 0) + item.amount
    total = plan.total_amount if plan else 0
    current_month = progress.window_month(year, day) if day >= progress.window(year)[0] else 0
    months, cumulative = [], 0
    for month in range(1, 14):
        cumulative += by_month.get(month, 0)
        shown = month <= current_month
        months.append(
            {
                "label": f"{month:02d}/{year}" if month <= 12 else f"01/{year + 1}",
                "actual_percent": progress.rate(cumulative, total) if shown else None,
                "path_percent": path[month - 1].quantize(Decimal("0.01")),
            }
        )
    return ProjectYearView(
        project=project,
        year=year,
        day=day,
        revisions=revisions,
        disbursements=disbursements,
        assigned=plan.assigned_amount if plan else 0,
        total=total,
        disbursed=disbursed,
        months=months,
        threshold=lag_threshold(year, day, rule),
        tasks=list(ProjectTask.objects.filter(project=project, plan_year=year).select_related("task")),
    )


def aggregates_mismatches() -> list[str]:
    """Where the pre-aggregates differ from the records (empty when they agree): for tests and checks."""
    problems = []
    paid = {
        (row["project_id"], row["plan_year"]): row["total"]
        for row in Disbursement.objects.values("project_id", "plan_year")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    for row in ProjectYear.objects.values(
        "project_id", "year", "disbursed", "total_amount", "assigned_amount", "local_amount"
    ):
        key = (row["project_id"], row["year"])
        if paid.pop(key, 0) != row["disbursed"]:
            problems.append(f"project {key[0]} year {key[1]}: disbursed")
        if row["total_amount"] != row["assigned_amount"] + row["local_amount"]:
            problems.append(f"project {key[0]} year {key[1]}: total")
    problems.extend(f"project {key[0]} year {key[1]}: no aggregate" for key in paid)
    by_unit_month: dict[tuple, int] = {}
    for item in Disbursement.objects.select_related("project").only(
        "plan_year", "paid_on", "amount", "project__responsible_unit_id"
    ):
        key = (
            item.project.responsible_unit_id,
            item.plan_year,
            progress.window_month(item.plan_year, item.paid_on),
        )
        by_unit_month[key] = by_unit_month.get(key, 0) + item.amount
    for row in UnitMonth.objects.values("unit_id", "year", "month", "amount"):
        key = (row["unit_id"], row["year"], row["month"])
        if by_unit_month.pop(key, 0) != row["amount"]:
            problems.append(f"unit {key[0]} {key[1]}/{key[2]}: amount")
    problems.extend(
        f"unit {key[0]} {key[1]}/{key[2]}: missing" for key, amount in by_unit_month.items() if amount
    )
    return problems
