"""The exact cache of API reads, against the machine's Redis and the test database: an answer is reused
only while nothing it was computed from has changed, whatever path the change took."""

import datetime
import os
import threading
import uuid

import pytest
import redis
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kycuong.core import response_cache
from kycuong.core.response_cache import EVERYTHING, read_tables, written_tables
from kycuong.org.models import Unit
from kycuong.tasks.models import Task

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
CACHE = "X-Response-Cache"


@pytest.fixture
def cache_on(settings):
    """The response cache on, in the machine's Redis, under a key prefix of its own."""
    prefix = f"kycuong-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({error}); it is part of this machine's platform.")
    settings.REDIS_URL = REDIS_URL
    settings.REDIS_KEY_PREFIX = prefix
    settings.RESPONSE_CACHE = True
    try:
        yield client
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def head_reads(make_task, people, api_client):
    """The Hoàng Mai head's task list, after one task was assigned (committed)."""
    task = make_task()
    client = api_client(people.user("hoangmai_head"))
    return task, client


def titles(response) -> list[str]:
    return [item["title"] for item in response.json()["items"]]


# --- which statements write which tables, on the SQL Django really sends ------------------------------


@pytest.mark.django_db
def test_the_statements_django_sends_name_the_tables_they_write(people):
    unit = people.hoangliet
    with CaptureQueriesContext(connection) as sent:
        Unit.objects.filter(pk=unit.pk).update(name="Phường Hoàng Liệt mới")
        Unit.objects.filter(pk=unit.pk).select_for_update().first()
        list(Task.objects.filter(lead_unit=unit).select_related("lead_unit"))
    update, locking_read, join = (query["sql"] for query in sent.captured_queries[-3:])
    assert written_tables(update) == {"org_unit"}
    assert written_tables(locking_read) is None  # FOR UPDATE reads
    assert written_tables(join) is None
    assert {"tasks_task", "org_unit"} <= read_tables(join)


def test_upserts_common_table_expressions_and_unknown_writes():
    upsert = (
        'INSERT INTO "tally" ("unit_id", "n") VALUES (1, 1) ON CONFLICT ("unit_id") DO UPDATE SET "n" = 2'
    )
    assert written_tables(upsert) == {"tally"}
    assert written_tables(
        'WITH moved AS (DELETE FROM "a" RETURNING id) INSERT INTO "b" SELECT id FROM moved'
    ) == {
        "a",
        "b",
    }
    assert written_tables("TRUNCATE TABLE org_unit") == {"org_unit"}
    assert written_tables("DO $$ BEGIN PERFORM 1; END $$") == {EVERYTHING}
    assert written_tables("  SAVEPOINT s1") is None
    assert written_tables("(SELECT 1) UNION (SELECT 2)") is None


# --- hits, and every kind of write that must end them --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_repeated_read_is_answered_from_the_cache_with_the_same_body(cache_on, head_reads):
    _task, client = head_reads
    first = client.get("/api/v1/tasks?limit=10")
    second = client.get("/api/v1/tasks?limit=10")
    assert first.status_code == second.status_code == 200
    assert (first[CACHE], second[CACHE]) == ("miss", "hit")
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    # The query is part of the question: another filter is another answer.
    assert client.get("/api/v1/tasks?limit=10&state=in_progress")[CACHE] == "miss"


def _write_by_save(task):
    from kycuong.tasks.services import task_accept

    task_accept(actor=_user("staff.hl"), task=task)
    return "accepted"


def _write_by_update(task):
    Task.objects.filter(pk=task.pk).update(title="Đổi bằng update()")
    return "Đổi bằng update()"


def _write_by_raw_sql(task):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tasks_task SET title = %s WHERE id = %s", ["Đổi bằng SQL", task.pk])
    return "Đổi bằng SQL"


def _write_by_delete(task):
    Task.objects.filter(pk=task.pk).delete()
    return None


def _user(username):
    from kycuong.accounts.models import User

    return User.objects.get(username=username)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", [_write_by_save, _write_by_update, _write_by_raw_sql, _write_by_delete])
def test_every_kind_of_committed_write_ends_the_kept_answer(cache_on, head_reads, write):
    task, client = head_reads
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "miss"
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"
    expected = write(task)
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss"
    items = after.json()["items"]
    if expected is None:
        assert items == []
    elif expected == "accepted":
        assert items[0]["state"] == "accepted"
    else:
        assert items[0]["title"] == expected


