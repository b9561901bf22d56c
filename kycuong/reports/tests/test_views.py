"""Pages: the dashboard, its drill-down, reports with their progress and downloads, thresholds and
subscriptions, each against the authorization matrix (anonymous, no role, out of scope, in scope)."""

import pytest
from django.urls import reverse

from kycuong.core.models import AuditRecord
from kycuong.reports import services
from kycuong.reports.models import Report, ReportKind, SignalThreshold, Subscription
from kycuong.reports.selectors import month_period

pytestmark = pytest.mark.django_db


def dashboard_url(unit, **query):
    params = {"unit": unit.pk, "period": "month", "year": 2025, "month": 1, **query}
    return reverse("reports:index") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_dashboard_matrix(tasks_world, client, login):
    url = dashboard_url(tasks_world.hoangmai)
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    assert login(tasks_world.user("no_grant")).get(url).status_code == 404
    assert login(tasks_world.user("badinh_head")).get(url).status_code == 404
    assert login(tasks_world.user("hoangliet_staff")).get(url).status_code == 404
    page = login(tasks_world.user("hoangmai_head")).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-key="tasks.on_time_rate"' in html and "25,0 %" in html
    # Default thresholds: 25 % on time is red; Định Công (0 %) and Hoàng Liệt (33,3 %) need attention.
    board = page.context["board"]
    assert {item.unit.name for item in board.attention} >= {"Phường Định Công", "Phường Hoàng Liệt"}
    assert board.attention[0].signal == "red"
    # Each signal shows as its badge, in the page's language.
    attention = html.split('data-testid="attention"', 1)[1]
    assert '<span class="badge text-bg-danger" data-signal="red">Cần xử lý</span>' in attention


def test_dashboard_drills_down_to_a_sub_unit_and_keeps_the_period(tasks_world, login):
    client = login(tasks_world.user("hoangmai_head"))
    page = client.get(dashboard_url(tasks_world.hoangmai))
    html = page.content.decode()
    link = f"?unit={tasks_world.dinhcong.pk}&amp;period=month&amp;year=2025&amp;month=1"
    assert link in html
    ward = client.get(dashboard_url(tasks_world.dinhcong))
    assert ward.context["unit"] == tasks_world.dinhcong
    tasks = next(card for card in ward.context["board"].cards if card.summary.module == "tasks")
    assert tasks.figures[0].figure.value == 0.0  # Định Công: its one task is overdue
    assert ward.context["parent"] == tasks_world.hoangmai


