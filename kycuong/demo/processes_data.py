"""Demo internal work processes of the wards of Quận Hoàng Mai: a catalogue of 22 processes in every ward,
several of them interconnected with the district's offices (justice, home affairs, finance, urban management,
inspectorate), and their cases over the last two years (10,000 by default; KYCUONG_DEMO_PROCESSES=100000 for
the full set). Most cases finish early or on time, some wards are slower than others, a few steps are late.

Finished cases are written in bulk, with their steps, monthly figures and one audit record per row; the cases
still open are started and moved on through the services, so that they run in the engine like any new case.
"""

import datetime
import os
import random
from collections import defaultdict

from django.utils import timezone

from kycuong.core.audit import audit_write, entry_for
from kycuong.core.calendar import LEGAL_TIME_ZONE, add_working_days, is_working_day
from kycuong.org.models import Unit, UnitKind
from kycuong.processes import bpmn, services
from kycuong.processes.models import (
    MonthlyFigure,
    ProcessDefinition,
    ProcessInstance,
    ProcessStep,
    StepDefinition,
    UnitMonthFigure,
)
from kycuong.processes.worktime import add_working_minutes, deadline, outcome, working_minutes_between

from .loader import DEMO_ACTOR, DemoContext, demo_loader

DEFAULT_CASES = 10_000
OPEN_CASES = 120
DISTRICT = "008"
S, H = "unit_staff", "unit_head"
D = DISTRICT
# code, name, kind of case, share of cases, steps: (name, role, performer unit, limit, "days"/"hours")
CATALOGUE = [
    (
        "QT-01",
        "Xử lý văn bản đến",
        "document",
        14,
        [
            ("Văn thư vào sổ, chuyển lãnh đạo", S, "", 4, "hours"),
            ("Chủ tịch UBND phường phân công xử lý", H, "", 1, "days"),
            ("Công chức được giao xử lý, dự thảo văn bản", S, "", 5, "days"),
            ("Lãnh đạo duyệt kết quả xử lý", H, "", 1, "days"),
        ],
    ),
    (
        "QT-02",
        "Soạn thảo và phát hành văn bản đi",
        "request",
        8,
        [
            ("Soạn thảo văn bản", S, "", 2, "days"),
            ("Kiểm tra thể thức, kỹ thuật trình bày", S, "", 4, "hours"),
            ("Lãnh đạo ký ban hành", H, "", 1, "days"),
            ("Văn thư đóng dấu, phát hành", S, "", 4, "hours"),
        ],
    ),
    (
        "QT-03",
        "Giải quyết nghỉ phép của cán bộ, công chức",
        "request",
        3,
        [
            ("Văn phòng xem xét đơn, đối chiếu ngày phép", S, "", 1, "days"),
            ("Chủ tịch UBND phường phê duyệt", H, "", 1, "days"),
        ],
    ),
    (
        "QT-04",
        "Chứng thực bản sao từ bản chính",
        "dossier",
        12,
        [
            ("Tiếp nhận, kiểm tra bản chính", S, "", 2, "hours"),
            ("Công chức tư pháp - hộ tịch chứng thực", S, "", 2, "hours"),
            ("Lãnh đạo ký chứng thực", H, "", 4, "hours"),
        ],
    ),
    (
        "QT-05",
        "Chứng thực chữ ký",
        "dossier",
        6,
        [
            ("Tiếp nhận, xác định người yêu cầu", S, "", 2, "hours"),
            ("Lãnh đạo ký chứng thực", H, "", 4, "hours"),
        ],
    ),
    (
        "QT-06",
        "Tiếp nhận, xử lý đơn kiến nghị, phản ánh của công dân",
        "petition",
        5,
        [
            ("Tiếp nhận, phân loại đơn", S, "", 2, "days"),
            ("Xác minh nội dung kiến nghị", S, "", 7, "days"),
            ("Thanh tra quận cho ý kiến", "", f"{D}-TT", 5, "days"),
            ("Chủ tịch UBND phường trả lời công dân", H, "", 2, "days"),
        ],
    ),
    (
        "QT-07",
        "Giải quyết khiếu nại lần đầu",
        "petition",
        1,
        [
            ("Thụ lý đơn khiếu nại", S, "", 3, "days"),
            ("Xác minh nội dung khiếu nại", S, "", 15, "days"),
            ("Phòng Tư pháp quận tham gia ý kiến", "", f"{D}-PTP", 5, "days"),
            ("Chủ tịch UBND phường ban hành quyết định giải quyết", H, "", 3, "days"),
        ],
    ),
    (
        "QT-08",
        "Đăng ký khai sinh",
        "dossier",
        8,
        [
            ("Tiếp nhận hồ sơ", S, "", 2, "hours"),
            ("Công chức tư pháp - hộ tịch ghi sổ", S, "", 4, "hours"),
            ("Lãnh đạo ký giấy khai sinh", H, "", 4, "hours"),
        ],
    ),
    (
        "QT-09",
        "Đăng ký kết hôn",
        "dossier",
        3,
        [
            ("Tiếp nhận hồ sơ", S, "", 4, "hours"),
            ("Xác minh điều kiện kết hôn", S, "", 2, "days"),
            ("Lãnh đạo ký, trao giấy chứng nhận", H, "", 1, "days"),
        ],
    ),
    (
        "QT-10",
        "Cấp giấy xác nhận tình trạng hôn nhân",
        "dossier",
        4,
        [
            ("Tiếp nhận hồ sơ", S, "", 4, "hours"),
            ("Xác minh tình trạng hôn nhân", S, "", 2, "days"),
            ("Lãnh đạo ký xác nhận", H, "", 1, "days"),
        ],
    ),
    (
        "QT-11",
        "Tiếp nhận và chuyển hồ sơ đề nghị cấp phép xây dựng nhà ở riêng lẻ",
        "dossier",
        2,
        [
            ("Tiếp nhận, kiểm tra thành phần hồ sơ", S, "", 1, "days"),
            ("Kiểm tra hiện trạng khu đất", S, "", 3, "days"),
            ("Phòng Quản lý đô thị quận thẩm định", "", f"{D}-PKT", 10, "days"),
            ("Thông báo kết quả cho công dân", S, "", 1, "days"),
        ],
    ),
    (
        "QT-12",
        "Xử lý vi phạm trật tự xây dựng",
        "request",
        2,
        [
            ("Lập biên bản vi phạm", S, "", 1, "days"),
            ("Báo cáo, đề xuất hình thức xử lý", S, "", 1, "days"),
            ("Chủ tịch UBND phường ban hành quyết định xử phạt", H, "", 2, "days"),
            ("Theo dõi thi hành quyết định", S, "", 10, "days"),
        ],
    ),
    (
        "QT-13",
        "Xét duyệt trợ cấp xã hội hằng tháng",
        "dossier",
        2,
        [
            ("Tiếp nhận hồ sơ", S, "", 1, "days"),
            ("Hội đồng xét duyệt cấp phường", H, "", 5, "days"),
            ("Niêm yết công khai danh sách", S, "", 2, "days"),
            ("Văn phòng HĐND và UBND quận trình quyết định", "", f"{D}-VP", 7, "days"),
        ],
    ),
    (
        "QT-14",
        "Báo cáo kết quả cải cách hành chính định kỳ",
        "request",
        2,
        [
            ("Tổng hợp số liệu, dự thảo báo cáo", S, "", 3, "days"),
            ("Lãnh đạo duyệt báo cáo", H, "", 1, "days"),
            ("Phòng Nội vụ quận tiếp nhận, tổng hợp", "", f"{D}-PNV", 2, "days"),
        ],
    ),
    (
        "QT-15",
        "Lập dự toán ngân sách phường",
        "request",
        1,
        [
            ("Kế toán xây dựng dự toán", S, "", 10, "days"),
            ("Chủ tịch UBND phường duyệt dự toán", H, "", 3, "days"),
            ("Phòng Tài chính - Kế hoạch quận thẩm định", "", f"{D}-PTCKH", 10, "days"),
        ],
    ),
    (
        "QT-16",
        "Thanh toán kinh phí hoạt động",
        "request",
        5,
        [
            ("Lập hồ sơ thanh toán", S, "", 2, "days"),
            ("Kế toán kiểm soát chứng từ", S, "", 2, "days"),
            ("Chủ tài khoản ký duyệt", H, "", 1, "days"),
        ],
    ),
    (
        "QT-17",
        "Mua sắm tài sản, trang thiết bị",
        "request",
        1,
        [
            ("Đề xuất nhu cầu mua sắm", S, "", 2, "days"),
            ("Kế toán thẩm định dự toán", S, "", 3, "days"),
            ("Chủ tịch UBND phường phê duyệt", H, "", 2, "days"),
            ("Tổ chức mua sắm, nghiệm thu", S, "", 10, "days"),
        ],
    ),
    (
        "QT-18",
        "Tiếp công dân định kỳ của Chủ tịch UBND phường",
        "petition",
        2,
        [
            ("Đăng ký, sắp xếp lịch tiếp", S, "", 1, "days"),
            ("Chuẩn bị hồ sơ vụ việc", S, "", 3, "days"),
            ("Chủ tịch tiếp công dân, kết luận", H, "", 1, "days"),
            ("Ra thông báo kết luận", S, "", 2, "days"),
        ],
    ),
    (
        "QT-19",
        "Xác minh, cập nhật dữ liệu dân cư",
        "request",
        6,
        [
            ("Tiếp nhận phiếu đề nghị", S, "", 1, "days"),
            ("Xác minh tại địa bàn", S, "", 3, "days"),
            ("Cập nhật cơ sở dữ liệu", S, "", 4, "hours"),
        ],
    ),
    (
        "QT-20",
        "Đánh giá, xếp loại công chức hằng tháng",
        "request",
        3,
        [
            ("Công chức tự đánh giá", S, "", 2, "days"),
            ("Chủ tịch UBND phường đánh giá, xếp loại", H, "", 3, "days"),
            ("Phòng Nội vụ quận tổng hợp kết quả", "", f"{D}-PNV", 5, "days"),
        ],
    ),
    (
        "QT-21",
        "Xử lý phản ánh của người dân trên ứng dụng iHanoi",
        "petition",
        7,
        [
            ("Tiếp nhận, phân loại phản ánh", S, "", 4, "hours"),
            ("Xử lý tại địa bàn", S, "", 2, "days"),
            ("Phản hồi người dân trên ứng dụng", S, "", 4, "hours"),
        ],
    ),
    (
        "QT-22",
        "Lấy ý kiến góp ý dự thảo văn bản của quận",
        "request",
        2,
        [
            ("Phân công nghiên cứu dự thảo", H, "", 1, "days"),
            ("Tổng hợp ý kiến góp ý", S, "", 5, "days"),
            ("Văn phòng HĐND và UBND quận tiếp nhận góp ý", "", f"{D}-VP", 2, "days"),
        ],
    ),
]
REFERENCE_PREFIX = {"document": "VB", "request": "YC", "dossier": "HS", "petition": "ĐT"}
CASE_TITLES = {
    "document": ["Công văn của UBND quận về {}", "Kế hoạch của quận về {}", "Thông báo của Sở về {}"],
    "request": ["Đề nghị của bộ phận văn phòng về {}", "Tờ trình về {}"],
    "dossier": ["Hồ sơ của ông Nguyễn Văn {}", "Hồ sơ của bà Trần Thị {}", "Hồ sơ của ông Lê Minh {}"],
    "petition": ["Đơn của hộ dân tổ dân phố {} về trật tự xây dựng", "Phản ánh về vệ sinh môi trường tổ {}"],
}
TOPICS = [
    "cải cách hành chính",
    "chuyển đổi số",
    "trật tự đô thị",
    "phòng cháy chữa cháy",
    "An",
    "Bình",
    "Hùng",
    "Lan",
    "Hoa",
    "Dũng",
    "Mai",
    "Tuấn",
]


