"""Reads of the reports app: periods, the dashboard assembled from every module's provider, the thresholds in
force, the reports and subscriptions in the actor's scope.

The dashboard costs what its providers cost (each reads indexed aggregates or pre-aggregated rows of its
module) plus two queries of its own: the thresholds in force and the direct sub-units. On PostgreSQL the
providers run side by side in a few threads (DASHBOARD_THREADS).
"""

import calendar
import contextvars
import datetime
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kycuong.core.dashboard import Figure, ModuleSummary, Period, registered_modules
from kycuong.core.replica import reads_replica
from kycuong.core.scoping import get_scoped_or_404, restrict
from kycuong.core.text import search
from kycuong.org.models import Unit

from .models import Report, ReportFile, Signal, SignalThreshold, Subscription

logger = logging.getLogger("kycuong.reports")

VIEW_DASHBOARD = "reports.view_dashboard"
VIEW_REPORT = "reports.view_report"
ADD_REPORT = "reports.add_report"
VIEW_SUBSCRIPTION = "reports.view_subscription"
ADD_SUBSCRIPTION = "reports.add_subscription"
MANAGE_THRESHOLDS = "reports.add_signalthreshold"

SIGNAL_ORDER = {Signal.RED: 0, Signal.AMBER: 1, Signal.GREEN: 2, None: 3}


# --- periods -----------------------------------------------------------------------------------------------


def month_period(year: int, month: int) -> Period:
    return Period(
        datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])
    )


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    return Period(month_period(year, first).start, month_period(year, first + 2).end)


def year_period(year: int) -> Period:
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def review_period(start: datetime.date, years: int) -> Period:
    """N whole years from the day the directive was issued: 7 Aug 2023 + 1 year ends on 6 Aug 2024."""
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return Period(start, end - datetime.timedelta(days=1))


def period_label(period: Period) -> str:
    whole_months = period.start.day == 1 and period.end == month_period(period.end.year, period.end.month).end
    if whole_months and period.start.year == period.end.year:
        if period.start.month == period.end.month:
            return _("month %(month)02d/%(year)d") % {
                "month": period.start.month,
                "year": period.start.year,
            }
        if period.start.month % 3 == 1 and period.end.month == period.start.month + 2:
            return _("quarter %(quarter)d/%(year)d") % {
                "quarter": (period.start.month - 1) // 3 + 1,
                "year": period.start.year,
            }
        if (period.start.month, period.end.month) == (1, 12):
            return _("year %(year)d") % {"year": period.start.year}
    return _("%(start)s to %(end)s") % {
        "start": period.start.strftime("%d/%m/%Y"),
        "end": period.end.strftime("%d/%m/%Y"),
    }


# --- thresholds --------------------------------------------------------------------------------------------


def thresholds_in_force(day: datetime.date) -> dict[str, SignalThreshold]:
    """The threshold of each figure key valid on `day` (the latest to start, if two overlap): one query."""
    rows = SignalThreshold.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day
    ).order_by("key", "valid_from", "id")
    return {row.key: row for row in rows}


def threshold_list() -> QuerySet[SignalThreshold]:
    return SignalThreshold.objects.order_by("key", "-valid_from", "-id")


# --- the dashboard -----------------------------------------------------------------------------------------


@dataclass
class FigureView:
    figure: Figure
    signal: str | None

    @property
    def change(self) -> Decimal | None:
        value, previous = self.figure.value, self.figure.previous
        if value is None or previous is None:
            return None
        return Decimal(str(value)) - Decimal(str(previous))

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        return (change > 0) == self.figure.higher_is_better


@dataclass
class RankRow:
    unit: Unit
    value: object
    signal: str | None


@dataclass
class ModuleCard:
    summary: ModuleSummary
    figures: list[FigureView]
    ranking: list[RankRow]
    error: bool = False

    @property
    def headline(self) -> FigureView | None:
        for view in self.figures:
            if view.figure.key == self.summary.headline:
                return view
        return self.figures[0] if self.figures else None

    @property
    def chart(self) -> Figure | None:
        headline = self.headline
        if headline is not None and headline.figure.series:
            return headline.figure
        return next((view.figure for view in self.figures if view.figure.series), None)

    @property
    def worst_signal(self) -> str | None:
        signals = [view.signal for view in self.figures if view.signal]
        return min(signals, key=SIGNAL_ORDER.__getitem__) if signals else None


