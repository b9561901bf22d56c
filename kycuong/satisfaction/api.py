"""API of the satisfaction app: service points, the index, ratings, complaints and suggestions, files.

Everything here needs authentication and is scoped; the public rating form is a page, not an API.
"""

import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, Problem, paginate
from kycuong.core.calendar import today
from kycuong.core.scoping import can, has_any_grant
from kycuong.org.selectors import staff_get, unit_get

from . import excel, selectors, services
from .figures import IndexFigures
from .models import FeedbackKind, FeedbackState, FormKind, RatingSource, ServicePointKind

router = Router(tags=["satisfaction"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]
QUERY_ERRORS = {**READ_ERRORS, 422: LIST_ERRORS[422]}


class QuestionOut(Schema):
    id: int
    position: int
    factor: str
    text: str
    text_en: str


class TemplateOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    form_kind: FormKind
    valid_from: datetime.date
    valid_to: datetime.date | None
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj) -> list:
        return list(obj.questions.all())


class ServicePointOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    code: str
    name: str
    kind: ServicePointKind
    form_kind: FormKind
    active: bool
    public_path: str
    procedures: list[str]

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_public_path(obj) -> str:
        from django.urls import reverse

        return reverse("satisfaction:rate", args=[obj.slug])

    @staticmethod
    def resolve_procedures(obj) -> list[str]:
        return obj.procedure_list


class ServicePointDetail(ServicePointOut):
    staff_ids: list[int]

    @staticmethod
    def resolve_staff_ids(obj) -> list[int]:
        return [person.pk for person in obj.staff.all()]


class ServicePointPage(Page):
    items: list[ServicePointOut]


class ServicePointIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=255)
    kind: ServicePointKind = ServicePointKind.ONE_STOP
    form_kind: FormKind = FormKind.SURVEY
    procedures: list[str] = []
    staff_ids: list[int] = []


class ServicePointPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=255)
    kind: ServicePointKind | None = None
    form_kind: FormKind | None = None
    procedures: list[str] | None = None
    active: bool | None = None
    staff_ids: list[int] | None = None


class SatisfactionFigureOut(Schema):
    answers: int
    satisfied: int
    percent: float | None = Field(None, description="Share of answers 4 or 5, in percent")
    margin: float | None = Field(None, description="95 % margin of error, in percent points")


class OverallOut(Schema):
    percent: float | None = Field(None, description="Mean of the five factors' indices that have answers")
    margin: float | None = Field(None, description="Mean of their margins: an upper bound")
    factors_used: int


class SatisfactionFiguresOut(Schema):
    ratings: int
    overall: OverallOut
    factors: dict[str, SatisfactionFigureOut]


def figures_out(figures: IndexFigures) -> dict:
    return {
        "ratings": figures.ratings,
        "overall": figures.overall.__dict__,
        "factors": {
            factor: {"answers": f.answers, "satisfied": f.satisfied, "percent": f.percent, "margin": f.margin}
            for factor, f in figures.factors.items()
        },
    }


class IndexOut(Schema):
    unit_id: int | None
    service_point_id: int | None
    date_from: datetime.date
    date_to: datetime.date
    current: SatisfactionFiguresOut
    previous_from: datetime.date
    previous_to: datetime.date
    previous: SatisfactionFiguresOut
    peers: SatisfactionFiguresOut | None = Field(None, description="All units of the same kind in your scope")


class IndexQuery(Schema):
    unit_id: int | None = None
    service_point_id: int | None = None
    staff_id: int | None = None
    procedure: str | None = None
    with_descendants: bool = True
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class BreakdownQuery(IndexQuery):
    group_by: Literal["unit", "service_point", "staff", "procedure"] = "service_point"


class TrendOut(Schema):
    start: datetime.date
    figures: SatisfactionFiguresOut


class BreakdownOut(Schema):
    key: int | str | None
    label: str
    figures: SatisfactionFiguresOut


class RatingOut(Schema):
    id: int
    service_point_id: int
    unit_id: int
    template_id: int
    submitted_at: datetime.datetime
    day: datetime.date
    source: RatingSource
    answers: dict[str, int]
    receipt_code: str
    procedure: str
    staff_id: int | None
    comment: str
    contact_given: bool
    feedback_id: int | None

    @staticmethod
    def resolve_contact_given(obj) -> bool:
        return obj.has_contact

    @staticmethod
    def resolve_feedback_id(obj) -> int | None:
        feedback = getattr(obj, "feedback", None) if hasattr(obj, "feedback") else None
        return feedback.pk if feedback else None


