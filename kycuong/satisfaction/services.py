"""Writes of the satisfaction app. Each one checks the actor's rights and writes its audit record in the same
transaction; a rating also adds its counts to its service point's daily and monthly rows there."""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import AuditEntry, audit_event, audit_write, entry_for, snapshot
from kycuong.core.calendar import add_working_days, local_day, today
from kycuong.core.context import SystemActor
from kycuong.core.kept import KeptValues
from kycuong.core.scoping import can, require
from kycuong.core.services import create_audited, update_audited
from kycuong.org.models import Post, Staff, Unit

from .models import (
    CONTACT_FIELDS,
    COUNT_FIELDS,
    SATISFIED_FROM,
    SCORE_MAX,
    SCORE_MIN,
    DailyCount,
    Feedback,
    FeedbackKind,
    FeedbackState,
    FormKind,
    MonthlyCount,
    Question,
    Rating,
    RatingSource,
    ServicePoint,
    SurveyTemplate,
    answers_field,
    new_public_slug,
    satisfied_field,
)

# Public submissions are written with the system's authority under this name (no user is logged in).
PUBLIC_ACTOR = SystemActor("public-rating", kind="public")
# Working days a unit has to answer a complaint or suggestion, counted from the day it was received.
DEFAULT_FEEDBACK_WORKING_DAYS = 10
MAX_COMMENT_LENGTH = 2000


def feedback_working_days() -> int:
    return int(getattr(settings, "SATISFACTION_FEEDBACK_WORKING_DAYS", DEFAULT_FEEDBACK_WORKING_DAYS))


# --- survey templates ---

DEFAULT_VALID_FROM = datetime.date(2020, 1, 1)
DEFAULT_TEMPLATES = [
    {
        "code": "SIPAS-5",
        "name": "Khảo sát mức độ hài lòng (5 yếu tố)",
        "name_en": "Satisfaction survey (five factors)",
        "form_kind": FormKind.SURVEY,
        "intro": "Xin Ông/Bà cho biết mức độ hài lòng với lần giải quyết thủ tục hành chính vừa qua. "
        "Không cần cung cấp thông tin cá nhân.",
        "intro_en": "Please tell us how satisfied you are with the service you have just received. "
        "No personal details are needed.",
        "questions": [
            (
                "access",
                "Việc tiếp cận dịch vụ (thông tin, nơi làm thủ tục, thời gian chờ)",
                "Reaching the service (information, the place, the waiting time)",
            ),
            (
                "procedure",
                "Thủ tục hành chính (hồ sơ, giấy tờ, phí, thời hạn giải quyết)",
                "The procedure (documents, fees, the time it takes)",
            ),
            (
                "civil_servant",
                "Công chức tiếp nhận và giải quyết (thái độ, hướng dẫn)",
                "The civil servant who served you (manner, guidance)",
            ),
            (
                "result",
                "Kết quả giải quyết (đúng hạn, đúng quy định, chính xác)",
                "The result (on time, lawful, correct)",
            ),
            (
                "feedback",
                "Việc tiếp nhận, xử lý ý kiến, kiến nghị, phản ánh",
                "How your comments and complaints are received and handled",
            ),
        ],
    },
    {
        "code": "KIOSK-1",
        "name": "Đánh giá lần làm việc",
        "name_en": "Rate your visit",
        "form_kind": FormKind.KIOSK,
        "intro": "",
        "intro_en": "",
        "questions": [
            (
                "visit",
                "Ông/Bà hài lòng thế nào với lần làm việc hôm nay?",
                "How satisfied are you with your visit today?",
            )
        ],
    },
]


def survey_templates_ensure(*, actor) -> list[SurveyTemplate]:
    """Create the default templates that are missing (the questionnaire is the whole system's)."""
    require(actor, "satisfaction.add_surveytemplate", None)
    created = []
    with transaction.atomic():
        for spec in DEFAULT_TEMPLATES:
            if SurveyTemplate.objects.filter(code=spec["code"]).exists():
                continue
            fields = {key: value for key, value in spec.items() if key != "questions"}
            template = create_audited(
                actor=actor, instance=SurveyTemplate(valid_from=DEFAULT_VALID_FROM, **fields)
            )
            questions = [
                Question(template=template, position=position, factor=factor, text=text, text_en=text_en)
                for position, (factor, text, text_en) in enumerate(spec["questions"], start=1)
            ]
            Question.objects.bulk_create(questions)
            audit_write(
                actor=actor,
                entries=[entry_for(q, "create", after=snapshot(q)) for q in questions],
            )
            created.append(template)
    return created


