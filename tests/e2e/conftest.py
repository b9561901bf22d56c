"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

The live server runs in a thread of this process and the database is reset after each test
(`transactional_db`), so every test seeds the Hanoi demo data itself (`demo` fixture, ~5 s).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the main thread; Django would otherwise refuse
# every ORM call made from that thread (seeding, the database flush after each test).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Every browser test seeds the whole demo: fewer generated ratings and finished cases keep that quick, and
# the pages look the same.
os.environ.setdefault("KYCUONG_DEMO_RATINGS", "5000")
os.environ.setdefault("KYCUONG_DEMO_PROCESSES", "1000")

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


@pytest.fixture
def demo(transactional_db, live_server):
    """The Hanoi demo data, committed so that the live server's thread sees it."""
    from kycuong.demo.loader import seed_demo

    assert seed_demo(log=lambda message: None), "the demo data was already there: the database was not reset"
    return live_server


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
