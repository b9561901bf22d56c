"""Demo satisfaction data: a one-stop desk in every ward and commune, receptions of the city departments, a
few kiosks, and ratings over the last two years (200,000 by default; KYCUONG_DEMO_RATINGS sets another number)
with real differences between units (some desks are much better liked than others), a slow improvement
over time, a dip in the busy weeks around Tết, and factors that citizens judge differently (the civil
servant better than the handling of feedback).

The ratings are written with plain INSERTs (ids assigned here, since the demo loads into an empty
database), the daily and monthly counts with one INSERT ... SELECT each, and every rating gets its audit
record through audit_write.
"""

import datetime
import math
import os
import random
import time

from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from kycuong.core.audit import AuditEntry, audit_write, entry_for, snapshot
from kycuong.core.calendar import add_working_days
from kycuong.org.models import Post, PostRole, UnitKind
from kycuong.satisfaction import services
from kycuong.satisfaction.models import (
    ALL_FACTORS,
    COUNT_FIELDS,
    INDEX_FACTORS,
    DailyCount,
    Feedback,
    FeedbackKind,
    FeedbackState,
    FormKind,
    MonthlyCount,
    Rating,
    RatingSource,
    ServicePoint,
    ServicePointKind,
    answers_field,
    satisfied_field,
)

from .loader import DEMO_ACTOR, DemoContext, demo_loader

# Every rating gets its own audit record, and audit_write costs about 0.17 ms a record: the full set adds
# about a minute to a demo load. The test suite loads 5,000 (KYCUONG_DEMO_RATINGS in the root conftest.py).
DEFAULT_RATINGS = 200_000
WARD_KINDS = (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP)
PROCEDURES = [
    "Đăng ký khai sinh",
    "Đăng ký kết hôn",
    "Đăng ký khai tử",
    "Chứng thực bản sao từ bản chính",
    "Chứng thực chữ ký",
    "Cấp giấy xác nhận tình trạng hôn nhân",
    "Trích lục hộ tịch",
    "Đăng ký giám hộ",
]
DEPARTMENT_PROCEDURES = ["Cấp giấy phép", "Thẩm định hồ sơ", "Cấp lại, điều chỉnh giấy phép"]
# How each factor tends to compare with a desk's general level, in percent points.
FACTOR_OFFSET = {
    "access": 0.0,
    "procedure": -4.0,
    "civil_servant": 3.0,
    "result": 1.0,
    "feedback": -7.0,
    "visit": 1.0,
}
GOOD_COMMENTS = [
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Thủ tục nhanh gọn, đúng hẹn.",
    "Rất hài lòng với thái độ phục vụ.",
    "Nơi làm thủ tục sạch sẽ, có chỗ ngồi chờ.",
]
BAD_COMMENTS = [
    ("Phải chờ lâu, đề nghị bố trí thêm người tiếp nhận.", FeedbackKind.COMPLAINT),
    ("Hướng dẫn hồ sơ chưa rõ, phải đi lại nhiều lần.", FeedbackKind.COMPLAINT),
    ("Đề nghị niêm yết công khai phí, lệ phí rõ ràng hơn.", FeedbackKind.SUGGESTION),
    ("Trả kết quả chậm so với giấy hẹn.", FeedbackKind.COMPLAINT),
    ("Nên có máy lấy số thứ tự và ghế chờ.", FeedbackKind.SUGGESTION),
    ("Đề nghị cho nộp hồ sơ trực tuyến.", FeedbackKind.SUGGESTION),
]
ANSWERS = [
    "Đơn vị đã tiếp thu, bố trí thêm công chức tiếp nhận vào giờ cao điểm.",
    "Đơn vị đã rà soát, niêm yết lại danh mục thủ tục và phí, lệ phí.",
    "Đơn vị xin lỗi Ông/Bà và đã chấn chỉnh công chức liên quan.",
]


def _satisfied_score(rng: random.Random) -> int:
    return 5 if rng.random() < 0.45 else 4


def _other_score(rng: random.Random) -> int:
    roll = rng.random()
    return 3 if roll < 0.6 else (2 if roll < 0.9 else 1)