def _templates(ctx: DemoContext) -> dict[str, bytes]:
    """Each process's BPMN, generated by the step builder and checked once by the real parser and engine."""
    roles = {S, H}
    codes = {ref for *_x, steps in CATALOGUE for _n, _r, ref, _v, _u in steps if ref}
    found = set(Unit.objects.filter(code__in=codes).values_list("code", flat=True))
    assert found == codes, codes - found
    built = {}
    for code, name, _kind, _share, steps in CATALOGUE:
        data = bpmn.build_linear(
            process_id=f"P_{code.replace('-', '_')}",
            name=name,
            steps=[
                bpmn.BuilderStep(name=n, role=r, unit_ref=ref, limit_value=v, limit_unit=u)
                for n, r, ref, v, u in steps
            ],
        )
        parsed = bpmn.analyse(bpmn.parse_xml(data), known_roles=roles, known_unit_codes=codes)
        bpmn.engine_check(data, parsed.process_id)
        built[code] = (data, parsed)
    return built


def _office_moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    minute = rng.randrange(8 * 60, 16 * 60 + 30)
    return datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), LEGAL_TIME_ZONE)


@demo_loader("processes")
def load_processes(ctx: DemoContext) -> None:
    rng = random.Random(214)
    built = _templates(ctx)
    from kycuong.accounts.models import User

    admin = User.objects.get(username="admin")
    district = Unit.objects.get(code=DISTRICT)
    wards = list(Unit.objects.filter(parent=district, kind=UnitKind.WARD).order_by("code"))
    units_by_code = {unit.code: unit for unit in Unit.objects.filter(code__startswith=f"{DISTRICT}-")}
    valid_from = ctx.today.replace(year=ctx.today.year - 3, month=1, day=1)
    definitions, specs = [], []
    for ward in wards:
        for code, name, _kind, _share, _steps in CATALOGUE:
            data, parsed = built[code]
            definitions.append(
                ProcessDefinition(
                    owner_unit=ward,
                    code=code,
                    name=name,
                    scope=f"Nội bộ {ward.name}",
                    version=1,
                    valid_from=valid_from,
                    bpmn_process_id=parsed.process_id,
                    bpmn_xml=data.decode(),
                    limit_value=parsed.limit_value,
                    limit_unit=parsed.limit_unit,
                    interconnected=any(step.unit_ref for step in parsed.steps),
                    created_by=admin,
                )
            )
    for definition in definitions:
        definition.refresh_search_text()
    ProcessDefinition.objects.bulk_create(definitions, batch_size=500)
    for definition in definitions:
        _data, parsed = built[definition.code]
        for position, step in enumerate(parsed.steps):
            specs.append(
                StepDefinition(
                    definition=definition,
                    position=position,
                    bpmn_id=step.bpmn_id,
                    name=step.name,
                    role=step.role,
                    unit_ref=step.unit_ref,
                    limit_value=step.limit_value,
                    limit_unit=step.limit_unit,
                    decisions=step.decisions,
                    timers=step.timers,
                )
            )
    StepDefinition.objects.bulk_create(specs, batch_size=1000)
    audit_write(
        actor=DEMO_ACTOR,
        entries=[entry_for(d, "create", after={"code": d.code, "version": 1}) for d in definitions],
    )

    total = int(os.environ.get("KYCUONG_DEMO_PROCESSES", DEFAULT_CASES))
    by_ward = defaultdict(list)
    for definition in definitions:
        by_ward[definition.owner_unit_id].append(definition)
    shares = {code: share for code, _n, _k, share, _s in CATALOGUE}
    kinds = {code: kind for code, _n, kind, _s, _st in CATALOGUE}
    steps_of = {code: steps for code, _n, _k, _s, steps in CATALOGUE}
    # Some wards keep their time limits much better than others.
    slowness = {ward.pk: rng.choice([0.02, 0.04, 0.06, 0.1, 0.18]) for ward in wards}
    first_day = ctx.today - datetime.timedelta(days=730)
    last_day = ctx.today - datetime.timedelta(days=20)
    span = (last_day - first_day).days
    figures: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    batch_instances, batch_steps = [], []

    def flush():
        ProcessInstance.objects.bulk_create(batch_instances, batch_size=1000)
        for instance in batch_instances:
            for step in instance._demo_steps:
                step.instance = instance
                batch_steps.append(step)
        ProcessStep.objects.bulk_create(batch_steps, batch_size=2000)
        audit_write(
            actor=DEMO_ACTOR,
            entries=[
                entry_for(i, "start", after={"definition_id": i.definition_id, "outcome": i.outcome})
                for i in batch_instances
            ]
            + [
                entry_for(s, "done", after={"outcome": s.outcome, "used_minutes": s.used_minutes})
                for s in batch_steps
            ],
        )
        links = ProcessInstance.participant_units.through
        links.objects.bulk_create(
            [
                links(processinstance_id=instance.pk, unit_id=unit_id)
                for instance in batch_instances
                for unit_id in sorted({s.unit_id for s in instance._demo_steps} - {instance.unit_id})
            ],
            batch_size=2000,
        )
        batch_instances.clear()
        batch_steps.clear()

    for number in range(total):
        ward = wards[number % len(wards)]
        definition = rng.choices(by_ward[ward.pk], weights=[shares[d.code] for d in by_ward[ward.pk]])[0]
        kind = kinds[definition.code]
        started = _office_moment(rng, first_day + datetime.timedelta(days=rng.randrange(span)))
        moment, rows = started, []
        late_chance = slowness[ward.pk]
        for index, (name, role, ref, value, unit) in enumerate(steps_of[definition.code], start=1):
            performer = units_by_code[ref] if ref else ward
            due = deadline(moment, value, unit)
            allowed = working_minutes_between(moment, due)
            share = rng.uniform(1.05, 1.8) if rng.random() < late_chance else rng.uniform(0.15, 0.95)
            finished = add_working_minutes(moment, max(int(allowed * share), 5))
            used = working_minutes_between(moment, finished)
            result = outcome(finished, due)
            rows.append(
                ProcessStep(
                    definition=definition,
                    bpmn_id=f"Step_{index}",
                    name=name,
                    unit=performer,
                    role=role,
                    state=ProcessStep.State.DONE,
                    engine_task_id=f"demo-{number}-{index}",
                    started_at=moment,
                    due_at=due,
                    completed_at=finished,
                    completed_on=finished.astimezone(LEGAL_TIME_ZONE).date(),
                    limit_value=value,
                    limit_unit=unit,
                    allowed_minutes=allowed,
                    used_minutes=used,
                    outcome=result,
                    result="Đã xử lý xong",
                )
            )
            month = rows[-1].completed_on.replace(day=1)
            counts = figures[("step", performer.pk, definition, month)]
            counts[0] += 1
            counts[{"early": 1, "on_time": 2, "late": 3}[result]] += 1
            counts[4] += used
            moment = finished
        due = deadline(started, definition.limit_value, definition.limit_unit)
        completed_on = moment.astimezone(LEGAL_TIME_ZONE).date()
        used = working_minutes_between(started, moment)
        instance = ProcessInstance(
            definition=definition,
            unit=ward,
            case_kind=kind,
            case_reference=f"{REFERENCE_PREFIX[kind]}-{started:%y%m}-{number:06d}",
            case_title=rng.choice(CASE_TITLES[kind]).format(rng.choice(TOPICS)),
            state=ProcessInstance.State.COMPLETED,
            started_at=started,
            started_on=started.astimezone(LEGAL_TIME_ZONE).date(),
            due_at=due,
            completed_at=moment,
            completed_on=completed_on,
            outcome=outcome(moment, due),
            allowed_minutes=working_minutes_between(started, due),
            used_minutes=used,
        )
        instance.refresh_search_text()
        instance._demo_steps = rows
        counts = figures[("instance", ward.pk, definition, completed_on.replace(day=1))]
        counts[0] += 1
        counts[{"early": 1, "on_time": 2, "late": 3}[instance.outcome]] += 1
        counts[4] += used
        batch_instances.append(instance)
        if len(batch_instances) >= 2000:
            flush()
    if batch_instances:
        flush()
    MonthlyFigure.objects.bulk_create(
        [
            MonthlyFigure(
                level=level,
                unit_id=unit_id,
                definition=definition,
                code=definition.code,
                month=month,
                finished=c[0],
                early=c[1],
                on_time=c[2],
                late=c[3],
                used_minutes=c[4],
            )
            for (level, unit_id, definition, month), c in figures.items()
        ],
        batch_size=2000,
    )
    per_unit: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (level, unit_id, _definition, month), counts in figures.items():
        per_unit[(level, unit_id, month)] = [
            a + b for a, b in zip(per_unit[(level, unit_id, month)], counts, strict=True)
        ]
    UnitMonthFigure.objects.bulk_create(
        [
            UnitMonthFigure(
                level=level,
                unit_id=unit_id,
                month=month,
                finished=c[0],
                early=c[1],
                on_time=c[2],
                late=c[3],
                used_minutes=c[4],
            )
            for (level, unit_id, month), c in per_unit.items()
        ],
        batch_size=2000,
    )
    _open_cases(ctx, rng, by_ward, wards)
    ctx.log(
        f"processes: {len(definitions)} processes in {len(wards)} wards, {total:,} finished cases, "
        f"{OPEN_CASES} open cases"
    )