@pytest.mark.django_db(transaction=True)
def test_a_bulk_insert_of_rows_ends_the_kept_answer(cache_on, head_reads, people):
    task, client = head_reads
    before = client.get("/api/v1/tasks?limit=10")
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"
    copy = Task.objects.get(pk=task.pk)
    copy.pk = None
    copy.title = "Thêm bằng bulk_create"
    Task.objects.bulk_create([copy])
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss"
    assert len(after.json()["items"]) == len(before.json()["items"]) + 1


@pytest.mark.django_db(transaction=True)
def test_a_change_of_another_table_the_answer_read_ends_it(cache_on, head_reads, people):
    """The lead unit's name comes from org_unit: renaming the unit is a change of the task list."""
    _task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    Unit.objects.filter(pk=people.hoangliet.pk).update(name="Phường Hoàng Liệt (mới)")
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss"
    assert after.json()["items"][0]["lead_unit_name"] == "Phường Hoàng Liệt (mới)"


@pytest.mark.django_db(transaction=True)
def test_a_change_of_a_table_the_answer_did_not_read_keeps_it(cache_on, head_reads):
    from kycuong.satisfaction.models import SurveyTemplate

    _task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    SurveyTemplate.objects.update(name="Không liên quan")
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_changes_nothing_and_a_savepoint_rolled_back_loses_no_bump(
    cache_on, head_reads
):
    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    with pytest.raises(RuntimeError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(title="Không bao giờ lưu")
        raise RuntimeError
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"
    # The first write of the transaction is in a savepoint that is rolled back; the second one stays.
    with transaction.atomic():
        try:
            with transaction.atomic():
                Task.objects.filter(pk=task.pk).update(title="Bỏ đi")
                raise RuntimeError
        except RuntimeError:
            pass
        Task.objects.filter(pk=task.pk).update(title="Giữ lại")
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss" and titles(after) == ["Giữ lại"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a transaction left open in another thread: SQLite lets one writer at a time into the database",
)
@pytest.mark.django_db(transaction=True)
def test_an_answer_read_before_a_commit_is_not_served_after_it(cache_on, head_reads):
    """The order that makes the cache exact. Here the reader reads the task rows, then another connection
    commits a change of them, then the reader files its answer: filed under the versions read before its
    first query, it is never served after the commit's bump (filed under the versions of that moment, the
    stale answer would be)."""
    task, client = head_reads
    written, committed = threading.Event(), threading.Event()
    let_commit = threading.Event()

    def writer():
        try:
            with transaction.atomic():
                Task.objects.filter(pk=task.pk).update(title="Ghi trong luồng khác")
                written.set()
                assert let_commit.wait(30)
        finally:
            connection.close()
            committed.set()

    def commit_after_the_first_task_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if '"tasks_task"' in sql and not let_commit.is_set():
            let_commit.set()
            assert committed.wait(30)
        return result

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(30)
    with connection.execute_wrapper(commit_after_the_first_task_read):
        during = client.get("/api/v1/tasks?limit=10")
    thread.join(30)
    assert during[CACHE] == "miss" and let_commit.is_set()
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss" and titles(after) == ["Ghi trong luồng khác"]