def _create_points(ctx: DemoContext, rng: random.Random) -> list[ServicePoint]:
    units = sorted(ctx.units.values(), key=lambda unit: unit.code)
    points = []
    for unit in units:
        if unit.kind in WARD_KINDS:
            points.append(
                ServicePoint(
                    unit=unit,
                    code=f"{unit.code}-MC",
                    name=f"Bộ phận một cửa {unit.name[0].lower()}{unit.name[1:]}",
                    kind=ServicePointKind.ONE_STOP,
                    procedures="\n".join(PROCEDURES),
                )
            )
            if rng.random() < 0.06:
                points.append(
                    ServicePoint(
                        unit=unit,
                        code=f"{unit.code}-KIOSK",
                        name=f"Ki-ốt đánh giá {unit.name[0].lower()}{unit.name[1:]}",
                        kind=ServicePointKind.ONE_STOP,
                        form_kind=FormKind.KIOSK,
                    )
                )
        elif unit.kind == UnitKind.DEPARTMENT and rng.random() < 0.6:
            points.append(
                ServicePoint(
                    unit=unit,
                    code=f"{unit.code}-TN",
                    name=f"Bộ phận tiếp nhận và trả kết quả, {unit.name}",
                    kind=ServicePointKind.RECEPTION,
                    procedures="\n".join(DEPARTMENT_PROCEDURES),
                )
            )
    for point in points:
        point.slug = f"{rng.getrandbits(96):024x}"
        point.refresh_search_text()
    ServicePoint.objects.bulk_create(points, batch_size=500)
    # The members of each ward serve at its desk.
    members: dict[int, list[int]] = {}
    for unit_id, staff_id in Post.objects.filter(
        unit_id__in={p.unit_id for p in points}, role=PostRole.MEMBER
    ).values_list("unit_id", "staff_id"):
        members.setdefault(unit_id, []).append(staff_id)
    through = ServicePoint.staff.through
    links = [
        through(servicepoint_id=point.pk, staff_id=staff_id)
        for point in points
        if point.form_kind == FormKind.SURVEY
        for staff_id in members.get(point.unit_id, [])
    ]
    through.objects.bulk_create(links, batch_size=1000)
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(p, "create", after=snapshot(p)) for p in points])
    for point in points:
        point.staff_ids = members.get(point.unit_id, []) if point.form_kind == FormKind.SURVEY else []
    return points


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _fill_counts() -> None:
    """Daily and monthly rows from the ratings, as the services keep them, in one statement each."""
    quote = connection.ops.quote_name
    sums = ", ".join(f"SUM({quote(name)})" for name in COUNT_FIELDS)
    names = ", ".join(quote(name) for name in COUNT_FIELDS)
    month = (
        "DATE_TRUNC('month', day)::date"
        if connection.vendor == "postgresql"
        else "DATE(day, 'start of month')"
    )
    rating = quote(Rating._meta.db_table)
    with connection.cursor() as cursor:
        for model, period, expression in ((DailyCount, "day", "day"), (MonthlyCount, "month", month)):
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
                f"(service_point_id, unit_id, {period}, ratings, {names}) "
                f"SELECT service_point_id, unit_id, {expression}, COUNT(*), {sums} FROM {rating} "
                f"GROUP BY service_point_id, unit_id, {expression}"
            )


