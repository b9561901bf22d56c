"""Demo inspection and supervision plans, inspections, findings, recommendations and discipline cases.

Last full year, Quận Hoàng Mai has exactly the figures of its report: 7 Party organisations and 18 individuals
supervised, 20 planned and 29 unannounced inspections, public-service inspections in 2 wards. The other
districts get a spread of the same shape as the city's report (about a quarter of the subjects found
violating, about two in five of those disciplined). The current year has inspections under way and open
cases, some of them past their handling deadline. Written in bulk; every row gets its audit record.
"""

import datetime
import random
from dataclasses import dataclass, field

from kycuong.accounts.models import User
from kycuong.core.audit import audit_write, entry_for, snapshot
from kycuong.core.calendar import add_working_days
from kycuong.discipline.defaults import forms_sync
from kycuong.discipline.models import (
    Case,
    CaseStatus,
    CaseStep,
    Decision,
    DisciplineForm,
    PartyNotice,
    Regime,
    Severity,
)
from kycuong.inspections.defaults import kinds_sync
from kycuong.inspections.models import (
    Finding,
    Inspection,
    InspectionKind,
    KindCategory,
    Plan,
    PlanItem,
    Recommendation,
    RecommendationStatus,
    Status,
    Subject,
)
from kycuong.org.models import PARTY_KINDS, Staff, StaffCategory, Unit, UnitKind

from .loader import DEMO_ACTOR, DemoContext, demo_loader

HOANG_MAI = "008"
DISTRICT_KINDS = (UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN)
WARD_KINDS = (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP)
TOPICS = {
    "party-supervision-regular": "Giám sát thường xuyên việc thực hiện Chỉ thị 24-CT/TU",
    "party-supervision-thematic": "Giám sát chuyên đề công tác cán bộ và kê khai tài sản",
    "party-inspection": "Kiểm tra việc chấp hành Điều lệ Đảng và quy chế làm việc",
    "party-inspection-signs": "Kiểm tra khi có dấu hiệu vi phạm trong quản lý đất đai",
    "administrative-inspection": "Thanh tra việc giải quyết thủ tục hành chính tại bộ phận một cửa",
    "public-service-inspection": "Kiểm tra công vụ, việc thực hiện nhiệm vụ của công chức",
}
FINDINGS = {
    "compliant": "Thực hiện đúng quy định.",
    "shortcomings": "Còn hạn chế trong lưu trữ hồ sơ, chậm cập nhật sổ theo dõi.",
    "violation": "Giải quyết hồ sơ quá hạn, không thông báo lý do cho công dân.",
}


@dataclass
class Held:
    """One inspection to write, with its subjects as (unit, staff row) and their results."""

    inspection: Inspection
    subjects: list[tuple[Unit | None, tuple | None, str]] = field(default_factory=list)


