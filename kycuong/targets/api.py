"""API for indicators (targets, actual figures, progress) and public investment (projects, capital plans,
disbursements, the dashboard, Excel import and export). Amounts are whole đồng."""

import datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, Problem, paginate
from kycuong.core.calendar import today
from kycuong.core.scoping import has_any_grant
from kycuong.org.selectors import unit_get

from . import excel, selectors, services
from .models import Direction, Frequency, MeasureKind

router = Router(tags=["targets"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]
Year = Annotated[int, Field(ge=2000, le=2100)]
Amount = Annotated[int, Field(ge=0, le=services.MAX_AMOUNT)]


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    unit_of_measure: str
    direction: Direction
    owner_unit_id: int
    additive: bool
    measure_kind: MeasureKind
    frequency: Frequency
    tolerance_percent: Decimal
    valid_from: datetime.date | None
    valid_to: datetime.date | None


class IndicatorPage(Page):
    items: list[IndicatorOut]


class IndicatorIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=300)
    name_en: str = Field("", max_length=300)
    unit_of_measure: str = Field(..., min_length=1, max_length=40)
    owner_unit_id: int
    direction: Direction = Direction.HIGHER
    additive: bool = False
    measure_kind: MeasureKind = MeasureKind.YEAR_TO_DATE
    frequency: Frequency = Frequency.MONTHLY
    tolerance_percent: Decimal = Field(Decimal(5), ge=0, le=100)
    description: str = ""
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int
    year: Year
    target_min: Decimal | None = None
    target_max: Decimal | None = None
    valid_from: datetime.date | None = None
    note: str = Field("", max_length=500)


class TargetOut(Schema):
    id: int
    indicator_id: int
    unit_id: int
    year: int
    target_min: Decimal | None
    target_max: Decimal | None
    valid_from: datetime.date
    note: str


class ActualIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int
    year: Year
    month: int = Field(..., ge=1, le=12)
    value: Decimal
    source: str = Field("", max_length=300)
    note: str = Field("", max_length=500)


class ActualOut(Schema):
    id: int
    indicator_id: int
    unit_id: int
    year: int
    month: int
    value: Decimal
    source: str
    note: str


class PointOut(Schema):
    month: int
    value: Decimal


class ProgressOut(Schema):
    indicator_id: int
    unit_id: int
    year: int
    rolled_up: bool
    series: list[PointOut]
    target_min: Decimal | None
    target_max: Decimal | None
    year_to_date: Decimal | None
    forecast: Decimal | None
    goal: Decimal | None
    status: str


class ProjectIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=500)
    investor_unit_id: int
    responsible_unit_id: int


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    investor_unit_id: int
    responsible_unit_id: int


class ProjectYearOut(Schema):
    project_id: int
    code: str
    name: str
    responsible_unit_id: int
    responsible_unit_name: str
    year: int
    assigned_amount: int
    local_amount: int
    total_amount: int
    disbursed: int
    rate_assigned: Decimal | None
    rate_total: Decimal | None

    @staticmethod
    def resolve_code(obj) -> str:
        return obj.project.code

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.project.name

    @staticmethod
    def resolve_responsible_unit_name(obj) -> str:
        return obj.responsible_unit.name

    @staticmethod
    def resolve_rate_assigned(obj) -> Decimal | None:
        from .progress import rate

        return rate(obj.disbursed, obj.assigned_amount)

    @staticmethod
    def resolve_rate_total(obj) -> Decimal | None:
        from .progress import rate

        return rate(obj.disbursed, obj.total_amount)


class ProjectYearPage(Page):
    items: list[ProjectYearOut]


class CapitalPlanIn(Schema):
    model_config = ConfigDict(extra="forbid")
    year: Year
    assigned_amount: Amount
    local_amount: Amount = 0
    effective_on: datetime.date | None = None
    decision: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class CapitalPlanOut(Schema):
    id: int
    project_id: int
    year: int
    effective_on: datetime.date
    assigned_amount: int
    local_amount: int
    decision: str
    note: str


