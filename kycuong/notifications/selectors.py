from django.db.models import QuerySet

from .models import Notification


def my_notifications(*, actor, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=actor.pk)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def my_unread_count(*, actor) -> int:
    return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).count()
