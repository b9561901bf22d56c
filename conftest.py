"""Shared fixtures: a small organisation tree with one user per role, built through the services."""

import datetime
import os
from dataclasses import dataclass

import pytest
from django.test import Client

from kycuong.accounts.models import Role, User
from kycuong.accounts.services import grant_create, roles_sync, user_create
from kycuong.core.calendar import calendar_cache_clear
from kycuong.core.context import SystemActor
from kycuong.core.kept import forget_all
from kycuong.core.models import AuditRecord
from kycuong.org.models import PostRole, UnitKind
from kycuong.org.services import post_create, staff_create, unit_create
from kycuong.reports.selectors import provider_threads_stop

# The demo seeded by tests: fewer generated ratings, finished cases and projects keep it quick to seed, and
# the pages and figures look the same.
os.environ.setdefault("KYCUONG_DEMO_RATINGS", "5000")
os.environ.setdefault("KYCUONG_DEMO_PROCESSES", "1000")
os.environ.setdefault("KYCUONG_DEMO_PROJECTS", "500")

SYSTEM = SystemActor("test-setup", kind="command")

# scripts/run-tests.sh names the test a run was in when it stopped without its summary (the watchdog of
# faulthandler_timeout ends the process when a test is stuck where the per-test timeout cannot reach it).
RUNNING_TEST_FILE = os.environ.get("KYCUONG_RUNNING_TEST_FILE")


def pytest_runtest_logstart(nodeid, location):
    if RUNNING_TEST_FILE:
        with open(RUNNING_TEST_FILE, "w", encoding="utf-8") as running:
            running.write(nodeid)


def pytest_sessionfinish(session, exitstatus):
    if RUNNING_TEST_FILE and os.path.exists(RUNNING_TEST_FILE):
        os.remove(RUNNING_TEST_FILE)


PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    city: object
    hoangmai: object
    hoangliet: object
    dinhcong: object
    badinh: object
    phucxa: object
    hoangliet_staff: object
    phucxa_staff: object
    users: dict

    def user(self, name: str) -> User:
        return self.users[name]


def _user(username: str, **extra) -> User:
    return user_create(actor=SYSTEM, username=username, password=PASSWORD, **extra)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are not about hashing need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_calendar():
    # The working-day cache outlives a test's rolled-back transaction; start each test from the database.
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture(scope="session", autouse=True)
def dashboard_threads_stopped_at_the_end(django_db_setup):
    # The dashboard's provider threads keep connections to the test database, which must close before the
    # database is dropped.
    yield
    provider_threads_stop()


@pytest.fixture(autouse=True)
def fresh_kept_values():
    # So do the values kept per process (the public form's template and service point).
    forget_all()
    yield
    forget_all()


@pytest.fixture
def world(db) -> World:
    roles_sync()
    role = {r.code: r for r in Role.objects.all()}
    city = unit_create(actor=SYSTEM, parent=None, kind=UnitKind.CITY, code="T01", name="Thành phố Hà Nội")
    hoangmai = unit_create(
        actor=SYSTEM, parent=city, kind=UnitKind.URBAN_DISTRICT, code="T008", name="Quận Hoàng Mai"
    )
    hoangliet = unit_create(
        actor=SYSTEM, parent=hoangmai, kind=UnitKind.WARD, code="T00337", name="Phường Hoàng Liệt"
    )
    dinhcong = unit_create(
        actor=SYSTEM, parent=hoangmai, kind=UnitKind.WARD, code="T00331", name="Phường Định Công"
    )
    badinh = unit_create(
        actor=SYSTEM, parent=city, kind=UnitKind.URBAN_DISTRICT, code="T001", name="Quận Ba Đình"
    )
    phucxa = unit_create(
        actor=SYSTEM, parent=badinh, kind=UnitKind.WARD, code="T00001", name="Phường Phúc Xá"
    )
    hoangliet_staff = staff_create(actor=SYSTEM, unit=hoangliet, full_name="Nguyễn Văn Hùng", birth_year=1980)
    phucxa_staff = staff_create(actor=SYSTEM, unit=phucxa, full_name="Trần Thị Lan", birth_year=1985)
    post_create(
        actor=SYSTEM,
        staff=hoangliet_staff,
        unit=hoangliet,
        title="Chủ tịch UBND phường",
        role=PostRole.HEAD,
        start_date=datetime.date(2020, 1, 1),
    )
    post_create(
        actor=SYSTEM,
        staff=phucxa_staff,
        unit=phucxa,
        title="Công chức",
        role=PostRole.MEMBER,
        start_date=datetime.date(2021, 1, 1),
    )
    users = {
        "superuser": _user("root", is_superuser=True),
        "no_grant": _user("nogrant"),
        "city_leader": _user("leader"),
        "hoangmai_head": _user("head.hm"),
        "hoangmai_inspector": _user("inspector.hm"),
        "hoangliet_staff": _user("staff.hl"),
        "phucxa_staff": _user("staff.px"),
        "badinh_head": _user("head.bd"),
        "hoangmai_observer": _user("observer.hm"),
    }
    grant_create(actor=SYSTEM, user=users["city_leader"], role=role["city_leader"], unit=city)
    grant_create(actor=SYSTEM, user=users["hoangmai_head"], role=role["unit_head"], unit=hoangmai)
    grant_create(actor=SYSTEM, user=users["hoangmai_inspector"], role=role["inspector"], unit=hoangmai)
    grant_create(
        actor=SYSTEM,
        user=users["hoangliet_staff"],
        role=role["unit_staff"],
        unit=hoangliet,
        include_descendants=False,
    )
    grant_create(
        actor=SYSTEM,
        user=users["phucxa_staff"],
        role=role["unit_staff"],
        unit=phucxa,
        include_descendants=False,
    )
    grant_create(actor=SYSTEM, user=users["badinh_head"], role=role["unit_head"], unit=badinh)
    grant_create(actor=SYSTEM, user=users["hoangmai_observer"], role=role["observer"], unit=hoangmai)
    return World(city, hoangmai, hoangliet, dinhcong, badinh, phucxa, hoangliet_staff, phucxa_staff, users)


@pytest.fixture
def password() -> str:
    """The password of every user of the `world` fixture."""
    return PASSWORD


@pytest.fixture
def login(client):
    """Log a user into the test client (fresh scope cache per user)."""

    def do(user: User) -> Client:
        client.logout()
        client.force_login(User.objects.get(pk=user.pk))
        return client

    return do


@pytest.fixture
def api_client(world):
    """A Django test client that sends a bearer token of the given user (None: anonymous)."""
    from kycuong.accounts.services import api_token_create

    def make(user: User | None) -> Client:
        if user is None:
            return Client()
        _token, plain = api_token_create(actor=user, name="test")
        return Client(headers={"Authorization": f"Bearer {plain}"})

    return make


@pytest.fixture
def audit_count():
    return lambda: AuditRecord.objects.count()


@pytest.fixture(autouse=True)
def _second_step_off_unless_asked(settings, request):
    """Tests sign in with force_login as leaders and administrators; the two-step sign-in, required for
    those roles by default, is tested on its own (marked `two_factor`)."""
    if request.node.get_closest_marker("two_factor") is None:
        settings.TWO_FACTOR_REQUIRED_ROLES = []
