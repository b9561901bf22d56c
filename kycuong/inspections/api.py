"""API of plans, inspections and supervisions, subjects, findings, recommendations, statistics and the access
log. Reads and writes go through the same selectors and services as the pages."""

import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, paginate
from kycuong.org.models import Staff, Unit
from kycuong.org.selectors import staff_get, unit_get

from . import selectors, services
from .models import (
    InspectionKind,
    KindCategory,
    RecommendationStatus,
    SubjectResult,
)
from .models import (
    Status as InspectionStatus,
)

router = Router(tags=["inspections"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]
Text = Annotated[str, Field(..., min_length=1, max_length=500)]


class KindOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    category: KindCategory
    is_party: bool
    legal_basis: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None


class InspectionPlanOut(Schema):
    id: int
    unit_id: int
    year: int
    number: str
    title: str
    approved_on: datetime.date


class InspectionPlanIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int
    year: int = Field(..., ge=2000, le=2100)
    number: str = Field(..., min_length=1, max_length=60)
    title: str = Field(..., min_length=1, max_length=300)
    approved_on: datetime.date


class PlanItemIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind_id: int
    topic: Text
    starts_on: datetime.date
    ends_on: datetime.date
    subject_unit_ids: list[int] = []
    subject_staff_ids: list[int] = []
    team_lead_id: int | None = None
    team_member_ids: list[int] = []


class PlanItemOut(Schema):
    id: int
    kind_id: int
    topic: str
    starts_on: datetime.date
    ends_on: datetime.date
    subject_unit_ids: list[int]
    subject_staff_ids: list[int]
    team_lead_id: int | None
    inspection_ids: list[int]

    @staticmethod
    def resolve_subject_unit_ids(obj) -> list[int]:
        return [unit.pk for unit in obj.subject_units.all()]

    @staticmethod
    def resolve_subject_staff_ids(obj) -> list[int]:
        return [person.pk for person in obj.subject_staff.all()]

    @staticmethod
    def resolve_inspection_ids(obj) -> list[int]:
        return [inspection.pk for inspection in obj.inspections.all()]


class PlanDetail(InspectionPlanOut):
    items: list[PlanItemOut]


class PlanPage(Page):
    items: list[InspectionPlanOut]


class InspectionOut(Schema):
    id: int
    kind_id: int
    planned: bool
    plan_item_id: int | None
    deciding_unit_id: int
    topic: str
    decision_number: str
    decision_date: datetime.date | None
    status: InspectionStatus


class SubjectOut(Schema):
    id: int
    unit_id: int | None
    staff_id: int | None
    name: str
    result: SubjectResult | None

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


class RecommendationOut(Schema):
    id: int
    text: str
    responsible_unit_id: int
    due_date: datetime.date
    status: RecommendationStatus
    closed_on: datetime.date | None
    result_note: str
    task_id: int | None


class InspectionDetail(InspectionOut):
    covered_from: datetime.date | None
    covered_to: datetime.date | None
    team_lead_id: int | None
    team_member_ids: list[int]
    started_on: datetime.date | None
    conclusion_number: str
    conclusion_date: datetime.date | None
    conclusion_summary: str
    closed_on: datetime.date | None
    subjects: list[SubjectOut]
    recommendations: list[RecommendationOut]

    @staticmethod
    def resolve_team_member_ids(obj) -> list[int]:
        return [person.pk for person in obj.team_members.all()]


class InspectionPage(Page):
    items: list[InspectionOut]


class InspectionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    plan_item_id: int | None = None
    kind_id: int | None = None
    deciding_unit_id: int | None = None
    topic: str = Field("", max_length=500)
    decision_number: str = Field("", max_length=60)
    decision_date: datetime.date | None = None
    covered_from: datetime.date | None = None
    covered_to: datetime.date | None = None
    team_lead_id: int | None = None
    team_member_ids: list[int] = []
    subject_unit_ids: list[int] = []
    subject_staff_ids: list[int] = []


class InspectionDecideIn(Schema):
    model_config = ConfigDict(extra="forbid")
    decision_number: str = Field(..., min_length=1, max_length=60)
    decision_date: datetime.date


class InspectionStartIn(Schema):
    model_config = ConfigDict(extra="forbid")
    started_on: datetime.date | None = None


class ConcludeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    conclusion_number: str = Field(..., min_length=1, max_length=60)
    conclusion_date: datetime.date
    summary: str = Field(..., min_length=1)


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    closed_on: datetime.date | None = None


class SubjectIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int | None = None
    staff_id: int | None = None


class FindingIn(Schema):
    model_config = ConfigDict(extra="forbid")
    result: SubjectResult
    description: str = Field(..., min_length=1)


class FindingOut(Schema):
    id: int
    result: str
    description: str
    recorded_at: datetime.datetime
    file_names: list[str]

    @staticmethod
    def resolve_file_names(obj) -> list[str]:
        return [file.name for file in obj.files.all()]


class SubjectDetail(SubjectOut):
    inspection_id: int
    findings: list[FindingOut]


class RecommendationIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1)
    responsible_unit_id: int
    due_date: datetime.date


class RecommendationCloseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    carried_out: bool = True
    note: str = Field(..., min_length=1)
    closed_on: datetime.date | None = None


class TaskRef(Schema):
    task_id: int


class KindFigure(Schema):
    kind_id: int
    kind: str
    planned: int
    unannounced: int


class InspectionStatisticsOut(Schema):
    unit_id: int
    start: datetime.date
    end: datetime.date
    inspections: int
    planned: int
    unannounced: int
    supervisions: int
    organisations: int
    individuals: int
    organisations_violating: int
    individuals_violating: int
    party_members: int
    party_members_violating: int
    by_kind: list[KindFigure]


class AccessOut(Schema):
    id: int
    at: datetime.datetime
    user_id: int | None
    user_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    subject_unit_id: int


class AccessPage(Page):
    items: list[AccessOut]


def _unit(request, unit_id: int | None) -> Unit | None:
    return None if unit_id is None else unit_get(actor=request.user, unit_id=unit_id)


def _staff(request, staff_id: int | None) -> Staff | None:
    return None if staff_id is None else staff_get(actor=request.user, staff_id=staff_id)


def _kind(kind_id: int | None) -> InspectionKind | None:
    if kind_id is None:
        return None
    kind = InspectionKind.objects.filter(pk=kind_id).first()
    if kind is None:
        raise ValidationError({"kind_id": _("Choose one of the allowed values.")})
    return kind


def _detail(request, inspection_id: int):
    return selectors.inspection_get(actor=request.user, inspection_id=inspection_id)


@router.get("/inspections/kinds", response={200: list[KindOut], **LIST_ERRORS}, summary="Kinds of inspection")
def list_kinds(request):
    return selectors.kinds()


@router.get("/inspections/plans", response={200: PlanPage, **LIST_ERRORS}, summary="Inspection plans")
def list_plans(request, year: int | None = None, limit: Limit = 50, offset: Offset = 0):
    items, page = paginate(selectors.plan_list(actor=request.user, year=year), limit=limit, offset=offset)
    return {**page, "items": items}


@router.post("/inspections/plans", response={201: InspectionPlanOut, **WRITE_ERRORS}, summary="Create a plan")
def create_plan(request, payload: InspectionPlanIn):
    data = payload.dict()
    data["unit"] = _unit(request, data.pop("unit_id"))
    return Status(201, services.plan_create(actor=request.user, **data))


def _plan_detail(request, plan_id: int):
    plan = selectors.plan_get(actor=request.user, plan_id=plan_id)
    plan.items_list = list(selectors.plan_items(plan))
    return {**InspectionPlanOut.from_orm(plan).dict(), "items": plan.items_list}


@router.get("/inspections/plans/{int:plan_id}", response={200: PlanDetail, **READ_ERRORS}, summary="A plan")
def get_plan(request, plan_id: int):
    return _plan_detail(request, plan_id)


@router.post(
    "/inspections/plans/{int:plan_id}/items",
    response={201: PlanItemOut, **WRITE_ERRORS},
    summary="Add a plan item",
)
def add_plan_item(request, plan_id: int, payload: PlanItemIn):
    plan = selectors.plan_get(actor=request.user, plan_id=plan_id)
    kind = _kind(payload.kind_id)
    item = services.plan_item_add(
        actor=request.user,
        plan=plan,
        kind=kind,
        topic=payload.topic,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        subject_units=[_unit(request, pk) for pk in payload.subject_unit_ids],
        subject_staff=[_staff(request, pk) for pk in payload.subject_staff_ids],
        team_lead=_staff(request, payload.team_lead_id),
        team_members=[_staff(request, pk) for pk in payload.team_member_ids],
    )
    return Status(201, item)


