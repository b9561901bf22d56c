#!/usr/bin/env python
"""Benchmark of the city's public investment disbursement dashboard on PostgreSQL.

The requirement: over 20,000 projects and 1,000,000 disbursement records, the city's disbursement dashboard
answers in under 200 ms server time (median of repeated requests through the real view and API), with a
query count that does not grow with the data, and with exact figures.

What it does, in one process:

1. drops and recreates its own database (kycuong_targets_bench by default; it refuses a name without
   "bench"), migrates, and loads the Hanoi demo (seed_demo: units, demo users and grants, demo tasks,
   about 2,000 projects with their disbursements);
2. measures at that size, then tops the data up to --projects projects and --disbursements disbursement
   records with PostgreSQL COPY (plan revisions for 2024–2026, disbursements spread over each plan year's
   window, 31 January of the next year included), recomputes the pre-aggregates with
   services.aggregates_rebuild, runs VACUUM ANALYZE and measures again;
3. measures through Django's test Client against the real views: the API (bearer token) and the HTML page
   (logged-in session) of the city leader, the dashboard of a district head, and the first page of the
   city's lagging projects: 3 warm-up requests, then 21 timed ones (time.perf_counter around client.get, in
   process: server time without network), and the query count of each (CaptureQueriesContext);
4. checks that the dashboard's totals equal SUM queries over the raw disbursement and plan tables.

Usage (from the project root):

    .venv/bin/python bench/targets_bench.py
    .venv/bin/python bench/targets_bench.py --reuse      # measure again without reloading
"""

import argparse
import datetime
import gc
import json
import os
import random
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_targets_bench"
TARGET_MS = 200.0
PROFILE = [2, 5, 10, 15, 21, 30, 37, 45, 55, 65, 76, 90, 100]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--disbursements", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2025, help="the plan year the dashboard shows")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--reuse", action="store_true", help="keep the database and measure again")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "targets_1000000.json"))
    return parser.parse_args()


def recreate_database(url: str, force: bool) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name and not force:
        sys.exit(f"Refusing to drop database {name!r}: its name does not contain 'bench' (use --force).")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} recreated")


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "kycuong.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def load_demo() -> None:
    from django.core.management import call_command

    from kycuong.demo.loader import seed_demo

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    seed_demo(log=lambda message: None)
    log(f"migrated and seeded in {time.perf_counter() - started:.0f} s")


