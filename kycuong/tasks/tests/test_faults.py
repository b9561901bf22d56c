"""Faults: the database going away in the middle of a change: a clean error page, no partial write."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from kycuong.tasks import services
from kycuong.tasks.models import ProgressReport, Task

pytestmark = pytest.mark.django_db(transaction=True)


def lose_the_database() -> None:
    """On PostgreSQL the server ends this very connection, as when it restarts or the network drops; on
    SQLite, where nothing can end the connection, the same error is raised by hand."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    raise OperationalError("the database went away")


def test_losing_the_database_mid_change_shows_an_error_page_and_keeps_nothing(people, make_task, monkeypatch):
    task = make_task()
    services.task_accept(actor=people.user("hoangliet_staff"), task=task)
    before = Task.objects.get(pk=task.pk)
    stored = services.audit_created

    def audit_then_fail(**kwargs):
        stored(**kwargs)  # the progress report row and its audit record are written by now
        lose_the_database()

    monkeypatch.setattr(services, "audit_created", audit_then_fail)
    client = Client(raise_request_exception=False)
    client.force_login(people.user("hoangliet_staff"))
    response = client.post(
        f"/tasks/{task.pk}/report/", {"percent": 70, "text": "Gần xong", "version": before.version}
    )
    assert response.status_code == 500
    page = response.content.decode()
    assert 'data-testid="error-title"' in page and "Traceback" not in page
    monkeypatch.undo()
    connection.close()
    after = Task.objects.get(pk=task.pk)
    assert (after.progress, after.version, after.state) == (before.progress, before.version, before.state)
    assert not ProgressReport.objects.filter(task=task).exists()


def test_the_api_answers_problem_json_when_the_database_goes_away(people, make_task, monkeypatch, api_client):
    task = make_task()
    client = api_client(people.user("hoangliet_staff"))
    client.raise_request_exception = False
    monkeypatch.setattr(services, "_check_action", lambda *args, **kwargs: lose_the_database())
    response = client.post(f"/api/v1/tasks/{task.pk}/accept")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/problem+json")
    monkeypatch.undo()
    connection.close()
    assert Task.objects.get(pk=task.pk).state == "assigned"
