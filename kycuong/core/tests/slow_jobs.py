"""A job for the worker tests: slow enough to be killed half-way, written like every job of the product so
that running it again completes it without repeating anything (each step keyed, each step committed)."""

import time

from django.db import transaction
from django.tasks import task

from kycuong.core.models import ScheduledRun


@task()
def count_slowly(key: str, total: int, pause: float) -> int:
    for step in range(total):
        with transaction.atomic():
            ScheduledRun.objects.get_or_create(job=key, slot=str(step))
        time.sleep(pause)
    return ScheduledRun.objects.filter(job=key).count()


@task()
def fail_loudly(reason: str) -> None:
    raise RuntimeError(reason)