class DisbursementIn(Schema):
    model_config = ConfigDict(extra="forbid")
    plan_year: Year
    paid_on: datetime.date
    amount: Annotated[int, Field(ge=1, le=services.MAX_AMOUNT)]
    reference: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class DisbursementOut(Schema):
    id: int
    project_id: int
    plan_year: int
    paid_on: datetime.date
    amount: int
    reference: str
    note: str


class ProjectYearDetail(Schema):
    project: ProjectOut
    year: int
    as_of: datetime.date
    assigned_amount: int
    total_amount: int
    disbursed: int
    rate_assigned: Decimal | None
    rate_total: Decimal | None
    lagging: bool
    plans: list[CapitalPlanOut]
    disbursements: list[DisbursementOut]


class FollowUpIn(Schema):
    model_config = ConfigDict(extra="forbid")
    plan_year: Year
    due_date: datetime.date | None = None
    due_working_days: int | None = Field(None, ge=1, le=365)


class FollowUpOut(Schema):
    project_id: int
    task_id: int
    plan_year: int


class DisbursementFiguresOut(Schema):
    projects: int
    assigned_amount: int
    local_amount: int
    total_amount: int
    disbursed: int
    rate_assigned: Decimal | None
    rate_total: Decimal | None
    lagging_projects: int


class UnitFiguresOut(DisbursementFiguresOut):
    unit_id: int
    unit_name: str
    unit_code: str
    lagging: bool


class MonthOut(Schema):
    month: int
    label: str
    disbursed: int | None
    cumulative: int | None
    actual_percent: Decimal | None
    path_percent: Decimal


class DisbursementDashboardOut(Schema):
    year: int
    as_of: datetime.date
    target_percent: Decimal
    lag_margin_points: Decimal
    path_percent_today: Decimal
    lag_threshold_percent: Decimal
    totals: DisbursementFiguresOut
    units: list[UnitFiguresOut]
    months: list[MonthOut]


class TargetImportErrorOut(Schema):
    row: int | None = Field(None, description="The row number Excel shows; empty for the file as a whole")
    column: str
    message: str


class TargetImportOut(Schema):
    created: int
    errors: list[TargetImportErrorOut]


# --- indicators ------------------------------------------------------------------------------------------


@router.get("/targets/indicators", response={200: IndicatorPage, **LIST_ERRORS}, summary="Indicators")
def list_indicators(request, q: str | None = None, limit: Limit = 50, offset: Offset = 0):
    items, page = paginate(selectors.indicator_list(actor=request.user, q=q), limit=limit, offset=offset)
    return {"items": items, **page}


@router.get(
    "/targets/indicators/{int:indicator_id}",
    response={200: IndicatorOut, **READ_ERRORS},
    summary="One indicator",
)
def get_indicator(request, indicator_id: int):
    return selectors.indicator_get(actor=request.user, indicator_id=indicator_id)


@router.post(
    "/targets/indicators", response={201: IndicatorOut, **WRITE_ERRORS}, summary="Define an indicator"
)
def create_indicator(request, payload: IndicatorIn):
    data = payload.dict()
    owner = unit_get(actor=request.user, unit_id=data.pop("owner_unit_id"))
    return Status(201, services.indicator_create(actor=request.user, owner_unit=owner, **data))


@router.post(
    "/targets/indicators/{int:indicator_id}/targets",
    response={201: TargetOut, **WRITE_ERRORS},
    summary="Set or revise a target for a unit and year",
)
def set_target(request, indicator_id: int, payload: TargetIn):
    indicator = selectors.indicator_get(actor=request.user, indicator_id=indicator_id)
    data = payload.dict()
    unit = unit_get(actor=request.user, unit_id=data.pop("unit_id"))
    return Status(201, services.target_set(actor=request.user, indicator=indicator, unit=unit, **data))