# --- whose answer it is --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_answers_are_kept_per_user_and_scope_changes_reach_them(cache_on, head_reads, people, api_client):
    from kycuong.accounts.models import Grant
    from kycuong.accounts.services import grant_end

    task, head = head_reads
    assert head.get(f"/api/v1/tasks/{task.pk}")[CACHE] == "miss"
    outsider = api_client(people.user("phucxa_staff"))
    assert outsider.get(f"/api/v1/tasks/{task.pk}").status_code == 404  # not the head's kept answer
    assert outsider.get("/api/v1/tasks?limit=10").json()["items"] == []
    assert head.get(f"/api/v1/tasks/{task.pk}")[CACHE] == "hit"
    grant = Grant.objects.get(user=people.user("hoangmai_head"))
    grant_end(
        actor=people.user("superuser"), grant=grant, valid_to=datetime.date.today() - datetime.timedelta(1)
    )
    assert head.get(f"/api/v1/tasks/{task.pk}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_refused_even_when_its_answer_is_kept(cache_on, head_reads, people):
    from kycuong.accounts.models import ApiToken
    from kycuong.accounts.services import api_token_revoke

    _task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"
    token = ApiToken.objects.get(user=people.user("hoangmai_head"))
    api_token_revoke(actor=people.user("hoangmai_head"), token=token)
    assert client.get("/api/v1/tasks?limit=10").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_each_language_has_its_own_answer(cache_on, head_reads):
    _task, client = head_reads
    assert client.get("/api/v1/tasks?limit=10&state=bogus", HTTP_ACCEPT_LANGUAGE="vi").status_code == 422
    vietnamese = client.get("/api/v1/tasks?limit=10", HTTP_ACCEPT_LANGUAGE="vi")
    english = client.get("/api/v1/tasks?limit=10", HTTP_ACCEPT_LANGUAGE="en")
    assert (vietnamese[CACHE], english[CACHE]) == ("miss", "miss")


@pytest.mark.django_db(transaction=True)
def test_error_answers_are_not_kept(cache_on, head_reads):
    _task, client = head_reads
    for _ in range(2):
        missing = client.get("/api/v1/tasks/999999")
        assert missing.status_code == 404 and CACHE not in missing


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_cache_is_not_used(cache_on, head_reads):
    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(title="Chưa lưu")
        inside = client.get("/api/v1/tasks?limit=10")
        assert CACHE not in inside and titles(inside) == ["Chưa lưu"]
        transaction.set_rollback(True)


# --- when Redis is away, and writes the watch cannot see -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_redis_reads_are_computed_and_a_lost_bump_drops_every_kept_answer(
    cache_on, head_reads, settings
):
    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        Task.objects.filter(pk=task.pk).update(title="Ghi khi Redis vắng")
        away = client.get("/api/v1/tasks?limit=10")
        assert away.status_code == 200 and CACHE not in away and titles(away) == ["Ghi khi Redis vắng"]
    finally:
        settings.REDIS_URL = REDIS_URL
    back = client.get("/api/v1/tasks?limit=10")
    assert back[CACHE] == "miss" and titles(back) == ["Ghi khi Redis vắng"]


def _write_unseen(task, title: str) -> None:
    """Change a task's title as COPY, psql or another program would: without the watch."""
    connection.execute_wrappers.remove(response_cache.watch_statement)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tasks_task SET title = %s WHERE id = %s", [title, task.pk])
    finally:
        response_cache.install_watch(None, connection)


@pytest.mark.django_db(transaction=True)
def test_forget_everything_drops_answers_after_writes_that_bypassed_the_watch(cache_on, head_reads):
    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    _write_unseen(task, "Ghi ngoài tầm theo dõi")
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"  # the watch could not know
    response_cache.forget_everything()
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss" and titles(after) == ["Ghi ngoài tầm theo dõi"]


@pytest.mark.django_db(transaction=True)
def test_a_connection_opened_in_another_thread_is_watched_too(cache_on, head_reads):
    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")

    def write():
        try:
            Task.objects.filter(pk=task.pk).update(title="Ghi từ luồng khác")
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(30)
    assert titles(client.get("/api/v1/tasks?limit=10")) == ["Ghi từ luồng khác"]


@pytest.mark.django_db(transaction=True)
def test_the_calendar_kept_in_memory_is_read_afresh_for_a_cached_answer(cache_on, settings):
    from kycuong.core import calendar
    from kycuong.core.models import CalendarDay

    settings.CALENDAR_RECHECK_SECONDS = 3600
    calendar.is_working_day(datetime.date(2030, 5, 6))  # the process now trusts its calendar for an hour
    reading = response_cache._Reading()
    token = response_cache._reading.set(reading)
    try:
        with CaptureQueriesContext(connection) as sent:
            calendar.is_working_day(datetime.date(2030, 5, 6))
            calendar.is_working_day(datetime.date(2030, 5, 7))
    finally:
        response_cache._reading.reset(token)
    assert len(sent.captured_queries) == 1  # once per answer, not once per call
    assert CalendarDay._meta.db_table in reading.tables


# --- per unit: a change in one unit ends the answers that can see that unit, and only those -----------


@pytest.fixture
def two_districts(make_task, people, api_client):
    """A task of Hoàng Liệt (Hoàng Mai) and one of Phúc Xá (Ba Đình), and a reader at each level."""
    hoangliet_task = make_task()
    phucxa_task = make_task(
        actor=people.user("badinh_head"),
        assigning_unit=people.badinh,
        lead_unit=people.phucxa,
        responsible=people.phucxa_staff,
    )
    readers = {
        name: api_client(people.user(name)) for name in ("hoangmai_head", "badinh_head", "city_leader")
    }
    readers["hoangliet_staff"] = api_client(people.user("hoangliet_staff"))
    return hoangliet_task, phucxa_task, readers


def _answers(readers, path="/api/v1/tasks?limit=10") -> dict[str, str]:
    return {name: client.get(path)[CACHE] for name, client in readers.items()}


