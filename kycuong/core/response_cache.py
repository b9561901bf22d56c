"""Exact caching of scoped API reads: an answer is reused while nothing it was computed from has changed.

A read marked `@cached_read` is answered, on a miss, by the handler as usual, while every SQL statement it
sends is watched: the tables named after FROM and JOIN are its dependencies. A later request of the same
user, for the same path and query, in the same language, time zone and day, is answered from Redis while
every dependency still has the version it had when the answer was computed.

Versions live in Redis (a counter per table). Every statement that writes, on every database connection of
every process (ORM saves, `update()`, `bulk_create`, deletes, raw SQL), names the tables it writes; they
are bumped once the transaction commits (at once in autocommit), so the writer's own next request sees its
write. An answer is kept only if none of the tables it read was bumped between its first query and the
moment its versions were read: rows read before a commit are never filed under versions after its bump.

Tables in BY_UNIT_TABLES (the tasks) also keep versions per unit and per unit subtree. A write inside
`changes_in_units(...)` (Task.save names the task's units, before and after) bumps those of the units named
and of their ancestors' subtrees, and "<table>@any"; any other write bumps the whole table. An answer whose
reads were limited to units (`scoping.restrict` notes the actor's grants, a unit's summary its subtree)
depends on those units' versions only: a task saved in one ward ends the answers of that ward, its
district and the city, not those of another district.

What it does not see, it does not keep: an answer that reads another database (the replica, which may
lag), a handler that writes (the confidential access log), a request inside a transaction (whose own
uncommitted writes the versions cannot show), a non-200 answer. Writes that bypass Django's connections
(COPY in the city generator, a restore with pg_restore, psql by hand) must call `forget_everything()`; a
new generation is also started after `migrate` and by every web process that starts. Values a process
keeps in memory are read afresh for a cached handler (the calendar) or make its answer not kept. Should
Redis be unreachable when a bump is owed, the process starts a new generation as soon as Redis answers it
again, so no answer kept before the lost bump is used.
"""

import functools
import hashlib
import json
import logging
import re
import secrets
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from ninja.decorators import decorate_view

logger = logging.getLogger("kycuong.response_cache")

GENERATION = "*generation"  # the hash field whose change invalidates every kept answer
EVERYTHING = "*"  # the pseudo-table a write of unknown tables bumps: every answer depends on it

# Tables whose writes may name the units they touch (`changes_in_units`): their versions are kept per unit
# and per unit subtree too, so that a change in one ward does not end the answers of another.
BY_UNIT_TABLES: set[str] = set()

# Statements that never change rows; anything else is treated as a write.
_NOT_WRITES = frozenset(
    {"SELECT", "VALUES", "SHOW", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET"}
    | {"RESET", "PRAGMA", "LOCK", "ANALYZE", "VACUUM", "DECLARE", "FETCH", "CLOSE"}
)
_FIRST_WORD = re.compile(r"\s*\(*\s*([A-Za-z]+)")
_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_NAME = r"(?:\"?\w+\"?\.)?\"?(\w+)\"?"  # a table, perhaps schema-qualified: the table's name is kept
_NOT_A_TARGET = re.compile(r"\bDO\s+UPDATE\b|\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bFOR\s+SHARE\b", re.IGNORECASE)
_WRITTEN = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|COPY"
    r"|(?:ALTER|DROP|CREATE)\s+TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?)\s+(?:ONLY\s+)?" + _NAME,
    re.IGNORECASE,
)
_TRUNCATED = re.compile(r"\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?([\w\"., ]+)", re.IGNORECASE)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+(?:ONLY\s+)?" + _NAME, re.IGNORECASE)


class _Reading:
    """What one cached handler read while it computed its answer."""

    def __init__(self):
        self.tables: set[str] = set()
        self.rechecked: set[str] = set()
        self.cacheable = True
        # Per table of BY_UNIT_TABLES, the units the rows it read belong to: "unit:<id>" or "sub:<id>" (a
        # subtree); None when some read of the table was not limited (the system's authority).
        self.limits: dict[str, set[str] | None] = {}


