"""Report reads on a PostgreSQL replica, when one is configured (REPLICA_DATABASE_URL).

Only reads wrapped in `replica_reads()` may go to the replica: the leadership dashboard and the written
reports (`dashboard_build`, which is what the dashboard page, its API and the report job call) and the
statistics pages of the modules. Everything else reads the primary, and every write goes to the primary.

A replica lags the primary by a moment, so within one unit of work (a web request, a background job) a
read never goes to the replica once that unit has written anything: a page that saves a record and then
shows figures sees its own change. A write is any statement other than a SELECT sent to the primary, by the
ORM or by raw SQL, noticed where it is executed. Reads inside a transaction on the primary stay there too.
Users, grants, roles, tokens and sessions are always read from the primary: a grant withdrawn a moment ago
must not still open a dashboard.

A job whose own writes are bookkeeping that its figures never read (the report job writes its progress)
marks them with `bookkeeping()`, so that they do not send the rest of the job to the primary.
"""

import contextlib
import functools
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.tasks.signals import task_started

REPLICA = "replica"
PRIMARY = "default"
# Read from the primary whatever the scope: access decisions must never rest on a lagging copy.
PRIMARY_ONLY_APPS = frozenset({"accounts", "sessions", "auth", "otp_totp", "django_otp", "contenttypes"})


@dataclass
class UnitOfWork:
    wrote: bool = False
    replica_depth: int = 0
    bookkeeping_depth: int = 0


_unit: ContextVar[UnitOfWork | None] = ContextVar("kycuong_unit_of_work", default=None)


def _current() -> UnitOfWork:
    unit = _unit.get()
    if unit is None:
        unit = UnitOfWork()
        _unit.set(unit)
    return unit


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def unit_of_work():
    """A new unit of work (one request, one job): what was written before it does not pin it."""
    token = _unit.set(UnitOfWork())
    try:
        yield
    finally:
        _unit.reset(token)


@contextlib.contextmanager
def replica_reads():
    """Reads inside go to the replica, unless this unit of work has written or a transaction is open."""
    unit = _current()
    unit.replica_depth += 1
    try:
        yield
    finally:
        unit.replica_depth -= 1


def reads_replica(function):
    """Decorator form of `replica_reads()` for selectors that evaluate their queries before returning."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def bookkeeping():
    """Writes inside (a job's progress) are never read back by the figures: they do not pin the unit."""
    unit = _current()
    unit.bookkeeping_depth += 1
    try:
        yield
    finally:
        unit.bookkeeping_depth -= 1


def note_write() -> None:
    unit = _current()
    if not unit.bookkeeping_depth:
        unit.wrote = True


def reads_go_to_replica() -> bool:
    unit = _unit.get()
    return (
        unit is not None
        and unit.replica_depth > 0
        and not unit.wrote
        and replica_configured()
        and not connections[PRIMARY].in_atomic_block
    )


class ReplicaRouter:
    """DATABASE_ROUTERS entry: the replica for reads in a replica scope, the primary for everything else."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return REPLICA if reads_go_to_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, **hints):
        # A streaming replica takes its schema from the primary.
        return db != REPLICA


def _note_writes(execute, sql, params, many, context):
    if str(sql).lstrip()[:6].upper() != "SELECT":
        note_write()
    return execute(sql, params, many, context)


@receiver(connection_created)
def _watch_primary_writes(sender, connection, **kwargs):
    if connection.alias == PRIMARY and _note_writes not in connection.execute_wrappers:
        # First in the list: `connection.execute_wrapper()` blocks pop the last entry when they end.
        connection.execute_wrappers.insert(0, _note_writes)


@receiver(task_started)
def _job_is_a_unit_of_work(sender, task_result, **kwargs):
    # A worker runs one job after another in the same thread: each starts unpinned.
    _unit.set(UnitOfWork())


class UnitOfWorkMiddleware:
    """Each request is its own unit of work (a worker thread serves one request after another)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with unit_of_work():
            return self.get_response(request)
