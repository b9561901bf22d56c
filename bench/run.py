# ruff: noqa: S603, S607, S608 - a local tool: it runs gunicorn and wrk and builds SQL from its own names
"""The one benchmark of the whole product on a generated city (city-scale performance).

1. Builds the data set with `generate_city` (kycuong/demo/citygen.py) in a database of its own: PostgreSQL
   (the database is dropped and created again; its name must contain "bench" or "city") or SQLite (the
   file is replaced). `--reuse` measures the database that is there.
2. Measures, in process, through Django's test client against the real views (server time without a
   network): 3 warm-up requests, then --repeat timed ones; median and 95th percentile (nearest rank), and
   the query count of one further request. Operations: the scoped task list (API and page) of a district
   head and of a ward's civil servant, the unit summaries, the dashboard, the public rating submit, and each
   module's statistics page.
3. Runs a bounded load test on loopback: gunicorn with 2 workers serving the product, wrk with 16
   connections for --duration seconds: API reads of --readers users (district heads and civil servants of
   wards and communes, each with their own token, four task reads each, in a shuffled order) with the
   response cache off, then on (Redis at --redis-url; nothing warmed beforehand), then on while a thread
   writes --writes-per-second task progress reports across the city; then public rating submissions (full
   form POSTs with their CSRF token). It reads the resident memory of each web worker afterwards.

    .venv/bin/python bench/run.py --scale district                                  # PostgreSQL
    .venv/bin/python bench/run.py --scale district --database-url sqlite:///var/bench_city.sqlite3
    .venv/bin/python bench/run.py --scale hanoi --reuse \
        --database-url postgres://postgres@127.0.0.1:5432/kycuong_city

It prints one table (operation, data size, median and p95 server time, query count) and the load test's
figures; --json keeps them. See bench/README.md.
"""

import argparse
import datetime
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

# The public form's wrk script is the satisfaction benchmark's (this directory).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from satisfaction_bench import WRK_SCRIPT  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_bench_city"
TARGETS_MS = {"list": 100.0, "summary": 100.0, "dashboard": 300.0}
# Rate limits of the public form are switched off: the load test sends many ratings from one address.
UNLIMITED = {
    "SATISFACTION_RATE_PER_CLIENT": "off",
    "SATISFACTION_RATE_PER_SERVICE_POINT": "off",
    "SATISFACTION_REPEAT_SECONDS": "off",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["district", "hanoi"], default="district")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--reuse", action="store_true", help="measure the database that is there")
    parser.add_argument("--jobs", type=int, default=2, help="processes generating the records (PostgreSQL)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per operation")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load test")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--readers", type=int, default=100, help="API users of the read load test")
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=2.0,
        help="task progress reports during the mixed load test",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        help="Redis of the response cache in the load test ('' to leave it out)",
    )
    parser.add_argument("--no-load-test", action="store_true")
    parser.add_argument("--load-test-only", action="store_true", help="skip the in-process measurements")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


# --- the database --------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name and "city" not in name:
        sys.exit(f"Refusing to drop database {name!r}: its name contains neither 'bench' nor 'city'.")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, redis_url: str = "") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "kycuong.settings"
    os.environ["DATABASE_URL"] = url
    # With Redis, this process's own writes (the task writer of the load test) bump the response cache's
    # versions as the web workers' do.
    os.environ["REDIS_URL"] = redis_url
    os.environ["RESPONSE_CACHE"] = "on" if redis_url else "off"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(UNLIMITED)
    # Pages are measured with a logged-in session; the second sign-in step is not what is measured.
    os.environ["TWO_FACTOR_REQUIRED_ROLES"] = "none"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(args) -> float:
    from django.core.management import call_command

    from kycuong.demo.citygen import Progress, generate_city

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    generate_city(scale=args.scale, seed=args.seed, progress=Progress(), jobs=args.jobs)
    return time.perf_counter() - started


def data_size() -> dict[str, int]:
    from kycuong.discipline.models import Case
    from kycuong.inspections.models import Inspection
    from kycuong.org.models import Staff, Unit
    from kycuong.processes.models import ProcessInstance
    from kycuong.satisfaction.models import Rating
    from kycuong.targets.models import Project
    from kycuong.tasks.models import Task

    models = {
        "units": Unit,
        "staff": Staff,
        "tasks": Task,
        "inspections": Inspection,
        "cases": Case,
        "instances": ProcessInstance,
        "ratings": Rating,
        "projects": Project,
    }
    return {name: model.objects.count() for name, model in models.items()}