_reading: ContextVar[_Reading | None] = ContextVar("kycuong_response_reading", default=None)
_declared_units: ContextVar[frozenset[int] | None] = ContextVar("kycuong_changed_units", default=None)


@contextmanager
def changes_in_units(units):
    """Writes to BY_UNIT_TABLES inside this block touch only rows of these units (before and after the
    change). A write to those tables outside such a block counts as a change of every unit."""
    named = {unit for unit in units if unit is not None}
    if not named:  # nothing named: the writes count as changes of every unit
        yield
        return
    token = _declared_units.set((_declared_units.get() or frozenset()) | named)
    try:
        yield
    finally:
        _declared_units.reset(token)


def note_reads_limited_to(tables, unit_keys, *, unlimited: bool = False) -> None:
    """Called where reads of these tables are limited to units (scoping.restrict, a unit's summary): a
    cached answer then depends on those units' versions of the tables, if they are BY_UNIT_TABLES. Every
    read of such a table by a cached handler must be limited by one of the keys noted for it."""
    reading = _reading.get()
    if reading is None:
        return
    keys = set(unit_keys)
    for table in tables:
        if table not in BY_UNIT_TABLES:
            continue
        if unlimited or not keys:
            reading.limits[table] = None
        elif table not in reading.limits:
            reading.limits[table] = keys
        elif reading.limits[table] is not None:
            reading.limits[table] |= keys


def unit_key(unit_id: int, with_descendants: bool) -> str:
    return f"sub:{unit_id}" if with_descendants else f"unit:{unit_id}"


def written_tables(sql: str) -> frozenset[str] | None:
    """The tables a statement writes, None for a statement that writes nothing. A write whose tables
    cannot be named answers EVERYTHING."""
    first = _FIRST_WORD.match(sql)
    if first is not None and first.group(1).upper() in _NOT_WRITES:
        return None
    statement = _NOT_A_TARGET.sub(" ", _COMMENTS.sub(" ", sql))
    names = {name.lower() for name in _WRITTEN.findall(statement)}
    for listed in _TRUNCATED.findall(statement):
        for part in listed.split(","):
            if part.split():
                names.add(part.split()[0].rsplit(".", 1)[-1].strip('"').lower())
    first = _FIRST_WORD.match(statement)
    if not names and first is not None and first.group(1).upper() in ("WITH", "SELECT"):
        return None  # a query that only reads, behind a comment or in a common table expression
    return frozenset(names) or frozenset({EVERYTHING})


def read_tables(sql: str) -> set[str]:
    return {name.lower() for name in _READ.findall(sql)}


def recheck_once(name: str) -> bool:
    """True the first time a cached handler, while it computes its answer, asks about a value its process
    keeps in memory for some seconds (the calendar): the value must then be read afresh, through a query
    the answer depends on."""
    reading = _reading.get()
    if reading is None or name in reading.rechecked:
        return False
    reading.rechecked.add(name)
    return True


def not_exact() -> None:
    """A cached handler used a value its process may keep stale for a while: its answer is not kept."""
    reading = _reading.get()
    if reading is not None:
        reading.cacheable = False


def is_enabled() -> bool:
    return bool(getattr(settings, "RESPONSE_CACHE", False)) and bool(settings.REDIS_URL)


# --- the versions, in Redis ----------------------------------------------------------------------------

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()
_bump_lost = threading.Event()  # a bump could not reach Redis: start a new generation before trusting it


# Run on each new connection to Redis: a Redis restarted from a snapshot brings back answers and versions
# of that moment, without the bumps made since. The first connection to a restarted server (its run_id is
# new) starts a new generation, before any command of this process can read a version.
_ON_RESTART = """
if redis.call('HGET', KEYS[1], '*server') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], '*server', ARGV[1], '*generation', ARGV[2])
  redis.call('HSET', KEYS[2], '*generation', ARGV[2])
end
"""


