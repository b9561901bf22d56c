"""Demo socio-economic indicators (2023–2026) and about 2,000 public investment projects with their capital
plans and monthly disbursements, Hanoi-like: the 2024 GRDP growth target 6.5–7 % reached 6.52 %; the 2025
plan over 87,000 billion VND with a > 95 % disbursement target; the 2026 GRDP target ≥ 11 %.

Written in bulk; every record still gets its audit record (audit_write), and the dashboard's pre-aggregates
are computed from the records at the end (services.aggregates_rebuild)."""

import datetime
import os
import random
from decimal import Decimal

from kycuong.core.audit import audit_write, entry_for, snapshot
from kycuong.org.models import UnitKind
from kycuong.targets import progress
from kycuong.targets.models import (
    Direction,
    Disbursement,
    Frequency,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    MeasureKind,
    PlanRevision,
    Project,
)
from kycuong.targets.services import aggregates_rebuild

from .loader import CITY_CODE, DEMO_ACTOR, DemoContext, demo_loader

BILLION = 1_000_000_000
PLAN_YEARS = (2024, 2025, 2026)
# KYCUONG_DEMO_PROJECTS sets another number of investment projects.
DEFAULT_PROJECTS = 2000
# The city's total plan by year, in billion đồng (2025: "over 87,000 billion").
CITY_PLAN_BILLIONS = {2024: 78_000, 2025: 87_500, 2026: 92_000}
GRDP = {  # year: (target min, target max, quarterly year-to-date growth)
    2023: ("7", None, ["5.4", "5.9", "6.0", "6.27"]),
    2024: ("6.5", "7", ["5.96", "6.12", "6.25", "6.52"]),
    2025: ("8", None, ["7.35", "7.63", "7.92", "8.16"]),
    2026: ("11", None, ["8.9", "9.4", "9.8"]),
}
PROJECT_KINDS = [
    "Cải tạo, nâng cấp đường",
    "Xây dựng trường THCS",
    "Xây dựng trường mầm non",
    "Cải tạo hồ điều hòa",
    "Xây dựng trạm y tế",
    "Hạ tầng kỹ thuật khu tái định cư",
    "Xây dựng nhà văn hóa",
    "Cải tạo hệ thống thoát nước",
    "Chỉnh trang vỉa hè, chiếu sáng",
    "Xây dựng cầu",
]


