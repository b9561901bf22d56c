"""The processes module's figures for the leadership dashboard and the written reports."""

from django.urls import reverse
from django.utils.translation import gettext as _

from kycuong.core.dashboard import Figure, ModuleSummary

from . import selectors


def summary(*, actor, unit, period) -> ModuleSummary:
    now = selectors.statistics(
        actor=actor, unit_id=unit.pk, start=period.start, end=period.end, by_process=False
    )
    previous_period = period.previous()
    before = selectors.statistics(
        actor=actor,
        unit_id=unit.pk,
        start=previous_period.start,
        end=previous_period.end,
        by_process=False,
        with_subunits=False,
    )
    total, old = now["total"], before["total"]
    drill = (
        f"{reverse('processes:instances')}?unit={unit.pk}"
        f"&completed_from={period.start.isoformat()}&completed_to={period.end.isoformat()}"
    )
    figures = [
        Figure(
            key="processes.timely_rate",
            label=_("Cases handled early or on time"),
            value=total.timely_rate,
            previous=old.timely_rate,
            unit="%",
            drill_url=drill,
            series=[(month.strftime("%m/%Y"), f.timely_rate or 0.0) for month, f in now["by_month"]],
        ),
        Figure(
            key="processes.finished",
            label=_("Cases finished"),
            value=total.finished,
            previous=old.finished,
            drill_url=drill,
        ),
        Figure(
            key="processes.late",
            label=_("Cases finished late"),
            value=total.late,
            previous=old.late,
            higher_is_better=False,
            drill_url=f"{drill}&outcome=late",
        ),
        Figure(
            key="processes.average_hours",
            label=_("Average handling time (working hours)"),
            value=total.average_hours,
            previous=old.average_hours,
            higher_is_better=False,
            drill_url=drill,
        ),
    ]
    sentences = []
    if total.finished:
        sentences.append(
            _(
                "%(finished)s cases were handled under internal processes, %(rate)s%% of them early or on "
                "time; %(late)s were late."
            )
            % {"finished": total.finished, "rate": total.timely_rate, "late": total.late}
        )
    return ModuleSummary(
        module="processes",
        title=_("Work processes"),
        figures=figures,
        headline="processes.timely_rate",
        by_subunit={pk: figures_.timely_rate for pk, _name, figures_ in now["by_subunit"]},
        sentences=sentences,
    )