# The template in force per (form, day), read by the public form on every submission (core/kept.py).
TEMPLATE_CACHE_SECONDS = 30
templates_in_force = KeptValues("survey-templates", TEMPLATE_CACHE_SECONDS)


def template_for(form_kind: str, day: datetime.date) -> SurveyTemplate | None:
    """The template of that form in force on `day` (the latest one to start, if periods overlap)."""
    from django.db.models import Q

    def load() -> SurveyTemplate | None:
        return (
            SurveyTemplate.objects.prefetch_related("questions")
            .filter(form_kind=form_kind, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .order_by("-valid_from", "-id")
            .first()
        )

    return templates_in_force.get((form_kind, day), load)


# --- service points ---

SERVICE_POINT_EDITABLE = ("name", "kind", "form_kind", "procedures", "active")


def _check_staff(staff: Iterable[Staff], unit: Unit) -> None:
    staff = list(staff)
    if not staff:
        return
    posted = set(Post.objects.current().filter(unit=unit).values_list("staff_id", flat=True))
    strangers = [person for person in staff if person.unit_id != unit.pk and person.pk not in posted]
    if strangers:
        raise ValidationError(
            {"staff": _("Only people who work in the unit can serve at its service points.")}
        )


def service_point_create(
    *,
    actor,
    unit: Unit,
    code: str,
    name: str,
    kind: str,
    form_kind: str = FormKind.SURVEY,
    procedures: str = "",
    staff: Sequence[Staff] = (),
) -> ServicePoint:
    require(actor, "satisfaction.add_servicepoint", unit.pk)
    _check_staff(staff, unit)
    point = ServicePoint(
        unit=unit,
        code=code.strip(),
        name=" ".join(name.split()),
        kind=kind,
        form_kind=form_kind,
        procedures=procedures.strip(),
    )
    with transaction.atomic():
        create_audited(actor=actor, instance=point)
        if staff:
            point.staff.set(staff)
            audit_event(
                actor=actor, instance=point, action="set_staff", details={"staff": [p.pk for p in staff]}
            )
    return point


def service_point_update(
    *, actor, service_point: ServicePoint, changes: Mapping, staff: Sequence[Staff] | None = None
) -> ServicePoint:
    require(actor, "satisfaction.change_servicepoint", service_point.unit_id)
    if staff is not None:
        _check_staff(staff, service_point.unit)
    with transaction.atomic():
        update_audited(
            actor=actor, instance=service_point, changes=dict(changes), editable=SERVICE_POINT_EDITABLE
        )
        if staff is not None:
            before = sorted(service_point.staff.values_list("pk", flat=True))
            after = sorted(person.pk for person in staff)
            if before != after:
                service_point.staff.set(staff)
                audit_event(
                    actor=actor,
                    instance=service_point,
                    action="set_staff",
                    details={"before": before, "staff": after},
                )
    return service_point


def service_point_renew_link(*, actor, service_point: ServicePoint) -> ServicePoint:
    """A new public link (old posters stop working): for a link that was misused."""
    require(actor, "satisfaction.change_servicepoint", service_point.unit_id)
    with transaction.atomic():
        service_point.slug = new_public_slug()
        service_point.save(update_fields=["slug", "updated_at"])
        audit_event(actor=actor, instance=service_point, action="renew_link")
    return service_point


# --- ratings ---


def factor_counts(questions: Iterable[Question], scores: Mapping[int, int]) -> dict[str, int]:
    """The per-factor counts of one set of answers (question id -> score 1..5)."""
    counts = dict.fromkeys(COUNT_FIELDS, 0)
    factor_of = {question.pk: question.factor for question in questions}
    for question_id, score in scores.items():
        factor = factor_of[question_id]
        counts[answers_field(factor)] += 1
        if score >= SATISFIED_FROM:
            counts[satisfied_field(factor)] += 1
    return counts


def _clean_scores(questions: Sequence[Question], scores: Mapping) -> dict[int, int]:
    questions = {question.pk: question for question in questions}
    cleaned: dict[int, int] = {}
    for key, value in scores.items():
        if value in (None, ""):
            continue
        try:
            question_id, score = int(key), int(value)
        except (TypeError, ValueError) as error:
            raise ValidationError({"answers": _("Each answer is a number from 1 to 5.")}) from error
        if question_id not in questions:
            raise ValidationError({"answers": _("An answer refers to a question of another form.")})
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise ValidationError({"answers": _("Each answer is a number from 1 to 5.")})
        cleaned[question_id] = score
    if not cleaned:
        raise ValidationError({"answers": _("Answer at least one question.")})
    return cleaned


def normalise_receipt_code(code: str) -> str:
    return "".join(code.split()).upper()


def _rating_entry(rating: Rating) -> AuditEntry:
    # Contact details never enter the append-only log (they must stay erasable); the counts are derived.
    after = {
        key: value
        for key, value in snapshot(rating).items()
        if key not in CONTACT_FIELDS and key not in COUNT_FIELDS
    }
    after["contact_given"] = rating.has_contact
    return entry_for(rating, "create", after=after)


def _count_rows(ratings: Iterable[Rating]) -> tuple[dict, dict]:
    daily: dict[tuple, dict[str, int]] = {}
    monthly: dict[tuple, dict[str, int]] = {}
    for rating in ratings:
        for table, key in (
            (daily, (rating.service_point_id, rating.unit_id, rating.day)),
            (monthly, (rating.service_point_id, rating.unit_id, rating.day.replace(day=1))),
        ):
            row = table.setdefault(key, dict.fromkeys(("ratings", *COUNT_FIELDS), 0))
            row["ratings"] += 1
            for name in COUNT_FIELDS:
                row[name] += getattr(rating, name)
    return daily, monthly


COUNTED = ("ratings", *COUNT_FIELDS)
COUNTS_BATCH = 1000  # ratings per statement: PostgreSQL takes at most 65,535 parameters


def _upsert_counts_sql(model, period: str, rows: int) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    keys = ["service_point_id", "unit_id", period]
    columns = ", ".join(quote(name) for name in (*keys, *COUNTED))
    row = "(" + ", ".join(["%s"] * (len(keys) + len(COUNTED))) + ")"
    increments = ", ".join(f"{quote(n)} = {table}.{quote(n)} + excluded.{quote(n)}" for n in COUNTED)
    # Every name comes from the model, never from input; the values are parameters.
    return (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)} "  # noqa: S608
        f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {increments}"
    )


