import datetime

from django.tasks import task

from kycuong.core.context import SystemActor
from kycuong.core.jobs import periodic

from .services import overdue_escalate, timers_fire


@periodic("process-timers", every=datetime.timedelta(minutes=15))
@task()
def fire_process_timers() -> dict:
    """Every quarter of an hour: fire due timer events, then escalate steps past their time limit."""
    actor = SystemActor("process-timers", kind="job")
    return {"timers": timers_fire(actor=actor), "overdue": overdue_escalate(actor=actor)}
