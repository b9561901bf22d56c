"""Background jobs of the core and the scheduler that enqueues periodic jobs.

Periodic jobs are registered with `periodic(name, every=...)`. The scheduler loop in `kycuong worker`
enqueues each job once per time slot; the ScheduledRun unique key stops two workers enqueueing it twice.

A worker killed in the middle of a job (a power cut, `kill -9`, the out-of-memory killer) leaves its job
marked as running. `requeue_abandoned_jobs` puts such jobs back in the queue: at once when the worker that
took the job ran on this machine and its process is gone, otherwise once the job has been running for longer
than JOB_ABANDONED_AFTER_MINUTES. Every job is therefore written to be run again safely: its effects are keyed
(notifications by event key, generated reports by their record, scheduled runs by slot), so a second run
completes what the first left undone and repeats nothing.
"""

import datetime
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
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


def worker_id() -> str:
    """This worker process, as recorded on the jobs it takes: host and process id."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _abandoned(taker: str, started_at: datetime.datetime | None, stale_before: datetime.datetime) -> bool:
    """A running job's worker died here (its process is gone), or the job has run for too long."""
    host = socket.gethostname()[:40]
    taker_host, _dash, taker_pid = taker.rpartition("-")
    died_here = taker_host == host and taker_pid.isdigit() and _process_gone(int(taker_pid))
    return died_here or (started_at is not None and started_at < stale_before)


def redis_backend():
    """The Redis job queue when it is the one configured (JOB_QUEUE=redis), else None."""
    from django.tasks import task_backends

    from .redis_jobs import RedisBackend

    backend = task_backends["default"]
    return backend if isinstance(backend, RedisBackend) else None


def requeue_abandoned_jobs(now: datetime.datetime | None = None) -> list[str]:
    """Put back in the queue the jobs left running by a worker that died; returns their ids."""
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(minutes=settings.JOB_ABANDONED_AFTER_MINUTES)
    backend = redis_backend()
    if backend is not None:
        return _requeue_abandoned_in_redis(backend, stale_before)
    from django_tasks_db.models import DBTaskResult

    requeued = []
    for result in DBTaskResult.objects.filter(status="RUNNING").only("id", "worker_ids", "started_at"):
        taker = (result.worker_ids or [""])[-1]
        if not _abandoned(taker, result.started_at, stale_before):
            continue
        # Only if still running: a worker that finishes it meanwhile wins.
        running = DBTaskResult.objects.filter(pk=result.pk, status="RUNNING")
        if running.update(status="READY", started_at=None):
            logger.warning("Job %s was abandoned by worker %s: queued again", result.pk, taker)
            requeued.append(str(result.pk))
    return requeued


def _requeue_abandoned_in_redis(backend, stale_before: datetime.datetime) -> list[str]:
    requeued = _enqueue_lost_periodic_runs(backend)
    for job_id, taker in backend.running_jobs().items():
        started = backend.redis.hget(backend.job_key(job_id), "started_at")
        started_at = datetime.datetime.fromisoformat(started) if started else None
        # Only if the same worker still holds it: a worker that finishes it meanwhile wins.
        if _abandoned(taker, started_at, stale_before) and backend.requeue(job_id, taker):
            logger.warning("Job %s was abandoned by worker %s: queued again", job_id, taker)
            requeued.append(job_id)
    return requeued


# A periodic run is pushed to Redis when its ScheduledRun row commits; a scheduler that died in between
# left the slot taken with no job. Runs this recent are looked at (finished jobs are kept far longer).
LOST_RUN_GRACE = datetime.timedelta(minutes=2)
LOST_RUN_HORIZON = datetime.timedelta(days=1)


def _enqueue_lost_periodic_runs(backend) -> list[str]:
    now = timezone.now()
    runs = ScheduledRun.objects.filter(
        job__in=list(PERIODIC_JOBS),
        enqueued_at__gte=now - LOST_RUN_HORIZON,
        enqueued_at__lt=now - LOST_RUN_GRACE,
    ).exclude(task_result_id="")
    enqueued = []
    for run in runs:
        if backend.redis.exists(backend.job_key(run.task_result_id)):
            continue
        # Taken by this scheduler first, so that two schedulers never both queue it.
        marker = f"requeue-{uuid.uuid4().hex}"
        taken = ScheduledRun.objects.filter(pk=run.pk, task_result_id=run.task_result_id)
        if not taken.update(task_result_id=marker):
            continue
        result = PERIODIC_JOBS[run.job].enqueue()
        ScheduledRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))
        logger.warning("Periodic job %s (slot %s) never reached the queue: queued again", run.job, run.slot)
        enqueued.append(str(result.id))
    return enqueued