# --- in-process measurements ---------------------------------------------------------------------------


def operations(year: int) -> list[dict]:
    from kycuong.org.models import Unit

    city = Unit.objects.get(code="01").pk
    district = Unit.objects.get(code="008").pk
    period = f"due_from={year}-01-01&due_to={year}-12-31"
    head, staff, leader = "truong.hoangmai", "canbo.hoangliet", "lanhdao.thanhpho"
    return [
        ("list", "tasks: district head's units, page 1 (API)", head, "api", "/api/v1/tasks?limit=50"),
        (
            "list",
            "tasks: district head's units, in progress, page 1 (HTML)",
            head,
            "page",
            "/tasks/?state=in_progress",
        ),
        ("list", "tasks: ward civil servant's unit, page 1 (API)", staff, "api", "/api/v1/tasks?limit=50"),
        (
            "list",
            "tasks: city leader, overdue, page 1 (API)",
            leader,
            "api",
            "/api/v1/tasks?overdue=true&limit=50",
        ),
        (
            "summary",
            "unit summary: city, a year (API)",
            leader,
            "api",
            f"/api/v1/tasks/summary?unit_id={city}&{period}",
        ),
        (
            "summary",
            "unit summary: district, a year (API)",
            head,
            "api",
            f"/api/v1/tasks/summary?unit_id={district}&{period}",
        ),
        (
            "summary",
            "unit summary page: district (HTML)",
            head,
            "page",
            f"/tasks/summary/?unit={district}&from={year}-01-01&to={year}-12-31",
        ),
        ("dashboard", "dashboard: city leader (HTML)", leader, "page", "/dashboard/"),
        ("dashboard", "dashboard: district head (HTML)", head, "page", "/dashboard/"),
        (
            "statistics",
            "inspection, supervision and discipline statistics (HTML)",
            leader,
            "page",
            "/discipline/statistics/",
        ),
        ("statistics", "process statistics (HTML)", leader, "page", "/processes/statistics/"),
        ("statistics", "satisfaction index (HTML)", leader, "page", "/satisfaction/"),
        ("statistics", "targets and disbursement (HTML)", leader, "page", "/targets/"),
        ("statistics", "inspections list (HTML)", leader, "page", "/inspections/"),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Clients:
    """A logged-in test client per user (pages) and a bearer token per user (API)."""

    def __init__(self):
        self.cache = {}

    def get(self, username: str, kind: str):
        from django.test import Client

        from kycuong.accounts.models import User
        from kycuong.accounts.services import api_token_create

        key = (username, kind)
        if key not in self.cache:
            user = User.objects.get(username=username)
            client, headers = Client(), {}
            if kind == "api":
                _token, plain = api_token_create(actor=user, name="benchmark", days=1)
                headers = {"Authorization": f"Bearer {plain}"}
            else:
                client.force_login(user)
            self.cache[key] = (client, headers)
        return self.cache[key]


def timed(call, repeat: int, check) -> dict:
    """Median and p95 of `repeat` calls after 3 warm-up ones, and the queries of one more."""
    import gc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        check(call())
    gc.collect()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
        check(response)
    with CaptureQueriesContext(connection) as captured:
        check(call())
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "queries": len(captured),
    }


def measure_reads(args, clients: Clients) -> list[dict]:
    year = datetime.date.today().year
    results = []
    for group, label, username, kind, url in operations(year):
        client, headers = clients.get(username, kind)

        def check(response, url=url):
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.content[:300]!r}")

        figures = timed(
            lambda client=client, headers=headers, url=url: client.get(url, headers=headers),
            args.repeat,
            check,
        )
        results.append({"group": group, "operation": label, **figures})
        log(f"  {label}: median {figures['median_ms']:.1f} ms, {figures['queries']} queries")
    return results


def rating_form(point) -> dict[str, str]:
    from kycuong.core.calendar import today
    from kycuong.satisfaction.models import FormKind
    from kycuong.satisfaction.services import template_for

    questions = template_for(FormKind.SURVEY, today()).questions.values_list("id", flat=True)
    return {"website": "", **{f"q{pk}": "4" for pk in questions}}