class Builder:
    def __init__(self, ctx: DemoContext, rng: random.Random, actor):
        self.ctx, self.rng, self.actor = ctx, rng, actor
        self.today = ctx.today
        self.admin = User.objects.get(username="admin")
        self.kinds = {kind.code: kind for kind in InspectionKind.objects.all()}
        self.units = {unit.pk: unit for unit in ctx.units.values()}
        self.children: dict[int, list[Unit]] = {}
        for unit in ctx.units.values():
            self.children.setdefault(unit.parent_id, []).append(unit)
        self.staff: dict[int, list[tuple]] = {}
        for row in Staff.objects.values_list("pk", "unit_id", "is_party_member", "party_unit_id", "category"):
            self.staff.setdefault(row[1], []).append(row)
        self.held: list[Held] = []
        self.plan_items: list[tuple[PlanItem, Held]] = []
        self.plans: list[Plan] = []

    def people(self, unit: Unit, count: int, *, party_only: bool = False) -> list[tuple]:
        rows = [row for row in self.staff.get(unit.pk, []) if row[2] or not party_only]
        return self.rng.sample(rows, min(count, len(rows)))

    def ward_units(self, district: Unit) -> list[Unit]:
        return [u for u in self.children.get(district.pk, []) if u.kind in WARD_KINDS]

    def committee(self, unit: Unit) -> Unit | None:
        return self.ctx.units.get(f"DU-{unit.code}")

    def plan_for(self, body: Unit, year: int) -> Plan:
        for plan in self.plans:
            if plan.unit_id == body.pk and plan.year == year:
                return plan
        plan = Plan(
            unit=body,
            year=year,
            number=f"{len(self.plans) + 1:02d}/KH-{body.code}",
            title=f"Kế hoạch kiểm tra, giám sát năm {year}",
            approved_on=datetime.date(year, 1, 10),
            created_by=self.admin,
        )
        self.plans.append(plan)
        return plan

    def day_in(self, year: int) -> datetime.date:
        last = min(datetime.date(year, 12, 15), self.today - datetime.timedelta(days=1))
        first = datetime.date(year, 1, 20)
        return first + datetime.timedelta(days=self.rng.randint(0, max((last - first).days, 0)))

    def result(self) -> str:
        roll = self.rng.random()
        return "violation" if roll < 0.26 else ("shortcomings" if roll < 0.55 else "compliant")

    def add(
        self,
        *,
        body: Unit,
        kind: str,
        planned: bool,
        day: datetime.date,
        subjects: list[tuple[Unit | None, tuple | None]],
        results: list[str] | None = None,
    ) -> Held:
        age = (self.today - day).days
        status = (
            Status.CLOSED
            if age > 120
            else Status.CONCLUDED
            if age > 60
            else Status.IN_PROGRESS
            if age > 10
            else Status.DECIDED
        )
        number = f"{len(self.held) + 1}/QĐ-{body.code}"
        inspection = Inspection(
            kind=self.kinds[kind],
            planned=planned,
            deciding_unit=body,
            topic=TOPICS[kind],
            decision_number=number,
            decision_date=day,
            covered_from=datetime.date(day.year - 1, 1, 1),
            covered_to=day,
            status=status,
            started_on=day + datetime.timedelta(days=3) if status != Status.DECIDED else None,
            conclusion_number=f"KL-{number}" if status in (Status.CONCLUDED, Status.CLOSED) else "",
            conclusion_date=day + datetime.timedelta(days=45)
            if status in (Status.CONCLUDED, Status.CLOSED)
            else None,
            conclusion_summary="Kết luận kiểm tra, giám sát."
            if status in (Status.CONCLUDED, Status.CLOSED)
            else "",
            closed_on=day + datetime.timedelta(days=100) if status == Status.CLOSED else None,
            created_by=self.admin,
        )
        assessed = status not in (Status.DECIDED,)
        results = results or [self.result() for _ in subjects]
        held = Held(
            inspection, [(u, s, r if assessed else "") for (u, s), r in zip(subjects, results, strict=True)]
        )
        self.held.append(held)
        if planned:
            plan = self.plan_for(body, day.year)
            item = PlanItem(
                plan=plan,
                kind=self.kinds[kind],
                topic=TOPICS[kind],
                starts_on=day,
                ends_on=day + datetime.timedelta(days=30),
            )
            self.plan_items.append((item, held))
        return held