@router.post(
    "/targets/indicators/{int:indicator_id}/actuals",
    response={201: ActualOut, **WRITE_ERRORS},
    summary="Record (or correct) the actual figure of a month or quarter",
)
def record_actual(request, indicator_id: int, payload: ActualIn):
    indicator = selectors.indicator_get(actor=request.user, indicator_id=indicator_id)
    data = payload.dict()
    unit = unit_get(actor=request.user, unit_id=data.pop("unit_id"))
    return Status(201, services.actual_record(actor=request.user, indicator=indicator, unit=unit, **data))


@router.get(
    "/targets/indicators/{int:indicator_id}/progress",
    response={200: ProgressOut, **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="A unit's figures of a year with target, forecast and status",
)
def indicator_progress(request, indicator_id: int, unit_id: int, year: Year):
    indicator = selectors.indicator_get(actor=request.user, indicator_id=indicator_id)
    unit = selectors.visible_unit(actor=request.user, unit_id=unit_id, permission=selectors.VIEW_INDICATOR)
    result = selectors.indicator_progress(actor=request.user, indicator=indicator, unit=unit, year=year)
    return {
        "indicator_id": indicator.pk,
        "unit_id": unit.pk,
        "year": year,
        "rolled_up": result.rolled_up,
        "series": [{"month": month, "value": value} for month, value in result.series],
        "target_min": result.target_min,
        "target_max": result.target_max,
        "year_to_date": result.year_to_date,
        "forecast": result.forecast,
        "goal": result.goal,
        "status": result.status,
    }


# --- public investment ------------------------------------------------------------------------------------


def _figures(figures) -> dict:
    return {
        "projects": figures.projects,
        "assigned_amount": figures.assigned,
        "local_amount": figures.local,
        "total_amount": figures.total,
        "disbursed": figures.disbursed,
        "rate_assigned": figures.rate_assigned,
        "rate_total": figures.rate_total,
        "lagging_projects": figures.lagging,
    }


@router.get(
    "/targets/dashboard",
    response={200: DisbursementDashboardOut, **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="Disbursement of a plan year: both rates, by responsible unit, monthly curve against the path",
)
def dashboard(request, year: Year, unit_id: int | None = None):
    if unit_id is not None:
        selectors.visible_unit(actor=request.user, unit_id=unit_id, permission=selectors.VIEW_PROJECT)
    board = selectors.disbursement_dashboard(actor=request.user, year=year, unit_id=unit_id)
    return {
        "year": board.year,
        "as_of": board.day,
        "target_percent": board.rule.target_percent,
        "lag_margin_points": board.rule.lag_margin_points,
        "path_percent_today": board.path_today.quantize(Decimal("0.01")),
        "lag_threshold_percent": board.threshold.quantize(Decimal("0.01")),
        "totals": _figures(board.totals),
        "units": [
            {
                **_figures(row),
                "unit_id": row.unit_id,
                "unit_name": row.unit_name,
                "unit_code": row.unit_code,
                "lagging": row.is_lagging,
            }
            for row in board.units
        ],
        "months": board.months,
    }


class ProjectFiltersIn(Schema):
    year: Year
    unit_id: int | None = None
    lagging: bool = False
    q: str | None = None
    sort: str = Field("code", pattern="^(code|rate|-plan)$")
    limit: Limit = 50
    offset: Offset = 0


@router.get(
    "/targets/projects",
    response={200: ProjectYearPage, **LIST_ERRORS},
    summary="Projects with a plan for the year, their plan in force and what they disbursed",
)
def list_projects(request, filters: Query[ProjectFiltersIn]):
    rows = selectors.project_list(
        actor=request.user,
        year=filters.year,
        unit_id=filters.unit_id,
        lagging=filters.lagging,
        q=filters.q,
        sort=filters.sort,
    )
    items, page = paginate(rows, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.post("/targets/projects", response={201: ProjectOut, **WRITE_ERRORS}, summary="Register a project")
def create_project(request, payload: ProjectIn):
    data = payload.dict()
    investor = unit_get(actor=request.user, unit_id=data.pop("investor_unit_id"))
    responsible = unit_get(actor=request.user, unit_id=data.pop("responsible_unit_id"))
    project = services.project_create(
        actor=request.user, investor_unit=investor, responsible_unit=responsible, **data
    )
    return Status(201, project)


@router.get(
    "/targets/projects/{int:project_id}",
    response={200: ProjectYearDetail, **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="A project's plan year: revisions, disbursements, both rates",
)
def get_project(request, project_id: int, year: Year):
    project = selectors.project_get(actor=request.user, project_id=project_id)
    view = selectors.project_year_view(project=project, year=year)
    return {
        "project": project,
        "year": year,
        "as_of": view.day,
        "assigned_amount": view.assigned,
        "total_amount": view.total,
        "disbursed": view.disbursed,
        "rate_assigned": view.rate_assigned,
        "rate_total": view.rate_total,
        "lagging": view.is_lagging,
        "plans": view.revisions,
        "disbursements": view.disbursements,
    }


@router.post(
    "/targets/projects/{int:project_id}/plans",
    response={201: CapitalPlanOut, **WRITE_ERRORS},
    summary="Record the capital plan of a year, or a revision of it",
)
def revise_plan(request, project_id: int, payload: CapitalPlanIn):
    project = selectors.project_get(actor=request.user, project_id=project_id)
    return Status(201, services.plan_revise(actor=request.user, project=project, **payload.dict()))


@router.post(
    "/targets/projects/{int:project_id}/disbursements",
    response={201: DisbursementOut, **WRITE_ERRORS},
    summary="Record a disbursement (1 January of the plan year to 31 January of the next)",
)
def record_disbursement(request, project_id: int, payload: DisbursementIn):
    project = selectors.project_get(actor=request.user, project_id=project_id)
    return Status(201, services.disbursement_record(actor=request.user, project=project, **payload.dict()))


@router.post(
    "/targets/projects/{int:project_id}/follow-up",
    response={201: FollowUpOut, **WRITE_ERRORS},
    summary="Give the responsible unit a task to speed up disbursement",
)
def follow_up(request, project_id: int, payload: FollowUpIn):
    project = selectors.project_get(actor=request.user, project_id=project_id)
    data = payload.dict()
    if data["due_date"] is None and data["due_working_days"] is None:
        data["due_working_days"] = 10
    link = services.project_follow_up(actor=request.user, project=project, **data)
    return Status(201, link)


@router.get(
    "/targets/projects/export.xlsx",
    response={200: None, **LIST_ERRORS},
    summary="The filtered project list of a year as .xlsx",
)
def export_projects(request, filters: Query[ProjectFiltersIn]):
    rows = selectors.project_list(
        actor=request.user, year=filters.year, unit_id=filters.unit_id, lagging=filters.lagging, q=filters.q
    )
    response = HttpResponse(excel.export_projects(rows, filters.year), content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="giai-ngan-{filters.year}-{today():%Y%m%d}.xlsx"'
    return response


@router.post(
    "/targets/import/{kind}",
    response={
        201: TargetImportOut,
        422: TargetImportOut | Problem,
        401: LIST_ERRORS[401],
        403: WRITE_ERRORS[403],
        404: READ_ERRORS[404],
    },
    summary="Import capital plans or disbursements from the .xlsx template: all rows or none",
)
def import_file(request, kind: str, file: File[UploadedFile]):
    from django.http import Http404

    if kind not in excel.SHEETS:
        raise Http404
    if not has_any_grant(request.user, excel.SHEETS[kind].permission):
        raise PermissionDenied
    result = excel.import_sheet(actor=request.user, kind=kind, file=file)
    body = {
        "created": result.created,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors],
    }
    return Status(201 if result.ok else 422, body)