def add_to_counts(ratings: Sequence[Rating]) -> None:
    """Add the ratings to the daily and monthly rows of their service points (insert or increment).

    Rows are written in key order, so that two transactions never wait for each other's rows in a cycle.
    On PostgreSQL both tables are written by one statement per batch (a data-modifying WITH).
    """
    for start in range(0, len(ratings), COUNTS_BATCH):
        daily, monthly = _count_rows(ratings[start : start + COUNTS_BATCH])
        statements = []
        for model, period, rows in ((DailyCount, "day", daily), (MonthlyCount, "month", monthly)):
            params = [(*key, *(row[name] for name in COUNTED)) for key, row in sorted(rows.items())]
            statements.append((model, period, params))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                (day_model, day, day_rows), (month_model, month, month_rows) = statements
                sql = (
                    f"WITH daily AS ({_upsert_counts_sql(day_model, day, len(day_rows))}) "
                    f"{_upsert_counts_sql(month_model, month, len(month_rows))}"
                )
                cursor.execute(sql, [value for row in (*day_rows, *month_rows) for value in row])
            else:
                for model, period, params in statements:
                    cursor.executemany(_upsert_counts_sql(model, period, 1), params)


def _relax_commit_durability() -> None:
    """On PostgreSQL, let a public rating's commit return before its WAL reaches the disk.

    Every audited write takes the audit chain's head row lock until it commits, so the time a commit waits
    for the disk bounds how many ratings per second the whole system accepts (about 30 on this machine's
    disk). With synchronous_commit off for these transactions only, a crash of the database server can
    lose the ratings of its last fraction of a second, each together with its audit record (the chain
    stays whole), never corrupt anything. SATISFACTION_DURABLE_COMMIT=1 turns this off.
    """
    import os

    durable = getattr(settings, "SATISFACTION_DURABLE_COMMIT", None) or os.environ.get(
        "SATISFACTION_DURABLE_COMMIT"
    )
    if connection.vendor == "postgresql" and str(durable or "").lower() not in ("1", "true", "yes", "on"):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _store(actor, ratings: list[Rating]) -> list[Rating]:
    """Insert ratings, their counts and one audit record each, in the caller's transaction.

    The counts come last: their rows are shared by every rating of the service point that day and month,
    and their locks are held until the commit, so they are taken as late as possible.
    """
    Rating.objects.bulk_create(ratings, batch_size=500)
    audit_write(actor=actor, entries=[_rating_entry(rating) for rating in ratings])
    add_to_counts(ratings)
    return ratings