class RatingDetail(RatingOut):
    contact: dict[str, str] | None = Field(
        None, description="Only for staff allowed to see contact details in the rating's unit"
    )
    contact_erased_at: datetime.datetime | None


class RatingPage(Page):
    items: list[RatingOut]


class RatingQuery(Schema):
    unit_id: int | None = None
    with_descendants: bool = True
    service_point_id: int | None = None
    staff_id: int | None = None
    procedure: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    with_comment: bool = False
    untagged: bool = False


class TagIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: FeedbackKind
    topic: str = Field("", max_length=120)


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(..., min_length=1)
    answered_on: datetime.date | None = None


class FeedbackOut(Schema):
    id: int
    rating_id: int
    unit_id: int
    kind: FeedbackKind
    topic: str
    state: FeedbackState
    received_on: datetime.date
    deadline: datetime.date
    answer: str
    answered_on: datetime.date | None
    closed_on: datetime.date | None
    on_time: bool | None
    comment: str

    @staticmethod
    def resolve_comment(obj) -> str:
        return obj.rating.comment


class FeedbackPage(Page):
    items: list[FeedbackOut]


class FeedbackSummaryOut(Schema):
    received: int
    answered_on_time: int
    answered_late: int
    open_overdue: int
    open_in_time: int
    on_time_rate: float | None = Field(None, description="Answered by the deadline ÷ items due × 100 %")


class FeedbackQuery(Schema):
    unit_id: int | None = None
    state: FeedbackState | None = None
    kind: FeedbackKind | None = None
    overdue: bool = False
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None


class RatingImportErrorOut(Schema):
    row: int | None = Field(None, description="The row number of the file; empty for the file as a whole")
    column: str
    message: str


class RatingImportOut(Schema):
    created: int
    errors: list[RatingImportErrorOut]


# --- templates and service points ---


@router.get(
    "/satisfaction/templates", response={200: list[TemplateOut], **LIST_ERRORS}, summary="Survey templates"
)
def list_templates(request):
    return list(selectors.template_list())


@router.get(
    "/satisfaction/service-points",
    response={200: ServicePointPage, **LIST_ERRORS},
    summary="Service points in your scope",
)
def list_service_points(
    request, unit_id: int | None = None, q: str | None = None, limit: Limit = 50, offset: Offset = 0
):
    points = selectors.service_point_list(actor=request.user, unit_id=unit_id, q=q)
    items, page = paginate(points, limit=limit, offset=offset)
    return {"items": items, **page}


@router.get(
    "/satisfaction/service-points/{int:point_id}",
    response={200: ServicePointDetail, **READ_ERRORS},
    summary="One service point",
)
def get_service_point(request, point_id: int):
    return selectors.service_point_get(actor=request.user, service_point_id=point_id)


def _staff(request, ids: list[int]) -> list:
    return [staff_get(actor=request.user, staff_id=pk) for pk in ids]


@router.post(
    "/satisfaction/service-points",
    response={201: ServicePointDetail, **WRITE_ERRORS},
    summary="Create a service point with its public rating link",
)
def create_service_point(request, payload: ServicePointIn):
    data = payload.dict()
    unit = unit_get(actor=request.user, unit_id=data.pop("unit_id"))
    point = services.service_point_create(
        actor=request.user,
        unit=unit,
        staff=_staff(request, data.pop("staff_ids")),
        procedures="\n".join(data.pop("procedures")),
        **data,
    )
    return Status(201, selectors.service_point_get(actor=request.user, service_point_id=point.pk))


@router.patch(
    "/satisfaction/service-points/{int:point_id}",
    response={200: ServicePointDetail, **WRITE_ERRORS},
    summary="Change a service point",
)
def update_service_point(request, point_id: int, payload: ServicePointPatch):
    point = selectors.service_point_get(actor=request.user, service_point_id=point_id)
    data = {key: value for key, value in payload.dict(exclude_unset=True).items() if value is not None}
    staff_ids = data.pop("staff_ids", None)
    if "procedures" in data:
        data["procedures"] = "\n".join(data["procedures"])
    services.service_point_update(
        actor=request.user,
        service_point=point,
        changes=data,
        staff=_staff(request, staff_ids) if staff_ids is not None else None,
    )
    return selectors.service_point_get(actor=request.user, service_point_id=point.pk)


