#!/usr/bin/env python
"""Benchmark of the leadership dashboard and the yearly report at city scale on PostgreSQL.

The requirement: over the city-scale data, the city's dashboard renders in under 300 ms server time, and the
city's yearly report (PDF, .docx, .xlsx) is made in under 60 s.

What it does, in one process:

1. drops and recreates its own database (kycuong_reports_bench by default; it refuses a name without
   "bench"), migrates and loads the Hanoi demo (seed_demo);
2. tops the data up with the generators of the modules' own benchmarks: tasks (bench/tasks_bench.py, COPY,
   then the task tally rebuilt), public investment projects and disbursements (bench/targets_bench.py, COPY,
   pre-aggregates rebuilt) and satisfaction ratings (bench/satisfaction_bench.py, INSERT … SELECT, daily
   and monthly counts rebuilt);
3. measures through Django's test client against the real views, as the demo city leader: the dashboard
   page and API for the year and for a month, a district head's dashboard; 3 warm-up requests then --repeat
   timed ones (time.perf_counter around client.get, in process: server time without network), and the
   query count of one request (CaptureQueriesContext); then each registered module's provider alone;
4. makes the city's yearly report with the worker's function (report_make) and times it;
5. checks the dashboard's figures against SQL over the raw records (tasks due in the year, disbursed and
   planned amounts, satisfied answers of the ratings).

Usage (from the project root):

    .venv/bin/python bench/reports_bench.py
    .venv/bin/python bench/reports_bench.py --reuse      # measure again without reloading
    .venv/bin/python bench/reports_bench.py --drop       # drop the bench database at the end
"""

import argparse
import datetime
import gc
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_reports_bench"
DASHBOARD_TARGET_MS = 300.0
REPORT_TARGET_S = 60.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--disbursements", type=int, default=1_000_000)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--reuse", action="store_true", help="keep the database and measure again")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "reports_city.json"))
    return parser.parse_args()


def admin_connection(url: str):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return parts.path.lstrip("/"), urllib.parse.urlunsplit(parts._replace(path="/postgres")), psycopg


