"""API of the processes app: catalogue, BPMN import and step builder, instances, steps, queues, statistics."""

import datetime
from typing import Annotated, Literal

from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, paginate
from kycuong.org.selectors import unit_get

from . import selectors, services
from .bpmn import MAX_BPMN_BYTES, BuilderStep
from .models import LimitUnit

router = Router(tags=["processes"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]


class StepSpecOut(Schema):
    bpmn_id: str
    name: str
    role: str
    unit_ref: str
    limit_value: int | None
    limit_unit: LimitUnit
    decisions: list[str]


class DefinitionOut(Schema):
    id: int
    owner_unit_id: int
    code: str
    name: str
    scope: str
    version: int
    valid_from: datetime.date
    valid_to: datetime.date | None
    state: str
    limit_value: int | None
    limit_unit: LimitUnit
    interconnected: bool


class DefinitionDetail(DefinitionOut):
    bpmn_process_id: str
    steps: list[StepSpecOut]

    @staticmethod
    def resolve_steps(obj) -> list:
        return list(obj.step_specs.all())


class DefinitionPage(Page):
    items: list[DefinitionOut]


class BuilderStepIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=200)
    role: str = Field("", max_length=40)
    unit_ref: str = Field("", max_length=40)
    limit_value: int = Field(..., ge=1, le=2000)
    limit_unit: LimitUnit = LimitUnit.DAYS
    escalate: bool = True


class BuildIn(Schema):
    model_config = ConfigDict(extra="forbid")
    owner_unit_id: int
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=300)
    scope: str = ""
    valid_from: datetime.date | None = None
    steps: list[BuilderStepIn] = Field(..., min_length=1, max_length=50)


class ProcessStepOut(Schema):
    id: int
    instance_id: int
    name: str
    bpmn_id: str
    unit_id: int
    role: str
    assignee_id: int | None
    state: str
    started_at: datetime.datetime
    due_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    limit_value: int | None
    limit_unit: LimitUnit
    allowed_minutes: int | None
    used_minutes: int | None
    paused_minutes: int
    outcome: str
    result: str
    decision: str


class InstanceOut(Schema):
    id: int
    definition_id: int
    unit_id: int
    case_kind: str
    case_reference: str
    case_title: str
    state: str
    started_at: datetime.datetime
    due_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    outcome: str
    allowed_minutes: int | None
    used_minutes: int | None
    paused_minutes: int
    current_steps: str


class InstanceDetail(InstanceOut):
    participant_unit_ids: list[int]
    steps: list[ProcessStepOut]

    @staticmethod
    def resolve_participant_unit_ids(obj) -> list[int]:
        return sorted(unit.pk for unit in obj.participant_units.all())

    @staticmethod
    def resolve_steps(obj) -> list:
        return list(obj.steps.all())


class InstancePage(Page):
    items: list[InstanceOut]


class StepPage(Page):
    items: list[ProcessStepOut]


class ProcessStartIn(Schema):
    model_config = ConfigDict(extra="forbid")
    definition_id: int
    case_kind: Literal["dossier", "request", "document", "petition"]
    case_reference: str = Field(..., min_length=1, max_length=60)
    case_title: str = Field(..., min_length=1, max_length=300)


class ProcessReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=500)


class ReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")
    to_step: str = Field(..., min_length=1, max_length=100)
    reason: str = Field(..., min_length=1, max_length=2000)


class ProcessFiguresOut(Schema):
    finished: int
    early: int
    on_time: int
    late: int
    timely_rate: float | None
    average_hours: float | None


class NamedFigures(Schema):
    id: int
    name: str
    figures: ProcessFiguresOut


class ProcessFigures(Schema):
    code: str
    name: str
    figures: ProcessFiguresOut


class ProcessStatisticsOut(Schema):
    unit_id: int
    start: datetime.date
    end: datetime.date
    level: str
    code: str | None
    total: ProcessFiguresOut
    by_process: list[ProcessFigures]
    by_subunit: list[NamedFigures]


def _definition(request, definition_id: int):
    return selectors.definition_get(actor=request.user, definition_id=definition_id)


