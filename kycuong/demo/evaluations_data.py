"""Demo evaluation cycles: monthly evaluations of staff and quarterly scorecards of units.

The districts of the demo log-ins run a year of monthly scoring (Decision 3814-QĐ/TU) for all their staff
(Hoàng Mai, Đông Anh) and, each quarter, the 12-content scorecard of their wards' heads (Hoàng Mai, Ứng
Hòa). Task points come from the demo tasks through the product's own computation; general and bonus points
are drawn, the quota is kept by moving the lowest-scoring down, and every past cycle is published. The last
month is left in review, so that the workflow can be tried.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import translation

from kycuong.accounts.models import User
from kycuong.core.audit import AuditEntry, audit_write
from kycuong.evaluations import scoring, services
from kycuong.evaluations.models import Cycle, CycleState, Evaluation, EvaluationState, Frequency
from kycuong.org.models import UnitKind

from .loader import DEMO_ACTOR, DemoContext, demo_loader

# Each district shows the practice it is known for: Đông Anh scores its staff monthly from task results, Ứng
# Hòa scores its wards' heads on the 12 contents, Hoàng Mai (the district of most demo log-ins) does both.
MONTHLY = ("008", "017")
SCORECARDS = ("008", "281")
WARD_KINDS = (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP)


def _month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    index = today.year * 12 + today.month - 1
    return [datetime.date((index - k) // 12, (index - k) % 12 + 1, 1) for k in range(count, 0, -1)]


def _quarter_starts(today: datetime.date, count: int) -> list[datetime.date]:
    index = today.year * 4 + (today.month - 1) // 3
    return [datetime.date((index - k) // 4, ((index - k) % 4) * 3 + 1, 1) for k in range(count, 0, -1)]


def _half(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(round(rng.uniform(low, high) * 2) / 2).quantize(Decimal("0.01"))


def _keep_quota(cycle: Cycle, evaluations: list[Evaluation], rules: dict) -> None:
    """Move the lowest-scoring people at the quota's level down until the quota holds in each unit."""
    quota = rules.get("quota")
    if not quota:
        return
    outstanding = set(cycle.cycle_units.filter(outstanding=True).values_list("unit_id", flat=True))
    by_unit: dict[int, list[Evaluation]] = {}
    for evaluation in evaluations:
        by_unit.setdefault(evaluation.unit_id, []).append(evaluation)
    for unit_id, group in by_unit.items():
        while True:
            counts: dict[str, int] = {}
            for evaluation in group:
                counts[evaluation.level] = counts.get(evaluation.level, 0) + 1
            allowed = scoring.quota_allowed(rules, counts, outstanding=unit_id in outstanding) or 0
            top = sorted(
                (e for e in group if e.level == quota["level"]), key=lambda e: (e.total, e.staff_id or 0)
            )
            if len(top) <= allowed:
                break
            top[0].quota_moved = True
            top[0].quota_reason = "Giữ tỷ lệ theo quy định; điểm thấp nhất trong nhóm"
            scoring.classify(rules, top[0])


def _points(rng: random.Random, reviewer, *, publish: bool):
    """Fill in the self-assessment (and, for past cycles, the review) before the cycle is first written."""

    def prepare(cycle: Cycle, evaluations: list[Evaluation]) -> None:
        rules = cycle.method.rules
        scorecard = rules.get("kind") == "scorecard"
        for evaluation in evaluations:
            if scorecard:
                points = {
                    item["code"]: str(_half(rng, item["weight"] * 0.6, item["weight"]))
                    for item in rules["criteria"]
                    if not item.get("from_tasks")
                }
                evaluation.self_criteria_points = points
                evaluation.criteria_points = points if publish else {}
            else:
                general = _half(rng, rules["general_max"] * 0.6, rules["general_max"])
                evaluation.self_general_points = general
                evaluation.general_points = general if publish else None
                if publish and rng.random() < 0.3:
                    evaluation.bonus_points = _half(rng, 0, rules.get("bonus_max", 0))
            evaluation.self_note = "Hoàn thành các nhiệm vụ được giao trong kỳ."
            evaluation.state = EvaluationState.REVIEWED if publish else EvaluationState.SELF_ASSESSED
            evaluation.reviewed_by_id = reviewer.pk if publish else None
            evaluation.review_note = "Đồng ý với kết quả tự đánh giá." if publish else ""
            scoring.classify(rules, evaluation)
        if publish:
            _keep_quota(cycle, evaluations, rules)

    return prepare


