#!/usr/bin/env python
"""Benchmark of the evaluations module: computing a monthly cycle at city scale on PostgreSQL.

The requirement: computing a monthly cycle for 150,000 staff over 3,000,000 tasks due in the month takes
under 60 s on PostgreSQL on the 2-core machine.

What it does, in one process:

1. drops and recreates its own database (kycuong_evalbench by default; it refuses a name without "bench"),
   migrates (which loads the shipped methods);
2. writes with PostgreSQL COPY a city with --districts districts of --wards wards each (and the closure
   rows), --staff staff spread over the wards with a head and a deputy per ward, and --tasks tasks due in
   the month, each with a responsible person of its ward: 80 % done on time, 8 % done late, 6 % done after
   being sent back once or twice, 4 % not done, 2 % cancelled (secondary indexes of the task table are
   dropped during the load and rebuilt from their own definitions, then VACUUM ANALYZE);
3. opens a monthly cycle organised by the city over all its units and times `cycle_compute` (the service
   the page and the API call: two GROUP BY queries over the tasks, the staff and posts, bulk insert of the
   evaluations and of one audit record each, in one transaction), then times computing it again (nothing
   changed: nothing written);
4. checks the result against SQL over the raw tasks: the number of evaluations, the sums of assigned,
   done, late and sent-back counts, and the task points of a sample of people recomputed by hand from
   their rows;
5. drops the database unless --keep.

Usage (from the project root):

    .venv/bin/python bench/evaluations_bench.py                     # 150,000 staff, 3,000,000 tasks
    .venv/bin/python bench/evaluations_bench.py --staff 15000 --tasks 300000 --keep

Output: the figures on standard output and, with --json, in a file.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_evalbench"
TARGET_S = 60.0
MONTH = datetime.date(2026, 3, 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--districts", type=int, default=30)
    parser.add_argument("--wards", type=int, default=50, help="wards per district")
    parser.add_argument("--staff", type=int, default=150_000)
    parser.add_argument("--tasks", type=int, default=3_000_000)
    parser.add_argument("--method", default="civil-servants")
    parser.add_argument("--seed", type=int, default=335)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


def admin_url(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to recreate {name!r}: the benchmark database's name must contain 'bench'")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(url: str) -> None:
    import psycopg

    server, name = admin_url(url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    server, name = admin_url(url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "kycuong.settings"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def copy_rows(model, columns: list[str], rows) -> int:
    """COPY rows (tuples in the order of `columns`) into the model's table; returns how many."""
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def load_city(args, rng: random.Random) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from kycuong.accounts.models import User
    from kycuong.org.models import Post, PostRole, Staff, Unit, UnitClosure, UnitKind

    now = timezone.now()
    unit_columns = ["parent_id", "kind", "code", "name", "name_en", "depth", "created_at", "updated_at"]
    unit_columns.append("search_text")
    with transaction.atomic():
        city = Unit.objects.create(kind=UnitKind.CITY, code="B01", name="Thành phố Bench", depth=0)
        copy_rows(
            Unit,
            unit_columns,
            (
                (city.pk, UnitKind.URBAN_DISTRICT, f"B{d:03d}", f"Quận {d}", "", 1, now, now, f"quan {d}")
                for d in range(args.districts)
            ),
        )
        districts = list(Unit.objects.filter(parent=city).order_by("code").values_list("pk", flat=True))
        copy_rows(
            Unit,
            unit_columns,
            (
                (
                    district,
                    UnitKind.WARD,
                    f"B{d:03d}{w:03d}",
                    f"Phường {d}-{w}",
                    "",
                    2,
                    now,
                    now,
                    f"phuong {d} {w}",
                )
                for d, district in enumerate(districts)
                for w in range(args.wards)
            ),
        )
        wards = list(
            Unit.objects.filter(parent_id__in=districts).values_list("pk", "parent_id").order_by("pk")
        )
        closure = [(city.pk, city.pk, 0)]
        closure += [(d, d, 0) for d in districts] + [(city.pk, d, 1) for d in districts]
        closure += (
            [(w, w, 0) for w, _ in wards]
            + [(p, w, 1) for w, p in wards]
            + [(city.pk, w, 2) for w, _ in wards]
        )
        copy_rows(UnitClosure, ["ancestor_id", "descendant_id", "depth"], closure)
        ward_ids = [w for w, _ in wards]
        per_ward = args.staff // len(ward_ids)
        staff_columns = ["full_name", "category", "unit_id", "is_party_member", "email", "phone", "is_active"]
        staff_columns += ["gender", "created_at", "updated_at", "search_text"]
        copy_rows(
            Staff,
            staff_columns,
            (
                (f"Cán bộ {w}-{i}", "civil_servant", w, False, "", "", True, "", now, now, f"can bo {w} {i}")
                for w in ward_ids
                for i in range(per_ward)
            ),
        )
        staff_by_ward: dict[int, list[int]] = {}
        for pk, unit_id in Staff.objects.order_by("pk").values_list("pk", "unit_id"):
            staff_by_ward.setdefault(unit_id, []).append(pk)
        posts = []
        for ward, people in staff_by_ward.items():
            posts.append(
                (people[0], ward, "Chủ tịch", PostRole.HEAD, datetime.date(2020, 1, 1), False, now, now)
            )
            posts.append(
                (people[1], ward, "Phó Chủ tịch", PostRole.DEPUTY, datetime.date(2020, 1, 1), False, now, now)
            )
        post_columns = ["staff_id", "unit_id", "title", "role", "start_date", "is_concurrent", "created_at"]
        copy_rows(Post, [*post_columns, "updated_at"], posts)
        admin = User.objects.create(username="bench-admin", is_superuser=True, is_staff=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "city": city,
        "districts": districts,
        "ward_parent": dict(wards),
        "staff_by_ward": staff_by_ward,
        "admin": admin,
    }