def rating_submit(
    *,
    service_point: ServicePoint,
    scores: Mapping,
    receipt_code: str = "",
    procedure: str = "",
    staff: Staff | None = None,
    comment: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    submitted_at: datetime.datetime | None = None,
    template: SurveyTemplate | None = None,
    actor=PUBLIC_ACTOR,
) -> Rating:
    """A rating from the public form. The abuse checks (rate limits, honeypot, repeats) run before it."""
    if not service_point.active:
        raise ValidationError(_("This service point is not accepting ratings at the moment."))
    submitted_at = submitted_at or timezone.now()
    day = local_day(submitted_at)
    template = template or template_for(service_point.form_kind, day)
    if template is None:
        raise ValidationError(_("No rating form is in force today."))
    questions = list(template.questions.all())
    cleaned = _clean_scores(questions, scores)
    if staff is not None and not service_point.staff.filter(pk=staff.pk).exists():
        raise ValidationError({"staff": _("Choose one of the civil servants of this service point.")})
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError({"comment": _("The comment is too long.")})
    rating = Rating(
        service_point=service_point,
        unit_id=service_point.unit_id,
        template=template,
        submitted_at=submitted_at,
        day=day,
        source=RatingSource.ONLINE,
        answers={str(key): value for key, value in sorted(cleaned.items())},
        receipt_code=normalise_receipt_code(receipt_code),
        procedure=" ".join(procedure.split())[:255],
        staff=staff,
        comment=comment,
        contact_name=contact_name.strip()[:120],
        contact_phone=contact_phone.strip()[:30],
        contact_email=contact_email.strip()[:254],
        **factor_counts(questions, cleaned),
    )
    if ServicePoint._meta.get_field("unit").is_cached(service_point):
        rating.unit = service_point.unit  # so that the audit record takes the unit's name from it
    used = _("A rating has already been given for this dossier or receipt code.")
    if (
        rating.receipt_code
        and Rating.objects.filter(service_point=service_point, receipt_code=rating.receipt_code).exists()
    ):
        raise ValidationError({"receipt_code": used})
    try:
        with transaction.atomic():
            _relax_commit_durability()
            _store(actor, [rating])
    except IntegrityError as error:
        # Two submissions with the same code at the same moment: the unique constraint decides.
        raise ValidationError({"receipt_code": used}) from error
    return rating


@dataclass(frozen=True)
class ImportedRating:
    """One row of an import, already parsed: the service point, the day and the scores per factor."""

    service_point: ServicePoint
    day: datetime.date
    scores: Mapping[str, int]  # factor -> score
    source: str = RatingSource.PAPER
    receipt_code: str = ""
    procedure: str = ""
    staff: Staff | None = None
    comment: str = ""


