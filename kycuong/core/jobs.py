"""Background jobs of the core and the scheduler that enqueues periodic jobs.

Periodic jobs are registered with `periodic(name, every=...)`. The scheduler loop in `kycuong worker`
enqueues each job once per time slot; the ScheduledRun unique key stops two workers enqueueing it twice.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from .audit import audit_verify_chain
from .models import ScheduledRun

logger = logging.getLogger("kycuong.jobs")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: datetime.timedelta
    enqueue: Callable[[], object]
    # Where a slot starts, in local time after local midnight: a daily job at=2h runs soon after 02:00.
    at: datetime.timedelta = datetime.timedelta(0)


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, *, every: datetime.timedelta, at: datetime.timedelta = datetime.timedelta(0)):
    def register(task_object):
        PERIODIC_JOBS[name] = PeriodicJob(name=name, every=every, enqueue=task_object.enqueue, at=at)
        return task_object

    return register


def slot_for(job: PeriodicJob, now: datetime.datetime) -> str:
    """The number of the period `now` falls in, periods counted in local time from job.at."""
    local = timezone.localtime(now)
    local_seconds = (
        int(local.timestamp()) + int(local.utcoffset().total_seconds()) - int(job.at.total_seconds())
    )
    return str(local_seconds // int(job.every.total_seconds()))


def enqueue_due_jobs(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot has not been enqueued yet; returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in PERIODIC_JOBS.values():
        slot = slot_for(job, now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot)
                result = job.enqueue()
                run.task_result_id = str(getattr(result, "id", ""))
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue
        enqueued.append(job.name)
    return enqueued


@periodic("audit-verify", every=datetime.timedelta(hours=24), at=datetime.timedelta(hours=2))
@task()
def verify_audit_chain() -> dict:
    """Nightly (02:00 local time): recompute the audit chain; a broken link is logged and mailed to ADMINS."""
    report = audit_verify_chain()
    if report.ok:
        logger.info("Audit chain verified: %d records", report.checked)
    else:
        message = f"Audit chain broken at record {report.broken_at}: {report.reason}"
        logger.error(message)
        mail_admins("Kỷ Cương: audit chain broken", message, fail_silently=True)
    return {"checked": report.checked, "broken_at": report.broken_at, "reason": report.reason}
