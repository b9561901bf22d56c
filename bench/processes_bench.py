#!/usr/bin/env python
"""Benchmark of internal work processes on PostgreSQL.

Two requirements:

* starting an instance and completing a step each sustain at least 100 operations per second (one process,
  one after the other, through the services: scope checks, the SpiffWorkflow engine, the JSON state, the
  step rows, monthly figures, timeline and audit records all included);
* the city's on-time statistics for a year over 2,000,000 instances answer in under 200 ms (median of
  repeated calls of the API endpoint through Django's test Client, server time, exact figures).

What it does, in one process:

1. drops and recreates its own database (kycuong_processes_bench by default; it refuses a name without
   "bench"), migrates, and loads the demo's organisation, users and processes (the 22 processes in every ward
   of Quận Hoàng Mai, KYCUONG_DEMO_PROCESSES finished cases);
2. times --operations starts of a three-step process by a ward's staff member, then as many completions of
   the first step, and reports operations per second;
3. gives every ward and commune of the city the same catalogue, adds finished instances with PostgreSQL COPY
   until the table holds --instances rows spread over two years, rebuilds the monthly figures from the raw
   rows with one INSERT ... SELECT, runs VACUUM ANALYZE;
4. times GET /api/v1/processes/statistics for the city and one year as the city leader (3 warm-up requests,
   then 21 timed ones) and checks the totals against COUNT queries over the raw instance table.

Usage (from the project root):

    .venv/bin/python bench/processes_bench.py
    .venv/bin/python bench/processes_bench.py --instances 200000 --operations 200   # a quick run
"""

import argparse
import datetime
import io
import os
import random
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOANG_LIET = "00337"  # the demo ward whose staff member is a demo login
WARM_UP = 999  # the worker number of the warm-up calls
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_processes_bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--instances", type=int, default=2_000_000)
    parser.add_argument("--operations", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the statistics again on the loaded data"
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="with --reuse: measure starts and completions again on the loaded data, not the statistics",
    )
    return parser.parse_args()


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop database {name!r}: its name does not contain 'bench'.")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} {'dropped' if drop_only else 'recreated'}")


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "kycuong.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("KYCUONG_DEMO_PROCESSES", "2000")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def load_base() -> None:
    from django.core.management import call_command
    from django.db import transaction

    from kycuong.demo import loader

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    wanted = {"units", "agencies", "party", "staff", "users", "processes"}
    ctx = loader.DemoContext(rng=random.Random(loader.DEMO_SEED), today=datetime.date.today(), log=log)
    with transaction.atomic():
        for name, function in loader.LOADERS:
            if name in wanted:
                function(ctx)
    log(f"migrated and loaded organisation and processes in {time.perf_counter() - started:.0f} s")


def _ward_actor(worker: int, same_unit: bool):
    """The staff member and the process (QT-04) a worker uses: Phường Hoàng Liệt's demo user, or with
    several workers, each its own ward's staff member (as in a city, where the people completing steps at
    the same moment work in different wards), unless `same_unit` puts them all on Hoàng Liệt's process."""
    from kycuong.accounts.models import Role, User
    from kycuong.accounts.services import grant_create, user_create
    from kycuong.core.context import SystemActor
    from kycuong.processes.models import ProcessDefinition

    definitions = ProcessDefinition.objects.filter(code="QT-04").select_related("owner_unit")
    if same_unit or worker in (WARM_UP, 0):
        definition = definitions.get(owner_unit__code=HOANG_LIET)
        return User.objects.get(username="canbo.hoangliet"), definition
    others = [d for d in definitions.order_by("owner_unit__code") if d.owner_unit.code != HOANG_LIET]
    definition = others[(worker - 1) % len(others)]
    ward = definition.owner_unit
    user = User.objects.filter(username=f"bench.canbo.{ward.code}").first()
    if user is None:  # through the services, audited like any account
        bench = SystemActor("bench")
        user = user_create(actor=bench, username=f"bench.canbo.{ward.code}", password=None)
        grant_create(
            actor=bench,
            user=user,
            role=Role.objects.get(code="unit_staff"),
            unit=ward,
            include_descendants=False,
        )
    return user, definition