def measure_rating_submit(args) -> dict:
    from django.test import Client

    from kycuong.satisfaction.models import FormKind, Rating, ServicePoint

    point = ServicePoint.objects.filter(form_kind=FormKind.SURVEY).order_by("id").first()
    client = Client()
    form = rating_form(point)
    before = Rating.objects.count()

    def check(response):
        if response.status_code != 302:
            raise RuntimeError(f"rating submit: HTTP {response.status_code}: {response.content[:300]!r}")

    figures = timed(lambda: client.post(f"/r/{point.slug}/", form), args.repeat, check)
    stored = Rating.objects.count() - before
    if stored != args.repeat + 4:
        raise RuntimeError(f"rating submit stored {stored} ratings for {args.repeat + 4} submissions")
    log(f"  public rating submit: median {figures['median_ms']:.1f} ms, {figures['queries']} queries")
    return {"group": "submit", "operation": "public rating submit (form POST)", **figures}


# --- the load test -------------------------------------------------------------------------------------

# Each request is one reader's (its own token) read of one path, in a shuffled order; hits and misses of
# the response cache are counted from its header and printed at the end.
READS_SCRIPT = """
local reads = {%(reads)s}
local counter = 0
local threads = {}
setup = function(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
init = function()
  counter = tonumber(wrk.thread:get("offset")) or 0
  hits, misses = 0, 0
end
request = function()
  counter = counter + 1
  local read = reads[(counter %% #reads) + 1]
  return wrk.format("GET", read[2], {["Authorization"] = "Bearer " .. read[1]})
end
response = function(status, headers, body)
  local answer = headers["X-Response-Cache"]
  if answer == "hit" then hits = hits + 1 elseif answer == "miss" then misses = misses + 1 end
end
done = function(summary, latency, requests)
  local h, m = 0, 0
  for _, thread in ipairs(threads) do
    h = h + (thread:get("hits") or 0)
    m = m + (thread:get("misses") or 0)
  end
  io.write(string.format("cache hits %%d misses %%d\\n", h, m))
end
"""


def api_readers(count: int, year: int) -> list[tuple[str, str]]:
    """(token, path) of `count` API readers: district heads (their district's subtree) and civil servants of
    communes and wards (their own unit), four reads each. Each user is made once, with its one grant,
    through the services (`bench.reader.<unit code>.<role>`)."""
    from kycuong.accounts.models import Role, User
    from kycuong.accounts.services import api_token_create, grant_create, user_create
    from kycuong.core.context import SystemActor
    from kycuong.org.models import Unit

    system = SystemActor("bench", kind="command")
    districts = list(
        Unit.objects.filter(kind__in=["urban_district", "rural_district", "town"]).order_by("code")[:30]
    )
    wards = list(Unit.objects.filter(kind__in=["ward", "commune"]).order_by("code"))
    rng = random.Random(11)
    places = [(unit, "unit_head", True) for unit in districts] + [
        (unit, "unit_staff", False) for unit in rng.sample(wards, max(0, count - len(districts)))
    ]
    roles = {role.code: role for role in Role.objects.all()}
    reads = []
    for unit, role, descendants in places[:count]:
        username = f"bench.reader.{unit.code}.{role}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=system, username=username, password=None)
            grant_create(
                actor=system, user=user, role=roles[role], unit=unit, include_descendants=descendants
            )
        _token, plain = api_token_create(actor=user, name="load test", days=1)
        for path in (
            "/api/v1/tasks?limit=50",
            "/api/v1/tasks?state=in_progress&limit=50",
            "/api/v1/tasks?overdue=true&limit=50",
            f"/api/v1/tasks/summary?unit_id={unit.pk}&due_from={year}-01-01&due_to={year}-12-31",
        ):
            reads.append((plain, path))
    rng.shuffle(reads)
    return reads


