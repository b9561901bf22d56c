"""API for documents, tasks, their transitions, progress reports and unit summaries."""

import datetime
from typing import Annotated

from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict

from kycuong.core.api_support import (
    LIST_ERRORS,
    READ_ERRORS,
    VERSIONED_WRITE_ERRORS,
    WRITE_ERRORS,
    Page,
    Problem,
    paginate,
)
from kycuong.core.concurrency import expected_version_from
from kycuong.core.response_cache import cached_read
from kycuong.org.selectors import staff_get, unit_get

from . import selectors, services
from .models import DocumentKind, Priority, Recurrence, TaskState

router = Router(tags=["tasks"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]


class DocumentOut(Schema):
    id: int
    number: str
    kind: DocumentKind
    title: str
    issuing_unit_id: int
    issued_on: datetime.date
    summary: str


class DocumentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(..., min_length=1, max_length=60)
    kind: DocumentKind
    title: str = Field(..., min_length=1, max_length=500)
    issuing_unit_id: int
    issued_on: datetime.date
    summary: str = ""


class DocumentPage(Page):
    items: list[DocumentOut]


class TaskOut(Schema):
    id: int
    title: str
    state: TaskState
    assigning_unit_id: int
    lead_unit_id: int
    lead_unit_name: str
    responsible_id: int | None
    document_id: int | None
    parent_id: int | None
    start_date: datetime.date
    due_date: datetime.date
    priority: Priority
    progress: int
    closed_on: datetime.date | None
    late_working_days: int | None
    rework_count: int
    overdue: bool

    @staticmethod
    def resolve_lead_unit_name(obj) -> str:
        return obj.lead_unit.name

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return bool(getattr(obj, "is_overdue", False))


class TaskDetail(TaskOut):
    description: str
    expected_product: str
    recurrence: str
    due_working_days: int | None
    cooperating_unit_ids: list[int]
    assigned_by_id: int
    version: int
    at_risk: bool

    @staticmethod
    def resolve_cooperating_unit_ids(obj) -> list[int]:
        return [unit.pk for unit in obj.cooperating_units.all()]

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return selectors.task_flags(obj)["overdue"]

    @staticmethod
    def resolve_at_risk(obj) -> bool:
        return selectors.task_flags(obj)["at_risk"]


class TaskPage(Page):
    items: list[TaskOut]


# The columns TaskOut reads: a page of the API list loads only these (and its lead unit's name), not the
# description, search text and three more related rows that the pages show.
TASK_OUT_COLUMNS = tuple(
    name for name in TaskOut.model_fields if name not in {"lead_unit_name", "overdue"}
) + ("lead_unit__name",)


class TaskIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(..., min_length=1, max_length=500)
    description: str = ""
    assigning_unit_id: int
    lead_unit_id: int
    cooperating_unit_ids: list[int] = []
    responsible_id: int | None = None
    document_id: int | None = None
    parent_id: int | None = None
    start_date: datetime.date | None = None
    due_date: datetime.date | None = None
    due_working_days: int | None = Field(None, ge=1, le=365)
    priority: Priority = Priority.NORMAL
    expected_product: str = Field("", max_length=300)
    recurrence: Recurrence = Recurrence.NONE


class TaskFiltersIn(Schema):
    scope: str = Field("units", pattern="^(units|mine|assigned)$")
    unit_id: int | None = None
    with_descendants: bool = True
    state: TaskState | None = None
    overdue: bool = False
    at_risk: bool = False
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None
    document_id: int | None = None
    priority: Priority | None = None
    responsible_id: int | None = None
    outcome: str | None = Field(None, pattern="^(on_time|late|overdue|open|due)$")
    q: str | None = None
    sort: str = Field("due_date", pattern="^(due_date|-due_date|priority|title|-updated)$")
    limit: Limit = 50
    offset: Offset = 0


class TaskReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1)


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str = ""


class ReassignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    lead_unit_id: int | None = None
    responsible_id: int | None = None
    due_date: datetime.date | None = None
    note: str = ""


class ExtensionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    requested_due_date: datetime.date
    reason: str = Field(..., min_length=1)


class ExtensionDecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    grant: bool
    note: str = ""


class ExtensionOut(Schema):
    id: int
    old_due_date: datetime.date
    requested_due_date: datetime.date
    reason: str
    state: str
    decision_note: str


class ProgressReportOut(Schema):
    id: int
    percent: int
    text: str
    reported_on: datetime.date
    reported_by_id: int


class SummaryOut(Schema):
    unit_id: int
    due_from: datetime.date
    due_to: datetime.date
    with_descendants: bool
    assigned: int
    on_time: int
    late: int
    overdue: int
    in_progress: int
    cancelled: int
    on_time_rate: float | None


@router.get("/documents", response={200: DocumentPage, **LIST_ERRORS}, summary="Source documents")
def list_documents(request, q: str | None = None, limit: Limit = 50, offset: Offset = 0):
    items, page = paginate(selectors.document_list(actor=request.user, q=q), limit=limit, offset=offset)
    return {"items": items, **page}


@router.get("/documents/{document_id}", response={200: DocumentOut, **READ_ERRORS}, summary="One document")
def get_document(request, document_id: int):
    return selectors.document_get(actor=request.user, document_id=document_id)


@router.post("/documents", response={201: DocumentOut, **WRITE_ERRORS}, summary="Register a source document")
def create_document(request, payload: DocumentIn):
    data = payload.dict()
    unit = unit_get(actor=request.user, unit_id=data.pop("issuing_unit_id"))
    return Status(201, services.document_create(actor=request.user, issuing_unit=unit, **data))


class StoredFileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str
    uploaded_at: datetime.datetime


@router.get(
    "/documents/{document_id}/files",
    response={200: list[StoredFileOut], **READ_ERRORS},
    summary="The files of a document",
)
def list_document_files(request, document_id: int):
    return selectors.document_get(actor=request.user, document_id=document_id).attachments.all()


@router.post(
    "/documents/{document_id}/files",
    response={201: list[StoredFileOut], **WRITE_ERRORS},
    summary="Add files to a document (multipart)",
)
def add_document_files(request, document_id: int, files: File[list[UploadedFile]]):
    document = selectors.document_get(actor=request.user, document_id=document_id)
    return Status(201, services.document_attach(actor=request.user, document=document, files=files))


@router.get(
    "/documents/files/{attachment_id}",
    response={200: None, **READ_ERRORS},
    summary="Download a document's file (its checksum is verified first)",
)
def download_document_file(request, attachment_id: int):
    from kycuong.core.files import verified_response

    return verified_response(
        selectors.document_attachment_get(actor=request.user, attachment_id=attachment_id)
    )


def _filters(data: TaskFiltersIn) -> selectors.TaskFilters:
    values = data.dict(exclude={"limit", "offset"})
    return selectors.TaskFilters(**values)


