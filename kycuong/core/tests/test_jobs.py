import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kycuong.core.jobs import PERIODIC_JOBS, enqueue_due_jobs
from kycuong.core.models import ScheduledRun

pytestmark = pytest.mark.django_db


def test_a_periodic_job_is_enqueued_once_per_slot():
    assert "audit-verify" in PERIODIC_JOBS
    now = timezone.now()
    assert "audit-verify" in enqueue_due_jobs(now)
    assert enqueue_due_jobs(now) == []  # a second scheduler in the same slot enqueues nothing
    assert ScheduledRun.objects.filter(job="audit-verify").count() == 1
    assert "audit-verify" in enqueue_due_jobs(now + datetime.timedelta(days=1))
    assert DBTaskResult.objects.filter(task_path__endswith="verify_audit_chain").count() == 2


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_queued_audit_verification(world):
    # The worker closes and reopens database connections, so it cannot run inside a test transaction.
    call_command("worker", batch=True, verbosity=0)
    result = DBTaskResult.objects.get(task_path__endswith="verify_audit_chain")
    assert result.status == "SUCCESSFUL"
    assert result.return_value["broken_at"] is None
    assert result.return_value["checked"] > 0