def test_dashboard_bad_period_is_reported_and_changes_nothing(tasks_world, login):
    client = login(tasks_world.user("hoangmai_head"))
    records = AuditRecord.objects.filter(object_type__startswith="reports.").count()
    page = client.get(
        dashboard_url(tasks_world.hoangmai, period="custom", start="2025-02-01", end="2025-01-01")
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ngày cuối của kỳ không được trước ngày đầu." in html
    assert AuditRecord.objects.filter(object_type__startswith="reports.").count() == records


def test_dashboard_htmx_returns_the_board_only(tasks_world, login):
    client = login(tasks_world.user("hoangmai_head"))
    partial = client.get(dashboard_url(tasks_world.hoangmai), headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b'id="board"' in partial.content


def test_report_request_matrix_and_download(tasks_world, client, login, django_capture_on_commit_callbacks):
    url = reverse("reports:list") + f"?unit={tasks_world.hoangmai.pk}"
    data = {"unit": tasks_world.hoangmai.pk, "kind": "month", "year": 2025, "month": 1}

    def audited():
        return AuditRecord.objects.filter(object_type__startswith="reports.").count()

    before = (Report.objects.count(), audited())
    assert client.post(url, data).status_code == 302 and "login" in client.post(url, data)["Location"]
    assert login(tasks_world.user("no_grant")).post(url, data).status_code == 404
    assert login(tasks_world.user("badinh_head")).post(url, data).status_code == 404
    # The observer may read reports but not ask for one.
    assert login(tasks_world.user("hoangmai_observer")).post(url, data).status_code == 422
    assert (Report.objects.count(), audited()) == before
    head = login(tasks_world.user("hoangmai_head"))
    bad = head.post(url, {**data, "month": ""})
    assert bad.status_code == 422 and "Hãy chọn tháng." in bad.content.decode()
    assert Report.objects.count() == before[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = head.post(url, data)
    assert created.status_code == 302 and len(callbacks) == 1  # the job is queued after the commit
    report = Report.objects.get()
    services.report_make(report_id=report.pk)  # what the worker does
    detail = head.get(reverse("reports:report", args=[report.pk]), headers={"HX-Request": "true"})
    assert b"<html" not in detail.content and b'data-state="done"' in detail.content
    file = report.files.get(format="pdf")
    download = head.get(reverse("reports:file", args=[file.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    for outsider in ("badinh_head", "no_grant"):
        other = login(tasks_world.user(outsider))
        assert other.get(reverse("reports:report", args=[report.pk])).status_code == 404
        assert other.get(reverse("reports:file", args=[file.pk])).status_code == 404


def test_a_running_report_polls_its_progress(tasks_world, login):
    head = tasks_world.user("hoangmai_head")
    report = services.report_request(
        actor=head,
        unit=tasks_world.hoangmai,
        kind=ReportKind.MONTH,
        period=month_period(2025, 1),
        enqueue=False,
    )
    html = login(head).get(reverse("reports:report", args=[report.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'role="progressbar"' in html


def test_thresholds_page_matrix(tasks_world, client, login):
    url = reverse("reports:thresholds")
    data = {
        "key": "tasks.on_time_rate",
        "higher_is_better": "on",
        "amber_at": "80",
        "red_at": "60",
        "valid_from": "2026-01-01",
    }
    count = SignalThreshold.objects.count()
    assert client.post(url, data).status_code == 302
    assert login(tasks_world.user("no_grant")).post(url, data).status_code == 404
    assert login(tasks_world.user("hoangmai_head")).post(url, data).status_code == 403
    assert login(tasks_world.user("hoangmai_head")).get(url).status_code == 200
    assert SignalThreshold.objects.count() == count
    admin = login(tasks_world.user("superuser"))
    wrong = admin.post(url, {**data, "red_at": "95"})
    assert wrong.status_code == 422 and SignalThreshold.objects.count() == count
    assert admin.post(url, data).status_code == 302 and SignalThreshold.objects.count() == count + 1


def test_subscriptions_page_matrix(tasks_world, client, login):
    url = reverse("reports:subscriptions")
    head = tasks_world.user("hoangmai_head")
    head.email = "head@hoangmai.vn"
    head.save(update_fields=["email"])
    data = {"unit": tasks_world.hoangmai.pk}
    assert client.post(url, data).status_code == 302
    assert login(tasks_world.user("no_grant")).post(url, data).status_code == 404
    assert login(tasks_world.user("badinh_head")).post(url, data).status_code == 404  # not their unit
    assert Subscription.objects.count() == 0
    assert login(head).post(url, data).status_code == 302
    subscription = Subscription.objects.get()
    cancel = reverse("reports:subscription-cancel", args=[subscription.pk])
    assert login(tasks_world.user("badinh_head")).post(cancel).status_code == 404
    assert Subscription.objects.get().active
    assert login(head).post(cancel).status_code == 302
    assert not Subscription.objects.get().active


def test_dashboard_unit_search_finds_only_units_in_scope_and_keeps_the_period(tasks_world, login):
    client = login(tasks_world.user("hoangmai_head"))
    page = client.get(dashboard_url(tasks_world.hoangmai, unit_q="hoang liet"))
    assert page.status_code == 200
    assert page.context["unit_matches"] == [tasks_world.hoangliet]
    html = page.content.decode()
    # The match opens the ward's dashboard for the same period; the board stays on the unit shown.
    assert f"?unit={tasks_world.hoangliet.pk}&amp;period=month&amp;year=2025&amp;month=1" in html
    assert page.context["unit"] == tasks_world.hoangmai
    # A ward of another district exists but lies outside the head's grants: not found.
    outside = client.get(dashboard_url(tasks_world.hoangmai, unit_q="Phúc Xá"))
    assert outside.context["unit_matches"] == []
    assert "Không có đơn vị nào" in outside.content.decode()
    assert tasks_world.phucxa.name not in outside.content.decode()
    # Without a query there is no result list at all.
    assert client.get(dashboard_url(tasks_world.hoangmai)).context["unit_matches"] is None