# --- the index ---


def _index_filters(request, query: IndexQuery) -> selectors.IndexFilters:
    if query.unit_id is not None:
        unit_get(actor=request.user, unit_id=query.unit_id)
    if query.service_point_id is not None:
        selectors.service_point_get(actor=request.user, service_point_id=query.service_point_id)
    return selectors.IndexFilters(
        unit_id=query.unit_id,
        with_descendants=query.with_descendants,
        service_point_id=query.service_point_id,
        staff_id=query.staff_id,
        procedure=query.procedure or None,
        date_from=query.date_from,
        date_to=query.date_to,
    )


@router.get(
    "/satisfaction/index",
    response={200: IndexOut, **QUERY_ERRORS},
    summary="The satisfaction index, with the previous period and units of the same kind",
)
def get_index(request, query: Query[IndexQuery]):
    filters = _index_filters(request, query)
    unit = unit_get(actor=request.user, unit_id=query.unit_id) if query.unit_id else None
    report = selectors.index_report(actor=request.user, filters=filters, unit=unit)
    return {
        "unit_id": query.unit_id,
        "service_point_id": query.service_point_id,
        "date_from": report.filters.date_from,
        "date_to": report.filters.date_to,
        "current": figures_out(report.current),
        "previous_from": report.previous_from,
        "previous_to": report.previous_to,
        "previous": figures_out(report.previous),
        "peers": figures_out(report.peers) if report.peers else None,
    }


@router.get(
    "/satisfaction/trend",
    response={200: list[TrendOut], **QUERY_ERRORS},
    summary="The index month by month (day by day within one month)",
)
def get_trend(request, query: Query[IndexQuery]):
    trend = selectors.satisfaction_trend(actor=request.user, filters=_index_filters(request, query))
    return [{"start": point.start, "figures": figures_out(point.figures)} for point in trend]


@router.get(
    "/satisfaction/breakdown",
    response={200: list[BreakdownOut], **QUERY_ERRORS},
    summary="The index per sub-unit, service point, civil servant or procedure",
)
def get_breakdown(request, query: Query[BreakdownQuery]):
    filters = _index_filters(request, query)
    group_by = query.group_by
    if group_by == "unit" and filters.unit_id is None:
        raise ValidationError({"unit_id": _("This field is required.")})
    rows = selectors.satisfaction_breakdown(actor=request.user, filters=filters, group_by=group_by)
    return [{"key": row.key, "label": row.label, "figures": figures_out(row.figures)} for row in rows]


# --- ratings ---


def _rating_filters(query: RatingQuery) -> selectors.RatingFilters:
    return selectors.RatingFilters(**query.dict())


@router.get(
    "/satisfaction/ratings", response={200: RatingPage, **LIST_ERRORS}, summary="Ratings in your scope"
)
def list_ratings(request, query: Query[RatingQuery], limit: Limit = 50, offset: Offset = 0):
    ratings = selectors.rating_list(actor=request.user, filters=_rating_filters(query))
    items, page = paginate(ratings, limit=limit, offset=offset)
    return {"items": items, **page}


@router.get(
    "/satisfaction/ratings/export.xlsx",
    response={200: None, **LIST_ERRORS},
    summary="The filtered ratings as .xlsx (without contact details)",
)
def export_ratings(request, query: Query[RatingQuery]):
    ratings = selectors.rating_list(actor=request.user, filters=_rating_filters(query))
    response = HttpResponse(excel.export_ratings(ratings), content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="danh-gia-{today():%Y%m%d}.xlsx"'
    return response


@router.post(
    "/satisfaction/ratings/import",
    response={
        201: RatingImportOut,
        422: RatingImportOut | Problem,
        401: LIST_ERRORS[401],
        403: WRITE_ERRORS[403],
    },
    summary="Import ratings from .xlsx or .csv: all rows or none, with per-row errors",
)
def import_ratings(request, file: File[UploadedFile]):
    if not has_any_grant(request.user, "satisfaction.import_rating"):
        raise PermissionDenied
    result = excel.import_ratings(actor=request.user, name=file.name or "", content=file.read())
    body = {
        "created": result.created,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors],
    }
    return Status(201 if result.ok else 422, body)


