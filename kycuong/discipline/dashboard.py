"""The discipline module on the leadership dashboard: distinct organisations and individuals disciplined in
the period (decisions taking effect, annulled ones left out), by form, per direct sub-unit; open cases past
their handling deadline."""

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from kycuong.core.calendar import today
from kycuong.core.dashboard import Figure, ModuleSummary, Period, format_number
from kycuong.inspections.selectors import subtree_ids

from . import selectors
from .models import OPEN_CASE_STATUSES, Case, Decision


def _by_subunit(unit, period: Period) -> dict[int, int]:
    key = "competent_unit__ancestor_links__ancestor_id"
    rows = (
        Decision.objects.filter(
            annulled=False, effective_from__gte=period.start, effective_from__lte=period.end
        )
        .filter(competent_unit__ancestor_links__ancestor__parent_id=unit.pk)
        .values(key)
        .annotate(people=Count("staff_id", distinct=True), orgs=Count("unit_id", distinct=True))
        .order_by()
    )
    return {row[key]: row["people"] + row["orgs"] for row in rows}


def _overdue_cases(subtree: list[int] | None) -> int:
    cases = Case.objects.filter(status__in=OPEN_CASE_STATUSES, deadline__lt=today())
    if subtree is not None:
        cases = cases.filter(competent_unit_id__in=subtree)
    return cases.count()


def summary(*, actor, unit, period: Period) -> ModuleSummary:
    subtree = subtree_ids(unit.pk)
    now = selectors.discipline_figures(unit_id=unit.pk, start=period.start, end=period.end, subtree=subtree)
    previous_period = period.previous()
    before = selectors.discipline_figures(
        unit_id=unit.pk, start=previous_period.start, end=previous_period.end, subtree=subtree
    )
    query = f"unit={unit.pk}&start={period.start:%Y-%m-%d}&end={period.end:%Y-%m-%d}"
    url = f"{reverse('discipline:disciplined')}?{query}"
    figures = [
        Figure(
            key="discipline.disciplined",
            label=_("Organisations and individuals disciplined"),
            value=now.total,
            previous=before.total,
            higher_is_better=False,
            drill_url=url,
        ),
        Figure(
            key="discipline.individuals",
            label=_("Individuals disciplined"),
            value=now.people,
            previous=before.people,
            higher_is_better=False,
            drill_url=url,
        ),
        Figure(
            key="discipline.organisations",
            label=_("Organisations disciplined"),
            value=now.orgs,
            previous=before.orgs,
            higher_is_better=False,
            drill_url=f"{url}&who=orgs",
        ),
        Figure(
            key="discipline.overdue_cases",
            label=_("Cases past the handling deadline"),
            value=_overdue_cases(subtree),
            higher_is_better=False,
            drill_url=f"{reverse('discipline:index')}?unit={unit.pk}&overdue=on",
        ),
    ]
    sentences = [
        _(
            "%(total)s organisations and individuals were disciplined (%(orgs)s organisations, %(people)s individuals)."  # noqa: E501 - one message for the translators
        )
        % {
            "total": format_number(now.total),
            "orgs": format_number(now.orgs),
            "people": format_number(now.people),
        }
    ]
    table = {
        "title": _("By form of discipline"),
        "columns": [_("Form"), _("Legal basis"), _("Organisations"), _("Individuals")],
        "rows": [[row.form.display_name, row.form.legal_basis, row.orgs, row.people] for row in now.by_form],
    }
    return ModuleSummary(
        module="discipline",
        title=_("Discipline"),
        figures=figures,
        headline="discipline.disciplined",
        by_subunit=_by_subunit(unit, period),
        sentences=sentences,
        tables=[table],
    )