class TaskWriter(threading.Thread):
    """Progress reports on tasks in progress across the city, `rate` a second, through the task service (the
    audit and the response cache's versions included), while the reads run."""

    def __init__(self, rate: float):
        super().__init__(daemon=True)
        self.rate = rate
        self.stop = threading.Event()
        self.written = 0

    def run(self):
        from django.core.exceptions import ValidationError
        from django.db import connection

        from kycuong.accounts.models import User
        from kycuong.tasks.models import Task, TaskState
        from kycuong.tasks.services import task_report_progress

        # A report is made by a user: the generated city's administrator.
        administrator = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        ids = list(
            Task.objects.filter(state=TaskState.IN_PROGRESS, progress__lt=90)
            .order_by("?")
            .values_list("pk", flat=True)[:2000]
        )
        try:
            started = time.monotonic()
            for number, task_id in enumerate(ids):
                if self.stop.is_set():
                    break
                task = Task.objects.get(pk=task_id)
                try:
                    task_report_progress(
                        actor=administrator,
                        task=task,
                        percent=task.progress + 1,
                        text="Cập nhật tiến độ (bench)",
                    )
                    self.written += 1
                except ValidationError:
                    pass
                delay = started + (number + 1) / self.rate - time.monotonic()
                if delay > 0:
                    self.stop.wait(delay)
        finally:
            connection.close()


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wrk(script: str, base: str, args, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    run = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            handle.name,
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(handle.name).unlink()
    log(run.stdout)
    if run.stderr.strip():
        raise RuntimeError(f"wrk: {run.stderr.strip()}")
    figures = {"wrk": run.stdout}
    for line in run.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["requests_per_s"] = float(words[1])
        elif "requests in" in line:
            figures["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            figures["errors"] = int(words[-1])
        elif line.strip().startswith("50%"):
            figures["latency_p50"] = words[1]
        elif line.strip().startswith("99%"):
            figures["latency_p99"] = words[1]
    return figures


def _serve(args, port: int, response_cache: bool) -> subprocess.Popen:
    env = {
        **os.environ,
        **UNLIMITED,
        "LOG_LEVEL": "ERROR",
        "ALLOWED_HOSTS": "127.0.0.1",
        "RESPONSE_CACHE": "on" if response_cache else "off",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "kycuong.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def _cache_counts(figures: dict) -> dict:
    for line in figures["wrk"].splitlines():
        if line.startswith("cache hits"):
            words = line.split()
            figures["cache_hits"], figures["cache_misses"] = int(words[2]), int(words[4])
    return figures


def load_test(args) -> dict:
    from kycuong.core import response_cache
    from kycuong.satisfaction.models import FormKind, Rating, ServicePoint

    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (scripts/setup-system.sh)")
    port = 8799
    base = f"http://127.0.0.1:{port}"
    year = datetime.date.today().year
    reads = api_readers(args.readers, year)
    reads_script = READS_SCRIPT % {
        "reads": ",".join("{" + ",".join(json.dumps(part) for part in read) + "}" for read in reads)
    }
    figures: dict = {"readers": args.readers, "distinct_reads": len(reads)}

    # The reads computed every time: the response cache off.
    server = _serve(args, port, response_cache=False)
    try:
        _wrk(reads_script, base, args, 5)
        log(f"load test: API reads, response cache off, {args.connections} connections, {args.duration} s")
        figures["reads_computed"] = _wrk(reads_script, base, args, args.duration)
    finally:
        _stop(server)
    if not response_cache.is_enabled():
        log("REDIS_URL is not set: the response cache is not measured")
        server = _serve(args, port, response_cache=False)
    else:
        response_cache.forget_everything()
        server = _serve(args, port, response_cache=True)
    try:
        if response_cache.is_enabled():
            # Nothing is warmed beforehand: the first read of each (reader, path) is a miss in the count.
            log(f"load test: API reads, response cache on, {args.duration} s")
            figures["reads"] = _cache_counts(_wrk(reads_script, base, args, args.duration))
            writer = TaskWriter(args.writes_per_second)
            writer.start()
            log(f"load test: API reads while {args.writes_per_second} progress reports a second are written")
            figures["reads_with_writes"] = _cache_counts(_wrk(reads_script, base, args, args.duration))
            writer.stop.set()
            writer.join(30)
            figures["reads_with_writes"]["tasks_written"] = writer.written
        else:
            figures["reads"] = figures["reads_computed"]

        points = list(ServicePoint.objects.filter(form_kind=FormKind.SURVEY).order_by("id")[:200])
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/r/{points[0].slug}/").read().decode()
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        cookie = next(c.value for c in jar if c.name == "csrftoken")
        rng = random.Random(7)
        form = rating_form(points[0])
        bodies = []
        for _ in range(200):
            fields = {**form, "csrfmiddlewaretoken": token}
            for name in form:
                if name.startswith("q"):
                    fields[name] = str(rng.choice([5, 5, 4, 4, 4, 3, 2]))
            bodies.append(urllib.parse.urlencode(fields))
        submit_script = WRK_SCRIPT % {
            "bodies": ",".join(json.dumps(b) for b in bodies),
            "paths": ",".join(json.dumps(f"/r/{p.slug}/") for p in points),
            "cookie": cookie,
            "base": base,
        }
        _wrk(submit_script, base, args, 3)
        before = Rating.objects.count()
        log(f"load test: rating submissions, {args.connections} connections, {args.duration} s")
        submits = _wrk(submit_script, base, args, args.duration)
        submits["ratings_stored"] = Rating.objects.count() - before
        submits["stored_per_s"] = round(submits["ratings_stored"] / args.duration, 1)
        figures["submits"] = submits
        workers = _children(server.pid)
        figures["worker_rss_mb"] = {pid: round(_resident_mb(pid), 1) for pid in workers}
    finally:
        _stop(server)
    return figures


# --- output --------------------------------------------------------------------------------------------


def _verdict(value: float, target: float, below: bool = True) -> str:
    met = value < target if below else value >= target
    return ("met" if met else "MISSED") + f" ({'<' if below else '≥'} {target:g})"


def print_table(results: list[dict], size: dict, load: dict | None, vendor: str) -> None:
    label = ", ".join(f"{count:,} {name}" for name, count in size.items())
    print(f"\nData ({vendor}): {label}\n")
    print("| operation | data size | median ms | p95 ms | queries | target ms |")
    print("|---|---|---:|---:|---:|---|")
    for r in results:
        target = TARGETS_MS.get(r["group"])
        verdict = "(reported)" if target is None else _verdict(r["median_ms"], target)
        rows = {"submit": f"{size['ratings']:,} ratings", "statistics": "all modules"}.get(
            r["group"], f"{size['tasks']:,} tasks"
        )
        print(
            f"| {r['operation']} | {rows} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['queries']} "
            f"| {verdict} |"
        )
    if not load:
        return
    print()
    print(
        "| load test: gunicorn 2 workers, wrk 16 connections | requests/s | p50 | p99 | failed | target /s |"
    )
    print("|---|---:|---|---|---:|---|")
    readers = f"{load['readers']} readers, {load['distinct_reads']} distinct reads"
    rows = [(f"API reads computed every time (response cache off; {readers})", load["reads_computed"])]
    if "cache_hits" in load["reads"]:
        rows.append((f"API reads, response cache on ({readers})", load["reads"]))
    if "reads_with_writes" in load:
        written = load["reads_with_writes"]["tasks_written"]
        rows.append(
            (
                f"API reads, response cache on, {written} task progress reports written meanwhile",
                load["reads_with_writes"],
            )
        )
    for name, figures in rows:
        if "cache_hits" in figures:
            answered = figures["cache_hits"] + figures["cache_misses"]
            name += f": {figures['cache_hits'] / max(1, answered):.0%} answered from the cache"
        rate = figures.get("requests_per_s", 0.0)
        print(
            f"| {name} | {rate:.1f} | {figures.get('latency_p50')} | {figures.get('latency_p99')} "
            f"| {figures.get('errors', 0)} | {_verdict(rate, 300, below=False)} |"
        )
    submits = load["submits"]
    rate = submits["stored_per_s"]
    print(
        f"| public rating submissions ({submits['ratings_stored']:,} stored) | {rate:.1f} "
        f"| {submits.get('latency_p50')} | {submits.get('latency_p99')} | {submits.get('errors', 0)} "
        f"| {_verdict(rate, 300, below=False)} |"
    )
    memory = sorted(load["worker_rss_mb"].values())
    worst = memory[-1] if memory else 0.0
    print(f"\nResident memory of the web workers after the load test: {memory} MB, {_verdict(worst, 300)}")


def main() -> None:
    args = parse_args()
    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    from django.conf import settings
    from django.db import connection

    built = None
    if not args.reuse:
        built = build(args)
        log(f"generated the {args.scale} city in {built:.0f} s")
    size = data_size()
    log(f"data: {size}")
    load_before = os.getloadavg()[0]
    clients = Clients()
    results = []
    if not args.load_test_only:
        # Server time of the computation itself: answers kept by the response cache are measured apart.
        settings.RESPONSE_CACHE = False
        results = measure_reads(args, clients)
        results.append(measure_rating_submit(args))
        settings.RESPONSE_CACHE = bool(args.redis_url)
    load = None if args.no_load_test else load_test(args)
    load_after = os.getloadavg()[0]
    print_table(results, size, load, connection.vendor)
    print(
        f"\nLoad average (1 min) {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} CPUs"
        + (" (other work was running: timings inflated)" if max(load_before, load_after) > 1 else "")
    )
    if args.json:
        payload = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "vendor": connection.vendor,
            "scale": args.scale,
            "generation_s": built,
            "size": size,
            "results": results,
            "load": load,
            "load_average": [load_before, load_after],
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
