"""The worker killed in the middle of a job (SIGKILL): the next worker queues the job again and it finishes,
with nothing lost and nothing done twice."""

import os
import signal

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from kycuong.core.jobs import requeue_abandoned_jobs
from kycuong.core.models import ScheduledRun

from .slow_jobs import count_slowly
from .worker_processes import start_worker, wait_for

STEPS = 30

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process needs a database it can share: the SQLite test database lives in memory",
    ),
]


def test_a_job_killed_half_way_is_finished_by_the_next_worker_exactly_once():
    result = count_slowly.enqueue("killed-job", STEPS, 0.1)
    worker = start_worker()
    try:
        wait_for(lambda: ScheduledRun.objects.filter(job="killed-job").count() >= 5)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    done_when_killed = ScheduledRun.objects.filter(job="killed-job").count()
    assert 5 <= done_when_killed < STEPS
    assert DBTaskResult.objects.get(pk=result.id).status == "RUNNING"

    finisher = start_worker("--batch")
    output, _ = finisher.communicate(timeout=120)
    assert finisher.returncode == 0, output
    assert "queued again" in output
    job = DBTaskResult.objects.get(pk=result.id)
    assert job.status == "SUCCESSFUL", job.traceback
    assert job.return_value == STEPS
    assert sorted(
        int(slot) for slot in ScheduledRun.objects.filter(job="killed-job").values_list("slot", flat=True)
    ) == list(range(STEPS))


def test_a_job_running_in_a_live_worker_elsewhere_is_left_alone():
    result = count_slowly.enqueue("elsewhere", 1, 0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING",
        worker_ids=["another-machine-4242"],
        started_at=DBTaskResult.objects.get(pk=result.id).enqueued_at,
    )
    assert requeue_abandoned_jobs() == []
    assert DBTaskResult.objects.get(pk=result.id).status == "RUNNING"
