"""A synthetic city for benchmarks: the Hanoi structure with city-scale volumes of every module.

`generate_city(scale="hanoi")` builds the city, its 30 districts and 526 wards and communes of 2024 (the
shipped CSV), their agencies and Party organisations, and prepares the 2025 reorganisation as a draft event
(the shipped 2025 data, through `org.hanoi2025.build_event`); then it bulk-loads staff, tasks, inspections and
their subjects, discipline cases, process instances, satisfaction ratings and public investment projects.
`scale="district"` does the same for one district (Hoàng Mai, 14 wards) with small counts.

How the data stays trustworthy:
- the structure, the demo users and their grants are written by the demo loaders, with valid audit records;
  the bulk rows (generated staff and every module's records) have no audit records, which leaves the audit
  chain valid (`audit_verify_chain`);
- every pre-aggregate is recomputed from the generated rows by the product's own code or the same rule:
  the task tally (`tasks.tally.tally_rebuild`), the satisfaction daily and monthly counts, the process
  monthly figures, the targets' project years and unit months (`targets.services.aggregates_rebuild`);
- the same seed and the same `as_of` day give the same rows.

Rows go in with PostgreSQL COPY (psycopg 3 `cursor.copy`), with the secondary indexes of the large tables
dropped during the load and rebuilt from their own definitions; on SQLite with `executemany`.
"""

import dataclasses
import datetime
import functools
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from kycuong.core import response_cache
from kycuong.core.context import SystemActor

GENERATOR_ACTOR = SystemActor("generate-city", kind="command")
FIRST_DAY = datetime.date(2022, 1, 1)  # five years of records, 2022–2026
DISTRICT_CODE = "008"  # Quận Hoàng Mai: the district of the small scale and of the demo users


@dataclass(frozen=True)
class Scale:
    districts: tuple[str, ...] | None  # None: all 30
    staff: int
    tasks: int
    inspections: int
    subjects: int
    cases: int
    instances: int
    ratings: int
    projects: int


SCALES = {
    "hanoi": Scale(None, 150_000, 5_000_000, 50_000, 150_000, 20_000, 2_000_000, 10_000_000, 20_000),
    "district": Scale((DISTRICT_CODE,), 1_500, 20_000, 300, 900, 120, 6_000, 30_000, 150),
}


class Progress:
    """Plain-text progress on standard error: one line per step, and a counter line for long loads."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.started
            print(f"[{elapsed:7.1f} s] {message}", file=self.stream, flush=True)

    def bar(self, label: str, done: int, total: int) -> None:
        if not self.quiet and total:
            width = 30
            filled = width * done // total
            self.say(f"{label:<12} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")


# --- bulk writing ------------------------------------------------------------------------------------------


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (a model's table name)
        return cursor.fetchone()[0] + 1


def _missing_value(field, stamp: datetime.datetime):
    """The value of a column a generated row leaves out: the field's default, the generation's moment for
    creation and change times, or NULL. A required field without a default stops the load."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return stamp
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    raise RuntimeError(f"{field.model.__name__}.{field.name} is required and the generator does not fill it")


def _fill_missing(model, row: dict, stamp: datetime.datetime) -> list[str]:
    for field in model._meta.concrete_fields:
        if field.attname not in row:
            row[field.attname] = _missing_value(field, stamp)
    return list(row)


@contextmanager
def _bulk_session(tables: list[str]):
    """On PostgreSQL: drop the secondary indexes of `tables` (rebuilt afterwards from their definitions) and
    skip foreign-key triggers, since every id written comes from rows that exist."""
    if not _is_postgresql():
        yield
        return
    with connection.cursor() as cursor:
        dropped = []
        for table in tables:
            cursor.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
                [table],
            )
            dropped += cursor.fetchall()
        for name, _definition in dropped:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in dropped:
                cursor.execute(definition)
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