def _rating_detail(request, rating_id: int):
    rating = selectors.rating_get(actor=request.user, rating_id=rating_id)
    rating.contact = None
    if rating.has_contact and can(request.user, "satisfaction.view_contact", rating.unit_id):
        rating.contact = {
            "name": rating.contact_name,
            "phone": rating.contact_phone,
            "email": rating.contact_email,
        }
    return rating


@router.get(
    "/satisfaction/ratings/{int:rating_id}", response={200: RatingDetail, **READ_ERRORS}, summary="One rating"
)
def get_rating(request, rating_id: int):
    return _rating_detail(request, rating_id)


@router.post(
    "/satisfaction/ratings/{int:rating_id}/erase-contact",
    response={200: RatingDetail, **WRITE_ERRORS},
    summary="Erase the contact details a citizen gave",
)
def erase_contact(request, rating_id: int):
    rating = selectors.rating_get(actor=request.user, rating_id=rating_id)
    services.rating_erase_contact(actor=request.user, rating=rating)
    return _rating_detail(request, rating_id)


@router.post(
    "/satisfaction/ratings/{int:rating_id}/feedback",
    response={201: FeedbackOut, **WRITE_ERRORS},
    summary="Tag a rating's comment as a complaint or suggestion",
)
def tag_rating(request, rating_id: int, payload: TagIn):
    rating = selectors.rating_get(actor=request.user, rating_id=rating_id)
    feedback = services.feedback_tag(
        actor=request.user, rating=rating, kind=payload.kind, topic=payload.topic
    )
    return Status(201, selectors.feedback_get(actor=request.user, feedback_id=feedback.pk))


# --- complaints and suggestions ---


def _feedback_filters(query: FeedbackQuery) -> selectors.FeedbackFilters:
    return selectors.FeedbackFilters(**query.dict())


@router.get(
    "/satisfaction/feedback",
    response={200: FeedbackPage, **LIST_ERRORS},
    summary="Complaints and suggestions in your scope",
)
def list_feedback(request, query: Query[FeedbackQuery], limit: Limit = 50, offset: Offset = 0):
    items, page = paginate(
        selectors.feedback_list(actor=request.user, filters=_feedback_filters(query)),
        limit=limit,
        offset=offset,
    )
    return {"items": items, **page}


@router.get(
    "/satisfaction/feedback/summary",
    response={200: FeedbackSummaryOut, **LIST_ERRORS},
    summary="Received, answered on time and late, overdue; the on-time rate (Decision 766)",
)
def feedback_summary(request, query: Query[FeedbackQuery]):
    summary = selectors.feedback_summary(actor=request.user, filters=_feedback_filters(query))
    return {**summary.__dict__, "on_time_rate": summary.on_time_rate}


@router.get(
    "/satisfaction/feedback/{int:feedback_id}",
    response={200: FeedbackOut, **READ_ERRORS},
    summary="One complaint or suggestion",
)
def get_feedback(request, feedback_id: int):
    return selectors.feedback_get(actor=request.user, feedback_id=feedback_id)


@router.post(
    "/satisfaction/feedback/{int:feedback_id}/answer",
    response={200: FeedbackOut, **WRITE_ERRORS},
    summary="Answer a complaint or suggestion",
)
def answer_feedback(request, feedback_id: int, payload: AnswerIn):
    feedback = selectors.feedback_get(actor=request.user, feedback_id=feedback_id)
    services.feedback_answer(
        actor=request.user, feedback=feedback, answer=payload.answer, answered_on=payload.answered_on
    )
    return selectors.feedback_get(actor=request.user, feedback_id=feedback_id)


@router.post(
    "/satisfaction/feedback/{int:feedback_id}/close",
    response={200: FeedbackOut, **WRITE_ERRORS},
    summary="Close an answered complaint or suggestion",
)
def close_feedback(request, feedback_id: int):
    feedback = selectors.feedback_get(actor=request.user, feedback_id=feedback_id)
    services.feedback_close(actor=request.user, feedback=feedback)
    return selectors.feedback_get(actor=request.user, feedback_id=feedback_id)