def ratings_import(*, actor, rows: Sequence[ImportedRating]) -> list[Rating]:
    """Store ratings collected on paper or by another system, all or none.

    Each factor's score goes to the first question of that factor in the template in force on the day.
    """
    for unit_id in {row.service_point.unit_id for row in rows}:
        if not can(actor, "satisfaction.import_rating", unit_id):
            raise PermissionDenied(_("You may not import ratings for this service point."))
    templates: dict[tuple[str, datetime.date], SurveyTemplate | None] = {}
    ratings = []
    noon = datetime.time(12, 0)
    for row in rows:
        key = (row.service_point.form_kind, row.day)
        if key not in templates:
            templates[key] = template_for(*key)
        template = templates[key]
        if template is None:
            raise ValidationError(
                _("No rating form was in force on %(day)s.") % {"day": f"{row.day:%d/%m/%Y}"}
            )
        questions = list(template.questions.all())
        first_of = {}
        for question in questions:
            first_of.setdefault(question.factor, question.pk)
        scores = {first_of[factor]: score for factor, score in row.scores.items() if factor in first_of}
        if not scores:
            raise ValidationError(_("A row has no answer to the questions of its form."))
        ratings.append(
            Rating(
                service_point=row.service_point,
                unit_id=row.service_point.unit_id,
                template=template,
                submitted_at=timezone.make_aware(datetime.datetime.combine(row.day, noon)),
                day=row.day,
                source=row.source,
                answers={str(k): v for k, v in sorted(scores.items())},
                receipt_code=normalise_receipt_code(row.receipt_code),
                procedure=row.procedure,
                staff=row.staff,
                comment=row.comment,
                entered_by=actor if getattr(actor, "pk", None) else None,
                **factor_counts(questions, scores),
            )
        )
    try:
        with transaction.atomic():
            return _store(actor, ratings)
    except IntegrityError as error:
        raise ValidationError(
            _("A rating has already been given for one of these dossier or receipt codes.")
        ) from error


def rating_erase_contact(*, actor, rating: Rating) -> Rating:
    """Erase the contact details a citizen gave; the record says which fields, never their values."""
    require(actor, "satisfaction.erase_contact", rating.unit_id)
    erased = [name for name in CONTACT_FIELDS if getattr(rating, name)]
    if not erased:
        raise ValidationError(_("This rating holds no contact details."))
    with transaction.atomic():
        for name in erased:
            setattr(rating, name, "")
        rating.contact_erased_at = timezone.now()
        rating.save(update_fields=[*erased, "contact_erased_at"])
        audit_event(actor=actor, instance=rating, action="erase_contact", details={"fields": erased})
    return rating


# --- complaints and suggestions ---


def feedback_tag(*, actor, rating: Rating, kind: str, topic: str = "") -> Feedback:
    """Turn a rating's comment into a complaint or suggestion to be answered within the working days."""
    require(actor, "satisfaction.handle_feedback", rating.unit_id)
    if not rating.comment:
        raise ValidationError(_("Only a rating with a comment can be tagged."))
    if Feedback.objects.filter(rating=rating).exists():
        raise ValidationError(_("This comment has been tagged already."))
    if kind not in FeedbackKind.values:
        raise ValidationError({"kind": _("Choose one of the allowed values.")})
    feedback = Feedback(
        rating=rating,
        unit_id=rating.unit_id,
        kind=kind,
        topic=" ".join(topic.split())[:120],
        received_on=rating.day,
        deadline=add_working_days(rating.day, feedback_working_days()),
        tagged_by=actor,
    )
    return create_audited(actor=actor, instance=feedback)


def feedback_answer(
    *, actor, feedback: Feedback, answer: str, answered_on: datetime.date | None = None
) -> Feedback:
    require(actor, "satisfaction.handle_feedback", feedback.unit_id)
    if feedback.state != FeedbackState.OPEN:
        raise ValidationError(_("This item has been answered already."))
    if not answer.strip():
        raise ValidationError({"answer": _("Write the answer.")})
    answered_on = answered_on or today()
    if answered_on < feedback.received_on or answered_on > today():
        raise ValidationError({"answered_on": _("The answer date must lie between receipt and today.")})
    return update_audited(
        actor=actor,
        instance=feedback,
        changes={
            "answer": answer.strip(),
            "answered_on": answered_on,
            "answered_by": actor,
            "state": FeedbackState.ANSWERED,
        },
        editable=("answer", "answered_on", "answered_by", "state"),
    )


def feedback_close(*, actor, feedback: Feedback) -> Feedback:
    require(actor, "satisfaction.handle_feedback", feedback.unit_id)
    if feedback.state != FeedbackState.ANSWERED:
        raise ValidationError(_("Only an answered item can be closed."))
    return update_audited(
        actor=actor,
        instance=feedback,
        changes={"state": FeedbackState.CLOSED, "closed_on": today()},
        editable=("state", "closed_on"),
    )