@dataclass
class Attention:
    unit: Unit
    module: str
    label: str
    value: object
    unit_of_measure: str
    signal: str


@dataclass
class Dashboard:
    unit: Unit
    period: Period
    previous: Period
    cards: list[ModuleCard] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)
    children: list[Unit] = field(default_factory=list)


def dashboard_unit_get(*, actor, unit_id: int) -> Unit:
    """A unit whose dashboard the actor may open (404 otherwise, like a missing unit)."""
    return get_scoped_or_404(Unit.objects.all(), actor, VIEW_DASHBOARD, pk=unit_id)


def dashboard_units(*, actor) -> QuerySet[Unit]:
    return restrict(Unit.objects.all(), actor, VIEW_DASHBOARD).order_by("depth", "name", "id")


UNIT_SEARCH_LIMIT = 20


def dashboard_units_search(*, actor, q: str) -> list[Unit]:
    """The units whose dashboard the actor may open that match the words of `q` (with or without Vietnamese
    marks), best matches first; units closed by a reorganisation are found too, for their past periods."""
    units = search(restrict(Unit.objects.all(), actor, VIEW_DASHBOARD), q).select_related("parent")
    return list(units.order_by("search_rank", "depth", "name", "id")[:UNIT_SEARCH_LIMIT])


def _ranking(
    summary: ModuleSummary, children: list[Unit], threshold: SignalThreshold | None
) -> list[RankRow]:
    headline = next((f for f in summary.figures if f.key == summary.headline), None)
    higher = headline.higher_is_better if headline is not None else True
    rows = [
        RankRow(
            child,
            summary.by_subunit[child.pk],
            threshold.signal_for(summary.by_subunit[child.pk]) if threshold else None,
        )
        for child in children
        if summary.by_subunit.get(child.pk) is not None
    ]
    rows.sort(key=lambda row: (-row.value if higher else row.value, row.unit.name))
    return rows


def _summary(module: str, path: str, *, actor, unit: Unit, period: Period) -> ModuleSummary | None:
    try:
        return import_string(path)(actor=actor, unit=unit, period=period)
    except Exception:
        # One module's failure must not take the leadership's whole dashboard down; it is logged.
        logger.exception("Dashboard provider %s failed", module)
        return None


def _summary_in_thread(module: str, path: str, **kwargs) -> ModuleSummary | None:
    # This thread's connection, kept between requests: replaced if it outlived CONN_MAX_AGE, failed, or was
    # closed by the server meanwhile (a restart, a restore); the check is one round trip.
    close_old_connections()
    if connection.connection is not None and not connection.is_usable():
        connection.close()
    return _summary(module, path, **kwargs)


# The providers' threads, with the connection objects each of them reads through (closed when they stop).
_pool: tuple[ThreadPoolExecutor, list] | None = None
_pool_lock = threading.Lock()


def _provider_threads() -> int:
    """DASHBOARD_THREADS (default 4): providers read side by side on PostgreSQL; 0 or 1 reads in turn."""
    value = getattr(settings, "DASHBOARD_THREADS", None)
    return int(os.environ.get("DASHBOARD_THREADS", "4") if value is None else value)


def _remember_thread_connections(kept: list) -> None:
    # Runs once in each new provider thread: the objects it makes here are the ones it reads through.
    with _pool_lock:
        kept.extend(connections[alias] for alias in connections)


def provider_threads_stop() -> None:
    """Stop the providers' threads and close their connections (the test suite does, before it drops its
    database)."""
    global _pool
    with _pool_lock:
        stopping, _pool = _pool, None
    if stopping is None:
        return
    pool, kept = stopping
    pool.shutdown(wait=True)
    for wrapper in kept:
        # Their threads have ended, so closing them from this one is safe.
        wrapper.inc_thread_sharing()
        try:
            wrapper.close()
        finally:
            wrapper.dec_thread_sharing()


