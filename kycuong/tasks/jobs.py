import datetime

from django.tasks import task

from kycuong.core.jobs import periodic

from .services import task_reminders_send


@periodic("task-reminders", every=datetime.timedelta(hours=24), at=datetime.timedelta(hours=7))
@task()
def send_task_reminders() -> dict:
    """Every morning at 07:00: due-soon, due-today and overdue reminders, and Monday's digest."""
    return task_reminders_send()
