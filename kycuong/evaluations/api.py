"""API of evaluations: methods, cycles and their steps, evaluations with their explanation, results."""

import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, paginate
from kycuong.org.selectors import unit_get

from . import scoring, selectors, services
from .models import CycleState, EvaluationState, Frequency, Role, Subject

router = Router(tags=["evaluations"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]


class MethodOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    legal_basis: str
    subject: Subject
    valid_from: datetime.date
    valid_to: datetime.date | None
    rules: dict


class CycleOut(Schema):
    id: int
    name: str
    method_id: int
    method_code: str
    unit_id: int
    unit_ids: list[int]
    include_descendants: bool
    frequency: Frequency
    period_start: datetime.date
    period_end: datetime.date
    state: CycleState
    self_assessment_due: datetime.date
    review_due: datetime.date
    approval_due: datetime.date
    published_on: datetime.date | None
    document_number: str
    returned_reason: str

    @staticmethod
    def resolve_method_code(obj) -> str:
        return obj.method.code

    @staticmethod
    def resolve_unit_ids(obj) -> list[int]:
        return sorted(link.unit_id for link in obj.cycle_units.all())


class CyclePage(Page):
    items: list[CycleOut]


class CycleIn(Schema):
    model_config = ConfigDict(extra="forbid")
    method_code: str = Field(..., min_length=1, max_length=60)
    unit_id: int
    unit_ids: list[int] = Field(..., min_length=1, max_length=500)
    outstanding_unit_ids: list[int] = []
    include_descendants: bool = False
    frequency: Frequency
    period_start: datetime.date
    name: str = Field("", max_length=255)
    self_assessment_due: datetime.date | None = None
    review_due: datetime.date | None = None
    approval_due: datetime.date | None = None


class CycleAction(StrEnum):
    COMPUTE = "compute"
    OPEN_REVIEW = "open-review"
    SUBMIT = "submit"
    APPROVE = "approve"
    PUBLISH = "publish"


class CycleActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    document_number: str = Field("", max_length=60)


class QuotaOut(Schema):
    unit_id: int
    unit_name: str
    level: str
    holding: int
    allowed: int | None
    excess: int
    outstanding: bool
    counts: dict[str, int]


class EvaluationOut(Schema):
    id: int
    cycle_id: int
    unit_id: int
    unit_name: str
    staff_id: int | None
    staff_name: str
    role: Role
    state: EvaluationState
    tasks_assigned: int
    tasks_done: int
    tasks_late: int
    rework_total: int
    task_points: Decimal
    self_general_points: Decimal | None
    general_points: Decimal | None
    bonus_points: Decimal
    adjustment: Decimal
    adjustment_reason: str
    total: Decimal
    score_level: str
    level: str
    level_name: str
    ground_reason: str
    manual_ground: str
    quota_moved: bool
    quota_reason: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_staff_name(obj) -> str:
        return obj.staff.full_name if obj.staff_id else ""

    @staticmethod
    def resolve_level_name(obj) -> str:
        return scoring.level_name(obj.cycle.method.rules, obj.level)


class TaskLineOut(Schema):
    task_id: int
    title: str
    due_date: datetime.date
    outcome: str
    quantity: Decimal
    quality: Decimal
    progress: Decimal
    quality_deduction: int
    progress_deduction: int
    url: str


class EvaluationDetail(EvaluationOut):
    self_criteria_points: dict
    criteria_points: dict
    explanation: dict
    self_note: str
    review_note: str
    returned_reason: str
    tasks: list[TaskLineOut]


class EvaluationPage(Page):
    items: list[EvaluationOut]


class EvaluationFiltersIn(Schema):
    cycle_id: int | None = None
    unit_id: int | None = None
    with_descendants: bool = False
    staff_id: int | None = None
    level: str | None = Field(None, max_length=20)
    state: EvaluationState | None = None
    published_only: bool = False
    limit: Limit = 50
    offset: Offset = 0


class SelfAssessmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    general_points: Decimal | None = None
    criteria_points: dict[str, Decimal] = {}
    note: str = Field("", max_length=5000)


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    general_points: Decimal | None = None
    bonus_points: Decimal | None = None
    criteria_points: dict[str, Decimal] = {}
    adjustment: Decimal | None = None
    adjustment_reason: str = Field("", max_length=2000)
    manual_ground: str = Field("", max_length=2000)
    note: str = Field("", max_length=5000)


class EvaluationReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=2000)


class MoveDownIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000)
    undo: bool = False