@router.get(
    "/inspections/statistics",
    response={200: InspectionStatisticsOut, **READ_ERRORS, **LIST_ERRORS},
    summary="Statistics",
)
def statistics(request, unit_id: int, start: datetime.date, end: datetime.date):
    unit = selectors.visible_unit(actor=request.user, unit_id=unit_id)
    if end < start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    figures = selectors.inspection_figures(unit_id=unit.pk, start=start, end=end)
    return {
        "unit_id": unit.pk,
        "start": start,
        "end": end,
        "inspections": figures.inspections,
        "planned": figures.planned,
        "unannounced": figures.unannounced,
        "supervisions": figures.supervisions,
        "organisations": figures.orgs,
        "individuals": figures.people,
        "organisations_violating": figures.orgs_violating,
        "individuals_violating": figures.people_violating,
        "party_members": figures.party_people,
        "party_members_violating": figures.party_people_violating,
        "by_kind": [
            {
                "kind_id": row.kind.pk,
                "kind": row.kind.code,
                "planned": row.planned,
                "unannounced": row.unannounced,
            }
            for row in figures.by_kind
        ],
    }


@router.get("/inspections/access-log", response={200: AccessPage, **LIST_ERRORS}, summary="Access log")
def list_access_log(
    request,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    rows = selectors.access_log(actor=request.user, object_type=object_type, object_id=object_id)
    items, page = paginate(rows, limit=limit, offset=offset)
    return {**page, "items": items}


class InspectionFiltersIn(Schema):
    unit_id: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    kind_id: int | None = None
    planned: bool | None = None
    status: InspectionStatus | None = None
    limit: Limit = 50
    offset: Offset = 0


@router.get(
    "/inspections", response={200: InspectionPage, **LIST_ERRORS}, summary="Inspections and supervisions"
)
def list_inspections(request, filters: Query[InspectionFiltersIn]):
    data = filters.dict()
    limit, offset = data.pop("limit"), data.pop("offset")
    rows = selectors.inspection_list(actor=request.user, filters=selectors.InspectionFilters(**data))
    items, page = paginate(rows, limit=limit, offset=offset)
    return {**page, "items": items}


@router.post("/inspections", response={201: InspectionDetail, **WRITE_ERRORS}, summary="Create an inspection")
def create_inspection(request, payload: InspectionIn):
    plan_item = None
    if payload.plan_item_id is not None:
        plan_item = selectors.plan_item_get(actor=request.user, item_id=payload.plan_item_id)
    inspection = services.inspection_create(
        actor=request.user,
        plan_item=plan_item,
        kind=_kind(payload.kind_id),
        deciding_unit=_unit(request, payload.deciding_unit_id),
        topic=payload.topic,
        decision_number=payload.decision_number,
        decision_date=payload.decision_date,
        covered_from=payload.covered_from,
        covered_to=payload.covered_to,
        team_lead=_staff(request, payload.team_lead_id),
        team_members=[_staff(request, pk) for pk in payload.team_member_ids],
        subject_units=[_unit(request, pk) for pk in payload.subject_unit_ids],
        subject_staff=[_staff(request, pk) for pk in payload.subject_staff_ids],
    )
    return Status(201, _detail(request, inspection.pk))


@router.get(
    "/inspections/{int:inspection_id}",
    response={200: InspectionDetail, **READ_ERRORS},
    summary="An inspection",
)
def get_inspection(request, inspection_id: int):
    inspection = _detail(request, inspection_id)
    for subject in inspection.subjects.all():
        if not selectors.may_read_findings(request.user, subject):
            subject.result = None  # a person's result is confidential
    return inspection


@router.post(
    "/inspections/{int:inspection_id}/decide",
    response={200: InspectionDetail, **WRITE_ERRORS},
    summary="Decide",
)
def decide(request, inspection_id: int, payload: InspectionDecideIn):
    inspection = _detail(request, inspection_id)
    services.inspection_decide(actor=request.user, inspection=inspection, **payload.dict())
    return _detail(request, inspection_id)


@router.post(
    "/inspections/{int:inspection_id}/start",
    response={200: InspectionDetail, **WRITE_ERRORS},
    summary="Start",
)
def start(request, inspection_id: int, payload: InspectionStartIn):
    inspection = _detail(request, inspection_id)
    services.inspection_start(actor=request.user, inspection=inspection, started_on=payload.started_on)
    return _detail(request, inspection_id)


@router.post(
    "/inspections/{int:inspection_id}/conclude",
    response={200: InspectionDetail, **WRITE_ERRORS},
    summary="Conclude",
)
def conclude(request, inspection_id: int, payload: ConcludeIn):
    inspection = _detail(request, inspection_id)
    services.inspection_conclude(actor=request.user, inspection=inspection, **payload.dict())
    return _detail(request, inspection_id)


@router.post(
    "/inspections/{int:inspection_id}/close",
    response={200: InspectionDetail, **WRITE_ERRORS},
    summary="Close follow-up",
)
def close(request, inspection_id: int, payload: CloseIn):
    inspection = _detail(request, inspection_id)
    services.inspection_close(actor=request.user, inspection=inspection, closed_on=payload.closed_on)
    return _detail(request, inspection_id)


@router.post(
    "/inspections/{int:inspection_id}/subjects",
    response={201: SubjectOut, **WRITE_ERRORS},
    summary="Add a subject",
)
def add_subject(request, inspection_id: int, payload: SubjectIn):
    inspection = _detail(request, inspection_id)
    subject = services.subject_add(
        actor=request.user,
        inspection=inspection,
        unit=_unit(request, payload.unit_id),
        staff=_staff(request, payload.staff_id),
    )
    return Status(201, subject)


@router.get(
    "/inspections/subjects/{int:subject_id}",
    response={200: SubjectDetail, **READ_ERRORS},
    summary="A subject and its findings",
)
def get_subject(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    if subject.is_individual:
        services.access_record(
            actor=request.user, action="view", instance=subject, subject_unit_id=subject.subject_unit_id
        )
    return {
        **SubjectOut.from_orm(subject).dict(),
        "inspection_id": subject.inspection_id,
        "findings": list(selectors.subject_findings(subject)),
    }


@router.post(
    "/inspections/subjects/{int:subject_id}/findings",
    response={201: FindingOut, **WRITE_ERRORS},
    summary="Record a finding",
)
def add_finding(request, subject_id: int, payload: FindingIn):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    finding = services.finding_record(
        actor=request.user, subject=subject, result=payload.result, description=payload.description
    )
    return Status(201, finding)


@router.post(
    "/inspections/{int:inspection_id}/recommendations",
    response={201: RecommendationOut, **WRITE_ERRORS},
    summary="Add a recommendation",
)
def add_recommendation(request, inspection_id: int, payload: RecommendationIn):
    inspection = _detail(request, inspection_id)
    recommendation = services.recommendation_add(
        actor=request.user,
        inspection=inspection,
        text=payload.text,
        responsible_unit=_unit(request, payload.responsible_unit_id),
        due_date=payload.due_date,
    )
    return Status(201, recommendation)


@router.post(
    "/inspections/recommendations/{int:recommendation_id}/close",
    response={200: RecommendationOut, **WRITE_ERRORS},
    summary="Close a recommendation",
)
def close_recommendation(request, recommendation_id: int, payload: RecommendationCloseIn):
    recommendation = selectors.recommendation_get(actor=request.user, recommendation_id=recommendation_id)
    return services.recommendation_close(actor=request.user, recommendation=recommendation, **payload.dict())


@router.post(
    "/inspections/recommendations/{int:recommendation_id}/task",
    response={201: TaskRef, **WRITE_ERRORS},
    summary="Make a recommendation a task",
)
def recommendation_task(request, recommendation_id: int):
    recommendation = selectors.recommendation_get(actor=request.user, recommendation_id=recommendation_id)
    task = services.recommendation_to_task(actor=request.user, recommendation=recommendation)
    return Status(201, {"task_id": task.pk})
