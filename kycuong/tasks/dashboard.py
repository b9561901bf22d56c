"""The tasks module on the leadership dashboard: the figures of the task summary page for a unit and period.

Every figure comes from `selectors.unit_task_summary` (one aggregate query per period) and the ranking from
`selectors.sub_unit_task_summaries` (one grouped query), so the dashboard and the summary page agree.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from kycuong.core.dashboard import Figure, ModuleSummary, Period, format_number, format_percent

from . import selectors


def _drill(unit_id: int, period: Period, outcome: str) -> str:
    query = {
        "unit": unit_id,
        "descendants": "on",
        "due_from": period.start.isoformat(),
        "due_to": period.end.isoformat(),
        "outcome": outcome,
    }
    return f"{reverse('tasks:list')}?{urlencode(query)}"


def summary(*, actor, unit, period: Period) -> ModuleSummary:
    def figures_for(window: Period) -> selectors.UnitTaskSummary:
        return selectors.unit_task_summary(
            actor=actor, unit_id=unit.pk, with_descendants=True, due_from=window.start, due_to=window.end
        )

    now, before = figures_for(period), figures_for(period.previous())
    by_child = selectors.sub_unit_task_summaries(
        actor=actor, unit_id=unit.pk, due_from=period.start, due_to=period.end
    )
    distribution = [
        (_("Done on time"), float(now.on_time)),
        (_("Done late"), float(now.late)),
        (_("Open and overdue"), float(now.overdue)),
        (_("In progress"), float(now.in_progress)),
    ]
    figures = [
        Figure(
            key="tasks.on_time_rate",
            label=_("On-time rate"),
            value=now.on_time_rate,
            previous=before.on_time_rate,
            unit="%",
            drill_url=_drill(unit.pk, period, "on_time"),
            series=distribution,
        ),
        Figure(
            key="tasks.assigned",
            label=_("Tasks due in the period"),
            value=now.assigned,
            previous=before.assigned,
            drill_url=_drill(unit.pk, period, "due"),
        ),
        Figure(
            key="tasks.on_time",
            label=_("Done on time"),
            value=now.on_time,
            previous=before.on_time,
            drill_url=_drill(unit.pk, period, "on_time"),
        ),
        Figure(
            key="tasks.late",
            label=_("Done late"),
            value=now.late,
            previous=before.late,
            higher_is_better=False,
            drill_url=_drill(unit.pk, period, "late"),
        ),
        Figure(
            key="tasks.overdue",
            label=_("Open and overdue"),
            value=now.overdue,
            previous=before.overdue,
            higher_is_better=False,
            drill_url=_drill(unit.pk, period, "overdue"),
        ),
    ]
    sentences = []
    if now.assigned:
        sentences.append(
            _(
                "In the period, %(assigned)s tasks fell due: %(on_time)s were done on time (%(rate)s), "
                "%(late)s were done late and %(overdue)s are overdue and still open; %(open)s are in "
                "progress within their time limit."
            )
            % {
                "assigned": format_number(now.assigned),
                "on_time": format_number(now.on_time),
                "rate": format_percent(now.on_time_rate),
                "late": format_number(now.late),
                "overdue": format_number(now.overdue),
                "open": format_number(now.in_progress),
            }
        )
    else:
        sentences.append(_("No task fell due in the period."))
    return ModuleSummary(
        module="tasks",
        title=_("Tasks"),
        figures=figures,
        headline="tasks.on_time_rate",
        by_subunit={child_id: row.on_time_rate for child_id, row in by_child.items() if row.assigned},
        sentences=sentences,
    )