class _RestartAware:
    def on_connect_check_health(self, *args, **kwargs):  # redis-py's step after each (re)connection
        super().on_connect_check_health(*args, **kwargs)
        self.send_command("INFO", "server")
        info = self.read_response()
        info = info.decode() if isinstance(info, bytes) else str(info)
        run_id = next((line[7:].strip() for line in info.splitlines() if line.startswith("run_id:")), None)
        if not run_id:  # without it a restart cannot be told: use no kept answer rather than a stale one
            raise redis.ConnectionError("Redis does not report its run_id; the response cache needs it.")
        self.send_command("EVAL", _ON_RESTART, 2, _versions_key(), _unit_versions_key(), run_id, _token())
        self.read_response()


def _client() -> redis.Redis:
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                base = {"rediss": redis.SSLConnection, "unix": redis.UnixDomainSocketConnection}.get(
                    url.split(":", 1)[0], redis.Connection
                )
                connection_class = type("RestartAwareConnection", (_RestartAware, base), {})
                client = redis.Redis.from_url(
                    url, socket_timeout=0.5, socket_connect_timeout=0.5, connection_class=connection_class
                )
                _clients[url] = client
    return client


def _token() -> str:
    return secrets.token_hex(8)


def _prefix() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:responses"


def _versions_key() -> str:
    """Per table (and "<table>@any" for BY_UNIT_TABLES), with the generation: a few hundred fields."""
    return f"{_prefix()}:versions"


def _unit_versions_key() -> str:
    """Per table of BY_UNIT_TABLES and unit ("<table>@unit:<id>") or subtree ("<table>@sub:<id>")."""
    return f"{_prefix()}:unit-versions"


def _is_per_unit(field: str) -> bool:
    return "@unit:" in field or "@sub:" in field


def _new_generation(client: redis.Redis) -> str:
    generation = _token()
    pipe = client.pipeline(transaction=True)
    pipe.hset(_versions_key(), GENERATION, generation)
    pipe.hset(_unit_versions_key(), GENERATION, generation)
    pipe.execute()
    return generation


def migrated(**kwargs) -> None:
    forget_everything()


def forget_everything() -> bool:
    """No answer kept so far is used again (after writes that bypassed Django's connections). False when
    Redis did not answer: this process then starts a new generation as soon as it does."""
    if not is_enabled():
        return True
    try:
        _new_generation(_client())
    except redis.RedisError:
        _bump_lost.set()
        return False
    return True


def _fields_of(tables, units_by_table: dict[str, set[int]]) -> set[str]:
    """The version fields a committed write bumps: a table, or its per-unit and per-subtree versions."""
    fields = set(tables)
    if units_by_table:
        from kycuong.org.models import UnitClosure

        units = set().union(*units_by_table.values())
        above: dict[int, set[int]] = {unit: {unit} for unit in units}
        for descendant, ancestor in UnitClosure.objects.filter(descendant_id__in=units).values_list(
            "descendant_id", "ancestor_id"
        ):
            above[descendant].add(ancestor)
        for table, touched in units_by_table.items():
            fields.add(f"{table}@any")
            for unit in touched:
                fields.add(f"{table}@unit:{unit}")
                fields.update(f"{table}@sub:{ancestor}" for ancestor in above[unit])
    return fields


def _bump(tables, units_by_table: dict[str, set[int]] | None = None) -> None:
    try:
        fields = _fields_of(tables, units_by_table or {})
        client = _client()
        _settle_lost_bump(client)
        # One MULTI: a reader never sees a unit's version moved without its table's "@any" (see _compute).
        pipe = client.pipeline(transaction=True)
        for field in fields:
            pipe.hincrby(_unit_versions_key() if _is_per_unit(field) else _versions_key(), field, 1)
        pipe.execute()
    except Exception as error:  # the write is committed: whatever failed, the bump must not be forgotten
        _bump_lost.set()
        logger.error(
            "Could not record a change of %s in Redis (%s): this process drops every kept answer as soon as "
            "Redis answers it; other processes may serve answers older than the change for up to "
            "RESPONSE_CACHE_SECONDS.",
            tables,
            error,
        )


def _settle_lost_bump(client: redis.Redis) -> None:
    if _bump_lost.is_set():
        _new_generation(client)
        _bump_lost.clear()