@router.get("/tasks", response={200: TaskPage, **LIST_ERRORS}, summary="Tasks in your scope, filtered")
@cached_read
def list_tasks(request, filters: Query[TaskFiltersIn]):
    tasks = selectors.task_list(actor=request.user, filters=_filters(filters))
    tasks = tasks.select_related(None).select_related("lead_unit").only(*TASK_OUT_COLUMNS)
    items, page = paginate(tasks, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.get(
    "/tasks/summary",
    response={200: SummaryOut, **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="A unit's task summary for a period",
)
@cached_read
def task_summary(
    request, unit_id: int, due_from: datetime.date, due_to: datetime.date, with_descendants: bool = True
):
    unit = unit_get(actor=request.user, unit_id=unit_id)
    summary = selectors.unit_task_summary(
        actor=request.user,
        unit_id=unit.pk,
        with_descendants=with_descendants,
        due_from=due_from,
        due_to=due_to,
    )
    return {
        "unit_id": unit.pk,
        "due_from": due_from,
        "due_to": due_to,
        "with_descendants": with_descendants,
        "on_time_rate": summary.on_time_rate,
        **summary.__dict__,
    }


@router.get("/tasks/{int:task_id}", response={200: TaskDetail, **READ_ERRORS}, summary="One task")
@cached_read
def get_task(request, task_id: int):
    return selectors.task_get(actor=request.user, task_id=task_id)


@router.post("/tasks", response={201: TaskDetail, **WRITE_ERRORS}, summary="Assign a task")
def create_task(request, payload: TaskIn):
    data = payload.dict()
    actor = request.user
    fields = {
        "assigning_unit": unit_get(actor=actor, unit_id=data.pop("assigning_unit_id")),
        "lead_unit": unit_get(actor=actor, unit_id=data.pop("lead_unit_id")),
        "cooperating_units": [unit_get(actor=actor, unit_id=pk) for pk in data.pop("cooperating_unit_ids")],
    }
    responsible_id, document_id, parent_id = (
        data.pop(key) for key in ("responsible_id", "document_id", "parent_id")
    )
    fields["responsible"] = staff_get(actor=actor, staff_id=responsible_id) if responsible_id else None
    fields["document"] = selectors.document_get(actor=actor, document_id=document_id) if document_id else None
    fields["parent"] = selectors.task_get(actor=actor, task_id=parent_id) if parent_id else None
    task = services.task_assign(actor=actor, **fields, **data)
    return Status(201, selectors.task_get(actor=actor, task_id=task.pk))


def _task_to_change(request, task_id: int):
    """The task, with the version the client read from `If-Match: "<version>"`: if the task has changed
    since, the change is refused with 409 instead of overwriting someone else's."""
    task = selectors.task_get(actor=request.user, task_id=task_id)
    task.expected_version = expected_version_from(request.headers.get("If-Match"))
    return task


def _transition(request, task_id: int, run) -> object:
    run(_task_to_change(request, task_id))
    return selectors.task_get(actor=request.user, task_id=task_id)


@router.post(
    "/tasks/{int:task_id}/accept",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Accept a task",
)
def accept_task(request, task_id: int):
    return _transition(request, task_id, lambda task: services.task_accept(actor=request.user, task=task))


@router.post(
    "/tasks/{int:task_id}/return",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Return a task to the assigner",
)
def return_task(request, task_id: int, payload: TaskReasonIn):
    return _transition(
        request,
        task_id,
        lambda task: services.task_return(actor=request.user, task=task, reason=payload.reason),
    )


@router.post(
    "/tasks/{int:task_id}/reports",
    response={201: ProgressReportOut, **VERSIONED_WRITE_ERRORS},
    summary="Report progress (multipart, with files)",
)
def report_progress(
    request,
    task_id: int,
    percent: Form[int],
    text: Form[str],
    reported_on: Form[datetime.date | None] = None,
    files: File[list[UploadedFile]] = None,
):
    task = _task_to_change(request, task_id)
    report = services.task_report_progress(
        actor=request.user, task=task, percent=percent, text=text, reported_on=reported_on, files=files or []
    )
    return Status(201, report)


@router.post(
    "/tasks/{int:task_id}/submit",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Submit the result with evidence (multipart)",
)
def submit_task(
    request,
    task_id: int,
    text: Form[str],
    links: Form[list[str]] = None,
    files: File[list[UploadedFile]] = None,
):
    return _transition(
        request,
        task_id,
        lambda task: services.task_submit(
            actor=request.user, task=task, text=text, links=links or [], files=files or []
        ),
    )


@router.post(
    "/tasks/{int:task_id}/approve",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Approve and close",
)
def approve_task(request, task_id: int, payload: NoteIn):
    return _transition(
        request, task_id, lambda task: services.task_approve(actor=request.user, task=task, note=payload.note)
    )


@router.post(
    "/tasks/{int:task_id}/send-back",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Send back for rework",
)
def send_back_task(request, task_id: int, payload: TaskReasonIn):
    return _transition(
        request,
        task_id,
        lambda task: services.task_send_back(actor=request.user, task=task, reason=payload.reason),
    )


@router.post(
    "/tasks/{int:task_id}/cancel",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Cancel a task",
)
def cancel_task(request, task_id: int, payload: TaskReasonIn):
    return _transition(
        request,
        task_id,
        lambda task: services.task_cancel(actor=request.user, task=task, reason=payload.reason),
    )


@router.post(
    "/tasks/{int:task_id}/reassign",
    response={200: TaskDetail, **VERSIONED_WRITE_ERRORS},
    summary="Assign a returned task again",
)
def reassign_task(request, task_id: int, payload: ReassignIn):
    actor = request.user
    lead_unit = unit_get(actor=actor, unit_id=payload.lead_unit_id) if payload.lead_unit_id else None
    responsible = staff_get(actor=actor, staff_id=payload.responsible_id) if payload.responsible_id else None
    return _transition(
        request,
        task_id,
        lambda task: services.task_reassign(
            actor=actor,
            task=task,
            lead_unit=lead_unit,
            responsible=responsible,
            due_date=payload.due_date,
            note=payload.note,
        ),
    )


@router.post(
    "/tasks/{int:task_id}/extensions",
    response={201: ExtensionOut, **VERSIONED_WRITE_ERRORS},
    summary="Request an extension",
)
def request_extension(request, task_id: int, payload: ExtensionIn):
    task = _task_to_change(request, task_id)
    return Status(
        201,
        services.extension_request(
            actor=request.user,
            task=task,
            requested_due_date=payload.requested_due_date,
            reason=payload.reason,
        ),
    )


@router.post(
    "/tasks/{int:task_id}/extensions/{int:extension_id}/decision",
    response={200: ExtensionOut, **VERSIONED_WRITE_ERRORS},
    summary="Grant or refuse an extension",
)
def decide_extension(request, task_id: int, extension_id: int, payload: ExtensionDecisionIn):
    task = _task_to_change(request, task_id)
    extension = task.extensions.filter(pk=extension_id).first()
    if extension is None:
        raise Http404
    extension.task.expected_version = task.expected_version
    return services.extension_decide(
        actor=request.user, extension=extension, grant=payload.grant, note=payload.note
    )


@router.get(
    "/tasks/{int:task_id}/reports",
    response={200: list[ProgressReportOut], **READ_ERRORS},
    summary="Progress reports",
)
def list_reports(request, task_id: int):
    return list(selectors.task_get(actor=request.user, task_id=task_id).reports.all())


class TaskImportErrorOut(Schema):
    row: int | None = Field(None, description="The row number Excel shows; empty for the file as a whole")
    column: str
    message: str


class TaskImportOut(Schema):
    created: int
    errors: list[TaskImportErrorOut]


@router.get(
    "/tasks/export.xlsx", response={200: None, **LIST_ERRORS}, summary="The filtered task list as .xlsx"
)
def export_tasks(request, filters: Query[TaskFiltersIn]):
    from django.http import HttpResponse

    from kycuong.core.calendar import today

    from . import excel

    content = excel.export_tasks(selectors.task_list(actor=request.user, filters=_filters(filters)))
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="nhiem-vu-{today():%Y%m%d}.xlsx"'
    return response


@router.post(
    "/tasks/import",
    response={
        201: TaskImportOut,
        422: TaskImportOut | Problem,
        401: LIST_ERRORS[401],
        403: WRITE_ERRORS[403],
    },
    summary="Import tasks from the .xlsx template: all rows or none, with per-row errors",
)
def import_tasks(request, file: File[UploadedFile]):
    from django.core.exceptions import PermissionDenied

    from kycuong.core.scoping import has_any_grant

    from . import excel

    if not has_any_grant(request.user, "tasks.assign_task"):
        raise PermissionDenied
    result = excel.import_tasks(actor=request.user, file=file)
    body = {
        "created": result.created,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors],
    }
    return Status(201 if result.ok else 422, body)
