"""Reads of the satisfaction app, always through the actor's scope.

The index of a unit, a service point or the whole city for a period reads the monthly rows for the whole
calendar months of the period and the daily rows for the days at its edges: two aggregate queries on
indexed columns, exact, and of a cost that depends on the number of service points and days, not on the
number of ratings. Figures for one civil servant or one procedure, which the pre-aggregated rows do not
separate, are summed from the ratings themselves (indexed by unit, service point and civil servant).
"""

import calendar as month_calendar
import datetime
from dataclasses import dataclass, replace

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from kycuong.core.calendar import today
from kycuong.core.kept import KeptValues
from kycuong.core.scoping import get_scoped_or_404, restrict
from kycuong.core.text import search
from kycuong.org.models import Unit, UnitClosure
from kycuong.org.rollup import totals_by_child

from .figures import IndexFigures, figures_from_counts
from .models import (
    COUNT_FIELDS,
    DailyCount,
    Feedback,
    FeedbackState,
    MonthlyCount,
    Rating,
    ServicePoint,
    SurveyTemplate,
)

VIEW = "satisfaction.view_rating"


# --- periods ---


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=month_calendar.monthrange(day.year, day.month)[1])


def next_month(day: datetime.date) -> datetime.date:
    return (month_end(day) + datetime.timedelta(days=1)).replace(day=1)


def split_period(
    date_from: datetime.date, date_to: datetime.date
) -> tuple[tuple[datetime.date, datetime.date] | None, list[tuple[datetime.date, datetime.date]]]:
    """(first and last whole month, as first days) and the day ranges left over at the edges."""
    first_whole = date_from if date_from.day == 1 else next_month(date_from)
    last_whole_end = (
        date_to if date_to == month_end(date_to) else date_to.replace(day=1) - datetime.timedelta(1)
    )
    if first_whole > last_whole_end:
        return None, [(date_from, date_to)]
    edges = []
    if date_from < first_whole:
        edges.append((date_from, first_whole - datetime.timedelta(days=1)))
    if last_whole_end < date_to:
        edges.append((last_whole_end + datetime.timedelta(days=1), date_to))
    return (first_whole, last_whole_end.replace(day=1)), edges


