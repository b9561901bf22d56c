"""Two people changing the same task: the second is told, and nothing of the first is overwritten."""

import threading

import pytest
from django.db import connection

from kycuong.core.concurrency import EditConflict
from kycuong.tasks import services
from kycuong.tasks.models import ProgressReport, Task


@pytest.fixture(autouse=True)
def english(settings):
    """The pages answer in English here (no Accept-Language: the default language), so messages read as
    written in the code."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def accepted(people, make_task):
    task = make_task()
    services.task_accept(actor=people.user("hoangliet_staff"), task=task)
    return Task.objects.get(pk=task.pk)


def test_the_second_of_two_pages_gets_a_conflict(people, accepted, login):
    worker = login(people.user("hoangliet_staff"))
    seen = accepted.version
    first = worker.post(
        f"/tasks/{accepted.pk}/report/", {"percent": 40, "text": "Đã rà soát 3/7 thủ tục", "version": seen}
    )
    assert first.status_code == 302
    second = worker.post(
        f"/tasks/{accepted.pk}/report/",
        {"percent": 10, "text": "Báo cáo từ tab cũ", "version": seen},
        follow=True,
    )
    assert "Someone else changed this record" in second.content.decode()
    assert list(ProgressReport.objects.filter(task=accepted).values_list("percent", flat=True)) == [40]
    assert Task.objects.get(pk=accepted.pk).progress == 40


def test_the_api_answers_409_to_a_stale_if_match(people, accepted, api_client):
    worker = api_client(people.user("hoangliet_staff"))
    url = f"/api/v1/tasks/{accepted.pk}/reports"
    fresh = worker.post(
        url, {"percent": 50, "text": "Một nửa"}, headers={"If-Match": f'"{accepted.version}"'}
    )
    assert fresh.status_code == 201, fresh.content
    stale = worker.post(url, {"percent": 20, "text": "Cũ"}, headers={"If-Match": f'"{accepted.version}"'})
    assert stale.status_code == 409
    assert stale.headers["Content-Type"].startswith("application/problem+json")
    assert stale.json()["status"] == 409
    assert Task.objects.get(pk=accepted.pk).progress == 50
    # Without If-Match the client accepts last-writer-wins, as before.
    assert worker.post(url, {"percent": 60, "text": "Tiếp"}).status_code == 201


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks between connections: SQLite's shared-cache test database refuses the second writer",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_one_wins_and_the_other_is_refused(people, accepted):
    """Two database connections load the same version, then report at the same moment."""
    worker = people.user("hoangliet_staff")
    seen = accepted.version
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def report(text: str) -> None:
        task = Task.objects.get(pk=accepted.pk)
        task.expected_version = seen
        try:
            start.wait(timeout=60)
            services.task_report_progress(actor=worker, task=task, percent=30, text=text)
            outcomes.append("saved")
        except EditConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(text,)) for text in ("Tab A", "Tab B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "saved"]
    assert ProgressReport.objects.filter(task=accepted).count() == 1
    assert Task.objects.get(pk=accepted.pk).version == seen + 1