@demo_loader("satisfaction")
def load_satisfaction(ctx: DemoContext) -> None:
    started = time.monotonic()
    rng = random.Random(1001_2023)
    services.survey_templates_ensure(actor=DEMO_ACTOR)
    survey = services.template_for(FormKind.SURVEY, ctx.today)
    kiosk = services.template_for(FormKind.KIOSK, ctx.today)
    questions = {
        FormKind.SURVEY: [(q.pk, q.factor) for q in survey.questions.all()],
        FormKind.KIOSK: [(q.pk, q.factor) for q in kiosk.questions.all()],
    }
    template_id = {FormKind.SURVEY: survey.pk, FormKind.KIOSK: kiosk.pk}
    points = _create_points(ctx, rng)

    total = int(os.environ.get("KYCUONG_DEMO_RATINGS", DEFAULT_RATINGS))
    days = 730
    first_day = ctx.today - datetime.timedelta(days=days - 1)
    # Busy desks get many more ratings; each desk has its own level, a few are clearly worse.
    weights = [math.exp(rng.gauss(0, 0.8)) for _ in points]
    level = [min(97.0, max(55.0, rng.gauss(84, 6) - (12 if rng.random() < 0.07 else 0))) for _ in points]
    chosen = rng.choices(range(len(points)), weights=weights, k=total)
    answers_prep = Rating._meta.get_field("answers")
    prep_time = connection.ops.adapt_datetimefield_value
    rows, entries, tagged = [], [], []
    receipt_seq = 0
    for rating_id, index in enumerate(chosen, start=1):
        point = points[index]
        day = first_day + datetime.timedelta(days=int(rng.random() * days))
        moment = datetime.datetime.combine(
            day, datetime.time(8 + int(rng.random() * 9), int(rng.random() * 60))
        )
        submitted_at = timezone.make_aware(moment)
        # Half a point better per quarter; a dip of 5 points in the weeks around Tết.
        trend = (day - first_day).days / 91 * 0.5
        tet = -5.0 if day.month in (1, 2) and day.day < 25 else 0.0
        base = level[index] + trend + tet
        scores, counts = {}, dict.fromkeys(COUNT_FIELDS, 0)
        for question_id, factor in questions[point.form_kind]:
            if factor == "feedback" and rng.random() < 0.35:
                continue  # many citizens have no feedback to judge
            satisfied = rng.random() * 100 < base + FACTOR_OFFSET[factor]
            score = _satisfied_score(rng) if satisfied else _other_score(rng)
            scores[str(question_id)] = score
            counts[answers_field(factor)] += 1
            counts[satisfied_field(factor)] += int(satisfied)
        comment, contact_phone = "", ""
        unhappy = sum(1 for s in scores.values() if s <= 2)
        if rng.random() < (0.25 if unhappy else 0.03):
            if unhappy:
                comment, kind = rng.choice(BAD_COMMENTS)
                if rng.random() < 0.6:
                    tagged.append((rating_id, point.unit_id, day, kind))
            else:
                comment = rng.choice(GOOD_COMMENTS)
            if rng.random() < 0.2:
                contact_phone = f"09{rng.randint(10_000_000, 99_999_999)}"
        receipt = ""
        if point.form_kind == FormKind.SURVEY and rng.random() < 0.4:
            receipt_seq += 1
            receipt = f"{point.unit.code}-{day:%y%m%d}-{receipt_seq:06d}"
        procedure = ""
        if point.procedures and rng.random() < 0.7:
            procedure = rng.choice(point.procedure_list)
        staff_id = rng.choice(point.staff_ids) if point.staff_ids and rng.random() < 0.6 else None
        source = RatingSource.ONLINE if rng.random() < 0.85 else RatingSource.PAPER
        answers = answers_prep.get_db_prep_save(scores, connection)
        rows.append(
            (
                rating_id,
                point.pk,
                point.unit_id,
                template_id[point.form_kind],
                prep_time(submitted_at),
                day,
                source,
                answers,
                receipt,
                procedure,
                staff_id,
                comment,
                "",
                contact_phone,
                "",
                *(counts[name] for name in COUNT_FIELDS),
            )
        )
        entries.append(
            AuditEntry(
                action="create",
                object_type="satisfaction.rating",
                object_id=str(rating_id),
                object_repr=f"{point.pk} {day:%d/%m/%Y} #{rating_id}",
                unit_id=point.unit_id,
                after={
                    "service_point_id": point.pk,
                    "template_id": template_id[point.form_kind],
                    "day": day.isoformat(),
                    "source": source,
                    "answers": scores,
                    "receipt_code": receipt,
                    "procedure": procedure,
                    "staff_id": staff_id,
                    "comment": comment,
                    "contact_given": bool(contact_phone),
                },
            )
        )
    columns = [
        "id",
        "service_point_id",
        "unit_id",
        "template_id",
        "submitted_at",
        "day",
        "source",
        "answers",
        "receipt_code",
        "procedure",
        "staff_id",
        "comment",
        "contact_name",
        "contact_phone",
        "contact_email",
        *COUNT_FIELDS,
    ]
    _insert(Rating, columns, rows)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Rating]):
            cursor.execute(sql)
    _fill_counts()
    audit_write(actor=DEMO_ACTOR, entries=entries)
    feedback = _load_feedback(ctx, rng, tagged)
    ctx.log(
        f"  {len(points)} service points, {total} ratings, {len(feedback)} complaints and suggestions "
        f"({time.monotonic() - started:.1f} s)"
    )


def _load_feedback(ctx: DemoContext, rng: random.Random, tagged: list) -> list[Feedback]:
    from kycuong.accounts.models import User

    admin = User.objects.get(username="admin")
    items = []
    for rating_id, unit_id, day, kind in tagged:
        deadline = add_working_days(day, services.feedback_working_days())
        item = Feedback(
            rating_id=rating_id,
            unit_id=unit_id,
            kind=kind,
            received_on=day,
            deadline=deadline,
            tagged_by=admin,
        )
        if deadline < ctx.today or rng.random() < 0.5:
            late = rng.random() < 0.12
            answered_on = (
                deadline + datetime.timedelta(days=rng.randint(1, 10))
                if late
                else day + datetime.timedelta(days=rng.randint(1, max(1, (deadline - day).days)))
            )
            if answered_on <= ctx.today:
                item.answer = rng.choice(ANSWERS)
                item.answered_on = answered_on
                item.answered_by = admin
                item.state = FeedbackState.CLOSED if rng.random() < 0.8 else FeedbackState.ANSWERED
                item.closed_on = answered_on if item.state == FeedbackState.CLOSED else None
        items.append(item)
    Feedback.objects.bulk_create(items, batch_size=2000)
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(item, "create", after=snapshot(item)) for item in items])
    return items


assert set(FACTOR_OFFSET) == set(ALL_FACTORS) and set(INDEX_FACTORS) < set(ALL_FACTORS)
