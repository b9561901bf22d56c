"""The inspections module on the leadership dashboard: inspections and supervisions held in the period, the
distinct organisations and individuals inspected and found violating, per direct sub-unit and per month."""

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from kycuong.core.dashboard import Figure, ModuleSummary, Period, format_number
from kycuong.org.rollup import totals_by_child

from . import selectors
from .models import HELD_STATUSES, Inspection


def _held(period: Period):
    return Inspection.objects.filter(
        status__in=HELD_STATUSES, decision_date__gte=period.start, decision_date__lte=period.end
    )


def _by_subunit(unit, period: Period, subtree: list[int] | None) -> dict[int, int]:
    held = _held(period)
    if subtree is not None:
        held = held.filter(deciding_unit_id__in=subtree)
    per_unit = held.values("deciding_unit_id").annotate(n=Count("id"))
    rolled_up = totals_by_child(per_unit, unit_field="deciding_unit_id", parent_id=unit.pk)
    return {child: figures["n"] for child, figures in rolled_up.items()}


def summary(*, actor, unit, period: Period) -> ModuleSummary:
    subtree = selectors.subtree_ids(unit.pk)
    now = selectors.inspection_figures(unit_id=unit.pk, start=period.start, end=period.end, subtree=subtree)
    previous_period = period.previous()
    before = selectors.inspection_figures(
        unit_id=unit.pk, start=previous_period.start, end=previous_period.end, subtree=subtree
    )
    query = f"unit={unit.pk}&start={period.start:%Y-%m-%d}&end={period.end:%Y-%m-%d}"
    inspections_url = f"{reverse('inspections:index')}?{query}"
    subjects_url = f"{reverse('inspections:subjects')}?{query}"
    figures = [
        Figure(
            key="inspections.count",
            label=_("Inspections and supervisions"),
            value=now.inspections,
            previous=before.inspections,
            drill_url=inspections_url,
            series=[(f"{month:%m/%Y}", float(count)) for month, count in now.by_month],
        ),
        Figure(
            key="inspections.unannounced",
            label=_("Unannounced inspections"),
            value=now.unannounced,
            previous=before.unannounced,
            drill_url=f"{inspections_url}&planned=0",
        ),
        Figure(
            key="inspections.organisations",
            label=_("Organisations inspected or supervised"),
            value=now.orgs,
            previous=before.orgs,
            drill_url=subjects_url,
        ),
        Figure(
            key="inspections.individuals",
            label=_("Individuals inspected or supervised"),
            value=now.people,
            previous=before.people,
            drill_url=f"{subjects_url}&who=people",
        ),
        Figure(
            key="inspections.violating",
            label=_("Organisations and individuals found violating"),
            value=now.violating,
            previous=before.violating,
            higher_is_better=False,
            drill_url=f"{subjects_url}&violating=1",
        ),
    ]
    sentences = [
        _(
            "%(count)s inspections and supervisions were held "
            "(%(planned)s planned, %(unannounced)s unannounced) "
            "of %(subjects)s organisations and individuals (%(orgs)s organisations, %(people)s individuals); "
            "%(violating)s organisations and individuals were found violating."
        )
        % {
            "count": format_number(now.inspections),
            "planned": format_number(now.planned),
            "unannounced": format_number(now.unannounced),
            "subjects": format_number(now.subjects),
            "orgs": format_number(now.orgs),
            "people": format_number(now.people),
            "violating": format_number(now.violating),
        }
    ]
    table = {
        "title": _("By kind"),
        "columns": [_("Kind"), _("Planned"), _("Unannounced")],
        "rows": [[row.kind.display_name, row.planned, row.unannounced] for row in now.by_kind if row.total],
    }
    return ModuleSummary(
        module="inspections",
        title=_("Inspections and supervision"),
        figures=figures,
        headline="inspections.count",
        by_subunit=_by_subunit(unit, period, subtree),
        sentences=sentences,
        tables=[table],
    )