def bulk_write(
    model,
    rows: Iterable[dict],
    *,
    total: int,
    progress: Progress,
    label: str = "",
    stamp: datetime.datetime | None = None,
) -> int:
    """Write generated rows (dicts by attribute name) of one model; ids are given in order from the next free
    one unless the rows carry them. Returns how many rows were written."""
    label = label or model._meta.model_name
    table = model._meta.db_table
    quote = connection.ops.quote_name
    fields = {field.attname: field for field in model._meta.concrete_fields}
    next_id = _next_id(model)
    iterator = iter(rows)
    written = 0
    chunk = 50_000
    step = max(chunk, total // 10)
    names: list[str] | None = None
    stamp = stamp or datetime.datetime.now(datetime.UTC)
    while True:
        batch = []
        for row in iterator:
            if "id" not in row:
                row = {"id": next_id, **row}
            next_id = max(next_id, row["id"]) + 1
            if names is None:
                names = _fill_missing(model, dict(row), stamp)
            if len(row) != len(names):
                row = {**{n: _missing_value(fields[n], stamp) for n in names if n not in row}, **row}
            batch.append(row)
            if len(batch) >= chunk:
                break
        if not batch:
            break
        columns = [fields[name].column for name in names]
        if _is_postgresql():
            json_names = {name for name in names if fields[name].get_internal_type() == "JSONField"}
            with connection.cursor() as cursor:
                statement = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
                with cursor.cursor.copy(statement) as copy:
                    for row in batch:
                        copy.write_row([json.dumps(row[n]) if n in json_names else row[n] for n in names])
        else:
            prep = [fields[name] for name in names]
            values = [[f.get_db_prep_save(row[f.attname], connection) for f in prep] for row in batch]
            placeholders = ", ".join(["%s"] * len(columns))
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                    f"VALUES ({placeholders})",
                    values,
                )
        before = written
        written += len(batch)
        if written // step != before // step or written == total:
            progress.bar(label, written, total)
    if _is_postgresql() and written:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [next_id - 1])
    return written


# --- helpers ------------------------------------------------------------------------------------------------


@functools.cache
def _folded(text: str) -> str:
    from kycuong.core.text import fold

    return fold(text)


@functools.cache
def _late_working_days(due: datetime.date, handed_in: datetime.date) -> int:
    from kycuong.core.calendar import working_days_between

    return max(0, working_days_between(due, handed_in))


def _moment(day: datetime.date, hour: int = 2) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, 30, tzinfo=datetime.UTC)


def _weights(rng: random.Random, items: list, base: Callable[[object], float]) -> list[float]:
    """Cumulative log-normal weights: a few units carry many times the median load."""
    total, cumulative = 0.0, []
    for item in items:
        total += base(item) * rng.lognormvariate(0.0, 1.0)
        cumulative.append(total)
    return cumulative


# --- the generator -----------------------------------------------------------------------------------------


# The parts after the structure and the staff, longest first (Hanoi scale).
MODULE_PARTS = ("tasks", "satisfaction", "processes", "inspections", "targets", "discipline")