@pytest.mark.django_db(transaction=True)
def test_a_task_saved_in_one_district_ends_only_the_answers_that_see_it(cache_on, two_districts, people):
    _hoangliet_task, phucxa_task, readers = two_districts
    _answers(readers)
    assert set(_answers(readers).values()) == {"hit"}
    phucxa_task.title = "Đổi ở Phúc Xá"
    phucxa_task.save()
    assert _answers(readers) == {
        "hoangmai_head": "hit",
        "badinh_head": "miss",
        "city_leader": "miss",
        "hoangliet_staff": "hit",
    }
    assert "Đổi ở Phúc Xá" in titles(readers["badinh_head"].get("/api/v1/tasks?limit=10"))


@pytest.mark.django_db(transaction=True)
def test_a_sibling_wards_task_keeps_a_ward_civil_servants_answer(cache_on, two_districts, make_task, people):
    hoangliet_task, _phucxa_task, readers = two_districts
    dinhcong_task = make_task(lead_unit=people.dinhcong, responsible=None)
    _answers(readers)
    dinhcong_task.title = "Đổi ở Định Công"
    dinhcong_task.save()
    answers = _answers(readers)
    assert answers["hoangliet_staff"] == "hit" and answers["hoangmai_head"] == "miss"
    hoangliet_task.title = "Đổi ở Hoàng Liệt"
    hoangliet_task.save()
    answer = readers["hoangliet_staff"].get("/api/v1/tasks?limit=10")
    assert answer[CACHE] == "miss" and titles(answer) == ["Đổi ở Hoàng Liệt"]


@pytest.mark.django_db(transaction=True)
def test_a_task_moved_to_another_district_ends_the_answers_of_both(cache_on, two_districts, people):
    hoangliet_task, _phucxa_task, readers = two_districts
    _answers(readers)
    # The same object saved twice: its units as stored before the write are read again, not remembered.
    task = Task.objects.get(pk=hoangliet_task.pk)
    task.lead_unit = people.phucxa
    task.assigning_unit = people.badinh
    task.save()
    answers = _answers(readers)
    assert answers["hoangmai_head"] == "miss" and answers["badinh_head"] == "miss"
    assert hoangliet_task.title in titles(readers["badinh_head"].get("/api/v1/tasks?limit=10"))
    assert hoangliet_task.title not in titles(readers["hoangmai_head"].get("/api/v1/tasks?limit=10"))


@pytest.mark.django_db(transaction=True)
def test_a_write_that_names_no_unit_ends_every_answer_of_the_table(cache_on, two_districts, people):
    _hoangliet_task, phucxa_task, readers = two_districts
    _answers(readers)
    Task.objects.filter(pk=phucxa_task.pk).update(title="Đổi không qua save()")
    assert set(_answers(readers).values()) == {"miss"}


@pytest.mark.django_db(transaction=True)
def test_an_answer_read_with_the_systems_authority_depends_on_every_unit(
    cache_on, two_districts, api_client, people
):
    _hoangliet_task, phucxa_task, _readers = two_districts
    root = api_client(people.user("superuser"))
    root.get("/api/v1/tasks?limit=10")
    assert root.get("/api/v1/tasks?limit=10")[CACHE] == "hit"
    phucxa_task.title = "Đổi cho quản trị"
    phucxa_task.save()
    after = root.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss" and "Đổi cho quản trị" in titles(after)


@pytest.mark.django_db(transaction=True)
def test_a_units_summary_ends_with_changes_in_its_subtree_only(cache_on, two_districts, people):
    """The city leader's summaries are read from the tally: a change that moves no count keeps them."""
    from kycuong.tasks.services import task_cancel

    _hoangliet_task, phucxa_task, readers = two_districts
    city = readers["city_leader"]
    year = phucxa_task.due_date.year
    period = f"due_from={year}-01-01&due_to={year}-12-31"
    hoangmai = f"/api/v1/tasks/summary?unit_id={people.hoangmai.pk}&{period}"
    badinh = f"/api/v1/tasks/summary?unit_id={people.badinh.pk}&{period}"
    city.get(hoangmai)
    first = city.get(badinh).json()
    phucxa_task.title = "Đổi tên, không đổi số liệu"
    phucxa_task.save()
    assert city.get(badinh)[CACHE] == "hit"
    task_cancel(
        actor=people.user("badinh_head"), task=Task.objects.get(pk=phucxa_task.pk), reason="Không cần nữa"
    )
    assert city.get(hoangmai)[CACHE] == "hit"
    after = city.get(badinh)
    assert after[CACHE] == "miss"
    assert after.json() != first  # the cancelled task moved to another figure