def top_up(projects_wanted: int, disbursements_wanted: int, seed: int) -> None:
    """Add generated projects, plans and disbursements with COPY until the wanted sizes, then rebuild the
    pre-aggregates from the records and VACUUM ANALYZE."""
    from django.db import connection

    from kycuong.org.models import Unit, UnitKind
    from kycuong.targets.models import Disbursement, PlanRevision, Project
    from kycuong.targets.services import aggregates_rebuild

    rng = random.Random(seed)
    owners = list(
        Unit.objects.filter(
            kind__in=[
                UnitKind.URBAN_DISTRICT,
                UnitKind.RURAL_DISTRICT,
                UnitKind.TOWN,
                UnitKind.DEPARTMENT,
                UnitKind.WARD,
                UnitKind.COMMUNE,
            ]
        ).values_list("id", flat=True)
    )
    existing = Project.objects.count()
    new_projects = max(0, projects_wanted - existing)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM targets_project")
        first_project = cursor.fetchone()[0] + 1
        now = datetime.datetime.now(datetime.UTC)
        with cursor.cursor.copy(
            "COPY targets_project (id, code, name, investor_unit_id, responsible_unit_id, search_text, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for offset in range(new_projects):
                pk = first_project + offset
                unit = rng.choice(owners)
                copy.write_row((pk, f"BENCH-{pk:06d}", f"Dự án {pk}", unit, unit, f"bench {pk}", now, now))
        cursor.execute("SELECT setval('targets_project_id_seq', (SELECT MAX(id) FROM targets_project))")
        project_ids = list(range(first_project, first_project + new_projects))
        revisions = 0
        plans: dict[tuple[int, int], int] = {}
        with cursor.cursor.copy(
            "COPY targets_planrevision (project_id, year, effective_on, assigned_amount, local_amount, "
            "decision, note, created_at) FROM STDIN"
        ) as copy:
            for pk in project_ids:
                for year in (2024, 2025, 2026):
                    total = rng.randint(2, 120) * 1_000_000_000
                    plans[pk, year] = total
                    local = total // rng.choice([5, 10, 1_000_000_000_000])
                    copy.write_row(
                        (pk, year, datetime.date(year - 1, 12, 10), total - local, local, "", "", now)
                    )
                    revisions += 1
        existing_disbursements = Disbursement.objects.count()
        wanted = max(0, disbursements_wanted - existing_disbursements)
        today = datetime.date.today()
        written = 0
        with cursor.cursor.copy(
            "COPY targets_disbursement (project_id, plan_year, paid_on, amount, reference, note, created_at) "
            "FROM STDIN"
        ) as copy:
            per_project = max(1, -(-wanted // max(1, len(project_ids))))
            per_year = -(-per_project // 3)
            for pk in project_ids:
                pace = rng.uniform(0.4, 1.05)
                for index in range(per_project):
                    if written >= wanted:
                        break
                    year = (2024, 2025, 2026)[index % 3]
                    month = 1 + (index // 3) % 13
                    day = datetime.date(year, month, 20) if month <= 12 else datetime.date(year + 1, 1, 15)
                    if day > today:
                        day = today if today.year == year else datetime.date(year, 1, 20)
                    amount = max(1_000_000, int(plans[pk, year] * pace * rng.uniform(0.5, 1.5) / per_year))
                    copy.write_row((pk, year, day, amount, "", "", now))
                    written += 1
    log(
        f"copied {new_projects} projects, {revisions} plan revisions, {written} disbursements "
        f"in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    aggregates_rebuild()
    log(f"pre-aggregates rebuilt in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        for table in (
            "targets_project",
            "targets_planrevision",
            "targets_disbursement",
            "targets_projectyear",
            "targets_unitmonth",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(
        f"now {Project.objects.count()} projects, {PlanRevision.objects.count()} revisions, "
        f"{Disbursement.objects.count()} disbursements"
    )


def operations(year: int, district_head: str) -> list[dict]:
    return [
        {
            "key": "city dashboard (API)",
            "user": "lanhdao.thanhpho",
            "kind": "api",
            "url": f"/api/v1/targets/dashboard?year={year}",
        },
        {
            "key": "city dashboard (page)",
            "user": "lanhdao.thanhpho",
            "kind": "page",
            "url": f"/targets/?year={year}",
        },
        {
            "key": "district dashboard (API)",
            "user": district_head,
            "kind": "api",
            "url": f"/api/v1/targets/dashboard?year={year}",
        },
        {
            "key": "city lagging projects (API)",
            "user": "lanhdao.thanhpho",
            "kind": "api",
            "url": f"/api/v1/targets/projects?year={year}&lagging=true&limit=50",
        },
    ]


def measure(ops: list[dict], warmup: int, repeat: int, label: str) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import User
    from kycuong.accounts.services import api_token_create

    results = []
    for op in ops:
        user = User.objects.get(username=op["user"])
        client, headers = Client(), {}
        if op["kind"] == "api":
            _token, plain = api_token_create(actor=user, name="benchmark", days=1)
            headers = {"Authorization": f"Bearer {plain}"}
        else:
            client.force_login(user)
        for _ in range(warmup):
            response = client.get(op["url"], headers=headers)
            assert response.status_code == 200, (op, response.status_code, response.content[:500])
        gc.collect()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(op["url"], headers=headers)
            times.append((time.perf_counter() - started) * 1000)
        counts = set()
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured:
                client.get(op["url"], headers=headers)
            counts.add(len(captured))
        result = {
            **op,
            "size": label,
            "median_ms": round(statistics.median(times), 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
            "queries": sorted(counts),
        }
        results.append(result)
        log(
            f"  {op['key']:<30} median {result['median_ms']:7.1f} ms  max {result['max_ms']:7.1f} ms  "
            f"queries {result['queries']}"
        )
    return results


def check_exact(year: int) -> dict:
    """The dashboard's totals against SUM queries over the raw records."""
    from django.db import connection

    from kycuong.core.context import SystemActor
    from kycuong.targets.selectors import disbursement_dashboard

    board = disbursement_dashboard(actor=SystemActor("bench", kind="command"), year=year)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM targets_disbursement WHERE plan_year = %s", [year]
        )
        raw_disbursed = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COALESCE(SUM(assigned_amount), 0), COALESCE(SUM(assigned_amount + local_amount), 0) FROM "
            "(SELECT DISTINCT ON (project_id) assigned_amount, local_amount FROM targets_planrevision "
            "WHERE year = %s ORDER BY project_id, effective_on DESC, id DESC) latest",
            [year],
        )
        raw_assigned, raw_total = cursor.fetchone()
    figures = {
        "dashboard": [board.totals.disbursed, board.totals.assigned, board.totals.total],
        "records": [int(raw_disbursed), int(raw_assigned), int(raw_total)],
        "rate_assigned": str(board.totals.rate_assigned),
        "rate_total": str(board.totals.rate_total),
        "lagging_projects": board.totals.lagging,
        "lagging_units": board.lagging_units,
    }
    figures["exact"] = figures["dashboard"] == figures["records"]
    log(f"exact: {figures['exact']} {figures}")
    return figures


def main() -> None:
    args = parse_args()
    if not args.reuse:
        recreate_database(args.url, args.force)
    setup_django(args.url)
    results = []
    if not args.reuse:
        load_demo()
        log("measuring at the demo size")
        results += measure(operations(args.year, "truong.hoangmai"), args.warmup, args.repeat, "demo")
        top_up(args.projects, args.disbursements, args.seed)
    log("measuring at full size")
    results += measure(operations(args.year, "truong.hoangmai"), args.warmup, args.repeat, "full")
    exact = check_exact(args.year)
    slow = [r for r in results if r["size"] == "full" and r["median_ms"] > TARGET_MS]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"results": results, "exact": exact}, indent=2, default=str))
    log(f"written {args.output}")
    if slow or not exact["exact"]:
        sys.exit(f"FAILED: {[r['key'] for r in slow]} over {TARGET_MS} ms, exact={exact['exact']}")
    log(f"OK: every full-size median under {TARGET_MS:.0f} ms, figures exact")


if __name__ == "__main__":
    main()