class CityGenerator:
    def __init__(
        self,
        scale: str,
        *,
        seed: int,
        as_of: datetime.date,
        progress: Progress,
        volume: float = 1.0,
        jobs: int = 1,
    ):
        self.scale_name = scale
        self.jobs = max(1, jobs)
        self.scale = SCALES[scale]
        if volume != 1.0:  # the same structure with fewer records (the suite's quick runs)
            counts = {
                name: max(1, int(getattr(self.scale, name) * volume))
                for name in self.scale.__dataclass_fields__
                if name != "districts"
            }
            self.scale = dataclasses.replace(self.scale, **counts)
        self.seed = seed
        self.as_of = as_of
        self.progress = progress
        self.counts: dict[str, int] = {}

    def write(self, model, rows: Iterable[dict], *, total: int, label: str = "") -> int:
        return bulk_write(
            model, rows, total=total, progress=self.progress, label=label, stamp=_moment(self.as_of)
        )

    def rng(self, part: str) -> random.Random:
        """One random stream per part, so that changing one part leaves the others' rows as they were."""
        return random.Random(f"{self.seed}:{part}")

    def run(self) -> dict[str, int]:
        from kycuong.demo.loader import demo_loaded
        from kycuong.org.models import Unit

        if demo_loaded() or Unit.objects.exists():
            raise RuntimeError(
                "The database holds data already; the city is generated into an empty database."
            )
        for name in ("structure", "staff"):  # every module's records refer to these
            self._run_part(name)
        # Forked processes see only committed rows: inside a caller's transaction the parts run here.
        if self.jobs > 1 and _is_postgresql() and not connection.in_atomic_block:
            self._run_parts_in_processes()
        else:
            for name in MODULE_PARTS:
                self._run_part(name)
        if _is_postgresql():
            with connection.cursor() as cursor:
                # VACUUM sets the visibility map that index-only scans need, as autovacuum would in a
                # database that has been in use; it cannot run inside a transaction.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        return self.counts

    def _run_part(self, name: str) -> dict[str, int]:
        started = time.perf_counter()
        with transaction.atomic():
            getattr(self, name)()
        self.progress.say(f"{name} done in {time.perf_counter() - started:.1f} s")
        return self.counts

    def _run_parts_in_processes(self) -> None:
        """The modules' parts write tables of their own, so they run side by side in forked processes, each
        in its own transaction (a failed part leaves the others' rows: generate into a fresh database
        again). Longest first, so that the short ones fill in behind them."""
        import multiprocessing

        from django.db import connections

        global _forked_generator
        connections.close_all()  # each process opens its own connection
        _forked_generator = self  # the forked processes inherit it; it is not sent to them
        context = multiprocessing.get_context("fork")
        try:
            with context.Pool(self.jobs) as pool:
                for counts in pool.imap_unordered(_run_forked_part, MODULE_PARTS):
                    self.counts.update(counts)
        finally:
            _forked_generator = None

    # structure: the demo loaders, for the whole city or some districts

    def structure(self) -> None:
        from kycuong.demo import loader
        from kycuong.org.models import Unit, UnitKind

        ctx = loader.DemoContext(
            rng=random.Random(loader.DEMO_SEED),
            today=self.as_of,
            log=self.progress.say,
            district_codes=set(self.scale.districts) if self.scale.districts else None,
        )
        for function in (
            loader.load_administrative_units,
            loader.load_agencies,
            loader.load_party_organisations,
            loader.load_staff,
            loader.load_demo_users,
        ):
            function(ctx)
        self.ctx = ctx
        if self.scale.districts is None:
            from kycuong.core.context import request_context
            from kycuong.org.hanoi2025 import build_event

            with request_context():
                event = build_event(actor=GENERATOR_ACTOR, city_code=loader.CITY_CODE)
            self.progress.say(f"2025 structure prepared as a draft reorganisation: {event.title}")
        units = list(Unit.objects.order_by("id").values_list("id", "kind", "parent_id", "code"))
        self.units = units
        self.parent = {pk: parent for pk, _kind, parent, _code in units}
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        for pk, kind, _parent, _code in units:
            self.by_kind[kind].append(pk)
        self.wards = (
            self.by_kind[UnitKind.WARD] + self.by_kind[UnitKind.COMMUNE] + self.by_kind[UnitKind.TOWNSHIP]
        )
        self.counts["units"] = len(units)

    # staff: the loaders' few thousand, topped up with generated staff and their posts

    def staff(self) -> None:
        from kycuong.demo.names import NameMaker
        from kycuong.org.models import Post, PostRole, Staff, StaffCategory, UnitKind

        rng = self.rng("staff")
        names = NameMaker(rng)
        have = Staff.objects.count()
        missing = max(0, self.scale.staff - have)
        size = {
            UnitKind.DEPARTMENT: 40.0,
            UnitKind.OFFICE: 6.0,
            UnitKind.PUBLIC_SERVICE_UNIT: 12.0,
            UnitKind.URBAN_DISTRICT: 8.0,
            UnitKind.RURAL_DISTRICT: 8.0,
            UnitKind.TOWN: 8.0,
            UnitKind.WARD: 4.0,
            UnitKind.COMMUNE: 4.0,
            UnitKind.TOWNSHIP: 4.0,
            UnitKind.MASS_ORGANISATION: 2.0,
        }
        hosts = [(pk, kind) for pk, kind, _p, _c in self.units if kind in size]
        cumulative = _weights(rng, hosts, lambda item: size[item[1]])
        chosen = rng.choices(hosts, cum_weights=cumulative, k=missing)
        first = _next_id(Staff)
        now = _moment(self.as_of)

        def people() -> Iterator[dict]:
            for offset, (unit, kind) in enumerate(chosen):
                full_name, gender = names.person()
                yield {
                    "id": first + offset,
                    "full_name": full_name,
                    "search_text": _folded(full_name),
                    "gender": gender,
                    "birth_year": rng.randint(1966, 2001),
                    "category": StaffCategory.PUBLIC_EMPLOYEE
                    if kind == UnitKind.PUBLIC_SERVICE_UNIT
                    else StaffCategory.CIVIL_SERVANT,
                    "unit_id": unit,
                    "is_party_member": False,
                    "email": "",
                    "phone": "",
                    "created_at": now,
                    "updated_at": now,
                }

        def posts() -> Iterator[dict]:
            for offset, (unit, _kind) in enumerate(chosen):
                yield {
                    "staff_id": first + offset,
                    "unit_id": unit,
                    "title": "Chuyên viên",
                    "role": PostRole.MEMBER,
                    "start_date": datetime.date(2016 + offset % 9, 1 + offset % 12, 1),
                }

        with _bulk_session([Staff._meta.db_table, Post._meta.db_table] if missing > 100_000 else []):
            self.write(Staff, people(), total=missing)
            self.write(Post, posts(), total=missing)
        self.staff_of: dict[int, list[int]] = defaultdict(list)
        for pk, unit in Staff.objects.order_by("id").values_list("id", "unit_id"):
            self.staff_of[unit].append(pk)
        self.counts["staff"] = have + missing

    # tasks over five years, then the tally rebuilt from them

    def tasks(self) -> None:
        from kycuong.accounts.models import User
        from kycuong.org.models import UnitKind
        from kycuong.tasks.models import Task
        from kycuong.tasks.tally import tally_rebuild

        from .tasks_data import WARD_WORK

        rng = self.rng("tasks")
        load = {
            UnitKind.WARD: 1.0,
            UnitKind.COMMUNE: 1.0,
            UnitKind.TOWNSHIP: 1.0,
            UnitKind.OFFICE: 0.8,
            UnitKind.URBAN_DISTRICT: 3.0,
            UnitKind.RURAL_DISTRICT: 3.0,
            UnitKind.TOWN: 3.0,
            UnitKind.DEPARTMENT: 2.0,
        }
        leads = [(pk, kind) for pk, kind, _p, _c in self.units if kind in load]
        cumulative = _weights(rng, leads, lambda item: load[item[1]])
        # Lateness is concentrated: most units are rarely late, a few are late on a third of their work.
        lateness = {pk: rng.choices([0.03, 0.08, 0.15, 0.35], [55, 25, 13, 7])[0] for pk, _k in leads}
        admin = User.objects.get(username="admin").pk
        assigner = dict(
            User.objects.filter(staff__isnull=False).values_list("staff__unit_id", "id").order_by("id")
        )
        titles = WARD_WORK
        span = (datetime.date(FIRST_DAY.year + 4, 12, 31) - FIRST_DAY).days + 1
        as_of = self.as_of
        total = self.scale.tasks
        chosen = rng.choices(leads, cum_weights=cumulative, k=total)

        def rows() -> Iterator[dict]:
            for lead, _kind in chosen:
                due = FIRST_DAY + datetime.timedelta(days=rng.randrange(span))
                start = due - datetime.timedelta(days=rng.choice((7, 10, 15, 30, 30, 45, 60, 90)))
                title, product = titles[rng.randrange(len(titles))]
                if rng.random() < 0.5:
                    title = f"{title} tháng {due.month}/{due.year}"
                state, progress, submitted, closed, late = "assigned", 0, None, None, None
                roll = rng.random()
                if start <= as_of:
                    if due >= as_of and roll < 0.95 or due < as_of and roll < 0.06:
                        state = rng.choices(["accepted", "in_progress", "submitted"], [20, 65, 15])[0]
                        progress = (
                            100 if state == "submitted" else (rng.randint(1, 9) * 10 if roll < 0.9 else 0)
                        )
                        if state == "submitted":
                            submitted = min(as_of, due + datetime.timedelta(days=rng.randint(-10, 5)))
                    elif roll > 0.985:
                        state = "cancelled"
                    else:
                        late_one = rng.random() < lateness[lead]
                        offset = rng.randint(1, 25) if late_one else -rng.randint(0, 10)
                        submitted = min(as_of, max(start, due + datetime.timedelta(days=offset)))
                        closed = min(as_of, submitted + datetime.timedelta(days=rng.randint(0, 5)))
                        state, progress, late = "approved", 100, _late_working_days(due, submitted)
                parent = self.parent[lead] or lead
                people = self.staff_of.get(lead)
                changed = closed or submitted or start
                yield {
                    "search_text": _folded(title),
                    "title": title,
                    "description": "",
                    "assigning_unit_id": parent,
                    "assigned_by_id": assigner.get(parent, admin),
                    "lead_unit_id": lead,
                    "responsible_id": rng.choice(people) if people and rng.random() < 0.9 else None,
                    "start_date": start,
                    "due_date": due,
                    "priority": rng.choices([1, 2, 3, 4], [10, 60, 25, 5])[0],
                    "expected_product": product,
                    "state": state,
                    "progress": progress,
                    "submitted_on": submitted,
                    "closed_on": closed,
                    "late_working_days": late,
                    "start_day": start.toordinal(),
                    "due_day": due.toordinal(),
                    "created_at": _moment(start),
                    "updated_at": _moment(min(changed, as_of), 9),
                }

        with _bulk_session([Task._meta.db_table] if total > 100_000 else []):
            self.counts["tasks"] = self.write(Task, rows(), total=total)
        self.counts["task_tally_rows"] = tally_rebuild()

    # inspections and their subjects

    def inspections(self) -> None:
        from kycuong.accounts.models import User
        from kycuong.inspections.models import Inspection, InspectionKind, KindCategory, Status, Subject
        from kycuong.org.models import UnitKind

        rng = self.rng("inspections")
        kinds = list(InspectionKind.objects.order_by("id").values_list("id", "category", "is_party"))
        admin = User.objects.get(username="admin").pk
        party_deciders = self.by_kind[UnitKind.PARTY_COMMITTEE] + self.by_kind[UnitKind.PARTY_AGENCY]
        state_deciders = (
            self.by_kind[UnitKind.URBAN_DISTRICT]
            + self.by_kind[UnitKind.RURAL_DISTRICT]
            + self.by_kind[UnitKind.TOWN]
            + self.by_kind[UnitKind.OFFICE]
            + self.by_kind[UnitKind.DEPARTMENT]
            + self.by_kind[UnitKind.CITY]
        )
        children: dict[int, list[int]] = defaultdict(list)
        for pk, parent in self.parent.items():
            if parent:
                children[parent].append(pk)
        total, per = self.scale.inspections, max(1, self.scale.subjects // max(1, self.scale.inspections))
        span = (self.as_of - FIRST_DAY).days
        first = _next_id(Inspection)
        plan: list[tuple] = []
        for offset in range(total):
            kind, category, is_party = rng.choice(kinds)
            decider = rng.choice(party_deciders if is_party else state_deciders)
            decided = FIRST_DAY + datetime.timedelta(days=rng.randrange(span))
            status = (
                Status.CLOSED if rng.random() < 0.6 else rng.choice([Status.CONCLUDED, Status.IN_PROGRESS])
            )
            plan.append((first + offset, kind, category, decider, decided, status))

        def inspections() -> Iterator[dict]:
            for pk, kind, _category, decider, decided, status in plan:
                concluded = decided + datetime.timedelta(days=30) if status != Status.IN_PROGRESS else None
                yield {
                    "id": pk,
                    "kind_id": kind,
                    "planned": rng.random() < 0.7,
                    "deciding_unit_id": decider,
                    "topic": f"Kiểm tra, giám sát việc thực hiện nhiệm vụ năm {decided.year}",
                    "decision_number": f"{pk}/QĐ-KT",
                    "decision_date": decided,
                    "covered_from": datetime.date(decided.year - 1, 1, 1),
                    "covered_to": datetime.date(decided.year - 1, 12, 31),
                    "status": status,
                    "started_on": decided,
                    "conclusion_number": f"{pk}/KL" if concluded else "",
                    "conclusion_date": concluded if concluded and concluded <= self.as_of else None,
                    "conclusion_summary": "",
                    "conclusion_file": "",
                    "closed_on": concluded if status == Status.CLOSED else None,
                    "created_by_id": admin,
                    "created_at": _moment(decided),
                    "updated_at": _moment(decided),
                }

        def subjects() -> Iterator[dict]:
            for pk, kind, category, decider, decided, status in plan:
                candidates = children.get(decider) or [decider]
                picked = rng.sample(candidates, min(len(candidates), per))
                for unit in picked:
                    people = self.staff_of.get(unit)
                    individual = people and rng.random() < 0.3
                    result = (
                        ""
                        if status == Status.IN_PROGRESS
                        else rng.choices(["compliant", "shortcomings", "violation"], [60, 30, 10])[0]
                    )
                    yield {
                        "inspection_id": pk,
                        "unit_id": None if individual else unit,
                        "staff_id": rng.choice(people) if individual else None,
                        "subject_unit_id": unit,
                        "result": result,
                        "deciding_unit_id": decider,
                        "decided_on": decided,
                        "kind_id": kind,
                        "is_supervision": category == KindCategory.SUPERVISION,
                        "is_party_member": False,
                    }

        self.counts["inspections"] = self.write(Inspection, inspections(), total=total)
        self.counts["subjects"] = self.write(Subject, subjects(), total=total * per, label="subject")

    # discipline cases

    def discipline(self) -> None:
        from kycuong.accounts.models import User
        from kycuong.discipline.models import Case, CaseStatus, Regime, Severity

        rng = self.rng("discipline")
        admin = User.objects.get(username="admin").pk
        units_with_staff = sorted(self.staff_of)
        total = self.scale.cases

        def rows() -> Iterator[dict]:
            span = (self.as_of - FIRST_DAY).days
            for _ in range(total):
                unit = rng.choice(units_with_staff)
                opened = FIRST_DAY + datetime.timedelta(days=rng.randrange(span))
                status = rng.choices(
                    [CaseStatus.DECIDED, CaseStatus.DROPPED, CaseStatus.REVIEW, CaseStatus.PROPOSAL],
                    [70, 10, 12, 8],
                )[0]
                closed = opened + datetime.timedelta(days=rng.randint(20, 90))
                finished = status in (CaseStatus.DECIDED, CaseStatus.DROPPED) and closed <= self.as_of
                yield {
                    "regime": rng.choice([Regime.CIVIL_SERVANT, Regime.CADRE, Regime.PARTY_MEMBER]),
                    "unit_id": None,
                    "staff_id": rng.choice(self.staff_of[unit]),
                    "subject_unit_id": unit,
                    "competent_unit_id": self.parent[unit] or unit,
                    "violation": "Vi phạm quy định về thời hạn giải quyết công việc",
                    "committed_on": opened - datetime.timedelta(days=rng.randint(10, 300)),
                    "severity": rng.choices(list(Severity.values), [70, 25, 5])[0],
                    "status": status
                    if finished or status not in (CaseStatus.DECIDED, CaseStatus.DROPPED)
                    else CaseStatus.REVIEW,
                    "opened_on": opened,
                    "deadline": opened + datetime.timedelta(days=90),
                    "limitation_warning": "",
                    "closed_on": closed if finished else None,
                    "created_by_id": admin,
                    "created_at": _moment(opened),
                }

        self.counts["cases"] = self.write(Case, rows(), total=total)

    # process instances of every ward's catalogue, then the monthly figures

    def processes(self) -> None:
        from kycuong.accounts.models import User
        from kycuong.processes.models import (
            MonthlyFigure,
            ProcessDefinition,
            ProcessInstance,
            UnitMonthFigure,
        )

        from .processes_data import CATALOGUE, _templates

        rng = self.rng("processes")
        admin = User.objects.get(username="admin").pk
        built = _templates(self.ctx)
        valid_from = FIRST_DAY
        now = _moment(self.as_of)

        def definitions() -> Iterator[dict]:
            for ward in self.wards:
                for code, name, _kind, _share, _steps in CATALOGUE:
                    data, parsed = built[code]
                    yield {
                        "owner_unit_id": ward,
                        "code": code,
                        "name": name,
                        "search_text": _folded(f"{code} {name}"),
                        "scope": "",
                        "version": 1,
                        "valid_from": valid_from,
                        "bpmn_process_id": parsed.process_id,
                        "bpmn_xml": data.decode(),
                        "limit_value": parsed.limit_value,
                        "limit_unit": parsed.limit_unit,
                        "interconnected": any(step.unit_ref for step in parsed.steps),
                        "created_by_id": admin,
                        "created_at": now,
                        "updated_at": now,
                    }

        self.write(ProcessDefinition, definitions(), total=len(self.wards) * len(CATALOGUE))
        catalogue: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        for pk, owner, code, limit in ProcessDefinition.objects.order_by("id").values_list(
            "id", "owner_unit_id", "code", "limit_value"
        ):
            catalogue[owner].append((pk, code, limit or 1))
        cumulative = _weights(rng, self.wards, lambda _ward: 1.0)
        slowness = {ward: rng.choices([0.02, 0.05, 0.1, 0.25], [50, 30, 14, 6])[0] for ward in self.wards}
        total = self.scale.instances
        chosen = rng.choices(self.wards, cum_weights=cumulative, k=total)
        span_minutes = ((self.as_of - FIRST_DAY).days - 30) * 24 * 60
        start = datetime.datetime(FIRST_DAY.year, 1, 1, 1, 0, tzinfo=datetime.UTC)
        figures: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])

        def rows() -> Iterator[dict]:
            for number, ward in enumerate(chosen):
                definition, code, limit = rng.choice(catalogue[ward])
                started = start + datetime.timedelta(minutes=rng.randrange(span_minutes))
                allowed = limit * 480
                late = rng.random() < slowness[ward]
                used = int(allowed * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.97)))
                outcome = "late" if used > allowed else ("early" if used < allowed - 480 else "on_time")
                done = started + datetime.timedelta(days=limit * 1.4 * used / allowed)
                month = done.date().replace(day=1)
                figure = figures[ward, definition, code, month]
                figure[0] += 1
                figure[("early", "on_time", "late").index(outcome) + 1] += 1
                figure[4] += used
                yield {
                    "search_text": f"hs {number}",
                    "definition_id": definition,
                    "unit_id": ward,
                    "case_kind": "dossier",
                    "case_reference": f"HS-{number}",
                    "case_title": f"Hồ sơ {number}",
                    "state": "completed",
                    "started_at": started,
                    "started_on": started.date(),
                    "due_at": started + datetime.timedelta(days=limit * 1.4),
                    "completed_at": done,
                    "completed_on": done.date(),
                    "outcome": outcome,
                    "allowed_minutes": allowed,
                    "used_minutes": used,
                    "paused_minutes": 0,
                    "pause_reason": "",
                    "current_steps": "",
                    "workflow": "",
                    "created_at": started,
                    "updated_at": done,
                }

        with _bulk_session([ProcessInstance._meta.db_table] if total > 100_000 else []):
            self.counts["instances"] = self.write(ProcessInstance, rows(), total=total)
        # The figures the services keep when an instance finishes, from the same rows.
        monthly, per_unit = [], defaultdict(lambda: [0, 0, 0, 0, 0])
        for (ward, definition, code, month), values in sorted(figures.items()):
            monthly.append(
                MonthlyFigure(
                    level="instance",
                    unit_id=ward,
                    definition_id=definition,
                    code=code,
                    month=month,
                    finished=values[0],
                    early=values[1],
                    on_time=values[2],
                    late=values[3],
                    used_minutes=values[4],
                )
            )
            sums = per_unit[ward, month]
            for index, value in enumerate(values):
                sums[index] += value
        MonthlyFigure.objects.bulk_create(monthly, batch_size=5000)
        UnitMonthFigure.objects.bulk_create(
            [
                UnitMonthFigure(
                    level="instance",
                    unit_id=ward,
                    month=month,
                    finished=v[0],
                    early=v[1],
                    on_time=v[2],
                    late=v[3],
                    used_minutes=v[4],
                )
                for (ward, month), v in sorted(per_unit.items())
            ],
            batch_size=5000,
        )

    # satisfaction: a desk per ward and some departments, ratings, then the daily and monthly counts

    def satisfaction(self) -> None:
        from kycuong.org.models import UnitKind
        from kycuong.satisfaction import services
        from kycuong.satisfaction.models import (
            ALL_FACTORS,
            FormKind,
            Rating,
            ServicePoint,
            ServicePointKind,
            answers_field,
            satisfied_field,
        )

        from .satisfaction_data import _fill_counts

        rng = self.rng("satisfaction")
        services.survey_templates_ensure(actor=GENERATOR_ACTOR)
        template = services.template_for(FormKind.SURVEY, self.as_of)
        first_question = {}
        for pk, factor in template.questions.order_by("position").values_list("id", "factor"):
            first_question.setdefault(factor, pk)
        hosts = self.wards + self.by_kind[UnitKind.DEPARTMENT]
        now = _moment(self.as_of)
        points = [
            {
                "unit_id": unit,
                "code": f"SP-{unit}",
                "name": f"Bộ phận một cửa {unit}",
                "search_text": f"bo phan mot cua {unit}",
                "slug": f"{rng.getrandbits(96):024x}",
                "kind": ServicePointKind.ONE_STOP,
                "form_kind": FormKind.SURVEY,
                "procedures": "",
                "created_at": now,
                "updated_at": now,
            }
            for unit in hosts
        ]
        self.write(ServicePoint, points, total=len(points))
        desks = list(
            ServicePoint.objects.filter(code__startswith="SP-").order_by("id").values_list("id", "unit_id")
        )
        cumulative = _weights(rng, desks, lambda _desk: 1.0)
        # Some desks satisfy far fewer people than others.
        satisfied_share = {pk: rng.choice([0.6, 0.75, 0.85, 0.9, 0.95]) for pk, _unit in desks}
        total = self.scale.ratings
        span = (self.as_of - FIRST_DAY).days + 1
        factors = [factor for factor in ALL_FACTORS if factor in first_question]

        def rows() -> Iterator[dict]:
            chosen = rng.choices(desks, cum_weights=cumulative, k=total)
            for desk, unit in chosen:
                day = FIRST_DAY + datetime.timedelta(days=rng.randrange(span))
                share = satisfied_share[desk]
                answers, row = {}, {}
                for factor in factors:
                    score = rng.choice((4, 5)) if rng.random() < share else rng.choice((1, 2, 3))
                    answers[str(first_question[factor])] = score
                    row[answers_field(factor)] = 1
                    row[satisfied_field(factor)] = int(score >= 4)
                yield {
                    "service_point_id": desk,
                    "unit_id": unit,
                    "template_id": template.pk,
                    "submitted_at": _moment(day, 3),
                    "day": day,
                    "source": "online",
                    "answers": answers,
                    **row,
                }

        with _bulk_session([Rating._meta.db_table] if total > 100_000 else []):
            self.counts["ratings"] = self.write(Rating, rows(), total=total)
        _fill_counts()

    # public investment projects with plans and disbursements, then the targets' pre-aggregates

    def targets(self) -> None:
        from kycuong.org.models import UnitKind
        from kycuong.targets.models import Disbursement, PlanRevision, Project
        from kycuong.targets.services import aggregates_rebuild

        rng = self.rng("targets")
        owners = (
            self.by_kind[UnitKind.DEPARTMENT]
            + self.by_kind[UnitKind.URBAN_DISTRICT]
            + self.by_kind[UnitKind.RURAL_DISTRICT]
            + self.by_kind[UnitKind.TOWN]
            + self.wards
        )
        total = self.scale.projects
        first = _next_id(Project)
        now = _moment(self.as_of)
        years = [year for year in range(FIRST_DAY.year, self.as_of.year + 1)]
        plans = {}
        projects = []
        for offset in range(total):
            pk = first + offset
            unit = rng.choice(owners)
            name = f"Dự án đầu tư xây dựng số {pk}"
            projects.append(
                {
                    "id": pk,
                    "code": f"DA-{pk:06d}",
                    "name": name,
                    "search_text": _folded(name),
                    "investor_unit_id": unit,
                    "responsible_unit_id": unit,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        self.write(Project, projects, total=total)

        def revisions() -> Iterator[dict]:
            for project in projects:
                for year in rng.sample(years, rng.randint(1, min(3, len(years)))):
                    amount = rng.randint(2, 120) * 1_000_000_000
                    plans[project["id"], year] = amount
                    yield {
                        "project_id": project["id"],
                        "year": year,
                        "effective_on": datetime.date(year - 1, 12, 10),
                        "assigned_amount": amount,
                        "local_amount": 0,
                        "decision": "",
                        "note": "",
                        "created_at": now,
                    }

        self.write(PlanRevision, revisions(), total=total * 2)

        def payments() -> Iterator[dict]:
            for (project, year), amount in sorted(plans.items()):
                pace = rng.uniform(0.4, 1.05)  # some projects disburse slowly all year
                for month in range(1, 13):
                    day = datetime.date(year, month, 20)
                    if day > self.as_of:
                        break
                    yield {
                        "project_id": project,
                        "plan_year": year,
                        "paid_on": day,
                        "amount": max(1_000_000, int(amount * pace / 12)),
                        "reference": "",
                        "note": "",
                        "created_at": now,
                    }

        self.counts["projects"] = total
        self.counts["disbursements"] = self.write(Disbursement, payments(), total=total * 24)
        aggregates_rebuild()


_forked_generator: CityGenerator | None = None


def _run_forked_part(name: str) -> dict[str, int]:
    return _forked_generator._run_part(name)


def generate_city(
    *,
    scale: str = "district",
    seed: int = 2024,
    as_of: datetime.date | None = None,
    progress: Progress | None = None,
    volume: float = 1.0,
    jobs: int = 1,
) -> dict[str, int]:
    """Generate the synthetic city into an empty, migrated database; returns the counts written. With
    `jobs` > 1 on PostgreSQL the modules' records are generated by that many processes at once."""
    generator = CityGenerator(
        scale,
        seed=seed,
        as_of=as_of or datetime.date.today(),
        progress=progress or Progress(),
        volume=volume,
        jobs=jobs,
    )
    counts = generator.run()
    response_cache.forget_everything()  # COPY bypasses the statements the cache watches
    return counts