def _open_cases(ctx, rng, by_ward, wards) -> None:
    """Recent cases, run through the engine: some waiting at their first step, some further on or late."""
    hoangliet = next(ward for ward in wards if ward.code == "00337")
    chosen = [hoangliet] + rng.sample([w for w in wards if w != hoangliet], 3)
    start_day = add_working_days(ctx.today, -8)
    for number in range(OPEN_CASES):
        ward = chosen[number % len(chosen)]
        definition = rng.choice(by_ward[ward.pk])
        kind = definition.instances.model.CaseKind
        started = _office_moment(rng, start_day + datetime.timedelta(days=rng.randrange(8)))
        if started > timezone.now():
            started = timezone.now() - datetime.timedelta(hours=1)
        instance = services.instance_start(
            actor=DEMO_ACTOR,
            definition=definition,
            case_kind=rng.choice([k.value for k in kind]),
            case_reference=f"MO-{number:04d}",
            case_title=f"Hồ sơ đang xử lý số {number + 1}",
            now=started,
        )
        moment = started
        for _ in range(rng.randrange(0, 3)):
            step = instance.steps.filter(state="open").first()
            if step is None:
                break
            moment = add_working_minutes(moment, rng.randrange(30, 600))
            if moment >= timezone.now():
                break
            services.step_complete(actor=DEMO_ACTOR, step=step, result="Đã xử lý", now=moment)
