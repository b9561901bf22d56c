"""The job queue in Redis, against the real Redis server of this machine (database 5, a key prefix of each
test's own, removed afterwards). Redis is part of the platform like PostgreSQL: if it does not answer, these
tests fail and say so."""

import datetime
import os
import signal
import uuid

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone

from kycuong.core.jobs import enqueue_due_jobs, requeue_abandoned_jobs
from kycuong.core.models import ScheduledRun
from kycuong.core.redis_jobs import RedisBackend

from .slow_jobs import count_slowly, fail_loudly
from .worker_processes import start_worker, wait_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
STEPS = 30


@pytest.fixture
def queue(settings):
    """The Redis queue as the job queue of this test, under a key prefix of its own."""
    prefix = f"kycuong-test-{uuid.uuid4().hex[:12]}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({error}); it is part of this machine's platform.")
    settings.REDIS_URL = REDIS_URL
    settings.TASKS = {
        "default": {
            "BACKEND": "kycuong.core.redis_jobs.RedisBackend",
            "QUEUES": ["default"],
            "OPTIONS": {"url": REDIS_URL, "prefix": f"{prefix}:jobs"},
        }
    }
    from django.tasks import task_backends

    backend = task_backends["default"]
    assert isinstance(backend, RedisBackend)
    try:
        yield backend
    finally:
        keys = list(backend.redis.scan_iter(f"{prefix}:*"))
        if keys:
            backend.redis.delete(*keys)


@pytest.mark.django_db(transaction=True)
def test_jobs_run_once_with_their_results_kept_in_redis(queue):
    with transaction.atomic():
        waiting = count_slowly.enqueue("redis-job", 3, 0)
        # Pushed when the transaction commits: a worker never sees a job whose rows are not there yet.
        assert not queue.redis.exists(queue.job_key(waiting.id))
    assert queue.get_result(waiting.id).status == TaskResultStatus.READY
    failing = fail_loudly.enqueue("a reason")
    with transaction.atomic():
        count_slowly.enqueue("rolled-back", 1, 0)
        transaction.set_rollback(True)

    call_command("worker", batch=True, verbosity=0)

    done = queue.get_result(waiting.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == 3
    assert len(done.worker_ids) == 1
    failed = queue.get_result(failing.id)
    assert failed.status == TaskResultStatus.FAILED
    assert "a reason" in failed.errors[0].traceback
    assert not ScheduledRun.objects.filter(job="rolled-back").exists()
    assert queue.redis.llen(queue.queue_key("default")) == 0
    assert queue.running_jobs() == {}
    assert queue.redis.ttl(queue.job_key(waiting.id)) > 0  # results expire like pruned database results

    # The batch worker queued the periodic jobs due (in Redis too, still once per slot) and ran them.
    assert "audit-verify" not in enqueue_due_jobs()
    run = ScheduledRun.objects.get(job="audit-verify")
    verified = queue.get_result(run.task_result_id)
    assert verified.status == TaskResultStatus.SUCCESSFUL
    assert verified.return_value["broken_at"] is None

    # A job held by a live worker on another machine is left alone until it is stale.
    elsewhere = count_slowly.enqueue("elsewhere", 1, 0)
    assert queue.take("another-machine-4242") == elsewhere.id
    assert requeue_abandoned_jobs() == []
    assert queue.get_result(elsewhere.id).status == TaskResultStatus.RUNNING
    # ...and the end of a job that was taken away from its worker is not recorded by that worker.
    assert queue.requeue(elsewhere.id, "another-machine-4242")
    assert queue.take("this-machine-1") == elsewhere.id
    assert queue.run(elsewhere.id, "another-machine-4242") is False
    assert queue.run(elsewhere.id, "this-machine-1") is True
    assert queue.get_result(elsewhere.id).worker_ids == ["another-machine-4242", "this-machine-1"]

    # A periodic run whose scheduler died between its commit and the push is queued again, once.
    lost = ScheduledRun.objects.create(
        job="audit-verify",
        slot="lost",
        task_result_id="never-pushed",
        enqueued_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    requeued = requeue_abandoned_jobs()
    lost.refresh_from_db()
    assert requeued == [lost.task_result_id]
    assert queue.get_result(lost.task_result_id).task.name == "verify_audit_chain"
    assert requeue_abandoned_jobs() == []


def _worker(queue, *arguments: str):
    return start_worker(
        *arguments,
        JOB_QUEUE="redis",
        REDIS_URL=REDIS_URL,
        REDIS_KEY_PREFIX=queue.prefix.removesuffix(":jobs:"),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process needs a database it can share: the SQLite test database lives in memory",
)
def test_a_job_killed_half_way_is_finished_by_the_next_worker_exactly_once(queue):
    result = count_slowly.enqueue("killed-job", STEPS, 0.1)
    worker = _worker(queue)
    try:
        wait_for(lambda: ScheduledRun.objects.filter(job="killed-job").count() >= 5)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    done_when_killed = ScheduledRun.objects.filter(job="killed-job").count()
    assert 5 <= done_when_killed < STEPS
    assert queue.get_result(result.id).status == TaskResultStatus.RUNNING

    finisher = _worker(queue, "--batch")
    output, _ = finisher.communicate(timeout=120)
    assert finisher.returncode == 0, output
    assert "queued again" in output
    job = queue.get_result(result.id)
    assert job.status == TaskResultStatus.SUCCESSFUL, job.errors
    assert job.return_value == STEPS
    assert len(job.worker_ids) == 2
    assert sorted(
        int(slot) for slot in ScheduledRun.objects.filter(job="killed-job").values_list("slot", flat=True)
    ) == list(range(STEPS))


def test_a_worker_says_so_when_redis_does_not_answer(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "kycuong.core.redis_jobs.RedisBackend",
            "QUEUES": ["default"],
            "OPTIONS": {"url": "redis://127.0.0.1:1/0", "prefix": "kycuong-test-nowhere:jobs"},
        }
    }
    with pytest.raises(CommandError, match="Redis at redis://127.0.0.1:1/0 does not answer"):
        call_command("worker", batch=True, verbosity=0)
