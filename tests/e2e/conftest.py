"""Browser tests: Playwright driving Debian's chromium against a live server thread of this process.

The Hanoi demo data, on its 2024 structure (before the 2025 reorganisation), is seeded once for all the
browser tests (it takes a minute or so) and committed, so that the live server's thread sees it; each test
works on it as a user would, without relying on what another test did; after the last one the database is left
as the other tests expect it. The browser tests run after every other test.

On SQLite the test database lives in memory. Connections of their own would lock each other out (a shared
in-memory database refuses a second writer at once, without waiting), and one connection shared by the live
server's request threads and the test can hang the whole process: a thread inside a query that calls one of
Django's Python functions waits for the interpreter lock, while another thread holds that lock and waits for
the connection. So the browser tests get a copy of it in a file, which every thread opens on its own, as the
product's own SQLite database is used; the file is removed afterwards and the database in memory is as it was.
"""

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the main thread; Django would otherwise refuse
# every ORM call made from that thread (seeding, the tests' own checks of the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous enough for a loaded CI machine, short enough that a broken page fails fast.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. "
            "Run `make test` (it installs chromium through scripts/setup-system.sh --tests).",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open_page(browser, viewport):
    """A fresh context (no cookies) asking for Vietnamese; fails the test on uncaught JavaScript errors."""
    context = browser.new_context(
        viewport=viewport,
        locale="vi-VN",
        extra_http_headers={"Accept-Language": "vi"},
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    context.close()
    if script_errors:
        pytest.fail("uncaught JavaScript errors in the page:\n" + "\n".join(script_errors), pytrace=False)


@pytest.fixture
def page(browser):
    """Desktop-sized (1280x800)."""
    yield from _open_page(browser, {"width": 1280, "height": 800})


@pytest.fixture
def phone_page(browser):
    """Phone-sized (390x844): the navigation collapses."""
    yield from _open_page(browser, {"width": 390, "height": 844})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests last: the demo they share stays in the database until the last of them."""
    browser_tests = [item for item in items if item.get_closest_marker("e2e")]
    if browser_tests:
        others = [item for item in items if not item.get_closest_marker("e2e")]
        items[:] = others + browser_tests


@dataclass
class DemoServer:
    url: str


def is_test_database(connection) -> bool:
    """Django names a test database test_<name>, or keeps it in memory for SQLite."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return True
    return str(connection.settings_dict["NAME"]).startswith("test_")


@contextlib.contextmanager
def database_of_its_own(connection, directory: Path):
    """On an in-memory SQLite test database: its copy in a file, used by every connection meanwhile. Yields
    whether the tests work on such a copy."""
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield False
        return
    from django.conf import settings

    in_memory = connection.settings_dict["NAME"]
    # The in-memory database lasts as long as a connection to it: this one keeps it for after the tests.
    keeper = sqlite3.connect(in_memory, uri=True)
    path = directory / "test_browser.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as copy:
        keeper.backup(copy)
    # Django keeps a connection to an in-memory database open whatever is asked: name the file first.
    connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = str(path)
    connection.close()
    try:
        yield True
    finally:
        connection.close()
        connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = in_memory
        connection.ensure_connection()
        keeper.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Hanoi demo data, committed and served by a live server thread for all the browser tests."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.db import connection
    from django.test.testcases import LiveServerThread
    from django.test.utils import modify_settings, override_settings, setup_databases, teardown_databases

    from kycuong.demo.loader import seed_demo
    from kycuong.reports.selectors import provider_threads_stop

    with contextlib.ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(modify_settings(ALLOWED_HOSTS={"append": "localhost"}))
        # pytest-django creates the test database only when another selected test asks for one.
        own_database = None
        if not is_test_database(connection):
            own_database = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        assert is_test_database(connection), "the browser tests never write to a real database"
        if own_database is not None:
            stack.callback(teardown_databases, own_database, verbosity=0)
            # The dashboard's threads read through connections of their own, closed before the drop.
            stack.callback(provider_threads_stop)
        in_a_file = stack.enter_context(database_of_its_own(connection, tmp_path_factory.mktemp("browser")))
        # The browser tests' own reads open a second connection in this thread (while Playwright runs its
        # event loop here), which nothing else closes: closed last, so the test database can be dropped.
        stack.callback(connection.close)
        if not in_a_file:
            # Leave the database as the other tests expect it: empty but for the rows the migrations ship.
            # (A file of its own is simply removed; the database in memory was left as it was.)
            stack.callback(call_command, "flush", interactive=False, verbosity=0)
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            # The structure of 2024, before the Hanoi reorganisation: the scenarios walk a district and its
            # wards, and one of them prepares, applies and undoes a reorganisation of its own.
            seeded = seed_demo(log=lambda message: None, reorganise=False)
            assert seeded, "the demo data was already in the test database"
        # The live server's threads close their connections after each request: a browser keeps its sockets
        # open between requests, and a thread's kept connection would outlast the tests and the database.
        kept_for = connection.settings_dict["CONN_MAX_AGE"]
        connection.settings_dict["CONN_MAX_AGE"] = 0
        stack.callback(connection.settings_dict.__setitem__, "CONN_MAX_AGE", kept_for)
        server = LiveServerThread("localhost", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        stack.callback(server.terminate)
        assert server.is_ready.wait(timeout=60), "the live server did not start within a minute"
        if server.error:
            raise server.error
        yield DemoServer(url=f"http://{server.host}:{server.port}")


@pytest.fixture(autouse=True)
def database_open(django_db_blocker):
    """The test and the live server both read and write the committed demo data."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def login(demo):
    """Log a demo user in through the log-in form; returns the live server's base URL."""
    from django.conf import settings
    from playwright.sync_api import expect

    def do(page, username: str) -> str:
        base = demo.url
        page.goto(f"{base}/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(settings.DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(f"{base}/")
        return base

    return do


@pytest.fixture
def second_page(browser):
    """Another desktop-sized page in a context of its own (own cookies): a second user at the same time."""
    yield from _open_page(browser, {"width": 1280, "height": 800})
