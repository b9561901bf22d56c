# ruff: noqa: S603, S607, S608 - a local tool: it runs wrk and gunicorn and builds SQL from its own numbers
"""Satisfaction benchmarks on a PostgreSQL database of their own.

1. Public submissions: gunicorn serving the real public form on loopback, driven by wrk for a bounded time
   (rate limits switched off through the environment, as a benchmark needs); the requirement is at least
   300 accepted ratings per second on this 2-core machine. Every request is a full POST of the form with
   its CSRF token: validation, one rating row, two count upserts and one audit record per rating.
2. The city-wide index for a year over many ratings (10,000,000 by default), through the API and the page,
   median of repeated requests; the requirement is under 200 ms.

    .venv/bin/python bench/satisfaction_bench.py                       # everything, 10,000,000 ratings
    .venv/bin/python bench/satisfaction_bench.py --ratings 2000000     # a smaller index test
    .venv/bin/python bench/satisfaction_bench.py --reuse --skip-load   # measure again on the same database

The script refuses to drop a database whose name lacks "bench". It needs wrk:
`scripts/setup-system.sh --bench` installs it.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kycuong_satisfaction_bench"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--ratings", type=int, default=10_000_000, help="ratings generated for the index test"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the database that is there")
    parser.add_argument("--skip-load", action="store_true", help="do not generate ratings")
    parser.add_argument("--skip-submissions", action="store_true")
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--duration", type=int, default=20, help="seconds of the wrk run")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--json", help="write the figures to this file")
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "kycuong.settings"
    os.environ["DEBUG"] = "0"
    os.environ["KYCUONG_DEMO_RATINGS"] = "0"
    # The index page is measured with a signed-in session; the second sign-in step is not what is measured.
    os.environ["TWO_FACTOR_REQUIRED_ROLES"] = "none"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name}: its name does not contain 'bench'")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare(args) -> None:
    from django.core.management import call_command

    from kycuong.demo.loader import seed_demo

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    seed_demo(log=lambda message: None)
    print(f"demo data (without ratings) loaded in {time.monotonic() - started:.0f} s")


def generate_ratings(total: int, year: int) -> None:
    """Ratings spread over two years (the measured year and the one before), in chunks, server-side."""
    from django.db import connection

    from kycuong.satisfaction.models import COUNT_FIELDS, FormKind, ServicePoint

    points = list(ServicePoint.objects.filter(form_kind=FormKind.SURVEY).values_list("id", "unit_id"))
    template_id = (
        ServicePoint._meta.apps.get_model("satisfaction", "SurveyTemplate").objects.get(code="SIPAS-5").pk
    )
    ids = "ARRAY[" + ",".join(str(p) for p, _u in points) + "]"
    units = "ARRAY[" + ",".join(str(u) for _p, u in points) + "]"
    counts = []
    for name in COUNT_FIELDS:
        if name.startswith("visit"):
            counts.append("0")
        elif name.endswith("_answers"):
            counts.append("1")
        else:
            counts.append("(random() < 0.86)::int")
    start = f"{year - 1}-01-01"
    chunk = 1_000_000
    started = time.monotonic()
    with connection.cursor() as cursor:
        for offset in range(0, total, chunk):
            size = min(chunk, total - offset)
            cursor.execute(
                f"""
                INSERT INTO satisfaction_rating (service_point_id, unit_id, template_id, submitted_at, day,
                    source, answers, receipt_code, procedure, staff_id, comment, contact_name, contact_phone,
                    contact_email, {", ".join(COUNT_FIELDS)})
                SELECT ({ids})[k], ({units})[k], {template_id}, d + time '10:00' - interval '7 hours', d,
                    'online',
                    '{{}}'::jsonb, '', '', NULL, '', '', '', '', {", ".join(counts)}
                FROM (
                    SELECT 1 + floor(random() * {len(points)})::int AS k,
                           date '{start}' + floor(random() * 730)::int AS d
                    FROM generate_series(1, {size})
                ) AS g
                """
            )
            print(f"  {offset + size:,} ratings ({time.monotonic() - started:.0f} s)", flush=True)
        cursor.execute("TRUNCATE satisfaction_dailycount, satisfaction_monthlycount")
        sums = ", ".join(f"SUM({name})" for name in COUNT_FIELDS)
        names = ", ".join(COUNT_FIELDS)
        for table, period, expression in (
            ("satisfaction_dailycount", "day", "day"),
            ("satisfaction_monthlycount", "month", "date_trunc('month', day)::date"),
        ):
            cursor.execute(
                f"INSERT INTO {table} (service_point_id, unit_id, {period}, ratings, {names}) "
                f"SELECT service_point_id, unit_id, {expression}, COUNT(*), {sums} FROM satisfaction_rating "
                f"GROUP BY service_point_id, unit_id, {expression}"
            )
        cursor.execute("VACUUM ANALYZE satisfaction_rating")
        cursor.execute("VACUUM ANALYZE satisfaction_dailycount")
        cursor.execute("VACUUM ANALYZE satisfaction_monthlycount")
    print(f"ratings and counts ready in {time.monotonic() - started:.0f} s")


def measure_index(year: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import User
    from kycuong.accounts.services import api_token_create
    from kycuong.org.models import Unit
    from kycuong.satisfaction.models import DailyCount, MonthlyCount, Rating

    leader = User.objects.get(username="lanhdao.thanhpho")
    city = Unit.objects.get(code="01")
    _token, plain = api_token_create(actor=leader, name="bench")
    api = Client(headers={"Authorization": f"Bearer {plain}"}, HTTP_HOST="127.0.0.1")
    pages = Client(HTTP_HOST="127.0.0.1")
    pages.force_login(leader)
    operations = {
        "city_year_index_api": (
            api,
            f"/api/v1/satisfaction/index?unit_id={city.pk}&date_from={year}-01-01&date_to={year}-12-31",
        ),
        "city_year_index_edges_api": (
            api,
            f"/api/v1/satisfaction/index?unit_id={city.pk}&date_from={year}-01-15&date_to={year}-12-15",
        ),
        "city_year_page": (
            pages,
            f"/satisfaction/?unit={city.pk}&date_from={year}-01-01&date_to={year}-12-31",
        ),
    }
    results = {
        "ratings": Rating.objects.count(),
        "daily_rows": DailyCount.objects.count(),
        "monthly_rows": MonthlyCount.objects.count(),
    }
    for key, (client, url) in operations.items():
        for _ in range(3):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(21):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times.sort()
        results[key] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * len(times)) - 1], 1),
            "queries": len(queries),
        }
        print(
            f"{key:28} median {results[key]['median_ms']:7.1f} ms  p95 {results[key]['p95_ms']:7.1f} ms  "
            f"{results[key]['queries']} queries"
        )
    body = json.loads(api.get(operations["city_year_index_api"][1]).content)
    results["city_year_index"] = {
        "ratings": body["current"]["ratings"],
        "overall_percent": body["current"]["overall"]["percent"],
        "margin": body["current"]["overall"]["margin"],
    }
    return results


WRK_SCRIPT = """
local bodies = {%(bodies)s}
local paths = {%(paths)s}
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=%(cookie)s"
wrk.headers["Referer"] = "%(base)s/"
request = function()
  counter = counter + 1
  local body = bodies[(counter %% #bodies) + 1]
  local path = paths[(counter %% #paths) + 1]
  return wrk.format(nil, path, nil, body)
end
"""


def measure_submissions(args) -> dict:
    import random

    from kycuong.core.calendar import today
    from kycuong.satisfaction.models import FormKind, Rating, ServicePoint
    from kycuong.satisfaction.services import template_for

    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: scripts/setup-system.sh --bench")
    port = 8765
    env = {
        **os.environ,
        "SATISFACTION_RATE_PER_CLIENT": "off",
        "SATISFACTION_RATE_PER_SERVICE_POINT": "off",
        "SATISFACTION_REPEAT_SECONDS": "off",
        "LOG_LEVEL": "ERROR",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
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
    base = f"http://127.0.0.1:{port}"
    try:
        points = list(ServicePoint.objects.filter(form_kind=FormKind.SURVEY).order_by("id")[:200])
        questions = [q.pk for q in template_for(FormKind.SURVEY, today()).questions.all()]
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        for _ in range(50):
            try:
                page = opener.open(f"{base}/r/{points[0].slug}/").read().decode()
                break
            except OSError:
                time.sleep(0.2)
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        cookie = next(c.value for c in jar if c.name == "csrftoken")
        rng = random.Random(7)
        bodies = []
        for _ in range(500):
            fields = {"csrfmiddlewaretoken": token, "website": ""}
            for question in questions:
                fields[f"q{question}"] = str(rng.choice([5, 5, 4, 4, 4, 3, 2]))
            if rng.random() < 0.1:
                fields["comment"] = "Cán bộ hướng dẫn tận tình"
            bodies.append(urllib.parse.urlencode(fields))
        script = WRK_SCRIPT % {
            "bodies": ",".join(json.dumps(b) for b in bodies),
            "paths": ",".join(json.dumps(f"/r/{p.slug}/") for p in points),
            "cookie": cookie,
            "base": base,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
        before = Rating.objects.count()
        # Warm up every worker (templates, connections), then the bounded, measured run.
        subprocess.run(
            ["wrk", "-t2", "-c8", "-d3s", "-s", handle.name, base], capture_output=True, check=True
        )
        warm = Rating.objects.count()
        run = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--latency",
                "-s",
                handle.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        after = Rating.objects.count()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(run.stdout)
    stored = after - warm
    result = {
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "ratings_stored": stored,
        "ratings_per_second": round(stored / args.duration, 1),
        "warm_up_ratings": warm - before,
        "wrk": run.stdout,
    }
    print(f"ratings stored during the run: {stored:,} = {result['ratings_per_second']} per second")
    return result


def main() -> None:
    args = parse()
    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    if not args.reuse:
        prepare(args)
    figures = {}
    if not args.skip_submissions:
        figures["submissions"] = measure_submissions(args)
    if not args.skip_load and not args.skip_index:
        generate_ratings(args.ratings, args.year)
    if not args.skip_index:
        figures["index"] = measure_index(args.year)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
