#!/usr/bin/env python
"""Benchmark of the Hanoi 2025 reorganisation applied to the demo data set on PostgreSQL.

What it does, in one process:

1. drops and recreates its own database (kycuong_reorgbench by default; it refuses a name without "bench")
   and migrates;
2. loads the whole Hanoi demo data set without the reorganisation that `seed_demo` applies at its end (the
   2024 structure, staff, users, a year of tasks, service points, indicators and projects, inspections,
   processes, evaluations);
3. times, with their query counts: building the event from the shipped data (126 new units, 794 pairs and
   the districts), its preview, applying it (closing about 2,500 units, creating 126, handing over every
   open record, moving staff and posts, proposing grants), and undoing it;
4. checks after applying that no open record is left on a closed unit and that the tasks tally and the
   disbursement pre-aggregates (UnitMonth, ProjectYear) equal a recount, and the pre-aggregates again after
   undoing;
5. drops the database unless --keep.

Usage (from the project root):

    .venv/bin/python bench/reorganisation_bench.py [--database kycuong_reorgbench] [--keep] [--json out.json]
"""

import argparse
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--database", default="kycuong_reorgbench")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    if "bench" not in args.database:
        sys.exit("The database name must contain 'bench': it is dropped and recreated.")
    import psycopg

    server = urllib.parse.urlsplit(args.server)

    def admin(sql: str) -> None:
        with psycopg.connect(
            host=server.hostname,
            port=server.port or 5432,
            user=server.username or "postgres",
            dbname="postgres",
        ) as connection:
            connection.autocommit = True
            connection.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{args.database}"')
    admin(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = args.server.rstrip("/") + "/" + args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycuong.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kycuong.core.context import SystemActor
    from kycuong.demo.loader import seed_demo
    from kycuong.org import handover
    from kycuong.org.hanoi2025 import build_event
    from kycuong.org.models import Unit
    from kycuong.org.reorganisation import event_apply, event_preview, event_undo
    from kycuong.targets.selectors import aggregates_mismatches
    from kycuong.tasks.tally import tally_differences

    actor = SystemActor("reorganisation-bench", kind="command")
    results: dict = {"database": args.database}
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        seed_demo(log=lambda message: None, reorganise=False)
        results["seed_demo_s"] = round(time.perf_counter() - started, 1)

        def timed(name, function):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                value = function()
                results[name] = {"seconds": round(time.perf_counter() - started, 2), "queries": len(queries)}
            print(name, results[name], flush=True)
            return value

        event = timed("build_event", lambda: build_event(actor=actor))
        preview = timed("preview", lambda: event_preview(event=event))
        results["closing_units"] = len(preview.closing)
        results["open_records"] = preview.totals
        timed("apply", lambda: event_apply(actor=actor, event=event))
        event.refresh_from_db()
        results["applied"] = {
            key: (len(value) if isinstance(value, list) else value)
            for key, value in event.applied_changes.items()
        }
        closed = list(
            Unit.objects.filter(pk__in=[row.unit.pk for row in preview.closing]).values_list("pk", flat=True)
        )
        results["open_left_on_closed_units"] = sum(
            sum(h.open_counts(closed).values()) for h in handover.handlers()
        )
        results["tally_differences"] = len(tally_differences())
        results["targets_aggregate_mismatches"] = len(aggregates_mismatches())
        timed("undo", lambda: event_undo(actor=actor, event=event))
        results["targets_aggregate_mismatches_after_undo"] = len(aggregates_mismatches())
    finally:
        connection.close()
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{args.database}"')
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