@router.get(
    "/processes/definitions", response={200: DefinitionPage, **LIST_ERRORS}, summary="Process catalogue"
)
def list_definitions(
    request,
    q: str | None = None,
    unit_id: int | None = None,
    state: Literal["active", "retired", "all"] = "active",
    limit: Limit = 50,
    offset: Offset = 0,
):
    queryset = selectors.definition_list(
        actor=request.user, q=q, unit_id=unit_id, state=None if state == "all" else state
    )
    items, page = paginate(queryset, limit=limit, offset=offset)
    return {**page, "items": items}


@router.get(
    "/processes/definitions/{int:definition_id}",
    response={200: DefinitionDetail, **READ_ERRORS},
    summary="A process with its steps",
)
def get_definition(request, definition_id: int):
    return _definition(request, definition_id)


@router.post(
    "/processes/definitions/import",
    response={201: DefinitionDetail, **WRITE_ERRORS},
    summary="Import a BPMN 2.0 file (multipart) as a process or a new version of one",
)
def import_definition(
    request,
    owner_unit_id: Form[int],
    code: Form[str],
    file: File[UploadedFile],
    name: Form[str] = "",
    scope: Form[str] = "",
    valid_from: Form[datetime.date | None] = None,
):
    owner = unit_get(actor=request.user, unit_id=owner_unit_id)
    definition = services.definition_import(
        actor=request.user,
        owner_unit=owner,
        code=code,
        name=name,
        scope=scope,
        valid_from=valid_from,
        data=file.read(MAX_BPMN_BYTES + 1),
    )
    return Status(201, _definition(request, definition.pk))


@router.post(
    "/processes/definitions/build",
    response={201: DefinitionDetail, **WRITE_ERRORS},
    summary="Generate a linear process from its steps",
)
def build_definition(request, payload: BuildIn):
    owner = unit_get(actor=request.user, unit_id=payload.owner_unit_id)
    definition = services.definition_build(
        actor=request.user,
        owner_unit=owner,
        code=payload.code,
        name=payload.name,
        scope=payload.scope,
        valid_from=payload.valid_from,
        steps=[BuilderStep(**step.dict()) for step in payload.steps],
    )
    return Status(201, _definition(request, definition.pk))


@router.post(
    "/processes/definitions/{int:definition_id}/retire",
    response={200: DefinitionDetail, **WRITE_ERRORS},
    summary="Retire a process",
)
def retire_definition(request, definition_id: int):
    services.definition_retire(actor=request.user, definition=_definition(request, definition_id))
    return _definition(request, definition_id)


class InstanceFiltersIn(Schema):
    unit_id: int | None = None
    definition_id: int | None = None
    code: str | None = None
    state: Literal["running", "paused", "completed", "cancelled"] | None = None
    outcome: Literal["early", "on_time", "late"] | None = None
    completed_from: datetime.date | None = None
    completed_to: datetime.date | None = None
    q: str | None = None
    limit: Limit = 50
    offset: Offset = 0


@router.get(
    "/processes/instances", response={200: InstancePage, **LIST_ERRORS}, summary="Cases run by processes"
)
def list_instances(request, filters: Query[InstanceFiltersIn]):
    data = filters.dict()
    limit, offset = data.pop("limit"), data.pop("offset")
    queryset = selectors.instance_list(actor=request.user, filters=selectors.InstanceFilters(**data))
    items, page = paginate(queryset, limit=limit, offset=offset)
    return {**page, "items": items}


def _instance(request, instance_id: int):
    return selectors.instance_get(actor=request.user, instance_id=instance_id)


@router.post(
    "/processes/instances", response={201: InstanceDetail, **WRITE_ERRORS}, summary="Start a process"
)
def start_instance(request, payload: ProcessStartIn):
    definition = _definition(request, payload.definition_id)
    instance = services.instance_start(
        actor=request.user,
        definition=definition,
        case_kind=payload.case_kind,
        case_reference=payload.case_reference,
        case_title=payload.case_title,
    )
    return Status(201, _instance(request, instance.pk))


@router.get(
    "/processes/instances/{int:instance_id}",
    response={200: InstanceDetail, **READ_ERRORS},
    summary="A case: where it is, who holds it, time used and allowed",
)
def get_instance(request, instance_id: int):
    return _instance(request, instance_id)


