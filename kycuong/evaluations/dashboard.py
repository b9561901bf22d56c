"""The evaluations module of the leadership dashboard: published results of a unit's subtree in a period."""

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Avg, Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from kycuong.core.dashboard import Figure, ModuleSummary, Period
from kycuong.core.scoping import restrict
from kycuong.org.models import Unit, UnitClosure
from kycuong.org.rollup import totals_by_child

from . import scoring
from .models import CycleState, Evaluation, Method


def _published(actor, unit_id: int, period: Period):
    below = UnitClosure.objects.filter(ancestor_id=unit_id).values("descendant_id")
    return restrict(
        Evaluation.objects.filter(
            cycle__state=CycleState.PUBLISHED,
            cycle__period_start__gte=period.start,
            cycle__period_end__lte=period.end,
            unit_id__in=below,
        ),
        actor,
        "evaluations.view_evaluation",
    )


def _top_and_bottom() -> tuple[list[str], list[str]]:
    tops, bottoms = set(), set()
    for rules in Method.objects.values_list("rules", flat=True):
        codes = scoring.level_codes(rules)
        tops.add(codes[0])
        bottoms.add(codes[-1])
    return sorted(tops), sorted(bottoms)


def _figures(actor, unit_id: int, period: Period, tops: list[str], bottoms: list[str]) -> dict:
    result = _published(actor, unit_id, period).aggregate(
        n=Count("id"),
        top=Count("id", filter=Q(level__in=tops)),
        bottom=Count("id", filter=Q(level__in=bottoms)),
        mean=Avg("total"),
    )
    n = result["n"]
    return {
        "n": n,
        "top": _share(result["top"], n),
        "bottom": _share(result["bottom"], n),
        "mean": scoring.rounded(Decimal(str(result["mean"]))) if result["mean"] is not None else None,
    }


def _share(count: int, n: int) -> Decimal | None:
    return scoring.rounded(Decimal(100 * count) / n) if n else None


def _mean_per_subunit(actor, unit: Unit, period: Period) -> dict[int, Decimal | None]:
    """The mean score per direct sub-unit (its whole subtree): one GROUP BY per unit, rolled up."""
    per_unit = _published(actor, unit.pk, period).values("unit_id").annotate(n=Count("id"), s=Sum("total"))
    rolled_up = totals_by_child(per_unit, unit_field="unit_id", parent_id=unit.pk)
    means = {child.pk: None for child in Unit.objects.filter(parent_id=unit.pk).only("pk")}
    for child, figures in rolled_up.items():
        means[child] = scoring.rounded(Decimal(figures["s"]) / figures["n"])
    return means


def summary(*, actor, unit: Unit, period: Period) -> ModuleSummary:
    tops, bottoms = _top_and_bottom()
    now = _figures(actor, unit.pk, period, tops, bottoms)
    before = _figures(actor, unit.pk, period.previous(), tops, bottoms)
    query = {
        "unit": unit.pk,
        "descendants": "1",
        "published": "1",
        "period_from": period.start.isoformat(),
        "period_to": period.end.isoformat(),
    }
    drill = f"{reverse('evaluations:list')}?{urlencode(query)}"
    levels = (
        _published(actor, unit.pk, period)
        .order_by()
        .values("level")
        .annotate(n=Count("id"))
        .order_by("level")
    )
    series = [(row["level"], float(row["n"])) for row in levels]
    figures = [
        Figure("evaluations.count", _("Evaluations published"), now["n"], before["n"], drill_url=drill),
        Figure(
            "evaluations.top_share",
            _("Share at the top level"),
            now["top"],
            before["top"],
            unit="%",
            drill_url=f"{drill}&{urlencode({'level': tops[0]})}" if tops else drill,
            series=series,
        ),
        Figure(
            "evaluations.not_completed_share",
            _("Share not completed"),
            now["bottom"],
            before["bottom"],
            unit="%",
            higher_is_better=False,
            drill_url=f"{drill}&{urlencode({'level': bottoms[0]})}" if bottoms else drill,
        ),
        Figure("evaluations.mean_score", _("Mean score"), now["mean"], before["mean"], drill_url=drill),
    ]
    by_subunit = _mean_per_subunit(actor, unit, period)
    sentences = []
    if now["n"]:
        sentences.append(
            _(
                "%(count)s evaluations were published for %(unit)s; mean score %(mean)s, %(top)s%% at "
                "the top level and %(bottom)s%% not completed."
            )
            % {
                "count": now["n"],
                "unit": unit.name,
                "mean": now["mean"],
                "top": now["top"],
                "bottom": now["bottom"],
            }
        )
    else:
        sentences.append(_("No evaluation was published for %(unit)s in the period.") % {"unit": unit.name})
    return ModuleSummary(
        module="evaluations",
        title=_("Evaluation and classification"),
        figures=figures,
        headline="evaluations.mean_score",
        by_subunit=by_subunit,
        sentences=sentences,
    )