@pytest.mark.django_db(transaction=True)
def test_the_forget_command_drops_every_kept_answer(cache_on, head_reads):
    from io import StringIO

    from django.core.management import call_command

    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    _write_unseen(task, "Sửa bằng psql")
    assert client.get("/api/v1/tasks?limit=10")[CACHE] == "hit"
    out = StringIO()
    call_command("response_cache_forget", stdout=out)
    assert "dropped" in out.getvalue()
    assert titles(client.get("/api/v1/tasks?limit=10")) == ["Sửa bằng psql"]


@pytest.mark.django_db(transaction=True)
def test_an_answer_whose_handler_writes_is_not_kept(cache_on, head_reads, rf):
    """A read that records something (the confidential access log) must run every time."""
    from django.http import HttpResponse

    from kycuong.core.models import CalendarDay

    def run(request):
        CalendarDay.objects.create(day=datetime.date(2031, 1, 2), is_working_day=True, name="ghi khi đọc")
        return HttpResponse(b"{}", content_type="application/json")

    client = redis.Redis.from_url(REDIS_URL)
    key = f"{response_cache._prefix()}:answer:test"
    answer = response_cache._compute(run, rf.get("/api/v1/x"), (), {}, client, key)
    assert answer.status_code == 200 and client.get(key) is None


@pytest.mark.django_db(transaction=True)
def test_becoming_a_superuser_is_another_question(cache_on, two_districts, people):
    """The user row is read by the sign-in, before the reads are watched: what decides a scope before any
    grant is part of the key."""
    from kycuong.accounts.models import User

    _hoangliet_task, phucxa_task, readers = two_districts
    head = readers["hoangmai_head"]
    assert [item["id"] for item in head.get("/api/v1/tasks?limit=10").json()["items"]] != [phucxa_task.pk]
    assert phucxa_task.pk not in [item["id"] for item in head.get("/api/v1/tasks?limit=10").json()["items"]]
    User.objects.filter(username="head.hm").update(is_superuser=True)
    promoted = head.get("/api/v1/tasks?limit=10")
    assert promoted[CACHE] == "miss" and phucxa_task.pk in [item["id"] for item in promoted.json()["items"]]


@pytest.mark.django_db(transaction=True)
def test_a_redis_restarted_from_an_old_snapshot_drops_the_answers_it_brings_back(cache_on, head_reads):
    task, client = head_reads
    client.get("/api/v1/tasks?limit=10")
    prefix = f"{response_cache._prefix()}"
    snapshot = {key: cache_on.hgetall(key) for key in (f"{prefix}:versions", f"{prefix}:unit-versions")}
    Task.objects.filter(pk=task.pk).update(title="Ghi sau bản chụp")
    # The restart: the hashes come back as they were, written by a server run that is not this one.
    for key, fields in snapshot.items():
        cache_on.delete(key)
        cache_on.hset(key, mapping={**fields, b"*server": b"an-earlier-run"} if "unit" not in key else fields)
    response_cache._client().connection_pool.disconnect()  # the connections a restart would have cut
    after = client.get("/api/v1/tasks?limit=10")
    assert after[CACHE] == "miss" and titles(after) == ["Ghi sau bản chụp"]


@pytest.mark.django_db(transaction=True)
def test_the_per_unit_versions_lost_on_their_own_drop_every_answer(cache_on, two_districts):
    hoangliet_task, _phucxa_task, readers = two_districts
    head = readers["hoangmai_head"]
    head.get("/api/v1/tasks?limit=10")
    hoangliet_task.title = "Ghi rồi mất phiên bản"
    hoangliet_task.save()
    head.get("/api/v1/tasks?limit=10")  # kept under the Hoàng Mai counters moved by that save
    cache_on.delete(f"{response_cache._prefix()}:unit-versions")  # evicted: the counters would start at 0
    assert head.get("/api/v1/tasks?limit=10")[CACHE] == "miss"


@pytest.mark.django_db(transaction=True)
def test_a_kept_answer_that_cannot_be_read_is_computed_again(cache_on, head_reads):
    _task, client = head_reads
    first = client.get("/api/v1/tasks?limit=10")
    (key,) = cache_on.scan_iter(f"{response_cache._prefix()}:answer:*")
    cache_on.set(key, b"not what the cache writes\nbody")
    again = client.get("/api/v1/tasks?limit=10")
    assert again.status_code == 200 and again[CACHE] == "miss" and again.content == first.content