def _start_cases(worker: int, count: int, same_unit: bool = False) -> list[int]:
    from kycuong.processes import services

    staff, definition = _ward_actor(worker, same_unit)
    services.instance_start(  # warm the caches of this process (parsed diagram, scope, calendar)
        actor=staff, definition=definition, case_kind="dossier", case_reference="WARM", case_title="x"
    )
    return [
        services.instance_start(
            actor=staff,
            definition=definition,
            case_kind="dossier",
            case_reference=f"BENCH-{worker}-{number}",
            case_title="Chứng thực bản sao",
        ).pk
        for number in range(count)
    ]


def _complete_first_steps(worker: int, count: int, same_unit: bool = False) -> int:
    from kycuong.processes import services
    from kycuong.processes.models import ProcessStep

    staff, _definition = _ward_actor(worker, same_unit)
    steps = list(
        ProcessStep.objects.filter(
            instance__case_reference__startswith=f"BENCH-{worker}-", state="open", bpmn_id="Step_1"
        ).order_by("id")[:count]
    )
    for step in steps:
        services.step_complete(actor=staff, step=step, result="Đã kiểm tra bản chính")
    return len(steps)


def _in_workers(function, workers: int, per_worker: int, same_unit: bool, offset: int) -> float:
    """Run `function(worker, per_worker, same_unit)` in `workers` forked processes at once (workers
    numbered from offset + 1); the wall time in seconds."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        started = time.perf_counter()
        pool.starmap(function, [(offset + n, per_worker, same_unit) for n in range(1, workers + 1)])
        return time.perf_counter() - started


def throughput(operations: int, workers: int) -> dict:
    """Starts, then completions of the first step, one process after the other, then in parallel workers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = {"operations": operations}
    with CaptureQueriesContext(connection) as queries:
        _start_cases(WARM_UP, 1)
    started, cpu = time.perf_counter(), time.process_time()
    _start_cases(0, operations)
    result["start_per_second"] = operations / (time.perf_counter() - started)
    result["start_cpu_ms"] = (time.process_time() - cpu) * 1000 / operations
    result["start_queries"] = len(queries)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        _complete_first_steps(WARM_UP, 1)
    cpu = time.process_time()
    _complete_first_steps(0, operations)
    result["complete_per_second"] = operations / (time.perf_counter() - started)
    result["complete_cpu_ms"] = (time.process_time() - cpu) * 1000 / operations
    result["complete_queries"] = len(queries)
    per_worker = operations // workers
    result["workers"] = workers
    for label, same_unit in (("", False), ("same_unit_", True)):
        # Each round uses case references of its own: the second must not complete the first's steps.
        offset = 100 if same_unit else 0
        result[f"parallel_{label}start_per_second"] = (
            workers * per_worker / _in_workers(_start_cases, workers, per_worker, same_unit, offset)
        )
        seconds = _in_workers(_complete_first_steps, workers, per_worker, same_unit, offset)
        result[f"parallel_{label}complete_per_second"] = workers * per_worker / seconds
    return result