def task_rows(args, rng: random.Random, city: dict):
    """(values…) per task, and the expected figures per responsible person for the check."""
    from django.utils import timezone

    now = timezone.now()
    start = MONTH - datetime.timedelta(days=10)
    admin_id = city["admin"].pk
    wards = list(city["staff_by_ward"].items())
    for index in range(args.tasks):
        ward, people = wards[index % len(wards)]
        responsible = people[(index // len(wards)) % len(people)]
        due = MONTH + datetime.timedelta(days=rng.randrange(31))
        roll = rng.random()
        late, rework, closed = 0, 0, due
        if roll < 0.80:
            state = "approved"
        elif roll < 0.88:
            state, late = "approved", rng.randint(1, 10)
        elif roll < 0.94:
            state, rework = "approved", rng.choice([1, 1, 2])
        elif roll < 0.98:
            state, closed, late = "in_progress", None, None
        else:
            state, closed, late = "cancelled", None, None
        yield (
            "Nhiệm vụ",
            "",
            city["ward_parent"][ward],
            admin_id,
            ward,
            responsible,
            start,
            due,
            2,
            "",
            "",
            state,
            100 if closed else 50,
            closed,
            late,
            rework,
            1,
            start.toordinal(),
            due.toordinal(),
            now,
            now,
            "nhiem vu",
        )


TASK_COLUMNS = [
    "title",
    "description",
    "assigning_unit_id",
    "assigned_by_id",
    "lead_unit_id",
    "responsible_id",
    "start_date",
    "due_date",
    "priority",
    "expected_product",
    "recurrence",
    "state",
    "progress",
    "closed_on",
    "late_working_days",
    "rework_count",
    "version",
    "start_day",
    "due_day",
    "created_at",
    "updated_at",
    "search_text",
]


def load_tasks(args, rng: random.Random, city: dict) -> float:
    from django.db import connection, transaction

    from kycuong.tasks.models import Task

    table = Task._meta.db_table
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE %s",
            [table, "CREATE UNIQUE%"],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    with transaction.atomic():
        copy_rows(Task, TASK_COLUMNS, task_rows(args, rng, city))
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
    connection.close()
    import psycopg

    with psycopg.connect(args.url, autocommit=True) as raw:
        raw.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - began


def expected_points(rules: dict, rows: list[tuple]) -> Decimal:
    """Task points of one person recomputed from their raw rows (state, late, rework), as the guide says."""
    counted = [row for row in rows if row[0] != "cancelled"]
    if not counted:
        return Decimal(rules["task_max"])
    done = [row for row in counted if row[0] == "approved"]
    quality = sum(Decimal(100 - min(100, (row[2] or 0) * rules["quality_deduction_percent"])) for row in done)
    progress = sum(
        Decimal(100 - (rules["progress_deduction_percent"] if (row[1] or 0) > 0 else 0)) for row in done
    )
    quantity = Decimal(100 * len(done))
    own = (quantity + quality + progress) / 3 / len(counted)
    return (Decimal(rules["task_max"]) * own / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check(cycle, sample_ids: list[int]) -> dict:
    from django.db import connection
    from django.db.models import Count, Sum

    from kycuong.evaluations.models import Evaluation

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE state = 'approved'),
                   count(*) FILTER (WHERE state = 'approved' AND late_working_days > 0),
                   coalesce(sum(rework_count), 0)
            FROM tasks_task
            WHERE due_date BETWEEN %s AND %s AND state <> 'cancelled' AND responsible_id IS NOT NULL
            """,
            [cycle.period_start, cycle.period_end],
        )
        raw = cursor.fetchone()
    stored = Evaluation.objects.filter(cycle=cycle).aggregate(
        n=Count("id"),
        assigned=Sum("tasks_assigned"),
        done=Sum("tasks_done"),
        late=Sum("tasks_late"),
        rework=Sum("rework_total"),
    )
    rules = cycle.method.rules
    mismatches = []
    for staff_id in sample_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT state, late_working_days, rework_count FROM tasks_task WHERE responsible_id = %s"
                " AND due_date BETWEEN %s AND %s",
                [staff_id, cycle.period_start, cycle.period_end],
            )
            rows = cursor.fetchall()
        evaluation = Evaluation.objects.get(cycle=cycle, staff_id=staff_id)
        if evaluation.role == "member" and evaluation.task_points != expected_points(rules, rows):
            mismatches.append((staff_id, str(evaluation.task_points), str(expected_points(rules, rows))))
    return {
        "raw": {"assigned": raw[0], "done": raw[1], "late": raw[2], "rework": raw[3]},
        "stored": {key: stored[key] for key in ("n", "assigned", "done", "late", "rework")},
        "sample": len(sample_ids),
        "mismatches": mismatches,
        "exact": (raw[0], raw[1], raw[2], raw[3])
        == (stored["assigned"], stored["done"], stored["late"], stored["rework"])
        and not mismatches,
    }


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    log(f"recreating {admin_url(args.url)[1]}")
    recreate_database(args.url)
    setup_django(args.url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    log("migrated; loading the city")
    city = load_city(args, rng)
    staff_total = sum(len(people) for people in city["staff_by_ward"].values())
    log(f"{len(city['ward_parent'])} wards, {staff_total} staff; loading {args.tasks} tasks")
    load_seconds = load_tasks(args, rng, city)
    log(f"tasks loaded and indexed in {load_seconds:.0f} s")

    from kycuong.core.models import AuditRecord
    from kycuong.evaluations import services
    from kycuong.evaluations.models import Evaluation
    from kycuong.org.models import Unit

    admin = city["admin"]
    cycle = services.cycle_create(
        actor=admin,
        method_code=args.method,
        unit=city["city"],
        units=[city["city"]],
        include_descendants=True,
        frequency="monthly",
        period_start=MONTH,
    )
    # A running server or worker has its URL configuration loaded (the computation links its notice to the
    # cycle's page); load it before timing, as the first request of a process would.
    from django.urls import reverse

    reverse("evaluations:index")
    audit_before = AuditRecord.objects.count()
    log(f"computing cycle {cycle.pk} ({cycle.method.name})")
    began = time.perf_counter()
    count = services.cycle_compute(actor=admin, cycle=cycle)
    first = time.perf_counter() - began
    audit_written = AuditRecord.objects.count() - audit_before
    log(f"first computation: {count} evaluations in {first:.1f} s ({audit_written} audit records)")
    began = time.perf_counter()
    services.cycle_compute(actor=admin, cycle=cycle)
    again = time.perf_counter() - began
    log(f"computing again (nothing changed): {again:.1f} s")
    people = list(
        Evaluation.objects.filter(cycle=cycle, role="member")
        .order_by("?")
        .values_list("staff_id", flat=True)[:200]
    )
    result = check(cycle, people)
    log(f"check: {json.dumps(result, default=str)}")
    figures = {
        "date": datetime.date.today().isoformat(),
        "units": Unit.objects.count(),
        "staff": staff_total,
        "tasks": args.tasks,
        "method": cycle.method.name,
        "load_seconds": round(load_seconds, 1),
        "compute_seconds": round(first, 2),
        "compute_again_seconds": round(again, 2),
        "evaluations": count,
        "audit_records": audit_written,
        "target_seconds": TARGET_S,
        "met": first < TARGET_S,
        "check": result,
    }
    print(json.dumps(figures, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    from django.db import connections

    connections.close_all()
    if not args.keep:
        drop_database(args.url)
        log("database dropped")


if __name__ == "__main__":
    main()
