"""The targets module on the leadership dashboard: disbursement of the plan year and the indicators' status.

The plan year is the year the period ends in, looked at on the period's last day (or today, while the
period runs), exactly as the disbursement page shows it: `selectors.disbursement_totals` sums the same
pre-aggregated project-year and unit-month rows as that page's `disbursement_dashboard`, and the subtree of
each direct sub-unit for the ranking; the indicators' status is `selectors.indicator_board`.
"""

import datetime
from collections import Counter
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from kycuong.core.calendar import today
from kycuong.core.dashboard import Figure, ModuleSummary, Period, format_number, format_percent

from . import progress, selectors


def _day(period: Period) -> datetime.date:
    return min(period.end, today())


def _subunit_rates(by_child: dict[int, selectors.Figures]) -> dict[int, object]:
    """The rate against the total plan of each direct sub-unit's subtree that has a plan."""
    return {child_id: figures.rate_total for child_id, figures in by_child.items() if figures.total}


def _gap(board: selectors.Dashboard):
    """How far the rate against the total plan is below where the path says it should be, in points."""
    if board.totals.rate_total is None:
        return None
    return (board.path_today - board.totals.rate_total).quantize(Decimal("0.01"))


def summary(*, actor, unit, period: Period) -> ModuleSummary:
    year, day = period.end.year, _day(period)
    previous = period.previous()
    board, by_child = selectors.disbursement_totals(
        actor=actor, year=year, unit_id=unit.pk, day=day, children_of=unit.pk
    )
    before, _children = selectors.disbursement_totals(
        actor=actor, year=previous.end.year, unit_id=unit.pk, day=_day(previous), with_months=False
    )
    indicators = list(selectors.indicator_list(actor=actor))
    statuses = Counter(
        row.status
        for row in selectors.indicator_board(
            actor=actor, unit=unit, year=year, day=day, indicators=indicators
        )
    )
    statuses_before = Counter(
        row.status
        for row in selectors.indicator_board(
            actor=actor, unit=unit, year=previous.end.year, day=_day(previous), indicators=indicators
        )
    )
    projects_url = f"{reverse('targets:projects')}?{urlencode({'year': year, 'unit': unit.pk})}"
    lagging_url = f"{projects_url}&lagging=on"
    indicators_url = f"{reverse('targets:indicators')}?{urlencode({'year': year, 'unit': unit.pk})}"
    curve = [
        (month["label"], float(month["actual_percent"]))
        for month in board.months
        if month["actual_percent"] is not None
    ]
    figures = [
        Figure(
            key="targets.disbursement_rate",
            label=_("Disbursed against the total plan"),
            value=board.totals.rate_total,
            previous=before.totals.rate_total,
            unit="%",
            drill_url=projects_url,
            series=curve,
        ),
        Figure(
            key="targets.disbursement_rate_assigned",
            label=_("Disbursed against the plan assigned by the Prime Minister"),
            value=board.totals.rate_assigned,
            previous=before.totals.rate_assigned,
            unit="%",
            drill_url=projects_url,
        ),
        Figure(
            key="targets.gap_to_path",
            label=_("Points behind the disbursement path"),
            value=_gap(board),
            previous=_gap(before),
            unit="%",
            higher_is_better=False,
            drill_url=lagging_url,
        ),
        Figure(
            key="targets.lagging_projects",
            label=_("Lagging projects"),
            value=board.totals.lagging,
            previous=before.totals.lagging,
            higher_is_better=False,
            drill_url=lagging_url,
        ),
        Figure(
            key="targets.indicators_on_track",
            label=_("Indicators on track"),
            value=statuses[progress.Status.ON_TRACK],
            previous=statuses_before[progress.Status.ON_TRACK],
            drill_url=indicators_url,
        ),
        Figure(
            key="targets.indicators_off_track",
            label=_("Indicators off track"),
            value=statuses[progress.Status.OFF_TRACK],
            previous=statuses_before[progress.Status.OFF_TRACK],
            higher_is_better=False,
            drill_url=indicators_url,
        ),
    ]
    sentences = []
    if board.totals.projects:
        sentences.append(
            _(
                "By %(day)s, %(projects)s public investment projects of the %(year)s plan had disbursed "
                "%(rate)s of the total plan (%(rate_assigned)s of the plan assigned by the Prime Minister); "
                "%(lagging)s projects are lagging behind the disbursement path."
            )
            % {
                "day": day.strftime("%d/%m/%Y"),
                "projects": format_number(board.totals.projects),
                "year": year,
                "rate": format_percent(board.totals.rate_total, 2),
                "rate_assigned": format_percent(board.totals.rate_assigned, 2),
                "lagging": format_number(board.totals.lagging),
            }
        )
    if statuses:
        sentences.append(
            _(
                "Of the socio-economic indicators, %(on_track)s are on track, %(at_risk)s at risk and "
                "%(off_track)s off track."
            )
            % {
                "on_track": format_number(statuses[progress.Status.ON_TRACK]),
                "at_risk": format_number(statuses[progress.Status.AT_RISK]),
                "off_track": format_number(statuses[progress.Status.OFF_TRACK]),
            }
        )
    if not sentences:
        sentences.append(_("No project or indicator has figures for the period."))
    return ModuleSummary(
        module="targets",
        title=_("Targets and public investment"),
        figures=figures,
        headline="targets.disbursement_rate",
        by_subunit=_subunit_rates(by_child),
        sentences=sentences,
    )
