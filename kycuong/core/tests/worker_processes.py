"""Real `kycuong worker` processes for the tests that kill one half-way through a job."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def database_url_for_workers() -> str:
    """The test database as a URL another process can open."""
    options = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{options['NAME']}"
    server = f"{options['HOST'] or '127.0.0.1'}:{options['PORT'] or 5432}"
    return f"postgres://{options['USER']}@{server}/{options['NAME']}"


def start_worker(*arguments: str, **settings: str) -> subprocess.Popen:
    """A worker (without the scheduler) on the test database; `settings` are extra environment variables."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kycuong.settings",
        "DATABASE_URL": database_url_for_workers(),
        **settings,
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "django", "worker", "--no-scheduler", *arguments],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
