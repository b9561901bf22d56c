from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .models import Notification


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail notifications not e-mailed yet; marking them first means a retried job never sends twice."""
    sent = 0
    for notification in Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("user"):
        if not notification.user.email:
            continue
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue
            link = f"\n\n{settings.SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
            send_mail(notification.title, f"{notification.body}{link}", None, [notification.user.email])
            sent += 1
    return sent
