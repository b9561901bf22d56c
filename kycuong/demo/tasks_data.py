"""Demo tasks, 2023–2026: a Directive-24-like document broken down city → districts → wards, with the
ordinary work of the wards around it; most closed on time, some late, some overdue, some at risk."""

import datetime
import random

from kycuong.accounts.models import User
from kycuong.core.audit import audit_write, entry_for, snapshot
from kycuong.core.calendar import working_days_between
from kycuong.org.models import UnitKind
from kycuong.tasks.models import DocumentKind, ProgressReport, SourceDocument, Task, TaskEvent, TaskState
from kycuong.tasks.tally import tally_rebuild

from .loader import CITY_CODE, DEMO_ACTOR, DemoContext, demo_loader

DIRECTIVE = (
    "24-CT/TU",
    "Chỉ thị về tăng cường kỷ luật, kỷ cương, trách nhiệm trong giải quyết công việc của cả "
    "hệ thống chính trị thành phố",
    datetime.date(2023, 8, 7),
)
CITY_PLAN = ("225/KH-UBND", "Kế hoạch thực hiện Chỉ thị 24-CT/TU của Thành ủy", datetime.date(2023, 9, 12))
DISTRICT_TASKS = [
    "Xây dựng kế hoạch thực hiện Chỉ thị 24-CT/TU",
    "Báo cáo kết quả thực hiện Chỉ thị 24-CT/TU",
]
WARD_WORK = [
    ("Rà soát, công khai thủ tục hành chính tại bộ phận một cửa", "Danh mục thủ tục đã công khai"),
    ("Báo cáo tiến độ giải ngân vốn đầu tư công", "Báo cáo"),
    ("Tổ chức đối thoại giữa người đứng đầu với nhân dân", "Biên bản đối thoại"),
    ("Kiểm tra công vụ tại bộ phận tiếp nhận và trả kết quả", "Kết luận kiểm tra"),
    ("Xử lý dứt điểm đơn thư tồn đọng", "Báo cáo kết quả xử lý"),
    ("Cập nhật dữ liệu dân cư phục vụ Đề án 06", "Dữ liệu được cập nhật"),
    ("Chấn chỉnh trật tự đô thị trên các tuyến phố chính", "Báo cáo"),
    ("Báo cáo sơ kết công tác cải cách hành chính", "Báo cáo sơ kết"),
]


def _outcome(
    rng: random.Random, due: datetime.date, today: datetime.date, lateness: float
) -> tuple[str, int, int]:
    """(state, days after due when closed or -1, progress) for a task due on `due`, as of `today`."""
    if due < today - datetime.timedelta(days=20):
        roll = rng.random()
        if roll < 0.04 + lateness / 2:
            return TaskState.IN_PROGRESS, -1, rng.choice([40, 60, 80])  # still open: overdue
        if roll < 0.2 + lateness:
            return TaskState.APPROVED, rng.randint(2, 25), 100  # closed late
        return TaskState.APPROVED, -rng.randint(0, 10), 100  # closed on time
    if due < today:
        return (TaskState.SUBMITTED, -1, 100) if rng.random() < 0.4 else (TaskState.IN_PROGRESS, -1, 70)
    return rng.choice(
        [
            (TaskState.ASSIGNED, -1, 0),
            (TaskState.ACCEPTED, -1, 0),
            (TaskState.IN_PROGRESS, -1, 30),
            (TaskState.IN_PROGRESS, -1, 10),
            (TaskState.IN_PROGRESS, -1, 60),
        ]
    )