def top_up(wanted: int, year: int) -> int:
    """Give every ward the catalogue, then COPY finished instances until the table holds `wanted` rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kycuong.org.models import Unit, UnitKind
    from kycuong.processes.models import ProcessDefinition, ProcessInstance

    templates = list(ProcessDefinition.objects.filter(owner_unit__code=HOANG_LIET).order_by("code"))
    admin_id = templates[0].created_by_id
    owners = set(ProcessDefinition.objects.values_list("owner_unit_id", flat=True))
    wards = list(
        Unit.objects.filter(kind__in=[UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP]).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        ProcessDefinition.objects.bulk_create(
            [
                ProcessDefinition(
                    owner_unit_id=ward,
                    code=t.code,
                    name=t.name,
                    scope=t.scope,
                    version=1,
                    valid_from=t.valid_from,
                    bpmn_process_id=t.bpmn_process_id,
                    bpmn_xml=t.bpmn_xml,
                    limit_value=t.limit_value,
                    limit_unit=t.limit_unit,
                    interconnected=t.interconnected,
                    created_by_id=admin_id,
                    search_text=t.search_text,
                )
                for ward in wards
                if ward not in owners
                for t in templates
            ],
            batch_size=2000,
        )
    definitions: dict[int, list[tuple[int, int]]] = {}
    for pk, owner, limit in ProcessDefinition.objects.values_list("pk", "owner_unit_id", "limit_value"):
        definitions.setdefault(owner, []).append((pk, limit or 1))
    have = ProcessInstance.objects.count()
    missing = max(wanted - have, 0)
    log(
        f"{len(wards)} wards and communes, {sum(map(len, definitions.values()))} processes; "
        f"adding {missing:,} instances"
    )
    rng = random.Random(2_000_000)
    owners_list = sorted(definitions)
    first = datetime.datetime(year - 1, 1, 1, 1, 0, tzinfo=datetime.UTC)
    now = timezone.now()
    columns = (
        "search_text, definition_id, unit_id, case_kind, case_reference, case_title, state, started_at, "
        "started_on, due_at, completed_at, completed_on, outcome, allowed_minutes, used_minutes, "
        "paused_minutes, pause_reason, current_steps, workflow, version, created_at, updated_at"
    )
    chunk = 200_000
    with connection.cursor() as cursor:
        raw = cursor.connection
        for offset in range(0, missing, chunk):
            buffer = io.StringIO()
            for number in range(offset, min(offset + chunk, missing)):
                unit = owners_list[number % len(owners_list)]
                definition, limit = rng.choice(definitions[unit])
                started = first + datetime.timedelta(minutes=rng.randrange(0, 730 * 24 * 60))
                allowed = limit * 480
                used = int(
                    allowed * (rng.uniform(1.05, 1.6) if rng.random() < 0.08 else rng.uniform(0.1, 0.95))
                )
                result = "late" if used > allowed else ("early" if used < allowed - 480 else "on_time")
                due = started + datetime.timedelta(days=limit * 1.4)
                done = started + datetime.timedelta(days=limit * 1.4 * used / allowed)
                buffer.write(
                    f"hs {number}\t{definition}\t{unit}\tdossier\tB-{number}\tHồ sơ {number}\tcompleted\t"
                    f"{started.isoformat()}\t{started.date()}\t{due.isoformat()}\t{done.isoformat()}\t{done.date()}\t"
                    f"{result}\t{allowed}\t{used}\t0\t\t\t\t1\t{now.isoformat()}\t{now.isoformat()}\n"
                )
            buffer.seek(0)
            with raw.cursor().copy(f"COPY processes_processinstance ({columns}) FROM STDIN") as copy:
                copy.write(buffer.read())
            raw.commit() if not raw.autocommit else None
            log(f"  {min(offset + chunk, missing):,} / {missing:,}")
        cursor.execute("DELETE FROM processes_monthlyfigure WHERE level = 'instance'")
        cursor.execute("DELETE FROM processes_unitmonthfigure WHERE level = 'instance'")
        cursor.execute(
            """
            INSERT INTO processes_monthlyfigure
                (level, unit_id, definition_id, code, month, finished, early, on_time, late, used_minutes)
            SELECT 'instance', i.unit_id, i.definition_id, d.code, date_trunc('month', i.completed_on)::date,
                   count(*), count(*) FILTER (WHERE i.outcome = 'early'),
                   count(*) FILTER (WHERE i.outcome = 'on_time'), count(*) FILTER (WHERE i.outcome = 'late'),
                   sum(greatest(i.used_minutes, 0))
            FROM processes_processinstance i JOIN processes_processdefinition d ON d.id = i.definition_id
            WHERE i.state = 'completed' AND i.outcome <> ''
            GROUP BY i.unit_id, i.definition_id, d.code, date_trunc('month', i.completed_on)
            """
        )
        cursor.execute(
            """
            INSERT INTO processes_unitmonthfigure
                (level, unit_id, month, finished, early, on_time, late, used_minutes)
            SELECT level, unit_id, month,
                   sum(finished), sum(early), sum(on_time), sum(late), sum(used_minutes)
            FROM processes_monthlyfigure WHERE level = 'instance'
            GROUP BY level, unit_id, month
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE processes_monthlyfigure")
        cursor.execute("VACUUM ANALYZE processes_unitmonthfigure")
        cursor.execute("VACUUM ANALYZE processes_processinstance")
    return ProcessInstance.objects.count()