def _summaries(selected: list[tuple[str, str]], **kwargs) -> list[tuple[str, ModuleSummary | None]]:
    """Every selected module's summary, in order. The providers read independent tables, so on PostgreSQL
    they run in a small pool of threads with a connection each (the city's dashboard: about 450 ms of
    reads in turn, 260 ms side by side on 2 cores). Inside a transaction (a test, a caller's atomic block)
    other connections would not see its rows, so they run in turn there, as on SQLite."""
    threads = _provider_threads()
    if threads <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return [(module, _summary(module, path, **kwargs)) for module, path in selected]
    global _pool
    with _pool_lock:
        if _pool is None:
            kept: list = []
            _pool = (
                ThreadPoolExecutor(
                    threads,
                    thread_name_prefix="dashboard",
                    initializer=_remember_thread_connections,
                    initargs=(kept,),
                ),
                kept,
            )
        pool = _pool[0]
    # Each task runs in a copy of this request's context: its language, time zone and unit of work.
    futures = [
        (module, pool.submit(contextvars.copy_context().run, _summary_in_thread, module, path, **kwargs))
        for module, path in selected
    ]
    return [(module, future.result()) for module, future in futures]


@reads_replica
def dashboard_build(*, actor, unit: Unit, period: Period, modules: list[str] | None = None) -> Dashboard:
    """Every registered module's summary of the unit (with its sub-units) for the period, with the signals of
    the thresholds in force on the period's last day, the ranking of the direct sub-units the actor may see,
    and the sub-units needing attention (a red or amber headline), red first."""
    thresholds = thresholds_in_force(period.end)
    children = list(
        restrict(Unit.objects.filter(parent_id=unit.pk), actor, VIEW_DASHBOARD).order_by("name", "id")
    )
    board = Dashboard(unit=unit, period=period, previous=period.previous(), children=children)
    selected = [
        (module, path) for module, path in registered_modules() if modules is None or module in modules
    ]
    for module, summary in _summaries(selected, actor=actor, unit=unit, period=period):
        if summary is None:
            board.cards.append(
                ModuleCard(ModuleSummary(module=module, title=module, figures=[]), [], [], error=True)
            )
            continue
        views = [
            FigureView(
                figure, thresholds[figure.key].signal_for(figure.value) if figure.key in thresholds else None
            )
            for figure in summary.figures
        ]
        ranking = _ranking(summary, children, thresholds.get(summary.headline))
        board.cards.append(ModuleCard(summary, views, ranking))
        headline = next((f for f in summary.figures if f.key == summary.headline), None)
        for row in ranking:
            if row.signal in (Signal.RED, Signal.AMBER):
                board.attention.append(
                    Attention(
                        unit=row.unit,
                        module=str(summary.title),
                        label=str(headline.label) if headline else summary.headline,
                        value=row.value,
                        unit_of_measure=headline.unit if headline else "",
                        signal=row.signal,
                    )
                )
    board.attention.sort(key=lambda item: (SIGNAL_ORDER[item.signal], item.unit.name))
    return board


# --- reports and subscriptions -----------------------------------------------------------------------------


def report_list(*, actor, unit_id: int | None = None) -> QuerySet[Report]:
    reports = restrict(Report.objects.all(), actor, VIEW_REPORT)
    if unit_id is not None:
        reports = reports.filter(unit_id=unit_id)
    return reports.select_related("unit", "requested_by").order_by("-requested_at", "-id")


def report_get(*, actor, report_id: int) -> Report:
    return get_scoped_or_404(
        Report.objects.select_related("unit", "requested_by").prefetch_related("files"),
        actor,
        VIEW_REPORT,
        pk=report_id,
    )


def report_file_get(*, actor, file_id: int) -> ReportFile:
    try:
        return get_scoped_or_404(ReportFile.objects.select_related("report"), actor, VIEW_REPORT, pk=file_id)
    except Http404:
        raise


def subscription_list(*, actor) -> QuerySet[Subscription]:
    return (
        restrict(Subscription.objects.filter(active=True), actor, VIEW_SUBSCRIPTION)
        .select_related("unit", "user")
        .order_by("unit__name", "id")
    )


def subscription_get(*, actor, subscription_id: int) -> Subscription:
    return get_scoped_or_404(
        Subscription.objects.select_related("unit", "user"), actor, VIEW_SUBSCRIPTION, pk=subscription_id
    )
