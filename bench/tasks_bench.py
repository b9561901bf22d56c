#!/usr/bin/env python
"""Benchmark of the tasks module at city scale on PostgreSQL (DESIGN.md conventions 5, 6 and 12).

The requirement: with 1,000,000 tasks, the first page of "tasks of my units" filtered by state for a
district-level user, and the city's unit summary, each answer in under 100 ms server time (median of
repeated requests), with a query count that does not grow with the data.

What it does, in one process:

1. drops and recreates its own database (kycuong_bench by default; it refuses a name without "bench"),
   migrates, and loads the Hanoi demo (seed_demo: units, staff, demo users and grants, demo tasks);
2. tops the task table up to a small size (--small, default 20,000 rows) with generated tasks, measures,
   then tops it up to --tasks rows and measures again, so that the query counts at both sizes sit side by
   side. Generated tasks are written with PostgreSQL COPY (secondary indexes dropped during the load and
   rebuilt from their own definitions afterwards), then VACUUM ANALYZE;
3. measures each operation through Django's test Client against the real views (API with a bearer token,
   HTML pages with a logged-in session): 3 warm-up requests, then 21 timed ones (time.perf_counter around
   client.get, in-process, so "server time" without network), and the query count of each request
   (CaptureQueriesContext, taken on separate requests so the timing carries no capture overhead);
4. runs EXPLAIN (ANALYZE, BUFFERS) on the district user's list query and the city summary query
   (printed in full with --verbose).

Usage (from the project root):

    .venv/bin/python bench/tasks_bench.py --tasks 1000000
    .venv/bin/python bench/tasks_bench.py --tasks 1000000 --reuse --verbose   # measure again, no reload

The generated data is deterministic for a given --seed and --as-of date. See bench/README.md.
"""

import argparse
import datetime
import functools
import gc
import json
import math
import os
import random
import statistics
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_bench"
TARGET_MS = 100.0

