"""The satisfaction module on the leadership dashboard: the index page's figures for a unit and period.

The index, its previous period, the trend and the ranking come from the module's selectors
(`satisfaction_index`, `satisfaction_trend`, `satisfaction_breakdown`), which read the pre-aggregated
monthly and daily counts, so the dashboard shows exactly what the index page shows.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kycuong.core.dashboard import Figure, ModuleSummary, Period, format_number, format_percent

from . import selectors


def _rounded(value: float | None):
    return None if value is None else round(value, 1)


def summary(*, actor, unit, period: Period) -> ModuleSummary:
    def filters_for(window: Period) -> selectors.IndexFilters:
        return selectors.IndexFilters(unit_id=unit.pk, date_from=window.start, date_to=window.end)

    current = filters_for(period)
    now = selectors.satisfaction_index(actor=actor, filters=current)
    before = selectors.satisfaction_index(actor=actor, filters=filters_for(period.previous()))
    trend = selectors.satisfaction_trend(actor=actor, filters=current)
    daily = (period.start.year, period.start.month) == (period.end.year, period.end.month)
    series = [
        (
            date_format(point.start, "d/m" if daily else "m/Y"),
            float(round(point.figures.overall.percent, 1)),
        )
        for point in trend
        if point.figures.overall.percent is not None
    ]
    by_subunit = {}
    if unit.children.exists():
        rows = selectors.satisfaction_breakdown(actor=actor, filters=current, group_by="unit")
        by_subunit = {row.key: _rounded(row.figures.overall.percent) for row in rows if row.figures.ratings}
    query = {"unit": unit.pk, "date_from": period.start.isoformat(), "date_to": period.end.isoformat()}
    index_url = f"{reverse('satisfaction:index')}?{urlencode(query)}"
    ratings_url = f"{reverse('satisfaction:ratings')}?{urlencode(query)}"
    figures = [
        Figure(
            key="satisfaction.index",
            label=_("Satisfaction index"),
            value=_rounded(now.overall.percent),
            previous=_rounded(before.overall.percent),
            unit="%",
            drill_url=index_url,
            series=series,
        ),
        Figure(
            key="satisfaction.ratings",
            label=_("Ratings"),
            value=now.ratings,
            previous=before.ratings,
            drill_url=ratings_url,
        ),
    ]
    if now.ratings:
        sentences = [
            _(
                "People's satisfaction index reached %(index)s on %(ratings)s ratings (previous period: "
                "%(previous)s)."
            )
            % {
                "index": format_percent(now.overall.percent),
                "ratings": format_number(now.ratings),
                "previous": format_percent(before.overall.percent),
            }
        ]
    else:
        sentences = [_("No satisfaction rating was received in the period.")]
    return ModuleSummary(
        module="satisfaction",
        title=_("Citizens' satisfaction"),
        figures=figures,
        headline="satisfaction.index",
        by_subunit=by_subunit,
        sentences=sentences,
    )