def _table_versions(client: redis.Redis) -> dict[str, str]:
    """Every table's version and the generation (created first if missing)."""
    _settle_lost_bump(client)
    versions = {key.decode(): value.decode() for key, value in client.hgetall(_versions_key()).items()}
    if GENERATION not in versions:
        versions[GENERATION] = _new_generation(client)
    return versions


def _versions_of(client: redis.Redis, fields: list[str]) -> dict[str, str]:
    """The current versions of these fields; a field never bumped is "0"."""
    _settle_lost_bump(client)
    per_table = [field for field in fields if not _is_per_unit(field)]
    per_unit = [field for field in fields if _is_per_unit(field)]
    pipe = client.pipeline(transaction=True)
    pipe.hmget(_versions_key(), [GENERATION, *per_table])
    pipe.hmget(_unit_versions_key(), [GENERATION, *per_unit])
    table_values, unit_values = pipe.execute()
    found = dict(zip(per_table, table_values[1:], strict=True)) | dict(
        zip(per_unit, unit_values[1:], strict=True)
    )
    versions = {field: (found[field] or b"0").decode() for field in fields}
    if table_values[0] is None or table_values[0] != unit_values[0]:
        # A hash lost on its own (evicted, deleted): counters could start again at numbers already used.
        versions[GENERATION] = _new_generation(client)
    return versions


# --- watching every statement --------------------------------------------------------------------------


def _flush_written(connection) -> None:
    tables = connection.__dict__.pop("_kycuong_written", None)
    units_by_table = connection.__dict__.pop("_kycuong_written_units", None)
    if tables or units_by_table:
        _bump(tables or (), units_by_table)


def watch_statement(execute, sql, params, many, context):
    """An execute wrapper on every connection: notes reads for a cached handler, bumps written tables."""
    result = execute(sql, params, many, context)
    if not is_enabled():
        return result
    tables = written_tables(sql)
    connection = context["connection"]
    reading = _reading.get()
    if tables is None:
        if reading is not None:
            if connection.alias != DEFAULT_DB_ALIAS:
                reading.cacheable = False  # another database (a replica) may lag behind the versions
            reading.tables |= read_tables(sql)
        return result
    if reading is not None:
        reading.cacheable = False  # a handler that writes (an access log) must run every time
    declared = _declared_units.get()
    units_by_table = {}
    if declared is not None:
        units_by_table = {table: set(declared) for table in tables if table in BY_UNIT_TABLES}
        tables = tables - units_by_table.keys()
    if connection.in_atomic_block:
        connection.__dict__.setdefault("_kycuong_written", set()).update(tables)
        pending = connection.__dict__.setdefault("_kycuong_written_units", {})
        for table, units in units_by_table.items():
            pending.setdefault(table, set()).update(units)
        # Registered per statement: a callback registered inside a savepoint that rolls back is dropped,
        # while later writes of the same transaction still need one.
        transaction.on_commit(functools.partial(_flush_written, connection), using=connection.alias)
    else:
        _bump(tables, units_by_table)  # autocommit: the statement is committed already
    return result


def install_watch(sender, connection, **kwargs) -> None:
    """Put the watch first among the connection's wrappers (a `with execute_wrapper()` block around the
    connection's creation pops the last one when it ends)."""
    if watch_statement not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, watch_statement)


# --- the cached handlers -------------------------------------------------------------------------------