def measure_statistics(year: int, repeat: int, by_process: bool = False) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import User
    from kycuong.accounts.services import api_token_create
    from kycuong.org.models import Unit
    from kycuong.processes.models import MonthlyFigure, ProcessInstance

    leader = User.objects.get(username="lanhdao.thanhpho")
    city = Unit.objects.get(parent__isnull=True, code="01")
    _token, plain = api_token_create(actor=leader, name="bench")
    client = Client(headers={"Authorization": f"Bearer {plain}"})
    url = "/api/v1/processes/statistics"
    params = {"unit_id": city.pk, "start": f"{year}-01-01", "end": f"{year}-12-31"}
    if by_process:
        params["by_process"] = "true"
    for _ in range(3):
        response = client.get(url, params)
        assert response.status_code == 200, response.content
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url, params).json()
    raw = ProcessInstance.objects.filter(
        state="completed",
        completed_on__gte=datetime.date(year, 1, 1),
        completed_on__lte=datetime.date(year, 12, 31),
    )
    expected = {
        "finished": raw.count(),
        "early": raw.filter(outcome="early").count(),
        "on_time": raw.filter(outcome="on_time").count(),
        "late": raw.filter(outcome="late").count(),
    }
    got = {key: body["total"][key] for key in expected}
    return {
        "median_ms": statistics.median(timings),
        "p90_ms": sorted(timings)[int(len(timings) * 0.9) - 1],
        "queries": len(queries),
        "exact": got == expected,
        "figures": got,
        "timely_rate": body["total"]["timely_rate"],
        "figure_rows": MonthlyFigure.objects.count(),
        "instances_in_year": expected["finished"],
    }


def main() -> None:
    args = parse_args()
    if args.reuse and args.throughput_only:
        setup_django(args.url)
        report_throughput(throughput(args.operations, args.workers))
        return
    if args.reuse:
        setup_django(args.url)
        for by_process in (False, True):
            report_statistics(args, measure_statistics(args.year, args.repeat, by_process), by_process)
        return
    recreate_database(args.url)
    setup_django(args.url)
    load_base()
    report_throughput(throughput(args.operations, args.workers))
    total = top_up(args.instances, args.year)
    log(f"{total:,} instances")
    for by_process in (False, True):
        report_statistics(args, measure_statistics(args.year, args.repeat, by_process), by_process)
    if args.drop:
        from django.db import connections

        connections.close_all()
        recreate_database(args.url, drop_only=True)


def report_throughput(result: dict) -> None:
    log(
        f"{result['operations']} starts: {result['start_per_second']:.0f}/s "
        f"(a start: {result['start_queries']} queries with its warm-up); "
        f"completions: {result['complete_per_second']:.0f}/s ({result['complete_queries']} queries); "
        f"CPU of this process: {result['start_cpu_ms']:.1f} ms a start, "
        f"{result['complete_cpu_ms']:.1f} ms a completion"
    )
    log(
        f"in {result['workers']} processes at once, each a staff member of another ward: "
        f"starts {result['parallel_start_per_second']:.0f}/s, "
        f"completions {result['parallel_complete_per_second']:.0f}/s"
    )
    log(
        f"in {result['workers']} processes at once, all on one ward's process (its monthly figure rows "
        f"shared): starts {result['parallel_same_unit_start_per_second']:.0f}/s, "
        f"completions {result['parallel_same_unit_complete_per_second']:.0f}/s"
    )


def report_statistics(args, figures: dict, by_process: bool) -> None:
    log(
        f"{'with' if by_process else 'without'} the breakdown by process: "
        f"city statistics for {args.year}: median {figures['median_ms']:.1f} ms, "
        f"p90 {figures['p90_ms']:.1f} ms, "
        f"{figures['queries']} queries, {figures['figure_rows']:,} monthly figure rows, "
        f"{figures['instances_in_year']:,} instances finished in the year, exact: {figures['exact']}, "
        f"early or on time {figures['timely_rate']} %"
    )


if __name__ == "__main__":
    main()