def previous_period(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of the same length just before; whole months map to the same number of whole months."""
    if date_from.day == 1 and date_to == month_end(date_to):
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        start = date_from
        for _ in range(months):
            start = (start - datetime.timedelta(days=1)).replace(day=1)
        return start, date_from - datetime.timedelta(days=1)
    length = date_to - date_from
    end = date_from - datetime.timedelta(days=1)
    return end - length, end


# --- the index ---


@dataclass(frozen=True)
class IndexFilters:
    unit_id: int | None = None
    with_descendants: bool = True
    service_point_id: int | None = None
    staff_id: int | None = None
    procedure: str | None = None
    unit_kind: str | None = None  # units of one kind (to compare a unit with its peers)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def period(self) -> tuple[datetime.date, datetime.date]:
        end = self.date_to or today()
        return self.date_from or end.replace(month=1, day=1), end


def _subtree(unit_id: int) -> QuerySet:
    return UnitClosure.objects.filter(ancestor_id=unit_id).values("descendant_id")


def _where(rows: QuerySet, filters: IndexFilters) -> QuerySet:
    if filters.unit_id is not None:
        if filters.with_descendants:
            rows = rows.filter(unit_id__in=_subtree(filters.unit_id))
        else:
            rows = rows.filter(unit_id=filters.unit_id)
    if filters.service_point_id is not None:
        rows = rows.filter(service_point_id=filters.service_point_id)
    if filters.unit_kind:
        rows = rows.filter(unit__kind=filters.unit_kind)
    return rows


SUMS = {name: Coalesce(Sum(name), 0) for name in ("ratings", *COUNT_FIELDS)}
RATING_SUMS = {"ratings": Count("id"), **{name: Coalesce(Sum(name), 0) for name in COUNT_FIELDS}}


def _add(total: dict, row: dict) -> None:
    for name, value in row.items():
        total[name] = total.get(name, 0) + (value or 0)


def satisfaction_index(*, actor, filters: IndexFilters) -> IndexFigures:
    """The figures of the ratings in scope that match the filters, for the filters' period."""
    date_from, date_to = filters.period()
    if filters.staff_id is not None or filters.procedure:
        ratings = _where(restrict(Rating.objects.all(), actor, VIEW), filters).filter(
            day__range=(date_from, date_to)
        )
        if filters.staff_id is not None:
            ratings = ratings.filter(staff_id=filters.staff_id)
        if filters.procedure:
            ratings = ratings.filter(procedure=filters.procedure)
        totals = ratings.order_by().aggregate(**RATING_SUMS)
        return figures_from_counts(totals, totals["ratings"])
    months, edges = split_period(date_from, date_to)
    totals: dict = {}
    if months:
        rows = _where(restrict(MonthlyCount.objects.all(), actor, VIEW), filters)
        _add(totals, rows.filter(month__range=months).order_by().aggregate(**SUMS))
    for start, end in edges:
        # One range per query: each is a plain index range scan (an OR of ranges is not, on PostgreSQL).
        rows = _where(restrict(DailyCount.objects.all(), actor, VIEW), filters)
        _add(totals, rows.filter(day__range=(start, end)).order_by().aggregate(**SUMS))
    return figures_from_counts(totals, totals.get("ratings", 0))


@dataclass(frozen=True)
class TrendPoint:
    start: datetime.date
    figures: IndexFigures


def satisfaction_trend(*, actor, filters: IndexFilters) -> list[TrendPoint]:
    """Month by month over the period (day by day when it lies within one month); one grouped query."""
    date_from, date_to = filters.period()
    if (date_from.year, date_from.month) == (date_to.year, date_to.month):
        rows = _where(restrict(DailyCount.objects.all(), actor, VIEW), filters).filter(
            day__range=(date_from, date_to)
        )
        key, starts = (
            "day",
            [date_from + datetime.timedelta(n) for n in range((date_to - date_from).days + 1)],
        )
    else:
        rows = _where(restrict(MonthlyCount.objects.all(), actor, VIEW), filters).filter(
            month__range=(date_from.replace(day=1), date_to.replace(day=1))
        )
        key, starts, month = "month", [], date_from.replace(day=1)
        while month <= date_to:
            starts.append(month)
            month = next_month(month)
    grouped = {row[key]: row for row in rows.order_by().values(key).annotate(**SUMS)}
    return [
        TrendPoint(start, figures_from_counts(grouped.get(start, {}), grouped.get(start, {}).get("ratings")))
        for start in starts
    ]


@dataclass(frozen=True)
class BreakdownRow:
    key: int | str | None
    label: str
    figures: IndexFigures


GROUPS = ("unit", "service_point", "staff", "procedure")


def satisfaction_breakdown(
    *, actor, filters: IndexFilters, group_by: str, limit: int = 200
) -> list[BreakdownRow]:
    """The figures per sub-unit (children of the filter's unit), service point, civil servant or procedure."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    date_from, date_to = filters.period()
    if group_by in ("staff", "procedure") or filters.staff_id is not None or filters.procedure:
        rows = _where(restrict(Rating.objects.all(), actor, VIEW), filters).filter(
            day__range=(date_from, date_to)
        )
        if filters.staff_id is not None:
            rows = rows.filter(staff_id=filters.staff_id)
        if filters.procedure:
            rows = rows.filter(procedure=filters.procedure)
        parts, sums = [rows], RATING_SUMS
    else:
        # Whole months from the monthly rows, the edges from the daily rows (as for the index): a year to
        # date reads 10 monthly rows and 26 daily rows per service point instead of 330 daily rows.
        months, edges = split_period(date_from, date_to)
        parts = []
        if months:
            parts.append(
                _where(restrict(MonthlyCount.objects.all(), actor, VIEW), filters).filter(month__range=months)
            )
        for start, end in edges:
            parts.append(
                _where(restrict(DailyCount.objects.all(), actor, VIEW), filters).filter(
                    day__range=(start, end)
                )
            )
        sums = SUMS
    if group_by == "unit":
        if filters.unit_id is None:
            raise ValueError("unit breakdown needs a unit")
        key = "unit"
        label_of = dict(Unit.objects.filter(parent_id=filters.unit_id).values_list("pk", "name"))
    elif group_by == "service_point":
        key = "service_point_id"
        label_of = None
    elif group_by == "staff":
        key = "staff_id"
        parts = [rows.filter(staff_id__isnull=False) for rows in parts]
        label_of = None
    else:
        key = "procedure"
        parts = [rows.exclude(procedure="") for rows in parts]
        label_of = None
    if group_by == "unit":
        # Each row is counted once, under the child of the filter's unit whose subtree holds its unit.
        merged = {}
        for rows in parts:
            per_unit = rows.values("unit_id").annotate(**sums)
            for child, figures in totals_by_child(
                per_unit, unit_field="unit_id", parent_id=filters.unit_id
            ).items():
                _add(merged.setdefault(child, {key: child}), figures)
        grouped = sorted(merged.values(), key=lambda row: -row["ratings"])[:limit]
    elif len(parts) == 1:
        grouped = list(parts[0].order_by().values(key).annotate(**sums).order_by("-ratings")[:limit])
    else:
        merged: dict = {}
        for rows in parts:
            for row in rows.order_by().values(key).annotate(**sums):
                total = merged.setdefault(row[key], {key: row[key]})
                for name in sums:
                    total[name] = total.get(name, 0) + (row[name] or 0)
        grouped = sorted(merged.values(), key=lambda row: -row["ratings"])[:limit]
    if group_by == "service_point":
        label_of = dict(
            ServicePoint.objects.filter(pk__in=[r[key] for r in grouped]).values_list("pk", "name")
        )
    elif group_by == "staff":
        from kycuong.org.models import Staff

        label_of = dict(Staff.objects.filter(pk__in=[r[key] for r in grouped]).values_list("pk", "full_name"))
    result = []
    for row in grouped:
        label = label_of.get(row[key], "") if label_of is not None else row[key]
        result.append(BreakdownRow(row[key], label, figures_from_counts(row, row["ratings"])))
    result.sort(key=lambda r: (-(r.figures.overall.percent or -1), str(r.label)))
    return result


@dataclass(frozen=True)
class IndexReport:
    """The figures of a period, of the period before it, and of all units of the same kind."""

    filters: IndexFilters
    current: IndexFigures
    previous: IndexFigures
    previous_from: datetime.date
    previous_to: datetime.date
    peers: IndexFigures | None
    peer_kind: str | None


def index_report(*, actor, filters: IndexFilters, unit: Unit | None = None) -> IndexReport:
    date_from, date_to = filters.period()
    filters = replace(filters, date_from=date_from, date_to=date_to)
    previous_from, previous_to = previous_period(date_from, date_to)
    previous = replace(filters, date_from=previous_from, date_to=previous_to)
    peers = None
    if (
        unit is not None
        and filters.service_point_id is None
        and not filters.staff_id
        and not filters.procedure
    ):
        # Peers: every unit of the same kind that the actor may see (the unit itself included).
        peers = satisfaction_index(
            actor=actor,
            filters=IndexFilters(
                unit_kind=unit.kind, with_descendants=False, date_from=date_from, date_to=date_to
            ),
        )
    return IndexReport(
        filters=filters,
        current=satisfaction_index(actor=actor, filters=filters),
        previous=satisfaction_index(actor=actor, filters=previous),
        previous_from=previous_from,
        previous_to=previous_to,
        peers=peers,
        peer_kind=unit.kind if unit is not None else None,
    )


# --- objects ---


def service_point_list(
    *, actor, unit_id: int | None = None, with_descendants: bool = True, q: str | None = None
) -> QuerySet[ServicePoint]:
    points = restrict(ServicePoint.objects.all(), actor, "satisfaction.view_servicepoint")
    if unit_id is not None:
        points = (
            points.filter(unit_id__in=_subtree(unit_id))
            if with_descendants
            else points.filter(unit_id=unit_id)
        )
    return search(points, q).select_related("unit").order_by("search_rank", "unit__name", "name", "id")


def service_point_get(*, actor, service_point_id: int) -> ServicePoint:
    return get_scoped_or_404(
        ServicePoint.objects.select_related("unit").prefetch_related("staff"),
        actor,
        "satisfaction.view_servicepoint",
        pk=service_point_id,
    )


# The public form reads its service point on every request; kept per process like the template in force.
public_points = KeptValues("public-service-points", 30)


def public_service_point(slug: str) -> ServicePoint | None:
    """The service point behind a public link (no actor: the public form is open to everyone), with its
    staff's names read once (`staff_choices`)."""

    def load() -> ServicePoint | None:
        point = ServicePoint.objects.select_related("unit").filter(slug=slug).first()
        if point is not None:
            point.staff_choices  # noqa: B018 - read now, kept with the point
        return point

    return public_points.get(slug, load)


@dataclass(frozen=True)
class RatingFilters:
    unit_id: int | None = None
    with_descendants: bool = True
    service_point_id: int | None = None
    staff_id: int | None = None
    procedure: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    with_comment: bool = False
    untagged: bool = False


def rating_list(*, actor, filters: RatingFilters = RatingFilters()) -> QuerySet[Rating]:
    ratings = restrict(Rating.objects.all(), actor, VIEW)
    if filters.unit_id is not None:
        ratings = (
            ratings.filter(unit_id__in=_subtree(filters.unit_id))
            if filters.with_descendants
            else ratings.filter(unit_id=filters.unit_id)
        )
    if filters.service_point_id is not None:
        ratings = ratings.filter(service_point_id=filters.service_point_id)
    if filters.staff_id is not None:
        ratings = ratings.filter(staff_id=filters.staff_id)
    if filters.procedure:
        ratings = ratings.filter(procedure=filters.procedure)
    if filters.date_from:
        ratings = ratings.filter(day__gte=filters.date_from)
    if filters.date_to:
        ratings = ratings.filter(day__lte=filters.date_to)
    if filters.with_comment or filters.untagged:
        ratings = ratings.exclude(comment="")
    if filters.untagged:
        ratings = ratings.filter(feedback__isnull=True)
    return ratings.select_related("service_point", "unit", "staff", "feedback").order_by(
        "-submitted_at", "-id"
    )


def rating_get(*, actor, rating_id: int) -> Rating:
    return get_scoped_or_404(
        Rating.objects.select_related("service_point", "unit", "staff", "template"),
        actor,
        VIEW,
        pk=rating_id,
    )


@dataclass(frozen=True)
class FeedbackFilters:
    unit_id: int | None = None
    state: str | None = None
    kind: str | None = None
    overdue: bool = False
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None


def feedback_list(*, actor, filters: FeedbackFilters = FeedbackFilters()) -> QuerySet[Feedback]:
    items = restrict(Feedback.objects.all(), actor, "satisfaction.view_feedback")
    if filters.unit_id is not None:
        items = items.filter(unit_id__in=_subtree(filters.unit_id))
    if filters.state:
        items = items.filter(state=filters.state)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.overdue:
        items = items.filter(state=FeedbackState.OPEN, deadline__lt=today())
    if filters.received_from:
        items = items.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        items = items.filter(received_on__lte=filters.received_to)
    return items.select_related("rating", "rating__service_point", "unit").order_by("deadline", "id")


def feedback_get(*, actor, feedback_id: int) -> Feedback:
    return get_scoped_or_404(
        Feedback.objects.select_related(
            "rating", "rating__service_point", "unit", "answered_by", "tagged_by"
        ),
        actor,
        "satisfaction.view_feedback",
        pk=feedback_id,
    )


@dataclass(frozen=True)
class FeedbackSummary:
    received: int
    answered_on_time: int
    answered_late: int
    open_overdue: int
    open_in_time: int

    @property
    def due(self) -> int:
        """Items that can no longer change their outcome: answered, or past their deadline."""
        return self.answered_on_time + self.answered_late + self.open_overdue

    @property
    def on_time_rate(self) -> float | None:
        """Decision 766/QĐ-TTg: handled by the deadline ÷ all × 100 %, over the items that are due."""
        return 100 * self.answered_on_time / self.due if self.due else None


def feedback_summary(*, actor, filters: FeedbackFilters = FeedbackFilters()) -> FeedbackSummary:
    day = today()
    answered = Q(answered_on__isnull=False)
    figures = (
        feedback_list(actor=actor, filters=filters)
        .order_by()
        .aggregate(
            received=Count("id"),
            answered_on_time=Count("id", filter=answered & Q(answered_on__lte=F("deadline"))),
            answered_late=Count("id", filter=answered & Q(answered_on__gt=F("deadline"))),
            open_overdue=Count("id", filter=Q(answered_on__isnull=True, deadline__lt=day)),
            open_in_time=Count("id", filter=Q(answered_on__isnull=True, deadline__gte=day)),
        )
    )
    return FeedbackSummary(**figures)


def template_list() -> QuerySet[SurveyTemplate]:
    """The questionnaires are the whole system's, as the public form shows them: not scoped."""
    return SurveyTemplate.objects.prefetch_related("questions").order_by("form_kind", "-valid_from")


def parse_day(raw: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