def _run(ctx, rng, admin, *, method_code, district, units, frequency, start, publish, include_descendants):
    cycle = services.cycle_create(
        actor=admin,
        method_code=method_code,
        unit=district,
        units=units,
        frequency=frequency,
        period_start=start,
        include_descendants=include_descendants,
        outstanding_units=[district] if rng.random() < 0.3 and include_descendants else [],
    )
    count = services.cycle_compute(
        actor=admin, cycle=cycle, notify_people=False, prepare=_points(rng, admin, publish=publish)
    )
    # One audit record per evaluation, as the other loaders write one per row.
    audit_write(
        actor=DEMO_ACTOR,
        entries=[
            AuditEntry(
                action="create",
                object_type="evaluations.evaluation",
                object_id=str(pk),
                object_repr=f"evaluation {pk} of cycle {cycle.pk}",
                unit_id=unit_id,
                after={"staff_id": staff_id, "total": str(total), "level": level, "state": state},
            )
            for pk, unit_id, staff_id, total, level, state in Evaluation.objects.filter(
                cycle=cycle
            ).values_list("pk", "unit_id", "staff_id", "total", "level", "state")
        ],
    )
    services.cycle_open_review(actor=admin, cycle=cycle)
    if publish:
        services.cycle_submit(actor=admin, cycle=cycle)
        services.cycle_approve(actor=admin, cycle=cycle)
        number = rng.randint(10, 400)
        services.cycle_publish(actor=admin, cycle=cycle, document_number=f"{number}/BC-UBND")
        # Published when the approval was due, not on the day the demo is loaded.
        Cycle.objects.filter(pk=cycle.pk).update(published_on=cycle.approval_due)
    return count


@demo_loader("evaluations")
def load_evaluations(ctx: DemoContext) -> None:
    rng = random.Random(3814_2018)
    admin = User.objects.get(username="admin")
    total = cycles = 0
    months = _month_starts(ctx.today, 12)
    quarters = _quarter_starts(ctx.today, 4)
    # Names given to the cycles are data: written in Vietnamese whatever the language of the command.
    with transaction.atomic(), translation.override("vi"):
        for code in dict.fromkeys(MONTHLY + SCORECARDS):
            district = ctx.units.get(code)
            if district is None:
                continue
            wards = sorted(
                (u for u in ctx.units.values() if u.parent_id == district.pk and u.kind in WARD_KINDS),
                key=lambda u: u.name,
            )
            for start in months if code in MONTHLY else []:
                total += _run(
                    ctx,
                    rng,
                    admin,
                    method_code="hanoi-monthly",
                    district=district,
                    units=[district],
                    frequency=Frequency.MONTHLY,
                    start=start,
                    publish=start != months[-1],
                    include_descendants=True,
                )
                cycles += 1
            for start in quarters if code in SCORECARDS else []:
                if not wards:
                    continue
                total += _run(
                    ctx,
                    rng,
                    admin,
                    method_code="heads-scorecard",
                    district=district,
                    units=wards,
                    frequency=Frequency.QUARTERLY,
                    start=start,
                    publish=True,
                    include_descendants=False,
                )
                cycles += 1
    published = Cycle.objects.filter(state=CycleState.PUBLISHED).count()
    ctx.log(f"  {cycles} evaluation cycles ({published} published) with {total} evaluations")