@functools.cache
def _release() -> str:
    """A fingerprint of the code: answers kept by another release (whose shape may differ) are not used."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _answer_key(request, user) -> str:
    """Who asks (with what decides their scope before any grant: superuser, active), what, in which
    language and time zone, on which day (the display's and the legal one, which the deadlines use)."""
    from .calendar import today

    query = sorted(request.GET.lists())
    identity = json.dumps(
        [
            _release(),
            user.pk,
            user.is_superuser,
            user.is_active,
            request.path,
            query,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            timezone.localdate().isoformat(),
            today().isoformat(),
        ],
        ensure_ascii=False,
    )
    return f"{_prefix()}:answer:{hashlib.sha256(identity.encode()).hexdigest()}"


def _authenticated_user(operation, request):
    """Authenticate as the operation would; the operation's own checks then reuse the answer (see
    kycuong.accounts.auth), so the handler's recorded reads do not include the token's."""
    for callback in operation.auth_callbacks:
        user = callback(request)
        if user:
            request.kycuong_api_user = user
            return user
    return None


def _dependencies(reading: _Reading) -> list[str]:
    """The version fields an answer depends on: the generation, each table it read; for BY_UNIT_TABLES,
    the versions of the units its reads were limited to (or of any unit, when a read was not limited)."""
    fields = {GENERATION, EVERYTHING}
    for table in reading.tables:
        fields.add(table)
        if table in BY_UNIT_TABLES:
            keys = reading.limits.get(table)
            if keys:
                fields.update(f"{table}@{key}" for key in keys)
            else:
                fields.add(f"{table}@any")
    return sorted(fields)


def _kept_answer(client: redis.Redis, raw: bytes | None) -> HttpResponse | None:
    if raw is None:
        return None
    head, _newline, body = raw.partition(b"\n")
    try:
        kept = json.loads(head)
        versions, headers = kept["versions"], kept["headers"]
    except (ValueError, KeyError, TypeError):
        logger.warning("A kept answer in Redis cannot be read: it is computed again.")
        return None
    if _versions_of(client, list(versions)) != versions:
        return None
    response = HttpResponse(body, status=200)
    for name, value in headers:
        response[name] = value
    return response


def _unchanged_since(before: dict[str, str], reading: _Reading, after: dict[str, str]) -> bool:
    """Whether nothing the answer read was bumped while it was computed: each table, and for BY_UNIT_TABLES
    "<table>@any", which every per-unit bump of the table also bumps."""
    fields = {GENERATION, EVERYTHING, *reading.tables}
    fields.update(f"{table}@any" for table in reading.tables if table in BY_UNIT_TABLES)
    return all(after[field] == before.get(field, "0") for field in fields)


def _compute(run, request, args, kwargs, client: redis.Redis, key: str):
    """Run the handler while watching its reads; keep its answer if nothing it read changed meanwhile."""
    try:
        before = _table_versions(client)
    except redis.RedisError as error:
        logger.warning("Redis does not answer (%s): the read is computed.", error)
        return run(request, *args, **kwargs)
    reading = _Reading()
    token = _reading.set(reading)
    try:
        response = run(request, *args, **kwargs)
    finally:
        _reading.reset(token)
    if response.status_code != 200 or not reading.cacheable or response.streaming:
        return response
    try:
        fields = _dependencies(reading)
        watched = sorted({*fields, *(f"{t}@any" for t in reading.tables if t in BY_UNIT_TABLES)})
        after = _versions_of(client, watched)
        # Versions read after the handler's queries are those it computed from only if none of them moved
        # since before its first query (a commit's bump may come right after the rows were read).
        if _unchanged_since(before, reading, after):
            head = {"versions": {field: after[field] for field in fields}, "headers": list(response.items())}
            raw = json.dumps(head, ensure_ascii=False).encode() + b"\n" + response.content
            client.set(key, raw, ex=settings.RESPONSE_CACHE_SECONDS)
    except redis.RedisError as error:
        logger.warning("Redis does not answer (%s): the answer is not kept.", error)
    response["X-Response-Cache"] = "miss"
    return response


def _cache_run(run):
    operation = run.__self__

    @functools.wraps(run)
    def cached_run(request, *args, **kwargs):
        from django.db import connection

        if request.method != "GET" or not is_enabled() or connection.in_atomic_block:
            return run(request, *args, **kwargs)
        user = _authenticated_user(operation, request)
        if user is None:
            return run(request, *args, **kwargs)  # its own checks answer 401
        key = _answer_key(request, user)
        try:
            client = _client()
            kept = _kept_answer(client, client.get(key))
        except redis.RedisError as error:
            logger.warning("Redis does not answer (%s): the read is computed.", error)
            return run(request, *args, **kwargs)
        if kept is not None:
            kept["X-Response-Cache"] = "hit"
            return kept
        return _compute(run, request, args, kwargs, client, key)

    return cached_run


# Marks a GET API operation whose answer may be kept while the tables it read are unchanged.
cached_read = decorate_view(_cache_run)
