"""Sending notifications: never two for the same event to the same user; e-mail goes out after commit."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kycuong.core.audit import AuditEntry, audit_write

from .models import Notification


def notify(
    *, actor, users: Iterable, kind: str, title: str, event_key: str, body: str = "", url: str = ""
) -> list:
    """Notify each user once per `event_key`; returns the notifications created now, not earlier ones."""
    user_ids = {user.pk for user in users if user is not None and user.is_active}
    if not user_ids:
        return []
    with transaction.atomic():
        already = set(
            Notification.objects.filter(user_id__in=user_ids, event_key=event_key).values_list(
                "user_id", flat=True
            )
        )
        fresh = [
            Notification(
                user_id=user_id, kind=kind, title=title[:255], body=body, url=url, event_key=event_key
            )
            for user_id in sorted(user_ids - already)
        ]
        if not fresh:
            return []
        Notification.objects.bulk_create(fresh)
        audit_write(
            actor=actor,
            entries=[
                AuditEntry(
                    action="notify",
                    object_type="notifications.notification",
                    object_id=event_key[:64],
                    object_repr=title[:255],
                    after={"kind": kind, "users": sorted(user_ids - already)},
                )
            ],
        )
        ids = list(
            Notification.objects.filter(user_id__in=user_ids - already, event_key=event_key).values_list(
                "pk", flat=True
            )
        )
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return fresh


def _enqueue_emails(notification_ids: list[int]) -> None:
    from .jobs import send_notification_emails

    send_notification_emails.enqueue(notification_ids)


def notification_mark_read(*, actor, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when no ids are given)."""
    with transaction.atomic():
        unread = Notification.objects.filter(user_id=actor.pk, read_at__isnull=True)
        if notification_ids is not None:
            unread = unread.filter(pk__in=list(notification_ids))
        ids = list(unread.values_list("pk", flat=True))
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        audit_write(
            actor=actor,
            entries=[
                AuditEntry(
                    action="mark_read", object_type="notifications.notification", after={"ids": ids[:200]}
                )
            ],
        )
    return len(ids)