class LevelCount(Schema):
    code: str
    name: str
    count: int
    percent: float


class DistributionOut(Schema):
    method_id: int
    method_name: str
    total: int
    levels: list[LevelCount]


class RankingOut(Schema):
    rank: int
    unit_id: int
    unit_name: str
    evaluations: int
    mean: Decimal
    top_share: float


@router.get(
    "/evaluations/methods", response={200: list[MethodOut], **LIST_ERRORS}, summary="Evaluation methods"
)
def list_methods(request):
    return list(selectors.method_list())


@router.get(
    "/evaluations/methods/{int:method_id}",
    response={200: MethodOut, **READ_ERRORS},
    summary="One evaluation method",
)
def get_method(request, method_id: int):
    return selectors.method_get(method_id=method_id)


@router.get("/evaluations/cycles", response={200: CyclePage, **LIST_ERRORS}, summary="Evaluation cycles")
def list_cycles(
    request,
    unit_id: int | None = None,
    state: CycleState | None = None,
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    cycles = selectors.cycle_list(
        actor=request.user, filters=selectors.CycleFilters(unit_id=unit_id, state=state, year=year)
    ).prefetch_related("cycle_units")
    items, page = paginate(cycles, limit=limit, offset=offset)
    return {"items": items, **page}


@router.post(
    "/evaluations/cycles", response={201: CycleOut, **WRITE_ERRORS}, summary="Open an evaluation cycle"
)
def create_cycle(request, payload: CycleIn):
    data = payload.dict()
    unit = unit_get(actor=request.user, unit_id=data.pop("unit_id"))
    units = [unit_get(actor=request.user, unit_id=pk) for pk in dict.fromkeys(data.pop("unit_ids"))]
    outstanding = [unit_get(actor=request.user, unit_id=pk) for pk in data.pop("outstanding_unit_ids")]
    cycle = services.cycle_create(
        actor=request.user, unit=unit, units=units, outstanding_units=outstanding, **data
    )
    return Status(201, selectors.cycle_get(actor=request.user, cycle_id=cycle.pk))


@router.get(
    "/evaluations/cycles/{int:cycle_id}", response={200: CycleOut, **READ_ERRORS}, summary="One cycle"
)
def get_cycle(request, cycle_id: int):
    return selectors.cycle_get(actor=request.user, cycle_id=cycle_id)


@router.get(
    "/evaluations/cycles/{int:cycle_id}/quota",
    response={200: list[QuotaOut], **READ_ERRORS},
    summary="The quota in each unit of a cycle",
)
def cycle_quota(request, cycle_id: int):
    from .views import visible_quota

    return visible_quota(request.user, selectors.cycle_get(actor=request.user, cycle_id=cycle_id))


@router.post(
    "/evaluations/cycles/{int:cycle_id}/return",
    response={200: CycleOut, **WRITE_ERRORS},
    summary="Return a cycle to review, with a reason",
)
def return_cycle(request, cycle_id: int, payload: EvaluationReasonIn):
    cycle = selectors.cycle_get(actor=request.user, cycle_id=cycle_id)
    services.cycle_return(actor=request.user, cycle=cycle, reason=payload.reason)
    return selectors.cycle_get(actor=request.user, cycle_id=cycle_id)


@router.post(
    "/evaluations/cycles/{int:cycle_id}/{action}",
    response={200: CycleOut, **WRITE_ERRORS},
    summary="Take a cycle to its next step",
    description="compute (opens the self-assessment; computes again later), open-review, "
    "submit (for approval), approve (the quota must hold), publish.",
)
def cycle_action(request, cycle_id: int, action: CycleAction, payload: CycleActionIn | None = None):
    cycle = selectors.cycle_get(actor=request.user, cycle_id=cycle_id)
    actor = request.user
    if action == CycleAction.COMPUTE:
        services.cycle_compute(actor=actor, cycle=cycle)
    elif action == CycleAction.OPEN_REVIEW:
        services.cycle_open_review(actor=actor, cycle=cycle)
    elif action == CycleAction.SUBMIT:
        services.cycle_submit(actor=actor, cycle=cycle)
    elif action == CycleAction.APPROVE:
        services.cycle_approve(actor=actor, cycle=cycle)
    else:
        number = payload.document_number if payload else ""
        services.cycle_publish(actor=actor, cycle=cycle, document_number=number)
    return selectors.cycle_get(actor=actor, cycle_id=cycle_id)


@router.get(
    "/evaluations", response={200: EvaluationPage, **LIST_ERRORS}, summary="Evaluations in your scope"
)
def list_evaluations(request, filters: Query[EvaluationFiltersIn]):
    values = filters.dict(exclude={"limit", "offset"})
    evaluations = selectors.evaluation_list(actor=request.user, filters=selectors.EvaluationFilters(**values))
    items, page = paginate(evaluations, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


def _detail(request, evaluation_id: int) -> dict:
    from django.urls import reverse

    from .compute import task_breakdown

    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    lines = []
    if evaluation.staff_id and evaluation.role != Role.UNIT:
        lines = task_breakdown(
            evaluation.cycle.method.rules,
            staff_id=evaluation.staff_id,
            start=evaluation.cycle.period_start,
            end=evaluation.cycle.period_end,
        )
    evaluation.tasks = [
        {
            "task_id": line.task.pk,
            "title": line.task.title,
            "due_date": line.task.due_date,
            "outcome": line.outcome,
            "quantity": line.quantity,
            "quality": line.quality,
            "progress": line.progress,
            "quality_deduction": line.quality_deduction,
            "progress_deduction": line.progress_deduction,
            "url": reverse("tasks:detail", args=[line.task.pk]),
        }
        for line in lines
    ]
    return evaluation


@router.get(
    "/evaluations/{int:evaluation_id}",
    response={200: EvaluationDetail, **READ_ERRORS},
    summary="One evaluation, with its explanation and the tasks behind it",
)
def get_evaluation(request, evaluation_id: int):
    return _detail(request, evaluation_id)


def _criteria(points: dict) -> dict:
    return {code: str(value) for code, value in points.items()}


@router.post(
    "/evaluations/{int:evaluation_id}/self-assessment",
    response={200: EvaluationDetail, **WRITE_ERRORS},
    summary="Your self-assessment",
)
def self_assess(request, evaluation_id: int, payload: SelfAssessmentIn):
    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    services.evaluation_self_assess(
        actor=request.user,
        evaluation=evaluation,
        general_points=payload.general_points,
        criteria_points=_criteria(payload.criteria_points),
        note=payload.note,
    )
    return _detail(request, evaluation_id)


@router.post(
    "/evaluations/{int:evaluation_id}/review",
    response={200: EvaluationDetail, **WRITE_ERRORS},
    summary="Review an evaluation (points, bonus, adjustment with its reason, stated grounds)",
)
def review(request, evaluation_id: int, payload: ReviewIn):
    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    data = payload.dict()
    data["criteria_points"] = _criteria(data["criteria_points"])
    services.evaluation_review(actor=request.user, evaluation=evaluation, **data)
    return _detail(request, evaluation_id)


@router.post(
    "/evaluations/{int:evaluation_id}/return",
    response={200: EvaluationDetail, **WRITE_ERRORS},
    summary="Return a self-assessment for revision, with a reason",
)
def return_evaluation(request, evaluation_id: int, payload: EvaluationReasonIn):
    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    services.evaluation_return(actor=request.user, evaluation=evaluation, reason=payload.reason)
    return _detail(request, evaluation_id)


@router.post(
    "/evaluations/{int:evaluation_id}/move-down",
    response={200: EvaluationDetail, **WRITE_ERRORS},
    summary="Move a person one level down to keep the quota (or undo it)",
)
def move_down(request, evaluation_id: int, payload: MoveDownIn):
    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    services.evaluation_move_down(
        actor=request.user, evaluation=evaluation, reason=payload.reason, undo=payload.undo
    )
    return _detail(request, evaluation_id)


@router.get(
    "/evaluations/results/distribution",
    response={200: list[DistributionOut], **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="A unit's distribution by level over a period (published cycles)",
)
def result_distribution(request, unit_id: int, period_from: datetime.date, period_to: datetime.date):
    unit = unit_get(actor=request.user, unit_id=unit_id)
    entries = selectors.distribution(actor=request.user, unit=unit, start=period_from, end=period_to)
    return [
        {
            "method_id": entry["method"].pk,
            "method_name": entry["method"].display_name,
            "total": entry["total"],
            "levels": entry["rows"],
        }
        for entry in entries
    ]


@router.get(
    "/evaluations/results/rankings",
    response={200: list[RankingOut], **LIST_ERRORS},
    summary="Units of one kind ranked by mean score over a period (published cycles)",
)
def result_rankings(
    request,
    kind: str,
    period_from: datetime.date,
    period_to: datetime.date,
    method_code: str | None = None,
):
    return selectors.rankings(
        actor=request.user, kind=kind, start=period_from, end=period_to, method_code=method_code
    )