def _indicators(ctx: DemoContext, rng: random.Random) -> tuple[list, list, list]:
    city = ctx.units[CITY_CODE]
    statistics = ctx.units.get(f"{CITY_CODE}-STC", city)
    specs = [
        Indicator(
            code="GRDP",
            name="Tốc độ tăng trưởng GRDP",
            name_en="GRDP growth",
            unit_of_measure="%",
            direction=Direction.HIGHER,
            owner_unit=city,
            measure_kind=MeasureKind.YEAR_TO_DATE,
            frequency=Frequency.QUARTERLY,
            tolerance_percent=Decimal(5),
        ),
        Indicator(
            code="THU-NS",
            name="Thu ngân sách nhà nước trên địa bàn",
            name_en="State budget revenue",
            unit_of_measure="tỷ đồng",
            owner_unit=statistics,
            measure_kind=MeasureKind.FLOW,
            frequency=Frequency.MONTHLY,
        ),
        Indicator(
            code="GN-DTC",
            name="Tỷ lệ giải ngân vốn đầu tư công",
            name_en="Public investment disbursement rate",
            unit_of_measure="%",
            owner_unit=city,
            measure_kind=MeasureKind.YEAR_TO_DATE,
            frequency=Frequency.MONTHLY,
        ),
        Indicator(
            code="DN-MOI",
            name="Doanh nghiệp thành lập mới",
            name_en="New enterprises",
            unit_of_measure="doanh nghiệp",
            owner_unit=city,
            additive=True,
            measure_kind=MeasureKind.FLOW,
            frequency=Frequency.MONTHLY,
        ),
    ]
    for indicator in specs:
        indicator.refresh_search_text()
    Indicator.objects.bulk_create(specs)
    grdp, revenue, disbursement, enterprises = specs
    targets, actuals = [], []
    today = ctx.today

    def actual(indicator, unit, year, month, value, source):
        if datetime.date(year, month, 1) <= today:
            actuals.append(
                IndicatorActual(
                    indicator=indicator,
                    unit=unit,
                    year=year,
                    month=month,
                    value=Decimal(value),
                    source=source,
                )
            )

    for year, (low, high, quarters) in GRDP.items():
        targets.append(
            IndicatorTarget(
                indicator=grdp,
                unit=city,
                year=year,
                target_min=Decimal(low),
                target_max=Decimal(high) if high else None,
                valid_from=datetime.date(year - 1, 12, 10),
                note="Nghị quyết HĐND Thành phố về kế hoạch phát triển kinh tế - xã hội",
            )
        )
        for quarter, value in enumerate(quarters, start=1):
            actual(grdp, city, year, quarter * 3, value, "Cục Thống kê Thành phố")
    revenue_targets = {2023: 358_000, 2024: 410_000, 2025: 510_000, 2026: 560_000}
    for year, target in revenue_targets.items():
        targets.append(
            IndicatorTarget(
                indicator=revenue,
                unit=statistics,
                year=year,
                target_min=Decimal(target),
                valid_from=datetime.date(year, 1, 1),
            )
        )
        pace = {2023: 1.10, 2024: 1.25, 2025: 1.22, 2026: 1.02}[year]
        for month in range(1, 13):
            value = target * pace / 12 * rng.uniform(0.8, 1.2)
            actual(revenue, statistics, year, month, f"{value:.0f}", "Sở Tài chính")
        targets.append(
            IndicatorTarget(
                indicator=disbursement,
                unit=city,
                year=year,
                target_min=Decimal(95),
                valid_from=datetime.date(year, 1, 1),
            )
        )
    for year in PLAN_YEARS:
        for month in range(1, 13):
            share = Decimal(progress.month_path(Decimal(100), [Decimal(v) for v in TYPICAL])[month - 1])
            actual(disbursement, city, year, month, f"{share * Decimal('0.97'):.2f}", "Sở Tài chính")
    districts = [
        u
        for u in ctx.units.values()
        if u.kind in (UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN)
    ]
    for district in districts:
        size = rng.choice([300, 450, 600, 900, 1200])
        pace = rng.choice([0.85, 1.0, 1.05, 1.15])
        for year in (2024, 2025, 2026):
            targets.append(
                IndicatorTarget(
                    indicator=enterprises,
                    unit=district,
                    year=year,
                    target_min=Decimal(size),
                    valid_from=datetime.date(year, 1, 1),
                )
            )
            for month in range(1, 13):
                actual(
                    enterprises,
                    district,
                    year,
                    month,
                    round(size * pace / 12 * rng.uniform(0.7, 1.3)),
                    "Sở Tài chính",
                )
    IndicatorTarget.objects.bulk_create(targets)
    IndicatorActual.objects.bulk_create(actuals, batch_size=2000)
    return specs, targets, actuals


TYPICAL = ["2", "5", "10", "15", "21", "30", "37", "45", "55", "65", "76", "90", "100"]


