"""API for the audit log."""

import datetime
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema

from .api_support import LIST_ERRORS, READ_ERRORS, Page, paginate
from .selectors import audit_get, audit_list

router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    created_at: datetime.datetime
    actor_id: int | None
    actor_label: str
    request_id: str
    unit_id: int | None
    unit_label: str
    object_type: str
    object_id: str
    object_repr: str
    action: str
    before: Any = None
    after: Any = None
    prev_hash: str
    hash: str


class AuditPage(Page):
    items: list[AuditOut]


class AuditFilters(Schema):
    unit_id: int | None = None
    with_descendants: bool = True
    actor_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    limit: Annotated[int, Field(50, ge=1, le=200)] = 50
    offset: Annotated[int, Field(0, ge=0)] = 0


@router.get("/audit", response={200: AuditPage, **LIST_ERRORS}, summary="Audit records in your scope")
def list_audit(request, filters: Query[AuditFilters]):
    records = audit_list(actor=request.user, **filters.dict(exclude={"limit", "offset"}))
    items, page = paginate(records, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.get("/audit/{record_id}", response={200: AuditOut, **READ_ERRORS}, summary="One audit record")
def get_audit(request, record_id: int):
    return audit_get(actor=request.user, record_id=record_id)
