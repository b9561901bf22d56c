"""Task pages: the authorization matrix, the flow through the pages, drill-down from the summary."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kycuong.core.models import AuditRecord
from kycuong.tasks.models import Task, TaskState

pytestmark = pytest.mark.django_db

# Who may open the page of a task that Quận Hoàng Mai assigned to Phường Hoàng Liệt.
EXPECTED = {
    "no_grant": 404,
    "phucxa_staff": 404,
    "badinh_head": 404,
    "hoangliet_staff": 200,
    "hoangmai_inspector": 200,
    "hoangmai_head": 200,
    "city_leader": 200,
}

FIGURES = "Phường,Số hồ sơ\nHoàng Liệt,12\n".encode()


@pytest.mark.parametrize("actor,expected", EXPECTED.items(), ids=list(EXPECTED))
def test_task_page_matrix(make_task, people, login, actor, expected):
    task = make_task()
    response = login(people.user(actor)).get(reverse("tasks:detail", args=[task.pk]))
    assert response.status_code == expected
    listing = login(people.user(actor)).get(reverse("tasks:list")).content.decode()
    assert (task.title in listing) == (expected == 200)


@pytest.mark.parametrize("actor", ["phucxa_staff", "hoangmai_inspector", "no_grant"])
def test_refused_actions_change_nothing(make_task, people, login, actor):
    task = make_task()
    client = login(people.user(actor))
    records = AuditRecord.objects.count()
    response = client.post(reverse("tasks:action", args=[task.pk, "accept"]))
    assert response.status_code in (302, 404)
    assert Task.objects.get(pk=task.pk).state == TaskState.ASSIGNED
    assert AuditRecord.objects.count() == records


def test_the_whole_flow_through_the_pages(make_task, people, login):
    task = make_task()
    worker = login(people.user("hoangliet_staff"))
    page = worker.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert f"tasks/{task.pk}/accept/" in page and "approve/" not in page
    worker.post(reverse("tasks:action", args=[task.pk, "accept"]))
    worker.post(
        reverse("tasks:action", args=[task.pk, "report"]),
        {"percent": "50", "text": "Đang tổng hợp", "files": [SimpleUploadedFile("so-lieu.csv", FIGURES)]},
    )
    worker.post(
        reverse("tasks:action", args=[task.pk, "submit"]),
        {"text": "Đã gửi báo cáo", "files": [SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4 bao cao")]},
    )
    assert Task.objects.get(pk=task.pk).state == TaskState.SUBMITTED
    head = login(people.user("hoangmai_head"))
    head.post(reverse("tasks:action", args=[task.pk, "approve"]), {"note": "Đạt"})
    task.refresh_from_db()
    assert task.state == TaskState.APPROVED
    attachment = task.attachments.get(name="bao-cao.pdf")
    download = head.get(reverse("tasks:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 bao cao"
    outsider = login(people.user("phucxa_staff"))
    assert outsider.get(reverse("tasks:attachment", args=[attachment.pk])).status_code == 404


def test_bad_input_on_a_page_gets_a_message_and_changes_nothing(make_task, people, login):
    task = make_task()
    worker = login(people.user("hoangliet_staff"))
    worker.post(reverse("tasks:action", args=[task.pk, "accept"]))
    response = worker.post(
        reverse("tasks:action", args=[task.pk, "report"]), {"percent": "150", "text": "x"}, follow=True
    )
    assert response.status_code == 200
    assert Task.objects.get(pk=task.pk).progress == 0
    assert list(response.context["messages"])


def test_assign_page_creates_a_task_due_in_working_days(people, login):
    head = login(people.user("hoangmai_head"))
    response = head.post(
        reverse("tasks:new"),
        {
            "title": "Rà soát thủ tục hành chính",
            "assigning_unit": people.hoangmai.pk,
            "lead_unit": people.hoangliet.pk,
            "responsible": people.hoangliet_staff.pk,
            "start_date": "2025-01-24",
            "due_working_days": "3",
            "priority": "2",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(title="Rà soát thủ tục hành chính")
    assert task.due_date == datetime.date(2025, 2, 5)
    refused = head.post(
        reverse("tasks:new"),
        {
            "title": "Sang Ba Đình",
            "assigning_unit": people.hoangmai.pk,
            "lead_unit": people.phucxa.pk,
            "due_date": "2025-03-01",
            "priority": "2",
        },
    )
    assert refused.status_code == 422 and not Task.objects.filter(title="Sang Ba Đình").exists()


def test_summary_figures_drill_down_to_their_tasks(make_task, people, login):
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")
    from kycuong.tasks import services

    on_time = make_task(title="Đúng hạn")
    services.task_accept(actor=worker, task=on_time)
    services.task_submit(actor=worker, task=on_time, text="x", links=["https://e.vn/x"])
    services.task_approve(actor=head, task=on_time, closed_on=datetime.date(2025, 1, 20))
    make_task(title="Quá hạn", due_date=datetime.date(2025, 1, 10))
    client = login(head)
    page = client.get(
        reverse("tasks:summary"), {"unit": people.hoangmai.pk, "from": "2025-01-01", "to": "2025-12-31"}
    )
    assert page.context["summary"].on_time == 1 and page.context["summary"].overdue == 1
    assert page.context["summary"].on_time_rate == 50.0
    drill = client.get(
        reverse("tasks:list") + "?" + page.context["base"] + "&outcome=overdue"
    ).content.decode()
    assert "Quá hạn" in drill and "Đúng hạn" not in drill


def test_list_filters_and_search(make_task, people, login):
    make_task(title="Báo cáo giải ngân vốn đầu tư công")
    make_task(title="Kiểm tra công vụ", due_date=datetime.date(2025, 1, 10))
    client = login(people.user("hoangmai_head"))
    found = client.get(reverse("tasks:list"), {"q": "giai ngan"}).content.decode()
    assert "Báo cáo giải ngân" in found and "Kiểm tra công vụ" not in found
    partial = client.get(reverse("tasks:list"), {"q": "kiem tra"}, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and "Kiểm tra công vụ" in partial.content.decode()
    bad = client.get(reverse("tasks:list"), {"due_from": "not-a-date", "state": "nonsense"})
    assert bad.status_code == 200


def test_list_query_count_is_constant(make_task, people, login, django_assert_max_num_queries):
    for index in range(3):
        make_task(title=f"Nhiệm vụ {index}")
    client = login(people.user("hoangmai_head"))
    client.get(reverse("tasks:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("tasks:list"))
    for index in range(20):
        make_task(title=f"Thêm {index}")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("tasks:list"))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_home_shows_my_tasks_and_what_awaits_my_decision(make_task, people, login):
    from kycuong.tasks import services

    task = make_task(title="Việc của phường")
    worker = people.user("hoangliet_staff")
    home = login(worker).get(reverse("home")).content.decode()
    assert "Việc của phường" in home
    services.task_accept(actor=worker, task=task)
    services.task_submit(actor=worker, task=task, text="x", links=["https://e.vn/x"])
    head_home = login(people.user("hoangmai_head")).get(reverse("home"))
    assert [t.title for t in head_home.context["awaiting"]] == ["Việc của phường"]
    inspector_home = login(people.user("hoangmai_inspector")).get(reverse("home"))
    assert inspector_home.context["awaiting"] == []


def test_due_calendar_counts_tasks_per_day_and_links_to_them(make_task, people, login):
    make_task(title="A", due_date=datetime.date(2025, 1, 24))
    make_task(title="B", due_date=datetime.date(2025, 1, 24))
    make_task(title="C", due_date=datetime.date(2025, 1, 10))
    client = login(people.user("hoangmai_head"))
    page = client.get(reverse("tasks:calendar"), {"month": "2025-01"})
    cells = {date: figures for week in page.context["weeks"] for date, figures in week if figures}
    assert {date: figures["total"] for date, figures in cells.items()} == {
        datetime.date(2025, 1, 24): 2,
        datetime.date(2025, 1, 10): 1,
    }
    assert "due_from=2025-01-24&amp;due_to=2025-01-24" in page.content.decode()
    outsider = login(people.user("phucxa_staff")).get(reverse("tasks:calendar"), {"month": "2025-01"})
    assert not any(figures for week in outsider.context["weeks"] for _date, figures in week)
    assert (
        login(people.user("hoangmai_head")).get(reverse("tasks:calendar"), {"month": "garbage"}).status_code
        == 200
    )


HUGE = "9" * 30


@pytest.mark.parametrize(
    "url",
    [
        f"/tasks/?unit={HUGE}",
        f"/tasks/?document={HUGE}&scope=mine",
        f"/tasks/?page={HUGE}",
        f"/tasks/export.xlsx?responsible={HUGE}",
        f"/notifications/?page={HUGE}",
        "/tasks/new/?parent=abc",
        "/tasks/calendar/?month=0001-01",
        "/tasks/calendar/?month=9999-12",
        "/tasks/summary/?unit=abc&descendants=0",
    ],
)
def test_bad_query_values_never_cause_a_server_error(people, login, url):
    response = login(people.user("hoangmai_head")).get(url)
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/tasks?unit_id={HUGE}",
        f"/api/v1/tasks/{HUGE}",
        f"/api/v1/units?parent_id={HUGE}",
    ],
)
def test_bad_api_values_are_client_errors(people, api_client, url):
    # SQLite cannot hold the number (422); PostgreSQL compares it and finds nothing (an empty page or 404).
    response = api_client(people.user("hoangmai_head")).get(url)
    assert response.status_code in (200, 404, 422), response.content
    if response.status_code == 200:
        assert response.json()["items"] == []


def test_one_bad_filter_keeps_the_others(make_task, people, login):
    make_task(title="Của Hoàng Liệt")
    client = login(people.user("hoangmai_head"))
    page = client.get(reverse("tasks:list"), {"q": "khong co", "priority": "abc"}).content.decode()
    assert "Của Hoàng Liệt" not in page  # the search still applies although the priority was nonsense


def test_summary_sub_unit_switch_can_be_turned_off(make_task, people, login):
    make_task(title="Của phường")
    client = login(people.user("hoangmai_head"))
    params = {"unit": people.hoangmai.pk, "from": "2025-01-01", "to": "2025-12-31"}
    with_sub_units = client.get(reverse("tasks:summary"), {**params, "descendants": ["0", "1"]})
    alone = client.get(reverse("tasks:summary"), {**params, "descendants": "0"})
    assert with_sub_units.context["summary"].assigned == 1 and alone.context["summary"].assigned == 0


def test_returned_task_is_reassigned_from_its_page(make_task, people, login):
    from kycuong.tasks import services

    task = make_task()
    services.task_return(actor=people.user("hoangliet_staff"), task=task, reason="Không thuộc chức năng")
    head = login(people.user("hoangmai_head"))
    assert "reassign/" in head.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    head.post(
        reverse("tasks:action", args=[task.pk, "reassign"]),
        {"lead_unit": people.dinhcong.pk, "due_date": "2025-02-08", "note": "Chuyển Định Công"},
    )
    task.refresh_from_db()
    assert task.state == TaskState.ASSIGNED and task.lead_unit == people.dinhcong
    assert task.due_date == datetime.date(2025, 2, 10)  # Saturday 08/02 moves to Monday 10/02


def test_a_very_deep_page_is_just_empty(people, api_client):
    response = api_client(people.user("hoangmai_head")).get(f"/api/v1/tasks?offset={HUGE}")
    assert response.status_code == 200 and response.json()["items"] == []
