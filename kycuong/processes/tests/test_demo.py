"""The demo's processes: at least 20 ward processes, some interconnected, finished cases, exact figures."""

import datetime
import random

import pytest
from django.db.models import Sum

from kycuong.processes.models import MonthlyFigure, ProcessDefinition, ProcessInstance, ProcessStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_processes(monkeypatch):
    from kycuong.demo import loader

    monkeypatch.setenv("KYCUONG_DEMO_PROCESSES", "600")
    ctx = loader.DemoContext(
        rng=random.Random(loader.DEMO_SEED), today=datetime.date(2026, 11, 26), log=print
    )
    for name, function in loader.LOADERS:
        if name in {"units", "agencies", "party", "staff", "users", "processes"}:
            function(ctx)


def test_demo_catalogue_and_cases(demo_processes):
    hoangliet = ProcessDefinition.objects.filter(owner_unit__code="00337")
    assert hoangliet.count() >= 20
    assert hoangliet.filter(interconnected=True).count() >= 5
    history = ProcessInstance.objects.exclude(case_reference__startswith="MO-")
    assert history.filter(state="completed").count() == history.count() == 600
    open_cases = ProcessInstance.objects.filter(state="running")
    assert open_cases.count() > 50
    assert ProcessStep.objects.filter(state="open", unit__code="00337").exists()
    # Steps handed to the district's offices are in those offices' queues.
    assert ProcessStep.objects.filter(unit__code__startswith="008-").exists()
    # The monthly figures add up to the finished cases, outcome by outcome.
    figures = MonthlyFigure.objects.filter(level="instance").aggregate(
        finished=Sum("finished"), early=Sum("early"), on_time=Sum("on_time"), late=Sum("late")
    )
    finished = ProcessInstance.objects.filter(state="completed")
    assert figures == {
        "finished": finished.count(),
        "early": finished.filter(outcome="early").count(),
        "on_time": finished.filter(outcome="on_time").count(),
        "late": finished.filter(outcome="late").count(),
    }
    assert 0 < figures["late"] < figures["finished"] * 0.3