def recreate_database(url: str, force: bool) -> None:
    name, admin_url, psycopg = admin_connection(url)
    if "bench" not in name and not force:
        sys.exit(f"Refusing to drop database {name!r}: its name does not contain 'bench' (use --force).")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} recreated")


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name, admin_url, psycopg = admin_connection(url)
    if "bench" in name:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"database {name} dropped")


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "kycuong.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The page is measured with a signed-in session; the second sign-in step is not what is measured here.
    os.environ.setdefault("TWO_FACTOR_REQUIRED_ROLES", "")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def load(args) -> None:
    import satisfaction_bench
    import targets_bench
    import tasks_bench
    from django.core.management import call_command

    from kycuong.demo.loader import seed_demo

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    seed_demo(log=lambda message: None)
    log(f"migrated and seeded the demo in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    tasks_bench.top_up_tasks(args.tasks, args.seed, datetime.date(2026, 11, 26), {})
    log(f"tasks topped up to {args.tasks:,} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    targets_bench.top_up(args.projects, args.disbursements, args.seed)
    log(f"projects and disbursements topped up in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    satisfaction_bench.generate_ratings(args.ratings, args.year)
    log(f"{args.ratings:,} ratings generated in {time.perf_counter() - started:.0f} s")


def sizes() -> dict:
    from django.db import connection

    tables = {
        "tasks": "tasks_task",
        "projects": "targets_project",
        "disbursements": "targets_disbursement",
        "ratings": "satisfaction_rating",
        "units": "org_unit",
    }
    result = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            result[name] = cursor.fetchone()[0]
    return result


def timed(call, warmup: int, repeat: int) -> dict:
    for _ in range(warmup):
        call()
    gc.collect()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max_ms": round(samples[-1], 1),
        "n": repeat,
    }


def measure(args) -> list[dict]:
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import User
    from kycuong.accounts.services import api_token_create
    from kycuong.org.models import Unit

    # Django empties the query log when a request starts; keep it so that a request's queries can be counted.
    request_started.disconnect(reset_queries)
    city = Unit.objects.get(code="01")
    district = Unit.objects.get(code="008")
    leader = User.objects.get(username="lanhdao.thanhpho")
    head = User.objects.get(username="truong.hoangmai")
    page_client = Client()
    page_client.force_login(leader)
    tokens = {}
    for user in (leader, head):
        _token, plain = api_token_create(actor=user, name="bench")
        tokens[user.username] = Client(headers={"Authorization": f"Bearer {plain}"})
    year = args.year
    operations = [
        (
            "city: dashboard page, year (HTML)",
            page_client,
            f"/dashboard/?unit={city.pk}&period=year&year={year}",
            True,
        ),
        (
            "city: dashboard API, year",
            tokens[leader.username],
            f"/api/v1/dashboard?unit_id={city.pk}&period=year&year={year}",
            True,
        ),
        (
            "city: dashboard API, month 10",
            tokens[leader.username],
            f"/api/v1/dashboard?unit_id={city.pk}&period=month&year={year}&month=10",
            True,
        ),
        (
            "city: dashboard API, quarter 3",
            tokens[leader.username],
            f"/api/v1/dashboard?unit_id={city.pk}&period=quarter&year={year}&quarter=3",
            True,
        ),
        (
            "district head: dashboard API, year",
            tokens[head.username],
            f"/api/v1/dashboard?unit_id={district.pk}&period=year&year={year}",
            False,
        ),
    ]
    results = []
    for label, client, url, target in operations:
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code, response.content[:300])
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        figures = timed(lambda client=client, url=url: client.get(url), args.warmup, args.repeat)
        result = {"operation": label, "queries": len(queries), "target": target, **figures}
        log(f"{label}: median {result['median_ms']} ms, p95 {result['p95_ms']} ms, {len(queries)} queries")
        results.append(result)
    return results


def measure_providers(args) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils.module_loading import import_string

    from kycuong.accounts.models import User
    from kycuong.core.dashboard import registered_modules
    from kycuong.org.models import Unit
    from kycuong.reports.selectors import year_period

    leader = User.objects.get(username="lanhdao.thanhpho")
    city = Unit.objects.get(code="01")
    period = year_period(args.year)
    results = []
    for module, path in registered_modules():
        try:
            provider = import_string(path)
            provider(actor=leader, unit=city, period=period)
        except Exception as error:  # a module still being built: reported, not measured
            results.append({"module": module, "error": f"{type(error).__name__}: {error}"[:200]})
            log(f"provider {module}: {type(error).__name__}")
            continue
        with CaptureQueriesContext(connection) as queries:
            provider(actor=leader, unit=city, period=period)
        figures = timed(
            lambda provider=provider: provider(actor=leader, unit=city, period=period), 1, args.repeat
        )
        results.append({"module": module, "queries": len(queries), **figures})
        log(f"provider {module}: median {figures['median_ms']} ms, {len(queries)} queries")
    return results


def make_yearly_report(args) -> dict:
    from kycuong.accounts.models import User
    from kycuong.org.models import Unit
    from kycuong.reports import services
    from kycuong.reports.models import ReportKind
    from kycuong.reports.selectors import year_period

    leader = User.objects.get(username="lanhdao.thanhpho")
    city = Unit.objects.get(code="01")
    report = services.report_request(
        actor=leader, unit=city, kind=ReportKind.YEAR, period=year_period(args.year), enqueue=False
    )
    started = time.perf_counter()
    report = services.report_make(report_id=report.pk)
    seconds = time.perf_counter() - started
    files = {f.format: f.size for f in report.files.all()}
    log(f"city yearly report: {report.state} in {seconds:.1f} s, files {files}")
    return {"state": report.state, "seconds": round(seconds, 1), "files": files, "error": report.error}


def exactness(args) -> dict:
    """The dashboard's city figures against SQL over the raw records."""
    from decimal import Decimal

    from django.db import connection

    from kycuong.accounts.models import User
    from kycuong.org.models import Unit
    from kycuong.reports.selectors import dashboard_build, year_period
    from kycuong.satisfaction.models import INDEX_FACTORS

    leader = User.objects.get(username="lanhdao.thanhpho")
    city = Unit.objects.get(code="01")
    board = dashboard_build(
        actor=leader, unit=city, period=year_period(args.year), modules=["tasks", "targets", "satisfaction"]
    )
    value = {view.figure.key: view.figure.value for card in board.cards for view in card.figures}
    start, end = datetime.date(args.year, 1, 1), datetime.date(args.year, 12, 31)
    checks = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tasks_task WHERE due_date BETWEEN %s AND %s AND state <> 'cancelled'",
            [start, end],
        )
        raw = cursor.fetchone()[0]
        checks["tasks.assigned"] = {"dashboard": value.get("tasks.assigned"), "sql": raw}
        cursor.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM targets_disbursement WHERE plan_year = %s", [args.year]
        )
        disbursed = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT COALESCE(SUM(assigned_amount + local_amount), 0) FROM targets_planrevision r
            WHERE year = %s AND NOT EXISTS (
                SELECT 1 FROM targets_planrevision later WHERE later.project_id = r.project_id
                AND later.year = r.year AND (later.effective_on, later.id) > (r.effective_on, r.id))
            """,
            [args.year],
        )
        planned = cursor.fetchone()[0]
        rate = (Decimal(disbursed) * 100 / Decimal(planned)).quantize(Decimal("0.01")) if planned else None
        checks["targets.disbursement_rate"] = {
            "dashboard": str(value.get("targets.disbursement_rate")),
            "sql": str(rate),
        }
        parts = ", ".join(f"SUM({f}_satisfied), SUM({f}_answers)" for f in INDEX_FACTORS)
        cursor.execute(f"SELECT {parts} FROM satisfaction_rating WHERE day BETWEEN %s AND %s", [start, end])  # noqa: S608
        row = cursor.fetchone()
        shares = [100 * row[i] / row[i + 1] for i in range(0, len(row), 2) if row[i + 1]]
        index = round(sum(shares) / len(shares), 1) if shares else None
        checks["satisfaction.index"] = {"dashboard": value.get("satisfaction.index"), "sql": index}
    for check in checks.values():
        check["equal"] = str(check["dashboard"]) == str(check["sql"])
    log(
        "exactness: "
        + ", ".join(f"{key} {'equal' if c['equal'] else 'DIFFERENT'}" for key, c in checks.items())
    )
    return checks


def main() -> None:
    args = parse_args()
    if not args.reuse:
        recreate_database(args.url, args.force)
    setup_django(args.url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        log(cursor.fetchone()[0])
    if not args.reuse:
        load(args)
    data = sizes()
    log("data: " + ", ".join(f"{name} {count:,}" for name, count in data.items()))
    load_before = os.getloadavg()[0]
    dashboard = measure(args)
    providers = measure_providers(args)
    report = make_yearly_report(args)
    checks = exactness(args)
    load_after = os.getloadavg()[0]
    log(f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} CPUs")
    verdict = {
        "dashboard_met": all(r["median_ms"] < DASHBOARD_TARGET_MS for r in dashboard if r["target"]),
        "report_met": report["state"] == "done" and report["seconds"] < REPORT_TARGET_S,
    }
    log(f"verdict: {verdict}")
    payload = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "data": data,
        "dashboard": dashboard,
        "providers": providers,
        "report": report,
        "exactness": checks,
        "load": [round(load_before, 2), round(load_after, 2)],
        "verdict": verdict,
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    log(f"results written to {args.output}")
    if args.drop:
        drop_database(args.url)


if __name__ == "__main__":
    main()
