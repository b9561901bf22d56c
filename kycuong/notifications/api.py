"""API for the current user's notifications."""

import datetime
from typing import Annotated

from ninja import Field, Query, Router, Schema

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, Page, paginate

from . import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationPage(Page):
    items: list[NotificationOut]
    unread: int


class NotificationFilters(Schema):
    unread_only: bool = False
    limit: Annotated[int, Field(50, ge=1, le=200)] = 50
    offset: Annotated[int, Field(0, ge=0)] = 0


class MarkRead(Schema):
    ids: list[int] | None = Field(None, description="Notification ids; none means every unread one")


class MarkedRead(Schema):
    marked: int


@router.get("/notifications", response={200: NotificationPage, **LIST_ERRORS}, summary="My notifications")
def list_notifications(request, filters: Query[NotificationFilters]):
    notifications = selectors.my_notifications(actor=request.user, unread_only=filters.unread_only)
    items, page = paginate(notifications, limit=filters.limit, offset=filters.offset)
    return {"items": items, "unread": selectors.my_unread_count(actor=request.user), **page}


@router.post(
    "/notifications/read",
    response={200: MarkedRead, **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="Mark my notifications as read",
)
def mark_read(request, payload: MarkRead):
    return {"marked": services.notification_mark_read(actor=request.user, notification_ids=payload.ids)}