@router.post(
    "/processes/instances/{int:instance_id}/pause",
    response={200: InstanceDetail, **WRITE_ERRORS},
    summary="Wait for the citizen (the clock stops)",
)
def pause_instance(request, instance_id: int, payload: ProcessReasonIn):
    services.instance_pause(
        actor=request.user, instance=_instance(request, instance_id), reason=payload.reason
    )
    return _instance(request, instance_id)


@router.post(
    "/processes/instances/{int:instance_id}/resume",
    response={200: InstanceDetail, **WRITE_ERRORS},
    summary="Resume a paused case",
)
def resume_instance(request, instance_id: int):
    services.instance_resume(actor=request.user, instance=_instance(request, instance_id))
    return _instance(request, instance_id)


@router.get("/processes/steps", response={200: StepPage, **LIST_ERRORS}, summary="Queues of open steps")
def list_steps(
    request, queue: Literal["mine", "unit", "overdue"] = "mine", limit: Limit = 50, offset: Offset = 0
):
    if queue == "mine":
        queryset = selectors.my_steps(actor=request.user)
    elif queue == "unit":
        queryset = selectors.unit_steps(actor=request.user)
    else:
        queryset = selectors.overdue_steps(actor=request.user)
    items, page = paginate(queryset, limit=limit, offset=offset)
    return {**page, "items": items}


def _step(request, step_id: int):
    return selectors.step_get(actor=request.user, step_id=step_id)


@router.post(
    "/processes/steps/{int:step_id}/complete",
    response={200: ProcessStepOut, **WRITE_ERRORS},
    summary="Complete a step with its result (multipart, with files)",
)
def complete_step(
    request,
    step_id: int,
    result: Form[str],
    decision: Form[str] = "",
    files: File[list[UploadedFile]] = None,
):
    step = services.step_complete(
        actor=request.user, step=_step(request, step_id), result=result, decision=decision, files=files or []
    )
    return _step(request, step.pk)


@router.post(
    "/processes/steps/{int:step_id}/return",
    response={200: ProcessStepOut, **WRITE_ERRORS},
    summary="Return the case to an earlier step with a reason",
)
def return_step(request, step_id: int, payload: ReturnIn):
    step = services.step_return(
        actor=request.user, step=_step(request, step_id), to_bpmn_id=payload.to_step, reason=payload.reason
    )
    return _step(request, step.pk)


@router.post(
    "/processes/steps/{int:step_id}/claim",
    response={200: ProcessStepOut, **WRITE_ERRORS},
    summary="Take a step",
)
def claim_step(request, step_id: int):
    services.step_claim(actor=request.user, step=_step(request, step_id))
    return _step(request, step_id)


def _figures(figures) -> dict:
    return {
        "finished": figures.finished,
        "early": figures.early,
        "on_time": figures.on_time,
        "late": figures.late,
        "timely_rate": figures.timely_rate,
        "average_hours": figures.average_hours,
    }


@router.get(
    "/processes/statistics",
    response={200: ProcessStatisticsOut, **READ_ERRORS, 422: READ_ERRORS[404]},
    summary="Handled early or on time, average handling time, by process and sub-unit",
)
def get_statistics(
    request,
    unit_id: int,
    start: datetime.date,
    end: datetime.date,
    level: Literal["instance", "step"] = "instance",
    code: str | None = None,
    by_process: bool = False,
):
    """Totals, by month and by direct sub-unit; by process as well when `by_process` is true, which reads the
    figures of every process in every unit of the subtree and so costs more at the city's scale."""
    unit = unit_get(actor=request.user, unit_id=unit_id)
    data = selectors.statistics(
        actor=request.user,
        unit_id=unit.pk,
        start=start,
        end=end,
        level=level,
        code=code,
        by_process=by_process,
    )
    return {
        "unit_id": unit.pk,
        "start": start,
        "end": end,
        "level": level,
        "code": code,
        "total": _figures(data["total"]),
        "by_process": [
            {"code": process_code, "name": name, "figures": _figures(figures)}
            for process_code, name, figures in data["by_process"]
        ],
        "by_subunit": [
            {"id": pk, "name": name, "figures": _figures(figures)} for pk, name, figures in data["by_subunit"]
        ],
    }