@demo_loader("tasks")
def load_tasks(ctx: DemoContext) -> None:
    rng = random.Random(24_2023)
    today = ctx.today
    admin = User.objects.get(username="admin")
    heads = {
        user.staff.unit_id: user for user in User.objects.filter(staff__isnull=False).select_related("staff")
    }
    directive = SourceDocument(
        number=DIRECTIVE[0],
        title=DIRECTIVE[1],
        issued_on=DIRECTIVE[2],
        kind=DocumentKind.DIRECTIVE,
        issuing_unit=ctx.units[f"DU-{CITY_CODE}"],
    )
    plan = SourceDocument(
        number=CITY_PLAN[0],
        title=CITY_PLAN[1],
        issued_on=CITY_PLAN[2],
        kind=DocumentKind.PLAN,
        issuing_unit=ctx.units[CITY_CODE],
    )
    documents = [directive, plan]
    for document in documents:
        document.refresh_search_text()
    SourceDocument.objects.bulk_create(documents)

    staff_by_unit: dict[int, list] = {}
    for (code, _role), person in ctx.staff_by_post.items():
        staff_by_unit.setdefault(ctx.units[code].pk, []).append(person)
    districts = [
        u
        for u in ctx.units.values()
        if u.kind in (UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN)
    ]
    wards_of: dict[int, list] = {}
    for unit in ctx.units.values():
        if unit.kind in (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP):
            wards_of.setdefault(unit.parent_id, []).append(unit)
    # Lateness is concentrated in some districts, as in real follow-up work.
    lateness = {district.pk: rng.choice([0.0, 0.0, 0.05, 0.1, 0.25]) for district in districts}

    tasks: list[Task] = []

    def add(
        title, assigning, lead, start, due, *, product="", document=None, assigner=None, district_id=None
    ):
        state, closed_after, progress = _outcome(rng, due, today, lateness.get(district_id, 0.05))
        closed_on = due + datetime.timedelta(days=closed_after) if state == TaskState.APPROVED else None
        if closed_on and closed_on > today:
            closed_on = today
        people = staff_by_unit.get(lead.pk, [])
        task = Task(
            title=title,
            assigning_unit=assigning,
            lead_unit=lead,
            assigned_by=assigner or admin,
            responsible=rng.choice(people) if people else None,
            start_date=start,
            due_date=due,
            document=document,
            expected_product=product,
            state=state,
            progress=progress,
            closed_on=closed_on,
            late_working_days=max(0, working_days_between(due, closed_on)) if closed_on else None,
            rework_count=1 if rng.random() < 0.08 else 0,
            last_report_on=min(today, start + datetime.timedelta(days=rng.randint(5, 40)))
            if progress
            else None,
            priority=rng.choice([2, 2, 2, 3, 3, 4]),
        )
        task.refresh_search_text()
        task.refresh_day_numbers()
        tasks.append(task)

    for district in districts:
        add(
            DISTRICT_TASKS[0],
            ctx.units[CITY_CODE],
            district,
            datetime.date(2023, 9, 12),
            datetime.date(2023, 10, 31),
            product="Kế hoạch",
            document=plan,
            district_id=district.pk,
        )
        for year in (2024, 2025, 2026):
            for quarter in range(1, 5):
                due = datetime.date(year, quarter * 3, 20)
                if due > today + datetime.timedelta(days=100):
                    continue
                add(
                    f"{DISTRICT_TASKS[1]} quý {quarter}/{year}",
                    ctx.units[CITY_CODE],
                    district,
                    datetime.date(year, quarter * 3 - 2, 1),
                    due,
                    product="Báo cáo",
                    document=plan,
                    district_id=district.pk,
                )
        assigner = heads.get(district.pk, admin)
        for ward in wards_of.get(district.pk, []):
            for year in (2023, 2024, 2025, 2026):
                for title, product in rng.sample(WARD_WORK, 3 if year == 2023 else 5):
                    start = datetime.date(year, rng.randint(1 if year > 2023 else 9, 11), rng.randint(1, 25))
                    due = start + datetime.timedelta(days=rng.choice([10, 15, 20, 30, 45, 60]))
                    if start > today:
                        continue
                    add(
                        title,
                        district,
                        ward,
                        start,
                        due,
                        product=product,
                        assigner=assigner,
                        district_id=district.pk,
                    )
    Task.objects.bulk_create(tasks, batch_size=1000)
    events, reports = [], []
    for task in tasks:
        events.append(
            TaskEvent(
                task=task, kind=TaskEvent.Kind.ASSIGNED, actor=task.assigned_by, new_due_date=task.due_date
            )
        )
        if task.progress and task.last_report_on:
            reports.append(
                ProgressReport(
                    task=task,
                    percent=task.progress,
                    text="Đã triển khai theo kế hoạch.",
                    reported_on=task.last_report_on,
                    reported_by=task.assigned_by,
                )
            )
        if task.state == TaskState.APPROVED:
            events.append(TaskEvent(task=task, kind=TaskEvent.Kind.APPROVED, actor=task.assigned_by))
    TaskEvent.objects.bulk_create(events, batch_size=2000)
    ProgressReport.objects.bulk_create(reports, batch_size=2000)
    tally_rebuild()  # bulk writes bypass Task.save, which keeps the tally otherwise
    audit_write(
        actor=DEMO_ACTOR,
        entries=[entry_for(document, "create", after=snapshot(document)) for document in documents],
    )
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(task, "create", after=snapshot(task)) for task in tasks])
    overdue = sum(
        1
        for task in tasks
        if task.state in (TaskState.IN_PROGRESS, TaskState.SUBMITTED) and task.due_date < today
    )
    ctx.log(f"  {len(tasks)} tasks ({overdue} overdue), {len(reports)} progress reports")
