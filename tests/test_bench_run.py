"""The one benchmark (bench/run.py) on a small generated city: every operation it measures answers, the
public rating submit stores what it sends, query counts stay pinned, and its table and figures are right."""

import datetime
import importlib.util
from pathlib import Path

import pytest
from django.db import transaction

from kycuong.demo.citygen import Progress, generate_city

pytestmark = pytest.mark.django_db

RUN_PATH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
# Queries of one request, as measured on both databases: lists and summaries must not grow with the data.
MOST_QUERIES = {"list": 8, "summary": 13, "dashboard": 80, "statistics": 25, "submit": 16}


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        generate_city(
            scale="district", seed=3, as_of=datetime.date.today(), progress=Progress(quiet=True), volume=0.05
        )
        yield
        transaction.set_rollback(True)


@pytest.fixture
def unlimited(settings):
    settings.SATISFACTION_RATE_PER_CLIENT = "off"
    settings.SATISFACTION_RATE_PER_SERVICE_POINT = "off"
    settings.SATISFACTION_REPEAT_SECONDS = "off"


def test_every_measured_operation_answers_with_few_queries(city, run, unlimited):
    args = type("Args", (), {"repeat": 1})()
    results = run.measure_reads(args, run.Clients())
    results.append(run.measure_rating_submit(args))
    groups = {result["group"] for result in results}
    assert groups == {"list", "summary", "dashboard", "statistics", "submit"}
    for result in results:
        assert result["median_ms"] > 0
        assert 0 < result["queries"] <= MOST_QUERIES[result["group"]], result


def test_percentile_is_the_nearest_rank(run):
    values = [float(n) for n in range(1, 21)]
    assert run.percentile(values, 0.95) == 19.0
    assert run.percentile(values, 0.5) == 10.0
    assert run.percentile([7.0], 0.95) == 7.0


def test_table_states_each_target(run, capsys):
    results = [
        {"group": "list", "operation": "a list", "median_ms": 40.0, "p95_ms": 60.0, "queries": 4},
        {
            "group": "dashboard",
            "operation": "the dashboard",
            "median_ms": 350.0,
            "p95_ms": 400.0,
            "queries": 70,
        },
    ]
    computed = {"requests_per_s": 110.0, "latency_p50": "140ms", "latency_p99": "300ms"}
    cached = {"requests_per_s": 320.5, "latency_p50": "40ms", "latency_p99": "90ms"}
    cached.update(run._cache_counts({"wrk": "Requests/sec: 320.5\ncache hits 2700 misses 300\n"}))
    writes = {**cached, "cache_hits": 1500, "cache_misses": 1500, "tasks_written": 20}
    load = {
        "readers": 100,
        "distinct_reads": 400,
        "reads_computed": computed,
        "reads": cached,
        "reads_with_writes": writes,
        "submits": {"requests_per_s": 150.0, "ratings_stored": 1500, "stored_per_s": 150.0},
        "worker_rss_mb": {1: 120.0, 2: 310.0},
    }
    run.print_table(results, {"tasks": 20000, "ratings": 30000}, load, "postgresql")
    table = capsys.readouterr().out
    assert "| a list | 20,000 tasks | 40.0 | 60.0 | 4 | met (< 100) |" in table
    assert "| the dashboard | 20,000 tasks | 350.0 | 400.0 | 70 | MISSED (< 300) |" in table
    computed_row = "(response cache off; 100 readers, 400 distinct reads) | 110.0 | 140ms | 300ms | 0 |"
    assert computed_row in table
    assert "90% answered from the cache | 320.5 | 40ms | 90ms | 0 | met (≥ 300) |" in table
    assert "20 task progress reports written meanwhile: 50% answered from the cache" in table
    assert "| 150.0 |" in table and "MISSED (≥ 300)" in table
    assert "[120.0, 310.0] MB, MISSED (< 300)" in table


def test_the_load_tests_readers_are_made_once_with_one_grant_each(city, run):
    from kycuong.accounts.models import Grant, User

    year = datetime.date.today().year
    reads = run.api_readers(5, year)
    again = run.api_readers(5, year)
    readers = User.objects.filter(username__startswith="bench.reader.")
    assert readers.count() == 5
    assert all(Grant.objects.filter(user=user).count() == 1 for user in readers)
    assert len(reads) == len(again) == 20 and len({token for token, _path in reads}) == 5
    assert {path.split("?")[0] for _token, path in reads} == {"/api/v1/tasks", "/api/v1/tasks/summary"}