def _projects(ctx: DemoContext, rng: random.Random) -> tuple[list, list, list]:
    districts = [
        u
        for u in ctx.units.values()
        if u.kind in (UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN)
    ]
    departments = [ctx.units[f"{CITY_CODE}-{code}"] for code in ("SXD", "SGD", "SYT", "SNNMT", "SVHTT")]
    owners = districts + departments
    # Some units lag throughout, as in real follow-up work.
    unit_pace = {unit.pk: rng.choice([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85]) for unit in owners}
    projects = []
    for number in range(int(os.environ.get("KYCUONG_DEMO_PROJECTS", DEFAULT_PROJECTS))):
        unit = owners[number % len(owners)] if number < len(owners) * 3 else rng.choice(owners)
        investor = ctx.units.get(f"{unit.code}-BQLDA", unit)
        project = Project(
            code=f"DA-{unit.code}-{number + 1:04d}",
            name=f"{rng.choice(PROJECT_KINDS)} {_place(unit)} (giai đoạn {rng.randint(1, 3)})",
            investor_unit=investor,
            responsible_unit=unit,
        )
        project.refresh_search_text()
        projects.append(project)
    Project.objects.bulk_create(projects, batch_size=1000)

    revisions, disbursements = [], []
    today = ctx.today
    profile = [Decimal(v) for v in TYPICAL]
    for year in PLAN_YEARS:
        if datetime.date(year - 1, 12, 10) > today:
            continue
        active = [p for p in projects if rng.random() < 0.85]
        weights = [rng.lognormvariate(0, 0.9) for _ in active]
        scale = CITY_PLAN_BILLIONS[year] * BILLION / sum(weights)
        for project, weight in zip(active, weights, strict=True):
            total = int(weight * scale) // 1_000_000 * 1_000_000
            local = int(total * rng.choice([0, 0, 0.1, 0.2, 0.3])) // 1_000_000 * 1_000_000
            assigned = total - local
            first = PlanRevision(
                project=project,
                year=year,
                effective_on=datetime.date(year - 1, 12, 10),
                assigned_amount=assigned,
                local_amount=local,
                decision=f"{rng.randint(4000, 7000)}/QĐ-UBND",
            )
            revisions.append(first)
            revised = rng.random() < 0.2 and datetime.date(year, 7, 15) <= today
            if revised:
                local = local + int(total * 0.15) // 1_000_000 * 1_000_000
                revisions.append(
                    PlanRevision(
                        project=project,
                        year=year,
                        effective_on=datetime.date(year, 7, 15),
                        assigned_amount=assigned,
                        local_amount=local,
                        decision=f"{rng.randint(3000, 4000)}/QĐ-UBND",
                        note="Điều chỉnh, bổ sung kế hoạch vốn giữa năm",
                    )
                )
            plan = assigned + local
            pace = unit_pace[project.responsible_unit_id] * (
                rng.uniform(0.35, 0.7) if rng.random() < 0.06 else rng.uniform(0.98, 1.05)
            )
            paid_so_far = 0
            for month in range(1, 14):
                day = datetime.date(year, month, 25) if month <= 12 else datetime.date(year + 1, 1, 20)
                if day > today:
                    break
                goal = int(plan * float(profile[month - 1]) / 100 * pace)
                amount = (goal - paid_so_far) // 1_000_000 * 1_000_000
                if amount <= 0 or (rng.random() < 0.25 and month < 12):
                    continue
                disbursements.append(
                    Disbursement(
                        project=project,
                        plan_year=year,
                        paid_on=day,
                        amount=amount,
                        reference=f"UNC-{month:02d}",
                    )
                )
                paid_so_far += amount
    PlanRevision.objects.bulk_create(revisions, batch_size=2000)
    Disbursement.objects.bulk_create(disbursements, batch_size=5000)
    return projects, revisions, disbursements


def _place(unit) -> str:
    for prefix in ("Quận ", "Huyện ", "Thị xã "):
        if unit.name.startswith(prefix):
            return unit.name
    return "do " + unit.name + " quản lý"


@demo_loader("targets")
def load_targets(ctx: DemoContext) -> None:
    rng = random.Random(2024_0695)
    indicators, targets, actuals = _indicators(ctx, rng)
    projects, revisions, disbursements = _projects(ctx, rng)
    for batch in (indicators, targets, actuals, projects, revisions, disbursements):
        audit_write(
            actor=DEMO_ACTOR, entries=[entry_for(item, "create", after=snapshot(item)) for item in batch]
        )
    aggregates_rebuild()
    ctx.log(
        f"  {len(indicators)} indicators with {len(actuals)} figures, {len(projects)} projects, "
        f"{len(revisions)} plan revisions, {len(disbursements)} disbursements"
    )