def _hoang_mai(builder: Builder, year: int) -> None:
    """Exactly the figures of Hoàng Mai's report, for `year`."""
    ctx, rng = builder.ctx, builder.rng
    district = ctx.units[HOANG_MAI]
    committee, inspection_committee = ctx.units[f"DU-{HOANG_MAI}"], ctx.units[f"UBKT-{HOANG_MAI}"]
    inspectorate = ctx.units.get(f"{HOANG_MAI}-TT") or district
    wards = sorted(builder.ward_units(district), key=lambda unit: unit.code)
    # 7 Party organisations and 18 individuals supervised: one supervision per ward Party committee, with
    # 3, 3, 3, 3, 2, 2, 2 of its Party members.
    used: set[int] = set()
    for index, ward in enumerate(wards[:7]):
        wanted = 3 if index < 4 else 2
        pool = [
            row
            for unit in (ward, builder.committee(ward))
            for row in builder.staff.get(unit.pk, [])
            if row[2] and row[0] not in used
        ]
        if len(pool) < wanted:  # a ward with few Party members: others of the district stand in
            pool += [
                row
                for other in wards[7:]
                for row in builder.staff.get(other.pk, [])
                if row[2] and row[0] not in used
            ]
        people = rng.sample(pool, wanted)
        used.update(row[0] for row in people)
        kind = "party-supervision-thematic" if index % 2 else "party-supervision-regular"
        results = ["shortcomings"] + ["compliant"] * len(people)
        builder.add(
            body=committee if index % 2 else inspection_committee,
            kind=kind,
            planned=True,
            day=datetime.date(year, 3 + index, 10),
            subjects=[(builder.committee(ward), None)] + [(None, person) for person in people],
            results=results,
        )
    # 20 planned inspections, public-service inspections in 2 wards among them.
    for index in range(20):
        ward = wards[index % len(wards)]
        day = datetime.date(year, 2 + index // 2, 5 + (index % 2) * 12)
        if index < 2:
            subjects = [(ward, None)] + [(None, person) for person in builder.people(ward, 2)]
            builder.add(
                body=district, kind="public-service-inspection", planned=True, day=day, subjects=subjects
            )
        elif index < 10:
            cell = ctx.units.get(f"CB-{ward.code}-{1 + index % 3}") or builder.committee(ward)
            builder.add(
                body=inspection_committee,
                kind="party-inspection",
                planned=True,
                day=day,
                subjects=[(cell, None)],
            )
        else:
            subjects = [(ward, None)] + [(None, person) for person in builder.people(ward, rng.randint(0, 1))]
            builder.add(
                body=inspectorate, kind="administrative-inspection", planned=True, day=day, subjects=subjects
            )
    # 29 unannounced inspections.
    for index in range(29):
        ward = wards[(index * 5) % len(wards)]
        day = datetime.date(year, 1 + index % 12, 8 + index % 15)
        if index < 9:
            people = builder.people(ward, 1, party_only=True)
            builder.add(
                body=inspection_committee,
                kind="party-inspection-signs",
                planned=False,
                day=day,
                subjects=[(None, person) for person in people] or [(builder.committee(ward), None)],
            )
        else:
            subjects = [(ward, None)] + [(None, person) for person in builder.people(ward, rng.randint(0, 2))]
            builder.add(
                body=inspectorate, kind="administrative-inspection", planned=False, day=day, subjects=subjects
            )


def _elsewhere(builder: Builder, district: Unit, year: int, count: int) -> None:
    rng, ctx = builder.rng, builder.ctx
    wards = builder.ward_units(district)
    if not wards:
        return
    bodies = [
        (
            ctx.units.get(f"UBKT-{district.code}"),
            ("party-inspection", "party-supervision-regular", "party-inspection-signs"),
        ),
        (ctx.units.get(f"DU-{district.code}"), ("party-supervision-thematic", "party-supervision-regular")),
        (district, ("public-service-inspection", "administrative-inspection")),
    ]
    bodies = [(body, kinds) for body, kinds in bodies if body is not None]
    for _ in range(count):
        body, kinds = rng.choice(bodies)
        kind = rng.choice(kinds)
        ward = rng.choice(wards)
        if kind.startswith("party"):
            org = builder.committee(ward) or ward
            people = builder.people(ward, rng.randint(0, 2), party_only=True)
        else:
            org = ward
            people = builder.people(ward, rng.randint(0, 2))
        subjects = [(org, None)] + [(None, person) for person in people]
        if kind == "party-inspection-signs" and people:
            subjects = subjects[1:]
        builder.add(
            body=body,
            kind=kind,
            planned=not kind.endswith("signs") and rng.random() < 0.55,
            day=builder.day_in(year),
            subjects=subjects,
        )


def _write_inspections(builder: Builder) -> list[tuple[Held, list[Subject]]]:
    entries = []
    plans = Plan.objects.bulk_create(builder.plans)
    entries += [entry_for(plan, "create", after=snapshot(plan)) for plan in plans]
    items = PlanItem.objects.bulk_create([item for item, _ in builder.plan_items])
    entries += [entry_for(item, "create", after=snapshot(item)) for item in items]
    for item, held in builder.plan_items:
        held.inspection.plan_item = item
    inspections = Inspection.objects.bulk_create([held.inspection for held in builder.held], batch_size=500)
    entries += [entry_for(inspection, "create", after=snapshot(inspection)) for inspection in inspections]
    rows = []
    for held in builder.held:
        inspection = held.inspection
        for unit, person, result in held.subjects:
            rows.append(
                Subject(
                    inspection=inspection,
                    unit=unit,
                    staff_id=person[0] if person else None,
                    subject_unit_id=unit.pk if unit else person[1],
                    result=result,
                    deciding_unit_id=inspection.deciding_unit_id,
                    decided_on=inspection.decision_date,
                    kind_id=inspection.kind_id,
                    is_supervision=inspection.kind.category == KindCategory.SUPERVISION,
                    is_party_member=bool(person and person[2]),
                )
            )
    subjects = Subject.objects.bulk_create(rows, batch_size=1000)
    entries += [entry_for(subject, "create", after=snapshot(subject)) for subject in subjects]
    findings = Finding.objects.bulk_create(
        [
            Finding(
                subject=subject,
                result=subject.result,
                description=FINDINGS[subject.result],
                recorded_by=builder.admin,
            )
            for subject in subjects
            if subject.result
        ],
        batch_size=1000,
    )
    entries += [entry_for(finding, "create", after=snapshot(finding)) for finding in findings]
    recommendations = []
    by_inspection: dict[int, list[Subject]] = {}
    for subject in subjects:
        by_inspection.setdefault(subject.inspection_id, []).append(subject)
    for held in builder.held:
        inspection = held.inspection
        if inspection.status not in (Status.CONCLUDED, Status.CLOSED):
            continue
        if not any(s.result in ("violation", "shortcomings") for s in by_inspection.get(inspection.pk, [])):
            continue
        closed = inspection.status == Status.CLOSED
        target = next((s.subject_unit_id for s in by_inspection[inspection.pk] if s.unit_id), None)
        recommendations.append(
            Recommendation(
                inspection=inspection,
                text="Chấn chỉnh, khắc phục các hạn chế, vi phạm đã nêu trong kết luận.",
                responsible_unit_id=target or by_inspection[inspection.pk][0].subject_unit_id,
                due_date=inspection.conclusion_date + datetime.timedelta(days=30),
                status=RecommendationStatus.DONE if closed else RecommendationStatus.OPEN,
                closed_on=inspection.closed_on if closed else None,
                result_note="Đã khắc phục." if closed else "",
            )
        )
    recommendations = Recommendation.objects.bulk_create(recommendations, batch_size=1000)
    entries += [entry_for(item, "create", after=snapshot(item)) for item in recommendations]
    audit_write(actor=builder.actor, entries=entries)
    findings_by_subject = {finding.subject_id: finding for finding in findings}
    return [
        (subject, findings_by_subject.get(subject.pk))
        for subject in subjects
        if subject.result == "violation"
    ]


def _pick_form(forms: list[DisciplineForm], regime: str, day: datetime.date, rng: random.Random):
    candidates = [
        form
        for form in forms
        if form.regime == regime and form.valid_on(day) and form.level <= 2 and not form.managers_only
    ]
    candidates.sort(key=lambda form: form.level)
    return candidates[0] if rng.random() < 0.7 or len(candidates) == 1 else candidates[1]


def _write_discipline(builder: Builder, violations: list) -> None:
    rng, today = builder.rng, builder.today
    forms = list(DisciplineForm.objects.all())
    staff_rows = {row[0]: row for rows in builder.staff.values() for row in rows}
    cases, steps, decisions = [], [], []
    plans: list[tuple[Case, DisciplineForm | None, datetime.date | None]] = []
    for subject, finding in violations:
        if rng.random() > 0.45:
            continue
        opened = subject.decided_on + datetime.timedelta(days=rng.randint(20, 50))
        if opened >= today:
            continue
        regimes = []
        if subject.staff_id:
            person = staff_rows[subject.staff_id]
            administrative = Regime.CADRE if person[4] == StaffCategory.CADRE else Regime.CIVIL_SERVANT
            regimes = [administrative]
            if person[2] and rng.random() < 0.35:
                regimes.append(Regime.PARTY_MEMBER)
        elif builder.units[subject.unit_id].kind in PARTY_KINDS:
            regimes = [Regime.PARTY_ORGANISATION]
        for regime in regimes:
            signed = opened + datetime.timedelta(days=rng.randint(25, 80))
            decided = signed < today and rng.random() < 0.9
            case = Case(
                regime=regime,
                unit_id=subject.unit_id,
                staff_id=subject.staff_id,
                subject_unit_id=subject.subject_unit_id,
                competent_unit_id=subject.deciding_unit_id,
                finding=finding,
                violation=FINDINGS["violation"],
                committed_on=subject.decided_on - datetime.timedelta(days=rng.randint(30, 400)),
                severity=rng.choice([Severity.LESS_SERIOUS, Severity.LESS_SERIOUS, Severity.SERIOUS]),
                status=CaseStatus.DECIDED if decided else CaseStatus.REVIEW,
                opened_on=opened,
                deadline=opened + datetime.timedelta(days=90),
                closed_on=signed if decided else None,
                created_by=builder.admin,
            )
            cases.append(case)
            plans.append((case, _pick_form(forms, regime, signed, rng) if decided else None, signed))
    cases = Case.objects.bulk_create(cases, batch_size=1000)
    entries = [entry_for(case, "create", after=snapshot(case)) for case in cases]
    for case, form, signed in plans:
        steps.append(CaseStep(case=case, kind=CaseStep.Kind.OPENED, on=case.opened_on, actor=builder.admin))
        if form is None:
            continue
        steps.append(CaseStep(case=case, kind=CaseStep.Kind.DECISION, on=signed, actor=builder.admin))
        decisions.append(
            Decision(
                case=case,
                form=form,
                number=f"{len(decisions) + 1}/QĐ-KL",
                signed_on=signed,
                effective_from=signed,
                effective_to=signed + datetime.timedelta(days=364) if form.effect_months else None,
                unit_id=case.unit_id,
                staff_id=case.staff_id,
                subject_unit_id=case.subject_unit_id,
                competent_unit_id=case.competent_unit_id,
                is_party=form.is_party,
            )
        )
    steps = CaseStep.objects.bulk_create(steps, batch_size=1000)
    entries += [entry_for(step, "create", after=snapshot(step)) for step in steps]
    decisions = Decision.objects.bulk_create(decisions, batch_size=1000)
    entries += [entry_for(decision, "create", after=snapshot(decision)) for decision in decisions]
    notices = []
    for decision in decisions:
        person = staff_rows.get(decision.staff_id)
        if decision.is_party or person is None or not person[2] or person[3] is None:
            continue
        due = add_working_days(decision.signed_on, 5)
        notices.append(
            PartyNotice(
                decision=decision,
                party_unit_id=person[3],
                due_on=due,
                notified_on=due if due < today - datetime.timedelta(days=10) else None,
            )
        )
    notices = PartyNotice.objects.bulk_create(notices)
    entries += [entry_for(notice, "create", after=snapshot(notice)) for notice in notices]
    audit_write(actor=builder.actor, entries=entries)
    builder.ctx.log(
        f"  {len(cases)} discipline cases, {len(decisions)} decisions, {len(notices)} Party notices"
    )


@demo_loader("inspections")
def load_inspections(ctx: DemoContext) -> None:
    kinds_sync()  # the data migration's rows, in case the database was emptied since migrating
    forms_sync()
    rng = random.Random(2023_24)
    builder = Builder(ctx, rng, DEMO_ACTOR)
    last_year = ctx.today.year - 1
    _hoang_mai(builder, last_year)
    districts = [
        unit for unit in ctx.units.values() if unit.kind in DISTRICT_KINDS and unit.code != HOANG_MAI
    ]
    for district in sorted(districts, key=lambda unit: unit.code):
        _elsewhere(builder, district, last_year, rng.randint(35, 60))
    # The current year, still under way.
    for district in [ctx.units[HOANG_MAI], *sorted(districts, key=lambda unit: unit.code)]:
        _elsewhere(builder, district, ctx.today.year, rng.randint(6, 14))
    violations = _write_inspections(builder)
    ctx.log(f"  {len(builder.plans)} plans, {len(builder.held)} inspections and supervisions")
    _write_discipline(builder, violations)
