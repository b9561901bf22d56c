"""Report reads on a replica, against the real PostgreSQL server: a second database made from the test
database acts as the replica, and one unit is renamed in it only, so every answer shows where it was read."""

import datetime

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from kycuong.accounts.models import Grant
from kycuong.core.dashboard import Period
from kycuong.core.replica import (
    PRIMARY,
    REPLICA,
    ReplicaRouter,
    bookkeeping,
    replica_reads,
    unit_of_work,
)
from kycuong.org.models import Unit
from kycuong.reports.selectors import dashboard_build, provider_threads_stop

pytestmark = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the replica is a second PostgreSQL database; the embedded SQLite has no replicas",
)

ONLY_ON_REPLICA = "Phường chỉ có trên bản sao"
MONTH = Period(datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))


def _server(database: str) -> psycopg.Connection:
    options = connection.settings_dict
    return psycopg.connect(
        host=options["HOST"] or "127.0.0.1",
        port=options["PORT"] or 5432,
        user=options["USER"],
        dbname=database,
        autocommit=True,
    )


@pytest.fixture
def replica(world):
    """The test database copied, as committed, into a second database configured as the replica."""
    primary_name = connection.settings_dict["NAME"]
    replica_name = f"{primary_name}_replica"
    # A database is copied only while nobody is connected to it: this thread, nor the dashboard's threads.
    provider_threads_stop()
    connection.close()
    with _server("postgres") as server:
        server.execute(f'DROP DATABASE IF EXISTS "{replica_name}"')
        server.execute(f'CREATE DATABASE "{replica_name}" TEMPLATE "{primary_name}"')
    connections.settings[REPLICA] = {**connection.settings_dict, "NAME": replica_name}
    # Connected here: the test case only lets connections that are already open reach another database.
    connections[REPLICA].connect()
    with _server(replica_name) as copy:
        copy.execute("UPDATE org_unit SET name = %s WHERE id = %s", [ONLY_ON_REPLICA, world.dinhcong.pk])
    try:
        yield world
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        with _server("postgres") as server:
            server.execute(f'DROP DATABASE IF EXISTS "{replica_name}" WITH (FORCE)')


def _children(board) -> set[str]:
    return {unit.name for unit in board.children}


@on_postgresql
def test_report_reads_go_to_the_replica_until_the_unit_of_work_writes(replica):
    # One test, because each test that commits costs a flush of the whole database.
    leader = replica.users["city_leader"]

    def children() -> set[str]:
        return _children(dashboard_build(actor=leader, unit=replica.hoangmai, period=MONTH))

    with unit_of_work():
        board = dashboard_build(actor=leader, unit=replica.hoangmai, period=MONTH)
        assert ONLY_ON_REPLICA in _children(board)
        assert {child._state.db for child in board.children} == {REPLICA}
        # Outside the replica scope, the same rows come from the primary.
        assert Unit.objects.get(pk=replica.dinhcong.pk).name == "Phường Định Công"

    with unit_of_work():  # a write through the ORM: the rest of the request reads the primary
        Unit.objects.filter(pk=replica.phucxa.pk).update(name="Phường Phúc Xá mới")
        assert children() == {"Phường Định Công", "Phường Hoàng Liệt"}
    with unit_of_work():  # the next request starts unpinned
        assert ONLY_ON_REPLICA in children()

    with unit_of_work():
        with bookkeeping():  # a job's progress, which its figures never read
            Unit.objects.filter(pk=replica.phucxa.pk).update(name="Phường Phúc Xá")
        assert ONLY_ON_REPLICA in children()
        with connection.cursor() as cursor:  # a write in raw SQL pins as well
            cursor.execute("UPDATE org_unit SET name = name WHERE id = %s", [replica.phucxa.pk])
        assert ONLY_ON_REPLICA not in children()

    router = ReplicaRouter()
    with unit_of_work(), replica_reads():
        assert router.db_for_read(Unit) == REPLICA
        assert router.db_for_read(Grant) == PRIMARY  # grants, users, sessions: never a lagging copy
        assert router.db_for_write(Unit) == PRIMARY
        with transaction.atomic():  # a transaction on the primary reads what it wrote
            assert router.db_for_read(Unit) == PRIMARY
            assert ONLY_ON_REPLICA not in children()
    assert router.db_for_read(Unit) == PRIMARY
    assert router.allow_migrate(REPLICA, "org") is False


@on_postgresql
def test_the_dashboard_page_reads_the_replica_within_the_scope_of_the_user(replica, client):
    url = reverse("reports:index") + f"?unit={replica.hoangmai.pk}"
    client.force_login(replica.users["hoangmai_head"])
    page = client.get(url)
    assert page.status_code == 200
    assert ONLY_ON_REPLICA in page.content.decode()
    client.force_login(replica.users["phucxa_staff"])  # out of scope: as if the unit did not exist
    assert client.get(url).status_code == 404


def test_without_a_replica_everything_reads_the_primary(world):
    with unit_of_work():
        board = dashboard_build(actor=world.users["city_leader"], unit=world.hoangmai, period=MONTH)
    assert {child._state.db for child in board.children} == {PRIMARY}
    assert ReplicaRouter().db_for_read(Unit) == PRIMARY
