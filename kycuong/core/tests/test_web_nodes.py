"""Two web nodes (two gunicorn servers on different ports) that share nothing but the PostgreSQL database
and Redis: a sign-in on one is valid on the other, a sign-out on one ends the session on both, the rate limit
of the public rating form counts the submissions of both, and a change of the working-day calendar made on
one is used by the other."""

import datetime
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from kycuong.accounts.models import User
from kycuong.accounts.services import api_token_create
from kycuong.core.calendar import add_working_days
from kycuong.satisfaction.tests.conftest import points, questions  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PASSWORD = "correct-horse-battery-staple"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two servers need a database they can share: the SQLite test database lives in memory",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    options = connection.settings_dict
    server = f"{options['HOST'] or '127.0.0.1'}:{options['PORT'] or 5432}"
    return f"postgres://{options['USER']}@{server}/{options['NAME']}"


@pytest.fixture
def nodes(points):  # noqa: F811 - the fixture imported above
    """Two servers, as two machines would run them, with a Redis key prefix of this test's own."""
    prefix = f"kycuong-test-{uuid.uuid4().hex[:12]}"
    # The tests hash passwords with a fast hasher the servers do not accept: PBKDF2 is one they do.
    User.objects.filter(username__in=["leader", "root"]).update(
        password=PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    )
    shared = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        shared.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({error}); it is part of this machine's platform.")
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CSRF_TRUSTED_ORIGINS", "DEBUG", "REPLICA_DATABASE_URL", "JOB_QUEUE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="kycuong.settings",
        DATABASE_URL=_database_url(),
        REDIS_URL=REDIS_URL,
        REDIS_KEY_PREFIX=prefix,
        TWO_FACTOR_REQUIRED_ROLES="",
        SATISFACTION_RATE_PER_CLIENT="3/3600",
        SATISFACTION_REPEAT_SECONDS="off",
        CALENDAR_RECHECK_SECONDS="0",
        KYCUONG_PLAIN_STATIC="1",
    )
    servers, urls = [], []
    try:
        for _ in range(2):
            port = _free_port()
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
                    + ["kycuong.wsgi:application"],
                    env=environment,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:  # not listening, or still loading the application
                    pass
                assert time.monotonic() < deadline, f"the server at {url} did not start"
                time.sleep(0.2)
        yield points, urls, shared, prefix
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        keys = list(shared.scan_iter(f"{prefix}:*"))
        if keys:
            shared.delete(*keys)


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_two_nodes_share_sessions_rate_limits_and_the_calendar(nodes, questions):  # noqa: F811
    # One test for the three: starting two servers is what costs time here.
    world, (node_a, node_b), shared, prefix = nodes
    _a_session_is_shared_by_the_nodes_and_ended_on_both(world, node_a, node_b, shared, prefix)
    _the_rate_limit_counts_the_submissions_of_both_nodes(world, node_a, node_b, questions)
    _a_calendar_change_on_one_node_is_used_by_the_other(world, node_a, node_b)


def _a_session_is_shared_by_the_nodes_and_ended_on_both(world, node_a, node_b, shared, prefix):
    browser = requests.Session()
    token = _csrf(browser, f"{node_a}/login/")
    signed_in = browser.post(
        f"{node_a}/login/",
        data={"username": "leader", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{node_a}/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    session_key = browser.cookies["sessionid"]
    assert any(session_key in key.decode() for key in shared.scan_iter(f"{prefix}:*"))  # kept in Redis

    on_b = browser.get(f"{node_b}/dashboard/?unit={world.city.pk}", allow_redirects=False, timeout=30)
    assert on_b.status_code == 200
    assert "Quận Hoàng Mai" in on_b.text
    # Another person's session is not valid just because it is shared.
    stranger = requests.get(f"{node_b}/dashboard/", allow_redirects=False, timeout=10)
    assert stranger.status_code == 302 and "/login/" in stranger.headers["Location"]

    token = _csrf(browser, f"{node_b}/dashboard/?unit={world.city.pk}")
    signed_out = browser.post(
        f"{node_b}/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{node_b}/"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_out.status_code == 302
    browser.cookies.set("sessionid", session_key)  # the old cookie, kept by an attacker
    after = browser.get(f"{node_a}/dashboard/", allow_redirects=False, timeout=10)
    assert after.status_code == 302 and "/login/" in after.headers["Location"]


def _the_rate_limit_counts_the_submissions_of_both_nodes(world, node_a, node_b, question_ids):
    client = requests.Session()
    path = f"/r/{world.point.slug}/"
    statuses = []
    for node in (node_a, node_b, node_a, node_b):
        token = _csrf(client, f"{node}{path}")
        answer = client.post(
            f"{node}{path}",
            data={
                f"q{question_ids['access']}": "5",
                f"q{question_ids['civil_servant']}": "4",
                "website": "",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{node}{path}"},
            allow_redirects=False,
            timeout=10,
        )
        statuses.append(answer.status_code)
    assert statuses == [302, 302, 302, 429]  # a limit of 3 per client, whichever node counted them


def _a_calendar_change_on_one_node_is_used_by_the_other(world, node_a, node_b):
    _token, plain = api_token_create(actor=world.users["superuser"], name="nodes")
    bearer = {"Authorization": f"Bearer {plain}"}
    start = datetime.date(2031, 3, 3)  # a Monday with no holiday near it
    due = add_working_days(start, 1)

    def due_date_on(node: str) -> str:
        created = requests.post(
            f"{node}/api/v1/tasks",
            json={
                "title": "Việc thử",
                "assigning_unit_id": world.city.pk,
                "lead_unit_id": world.hoangmai.pk,
                "start_date": start.isoformat(),
                "due_working_days": 1,
            },
            headers=bearer,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        return created.json()["due_date"]

    assert due_date_on(node_b) == due.isoformat()
    admin = requests.Session()
    token = _csrf(admin, f"{node_a}/login/")
    admin.post(
        f"{node_a}/login/",
        data={"username": "root", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{node_a}/login/"},
        timeout=10,
    )
    token = _csrf(admin, f"{node_a}/admin/core/calendarday/add/")
    added = admin.post(
        f"{node_a}/admin/core/calendarday/add/",
        data={"day": due.strftime("%d/%m/%Y"), "name": "Nghỉ bù", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{node_a}/admin/core/calendarday/add/"},
        allow_redirects=False,
        timeout=10,
    )
    assert added.status_code == 302, added.text[:2000]
    assert due_date_on(node_b) == (due + datetime.timedelta(days=1)).isoformat()