# Task titles with their expected product; two of them mention "giải ngân" (about 7% of the tasks), which
# the diacritic-insensitive search "giai ngan" finds.
TITLE_BASES = [
    ("Báo cáo tiến độ giải ngân vốn đầu tư công", "Báo cáo"),
    ("Đẩy nhanh giải ngân vốn đầu tư công các dự án trọng điểm", "Báo cáo kết quả giải ngân"),
    ("Rà soát, công khai thủ tục hành chính tại bộ phận một cửa", "Danh mục thủ tục đã công khai"),
    ("Tổ chức đối thoại giữa người đứng đầu với nhân dân", "Biên bản đối thoại"),
    ("Kiểm tra công vụ tại bộ phận tiếp nhận và trả kết quả", "Kết luận kiểm tra"),
    ("Xử lý dứt điểm đơn thư tồn đọng", "Báo cáo kết quả xử lý"),
    ("Cập nhật dữ liệu dân cư phục vụ Đề án 06", "Dữ liệu được cập nhật"),
    ("Chấn chỉnh trật tự đô thị trên các tuyến phố chính", "Báo cáo"),
    ("Báo cáo sơ kết công tác cải cách hành chính", "Báo cáo sơ kết"),
    ("Xây dựng kế hoạch thực hiện Chỉ thị 24-CT/TU", "Kế hoạch"),
    ("Báo cáo kết quả thực hiện Chỉ thị 24-CT/TU", "Báo cáo"),
    ("Kiểm tra an toàn phòng cháy, chữa cháy tại các cơ sở kinh doanh", "Biên bản kiểm tra"),
    ("Tổng hợp ý kiến, kiến nghị của cử tri", "Báo cáo tổng hợp"),
    ("Giải quyết hồ sơ đất đai tồn đọng", "Danh sách hồ sơ đã giải quyết"),
    ("Rà soát hộ nghèo, hộ cận nghèo", "Danh sách rà soát"),
    ("Triển khai các biện pháp tăng thu ngân sách nhà nước", "Báo cáo thu ngân sách"),
    ("Vệ sinh môi trường, thu gom rác thải khu dân cư", "Báo cáo"),
    ("Kiểm tra an toàn thực phẩm tại chợ dân sinh", "Kết luận kiểm tra"),
    ("Chuẩn bị nội dung kỳ họp Hội đồng nhân dân", "Tờ trình, dự thảo nghị quyết"),
    ("Rà soát văn bản quy phạm pháp luật", "Báo cáo rà soát"),
    ("Đánh giá, xếp loại cán bộ, công chức cuối năm", "Kết quả xếp loại"),
    ("Tuyên truyền, phổ biến, giáo dục pháp luật", "Báo cáo"),
    ("Xử lý vi phạm trật tự xây dựng", "Quyết định xử lý"),
    ("Chuyển đổi số trong giải quyết thủ tục hành chính", "Báo cáo"),
    ("Thống kê số liệu kinh tế - xã hội", "Báo cáo thống kê"),
    ("Kiểm tra việc thực hiện quy chế dân chủ ở cơ sở", "Kết luận kiểm tra"),
    ("Phòng, chống dịch bệnh mùa mưa", "Kế hoạch"),
    ("Tổ chức tiếp công dân định kỳ", "Sổ tiếp công dân"),
]
DURATIONS = [7, 10, 15, 20, 30, 30, 45, 60, 90, 120]
FIRST_DUE = datetime.date(2023, 1, 1)
LAST_DUE = datetime.date(2026, 12, 31)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1_000_000, help="rows in the task table at the end")
    parser.add_argument(
        "--small", type=int, default=20_000, help="measure first at this many rows too (0: only at --tasks)"
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--as-of",
        type=datetime.date.fromisoformat,
        default=datetime.date(2026, 11, 26),
        help="the 'today' the generated states are consistent with (default 2026-11-26)",
    )
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the existing bench database as it is and only measure"
    )
    parser.add_argument("--only", default="", help="comma-separated operation keys to measure (default all)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--verbose", "-v", action="store_true", help="print the EXPLAIN plans")
    parser.add_argument(
        "--force", action="store_true", help="allow dropping a database whose name does not contain 'bench'"
    )
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- database ------------------------------------------------------------------------------------------


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
    # The test client sends Host: testserver; DEBUG stays off, as in production.
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
    log(f"migrated in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    seed_demo(log=lambda message: None)
    log(f"seed_demo loaded in {time.perf_counter() - started:.0f} s")


# --- generated tasks -----------------------------------------------------------------------------------


@functools.cache
def _folded(title: str) -> str:
    from kycuong.core.text import fold

    return fold(title)


@functools.cache
def _late_working_days(due: datetime.date, closed: datetime.date) -> int:
    from kycuong.core.calendar import working_days_between

    return max(0, working_days_between(due, closed))


class TaskGenerator:
    """A deterministic stream of task rows spread over the city's units the way follow-up work is.

    Lead units are wards, communes and townships, district offices, districts and city departments; each
    gets a busyness weight drawn from a log-normal distribution (some units have ten times the median
    load). The assigning unit is the lead unit's parent, the assigner its head's user account when the
    demo has one (else the administrator), the responsible person one of the lead unit's staff.
    Due dates are spread evenly over 2023–2026; states follow from the due date as of --as-of: most
    tasks due in the past are approved (some late, a few cancelled), some are still open (overdue).
    """

    LEAD_KINDS = {
        "ward": 1.0,
        "commune": 1.0,
        "township": 1.0,
        "office": 0.8,
        "urban_district": 3.0,
        "rural_district": 3.0,
        "town": 3.0,
        "department": 2.0,
    }

    def __init__(self, seed: int, as_of: datetime.date) -> None:
        from kycuong.accounts.models import User
        from kycuong.org.models import Staff, Unit
        from kycuong.tasks.models import SourceDocument

        self.rng = random.Random(seed)
        self.as_of = as_of
        units = list(
            Unit.objects.filter(kind__in=list(self.LEAD_KINDS))
            .order_by("id")
            .values_list("id", "kind", "parent_id")
        )
        self.leads = [unit_id for unit_id, _kind, _parent in units]
        self.parent = {unit_id: parent for unit_id, _kind, parent in units}
        weights = [self.LEAD_KINDS[kind] * self.rng.lognormvariate(0.0, 1.0) for _id, kind, _p in units]
        total = 0.0
        self.cum_weights = []
        for weight in weights:
            total += weight
            self.cum_weights.append(total)
        # Some units close late much more often than others.
        self.lateness = {unit_id: self.rng.choice([0.05, 0.08, 0.12, 0.2, 0.35]) for unit_id in self.leads}
        siblings: dict[int, list[int]] = {}
        for unit_id, _kind, parent in units:
            siblings.setdefault(parent, []).append(unit_id)
        self.siblings = siblings
        self.staff: dict[int, list[int]] = {}
        for staff_id, unit_id in Staff.objects.order_by("id").values_list("id", "unit_id"):
            self.staff.setdefault(unit_id, []).append(staff_id)
        admin = User.objects.get(username="admin")
        heads = User.objects.filter(staff__isnull=False).order_by("id").values_list("id", "staff__unit_id")
        self.assigner = {staff_unit: user_id for user_id, staff_unit in heads}
        self.admin_id = admin.pk
        self.documents: dict[int, list[tuple[int, int]]] = {}  # issuing unit -> [(year, document id)]
        for document_id, unit_id, issued_on in SourceDocument.objects.order_by("id").values_list(
            "id", "issuing_unit_id", "issued_on"
        ):
            self.documents.setdefault(unit_id, []).append((issued_on.year, document_id))
        self.due_span = (LAST_DUE - FIRST_DUE).days + 1

    def _handed_in(self, start: datetime.date, due: datetime.date, late: bool) -> datetime.date:
        """When the result was submitted: by the due date, or some days after it; never after as-of."""
        if late:
            day = due + datetime.timedelta(days=self.rng.randint(1, 25))
        else:
            day = max(start, due - datetime.timedelta(days=self.rng.randint(0, 10)))
        return min(day, self.as_of)

    def _open(self, start, due, states: list[str], weights: list[int], lowest_tenth: int, highest_tenth: int):
        """An open state; a submitted task reports 100% and its submission date."""
        state = self.rng.choices(states, weights)[0]
        if state == "submitted":
            return state, 100, self._handed_in(start, due, late=self.rng.random() < 0.4), None, None
        if state == "in_progress":
            return state, self.rng.randint(lowest_tenth, highest_tenth) * 10, None, None, None
        return state, 0, None, None, None

    def _state(self, lead: int, start: datetime.date, due: datetime.date):
        """(state, progress, submitted_on, closed_on, late working days) as of the as-of date, the way the
        services leave them (task_submit, task_approve)."""
        rng, as_of = self.rng, self.as_of
        roll = rng.random()
        if start > as_of:
            return "assigned", 0, None, None, None
        if due < as_of - datetime.timedelta(days=30):
            if roll < 0.025:
                return "cancelled", 0, None, None, None
            if roll < 0.095:  # still open long after its due date: mostly overdue
                states = ["in_progress", "submitted", "accepted", "returned", "assigned"]
                return self._open(start, due, states, [60, 20, 10, 5, 5], 2, 9)
        elif due < as_of:
            if roll < 0.01:
                return "cancelled", 0, None, None, None
            if roll < 0.45:
                return self._open(start, due, ["in_progress", "submitted", "accepted"], [65, 30, 5], 3, 9)
        elif roll < 0.97:
            states = ["assigned", "accepted", "in_progress", "submitted", "returned"]
            return self._open(start, due, states, [15, 20, 50, 12, 3], 1, 8)
        # Approved: submitted on time or late (some units far more often than others), then approved a few
        # days later; lateness counts working days from the due date to the approved submission.
        submitted = self._handed_in(start, due, late=rng.random() < self.lateness[lead])
        closed = min(as_of, submitted + datetime.timedelta(days=rng.randint(0, 5)))
        return "approved", 100, submitted, closed, _late_working_days(due, min(submitted, closed))

    def rows(self, count: int, first_id: int, first_link_id: int):
        """Yield (task row dict, [(link id, task id, unit id)]) for `count` tasks."""
        rng = self.rng
        link_id = first_link_id
        leads = rng.choices(self.leads, cum_weights=self.cum_weights, k=count)
        for offset, lead in enumerate(leads):
            task_id = first_id + offset
            due = FIRST_DUE + datetime.timedelta(days=rng.randrange(self.due_span))
            start = due - datetime.timedelta(days=rng.choice(DURATIONS))
            base, product = TITLE_BASES[rng.randrange(len(TITLE_BASES))]
            period = rng.random()
            if period < 0.3:
                title = f"{base} quý {(due.month - 1) // 3 + 1}/{due.year}"
            elif period < 0.6:
                title = f"{base} tháng {due.month}/{due.year}"
            else:
                title = base
            state, progress, submitted_on, closed_on, late = self._state(lead, start, due)
            last_report = None
            if progress:
                last_report = min(self.as_of, start + datetime.timedelta(days=rng.randint(3, 60)))
            assigning = self.parent[lead]
            people = self.staff.get(lead)
            responsible = rng.choice(people) if people and rng.random() < 0.9 else None
            document = None
            documents = self.documents.get(assigning)
            if documents and rng.random() < 0.3:
                same_year = [pk for year, pk in documents if year <= due.year]
                document = rng.choice(same_year) if same_year else None
            changed = closed_on or last_report or start
            row = {
                "id": task_id,
                "search_text": _folded(title),
                "title": title,
                "description": "",
                "document_id": document,
                "parent_id": None,
                "assigning_unit_id": assigning,
                "assigned_by_id": self.assigner.get(assigning, self.admin_id),
                "lead_unit_id": lead,
                "responsible_id": responsible,
                "start_date": start,
                "due_date": due,
                "due_working_days": None,
                "priority": rng.choices([1, 2, 3, 4], [10, 60, 25, 5])[0],
                "expected_product": product,
                "recurrence": "",
                "previous_occurrence_id": None,
                "state": state,
                "progress": progress,
                "last_report_on": last_report,
                "submitted_on": submitted_on,
                "closed_on": closed_on,
                "late_working_days": late,
                "rework_count": 1 if rng.random() < 0.05 else 0,
                "version": 1,
                "start_day": start.toordinal(),
                "due_day": due.toordinal(),
                "created_at": f"{start.isoformat()} 01:30:00+00",
                "updated_at": f"{changed.isoformat()} 09:00:00+00",
            }
            links = []
            if rng.random() < 0.08:
                others = [unit for unit in self.siblings.get(assigning, ()) if unit != lead]
                for unit in rng.sample(others, min(len(others), rng.randint(1, 2))):
                    links.append((link_id, task_id, unit))
                    link_id += 1
            yield row, links


def _filler_for_unknown_columns(model, columns: list[str], row: dict, connection) -> dict:
    """Values for columns added to the model after this generator was written: NULL or the field's default,
    so that the benchmark keeps running; a required column without a default stops it."""
    filler = {}
    for field in model._meta.concrete_fields:
        if field.column in row or field.column not in columns:
            continue
        if field.null:
            filler[field.column] = None
        elif field.has_default():
            filler[field.column] = field.get_db_prep_save(field.get_default(), connection)
        else:
            raise RuntimeError(
                f"{model.__name__}.{field.name} is required and the generator does not fill it"
            )
    if filler:
        log(f"WARNING: columns the generator does not know, set to NULL or their default: {sorted(filler)}")
    return filler


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(ch in text for ch in "\t\n\r\\"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def ensure_documents(as_of: datetime.date) -> None:
    """A few hundred source documents issued by the city and the districts, which generated tasks cite."""
    from kycuong.org.models import Unit
    from kycuong.tasks.models import DocumentKind, SourceDocument

    if SourceDocument.objects.filter(number__startswith="BENCH-").exists():
        return
    issuing_kinds = ["city", "urban_district", "rural_district", "town"]
    issuers = Unit.objects.filter(kind__in=issuing_kinds).order_by("id")
    documents = []
    for unit in issuers:
        for year in (2023, 2024, 2025, 2026):
            for serial in range(1, 6):
                issued = datetime.date(year, 1 + 2 * serial, 10)
                if issued > as_of:
                    continue
                document = SourceDocument(
                    number=f"BENCH-{serial:02d}/{year}/KH-{unit.code}",
                    kind=DocumentKind.PLAN,
                    title=f"Kế hoạch công tác số {serial} năm {year} của {unit.name}",
                    issuing_unit=unit,
                    issued_on=issued,
                )
                document.refresh_search_text()
                documents.append(document)
    SourceDocument.objects.bulk_create(documents, batch_size=500)
    log(f"{len(documents)} source documents for generated tasks")


def top_up_tasks(target: int, seed: int, as_of: datetime.date, generator_state: dict) -> None:
    """Add generated tasks until the task table holds `target` rows, by COPY, then VACUUM ANALYZE."""
    from django.db import connection

    from kycuong.tasks.models import Task

    task_table = Task._meta.db_table
    link_model = Task.cooperating_units.through
    link_table = link_model._meta.db_table
    existing = Task.objects.count()
    missing = target - existing
    if missing <= 0:
        log(f"task table holds {existing:,} rows already (target {target:,})")
        return
    if "generator" not in generator_state:
        ensure_documents(as_of)
        generator_state["generator"] = TaskGenerator(seed, as_of)
    generator = generator_state["generator"]

    columns = [field.column for field in Task._meta.concrete_fields]
    checked_columns = False
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Table names come from the models' metadata, not from input.
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {task_table}")  # noqa: S608
        first_id = cursor.fetchone()[0] + 1
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {link_table}")  # noqa: S608
        first_link_id = cursor.fetchone()[0] + 1
        dropped = []
        for table in (task_table, link_table):
            cursor.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
                [table],
            )
            dropped += cursor.fetchall()
        for name, _definition in dropped:
            cursor.execute(f"DROP INDEX {name}")
        # The rows are generated from existing ids: the foreign-key triggers have nothing to find.
        cursor.execute("SET session_replication_role = replica")
        link_columns = [
            "id",
            link_model._meta.get_field("task").column,
            link_model._meta.get_field("unit").column,
        ]
        batch = 50_000
        written = links_written = 0
        rows = generator.rows(missing, first_id, first_link_id)
        last_link_id = first_link_id - 1
        while written < missing:
            task_lines, link_lines = [], []
            for _ in range(min(batch, missing - written)):
                row, links = next(rows)
                if not checked_columns:
                    filler = _filler_for_unknown_columns(Task, columns, row, connection)
                    checked_columns = True
                row.update(filler)
                task_lines.append("\t".join(_copy_value(row[column]) for column in columns))
                for link in links:
                    link_lines.append(f"{link[0]}\t{link[1]}\t{link[2]}")
                    last_link_id = link[0]
            with cursor.copy(f"COPY {task_table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write("\n".join(task_lines) + "\n")
            if link_lines:
                with cursor.copy(f"COPY {link_table} ({', '.join(link_columns)}) FROM STDIN") as copy:
                    copy.write("\n".join(link_lines) + "\n")
            written += len(task_lines)
            links_written += len(link_lines)
            if written % 200_000 < batch or written == missing:
                log(f"  {written:,}/{missing:,} tasks copied ({time.perf_counter() - started:.0f} s)")
        cursor.execute("SET session_replication_role = DEFAULT")
        last_id = first_id + missing - 1
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{task_table}', 'id'), {last_id})")
        if links_written:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{link_table}', 'id'), {last_link_id})")
        log(
            f"copied {missing:,} tasks and {links_written:,} cooperating-unit links "
            f"in {time.perf_counter() - started:.0f} s; rebuilding {len(dropped)} indexes"
        )
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _name, definition in dropped:
            cursor.execute(definition)
        log(f"indexes rebuilt in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        from kycuong.tasks.tally import tally_rebuild

        log(f"task tally rebuilt: {tally_rebuild():,} rows in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        cursor.execute(f"VACUUM (ANALYZE) {task_table}")
        cursor.execute(f"VACUUM (ANALYZE) {link_table}")
        cursor.execute("ANALYZE")
        log(f"VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")


# --- measurements --------------------------------------------------------------------------------------


def operations(units: dict) -> list[dict]:
    city, district = units["city"], units["district"]
    period = "due_from=2025-01-01&due_to=2025-12-31"
    return [
        {
            "key": "district_list_api",
            "label": "district: my units, state=in_progress, page 1 (API)",
            "user": "truong.hoangmai",
            "kind": "api",
            "url": "/api/v1/tasks?state=in_progress&limit=50",
            "target": True,
        },
        {
            "key": "district_list_page",
            "label": "district: my units, state=in_progress, page 1 (HTML)",
            "user": "truong.hoangmai",
            "kind": "page",
            "url": "/tasks/?state=in_progress",
            "target": True,
        },
        {
            "key": "ward_list_api",
            "label": "ward: my units, state=in_progress, page 1 (API)",
            "user": "canbo.hoangliet",
            "kind": "api",
            "url": "/api/v1/tasks?state=in_progress&limit=50",
            "target": True,
        },
        {
            "key": "ward_list_page",
            "label": "ward: my units, state=in_progress, page 1 (HTML)",
            "user": "canbo.hoangliet",
            "kind": "page",
            "url": "/tasks/?state=in_progress",
            "target": True,
        },
        {
            "key": "city_summary_api",
            "label": "city: unit summary 2025, with sub-units (API)",
            "user": "lanhdao.thanhpho",
            "kind": "api",
            "url": f"/api/v1/tasks/summary?unit_id={city}&{period}",
            "target": True,
        },
        {
            "key": "district_summary_api",
            "label": "district: unit summary 2025, with sub-units (API)",
            "user": "truong.hoangmai",
            "kind": "api",
            "url": f"/api/v1/tasks/summary?unit_id={district}&{period}",
            "target": True,
        },
        {
            "key": "district_overdue_api",
            "label": "district: my units, overdue, page 1 (API)",
            "user": "truong.hoangmai",
            "kind": "api",
            "url": "/api/v1/tasks?overdue=true&limit=50",
            "target": False,
        },
        {
            "key": "district_search_api",
            "label": "district: my units, q=giai ngan, page 1 (API)",
            "user": "truong.hoangmai",
            "kind": "api",
            "url": "/api/v1/tasks?q=giai%20ngan&limit=50",
            "target": False,
        },
        {
            "key": "city_list_api",
            "label": "city: all tasks, state=in_progress, page 1 (API)",
            "user": "lanhdao.thanhpho",
            "kind": "api",
            "url": "/api/v1/tasks?state=in_progress&limit=50",
            "target": False,
        },
        # The summary page adds one aggregate per child unit (up to 100): fewer repetitions.
        {
            "key": "city_summary_page",
            "label": "city: unit summary page 2025, with a row per child unit (HTML)",
            "user": "lanhdao.thanhpho",
            "kind": "page",
            "url": f"/tasks/summary/?unit={city}&from=2025-01-01&to=2025-12-31",
            "target": False,
            "warmup": 1,
            "repeat": 5,
        },
        {
            "key": "district_summary_page",
            "label": "district: unit summary page 2025, with a row per child unit (HTML)",
            "user": "truong.hoangmai",
            "kind": "page",
            "url": f"/tasks/summary/?unit={district}&from=2025-01-01&to=2025-12-31",
            "target": False,
            "warmup": 1,
            "repeat": 5,
        },
    ]


def _check(op: dict, response) -> str:
    if response.status_code != 200:
        raise RuntimeError(f"{op['key']}: HTTP {response.status_code}: {response.content[:500]!r}")
    if op["kind"] == "api":
        body = response.json()
        if "items" in body:
            if not body["items"]:
                raise RuntimeError(f"{op['key']}: empty page")
            return f"{len(body['items'])} items, has_more={body['has_more']}"
        return ", ".join(
            f"{k}={body[k]}" for k in ("assigned", "on_time", "late", "overdue", "in_progress", "cancelled")
        )
    if b'data-testid="summary"' in response.content:
        return f"{response.content.count(b'<tr>') - 1} child rows"
    if b'data-testid="task-table"' not in response.content:
        raise RuntimeError(f"{op['key']}: no task table in the page")
    return f"{response.content.count(b'<tr>') - 1} rows"


def measure(ops: list[dict], warmup: int, repeat: int, size: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import User
    from kycuong.accounts.services import api_token_create

    clients: dict[tuple[str, str], tuple] = {}
    results = []
    for op in ops:
        key = (op["user"], op["kind"])
        if key not in clients:
            user = User.objects.get(username=op["user"])
            client = Client()
            headers = {}
            if op["kind"] == "api":
                _token, plain = api_token_create(actor=user, name="benchmark", days=1)
                headers = {"Authorization": f"Bearer {plain}"}
            else:
                client.force_login(user)
            clients[key] = (client, headers)
        client, headers = clients[key]

        def get(client=client, headers=headers, url=op["url"]):
            return client.get(url, headers=headers)

        for _ in range(op.get("warmup", warmup)):
            answer = _check(op, get())
        gc.collect()
        times = []
        for _ in range(op.get("repeat", repeat)):
            started = time.perf_counter()
            response = get()
            times.append((time.perf_counter() - started) * 1000)
            _check(op, response)
        counts = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured:
                _check(op, get())
            counts.append(len(captured))
        ordered = sorted(times)
        result = {
            **op,
            "size": size,
            "median_ms": statistics.median(times),
            "p95_ms": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)],
            "timed": len(times),
            "min_ms": ordered[0],
            "max_ms": ordered[-1],
            "queries": Counter(counts).most_common(1)[0][0],
            "queries_seen": sorted(set(counts)),
            "answer": answer,
            "sql": [query["sql"] for query in captured.captured_queries],
        }
        results.append(result)
        log(
            f"  {op['key']:<22} median {result['median_ms']:8.1f} ms  p95 {result['p95_ms']:8.1f} ms  "
            f"queries {result['queries']}  ({answer})"
        )
    return results


def explain(sql: str, params=None) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def explain_main_queries(units: dict, results: list[dict], as_of: datetime.date) -> dict[str, list[str]]:
    """Plans of the district user's list query (built by the selector) and of the city summary query."""
    from kycuong.accounts.models import User
    from kycuong.tasks import selectors

    plans = {}
    user = User.objects.get(username="truong.hoangmai")
    page = selectors.task_list(actor=user, filters=selectors.TaskFilters(state="in_progress"))[:51]
    sql, params = page.query.sql_with_params()
    explain(sql, params)  # warm
    plans["district_list"] = explain(sql, params)
    for result in results:
        if result["key"] == "city_summary_api":
            aggregate = [q for q in result["sql"] if "COUNT(" in q.upper() and "tasks_task" in q]
            if aggregate:
                plans["city_summary"] = explain(aggregate[0])
    return plans


def print_table(all_results: list[dict]) -> None:
    print()
    print("| operation | tasks | timed requests | median ms | p95 ms | queries | target < 100 ms |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in all_results:
        verdict = ("met" if r["median_ms"] < TARGET_MS else "MISSED") if r["target"] else "(reported)"
        queries = str(r["queries"]) if len(r["queries_seen"]) == 1 else f"{r['queries']} {r['queries_seen']}"
        print(
            f"| {r['label']} | {r['size']:,} | {r['timed']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {queries} | {verdict} |"
        )
    sizes = sorted({r["size"] for r in all_results})
    if len(sizes) > 1:
        print()
        print(
            "Query count by size: "
            + "; ".join(
                f"{key}: " + " → ".join(str(r["queries"]) for r in all_results if r["key"] == key)
                for key in dict.fromkeys(r["key"] for r in all_results)
            )
        )
        grown = [
            key
            for key in dict.fromkeys(r["key"] for r in all_results)
            if len({r["queries"] for r in all_results if r["key"] == key}) > 1
        ]
        print("Query counts grow with the data for: " + (", ".join(grown) if grown else "none"))


def main() -> None:
    args = parse_args()
    if args.small and args.small >= args.tasks:
        args.small = 0
    if not args.reuse:
        recreate_database(args.database_url, args.force)
    setup_django(args.database_url)

    from django.db import connection

    from kycuong.org.models import Unit
    from kycuong.tasks.models import Task

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        log(cursor.fetchone()[0])
    if not args.reuse:
        load_demo()
        log(f"seed_demo wrote {Task.objects.count():,} demo tasks")
    units = {
        "city": Unit.objects.get(code="01").pk,
        "district": Unit.objects.get(code="008").pk,
        "ward": Unit.objects.get(code="00337").pk,
    }
    ops = operations(units)
    if args.only:
        wanted = {key.strip() for key in args.only.split(",")}
        ops = [op for op in ops if op["key"] in wanted]

    sizes = [args.tasks] if args.reuse or not args.small else [args.small, args.tasks]
    generator_state: dict = {}
    all_results, plans = [], {}
    for target in sizes:
        if not args.reuse:
            log(f"loading tasks up to {target:,}")
            top_up_tasks(target, args.seed, args.as_of, generator_state)
        size = Task.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT state, count(*) FROM tasks_task GROUP BY state ORDER BY 2 DESC")
            log("states: " + ", ".join(f"{state} {count:,}" for state, count in cursor.fetchall()))
        log(f"measuring at {size:,} tasks ({args.warmup} warm-up + {args.repeat} timed requests each)")
        load_before = os.getloadavg()[0]
        results = measure(ops, args.warmup, args.repeat, size)
        load_after = os.getloadavg()[0]
        log(
            f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} CPUs"
        )
        if max(load_before, load_after) > 0.5 * (os.cpu_count() or 1):
            log("WARNING: other work was running on this machine; the timings are inflated")
        for result in results:
            result["load"] = [round(load_before, 2), round(load_after, 2)]
        all_results += results
        plans = explain_main_queries(units, results, args.as_of)
        for name, plan in plans.items():
            timing = [line.strip() for line in plan if "Execution Time" in line or "Planning Time" in line]
            log(f"EXPLAIN {name} at {size:,}: {'; '.join(timing)}")
            if args.verbose:
                print("\n".join(plan))
    print_table(all_results)
    if args.json:
        payload = {
            "results": [{k: v for k, v in r.items() if k != "sql"} for r in all_results],
            "plans": plans,
            "args": {k: str(v) for k, v in vars(args).items()},
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2))
        log(f"results written to {args.json}")
    missed = [
        r["key"]
        for r in all_results
        if r["target"] and r["size"] == max(sizes_seen(all_results)) and r["median_ms"] >= TARGET_MS
    ]
    if missed:
        log("targets missed: " + ", ".join(missed))


def sizes_seen(results: list[dict]) -> list[int]:
    return [r["size"] for r in results] or [0]


if __name__ == "__main__":
    main()
