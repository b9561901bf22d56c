"""A task's whole life in a real browser, two users at once: the head of Quận Hoàng Mai assigns a task to a
staff member of Phường Hoàng Liệt, who is notified, accepts it, reports progress and submits the result with
evidence files; the head approves it and downloads the evidence. Data: the Hanoi demo set."""

import re
import secrets

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ASSIGNER = "truong.hoangmai"
WORKER = "canbo.hoangliet"


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a directory of this test's own, not to the checkout's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def state_label(state) -> str:
    """The state as the page shows it: through the same Vietnamese catalogue the server uses."""
    from django.utils import translation

    with translation.override("vi"):
        return str(state.label)


def expect_state(page, state) -> None:
    badge = page.get_by_test_id("task-state")
    expect(badge).to_have_class(re.compile(rf"(^|\s)state-{state.value}(\s|$)"))
    expect(badge).to_have_text(state_label(state))


def action_form(page, task_id: int, action: str):
    return page.locator(f'form[action="/tasks/{task_id}/{action}/"]')


def submit(form) -> None:
    form.locator("button[type=submit]").click()


def test_assign_accept_report_submit_approve_and_download(page, second_page, login, media_root, tmp_path):
    from kycuong.accounts.models import User
    from kycuong.core.calendar import add_working_days, today
    from kycuong.notifications.models import Notification
    from kycuong.org.models import Unit
    from kycuong.tasks.models import Attachment, Task, TaskState

    hoangmai = Unit.objects.get(code="008")
    hoangliet = Unit.objects.get(code="00337")
    assert (hoangmai.name, hoangliet.name) == ("Quận Hoàng Mai", "Phường Hoàng Liệt")
    worker = User.objects.get(username=WORKER)
    staff = worker.staff
    assert staff.unit_id == hoangliet.pk
    assigner = User.objects.get(username=ASSIGNER)

    token = secrets.token_hex(4)
    title = f"Rà soát hộ nghèo quý III (e2e {token})"
    due = add_working_days(today(), 5)

    # 1. The head of the district assigns the task.
    base = login(page, ASSIGNER)
    page.goto(f"{base}/tasks/new/")
    page.locator("#id_title").fill(title)
    page.locator("#id_assigning_unit").select_option(str(hoangmai.pk))
    page.locator("#id_lead_unit").select_option(str(hoangliet.pk))
    responsible = page.locator("#id_responsible option", has_text=staff.full_name)
    expect(responsible).to_have_count(1)
    page.locator("#id_responsible").select_option(responsible.get_attribute("value"))
    expect(page.locator("#id_start_date")).to_have_value(today().isoformat())
    expect(page.locator("#id_due_date")).to_have_value("")
    page.locator("#id_due_working_days").fill("5")
    submit(page.locator("main form[method=post]"))

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/tasks/\d+/$"))
    task_id = int(re.search(r"/tasks/(\d+)/$", page.url).group(1))
    task_url = f"{base}/tasks/{task_id}/"
    expect_state(page, TaskState.ASSIGNED)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_test_id("due-date")).to_have_text(due.strftime("%d/%m/%Y"))
    task = Task.objects.get(pk=task_id)
    assert (task.title, task.assigning_unit_id, task.lead_unit_id, task.responsible_id) == (
        title,
        hoangmai.pk,
        hoangliet.pk,
        staff.pk,
    )
    assert (task.due_date, task.due_working_days, task.assigned_by_id) == (due, 5, assigner.pk)

    # 2. The ward's staff member, in a browser of their own, is notified and does the work.
    notice = Notification.objects.get(user=worker, url=f"/tasks/{task_id}/")
    assert notice.kind == "task_assigned" and notice.read_at is None
    unread = Notification.objects.filter(user=worker, read_at__isnull=True).count()
    worker_page = second_page
    login(worker_page, WORKER)
    expect(worker_page.get_by_test_id("unread-count")).to_have_text(re.compile(rf"^\s*{unread}\D"))
    worker_page.get_by_test_id("bell").click()
    expect(worker_page).to_have_url(f"{base}/notifications/")
    expect(
        worker_page.get_by_test_id("notifications").locator(f'a[href="/tasks/{task_id}/"]')
    ).to_contain_text(title)

    worker_page.goto(f"{base}/tasks/?scope=mine")
    expect(worker_page.locator("#id_scope")).to_have_value("mine")
    task_link = worker_page.get_by_test_id("task-table").get_by_role("link", name=title, exact=True)
    expect(task_link).to_have_count(1)
    task_link.click()
    expect(worker_page).to_have_url(task_url)
    expect_state(worker_page, TaskState.ASSIGNED)

    # Accept.
    submit(action_form(worker_page, task_id, "accept"))
    expect_state(worker_page, TaskState.ACCEPTED)
    expect(action_form(worker_page, task_id, "accept")).to_have_count(0)

    # Report 50 % progress with a file.
    report_text = f"Đã rà soát xong 7/14 tổ dân phố ({token})."
    report_file = tmp_path / f"tien-do-{token}.txt"
    report_file.write_bytes(f"Bảng tổng hợp tiến độ {token}\n".encode())
    report = action_form(worker_page, task_id, "report")
    report.locator("#report-percent").fill("50")
    report.locator("#report-text").fill(report_text)
    report.locator("#report-files").set_input_files(report_file)
    submit(report)
    expect_state(worker_page, TaskState.IN_PROGRESS)
    expect(worker_page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "50")
    expect(worker_page.get_by_test_id("timeline")).to_contain_text(report_text)

    # Submit the result with a link and a file whose name is Vietnamese.
    result_text = f"Đã hoàn thành rà soát, danh sách kèm theo ({token})."
    result_link = f"https://example.gov.vn/ho-ngheo/{token}"
    evidence_name = f"Báo cáo kết quả {token}.pdf"
    evidence_bytes = b"%PDF-1.4\n" + secrets.token_bytes(512) + b"\n%%EOF\n"
    evidence_file = tmp_path / evidence_name
    evidence_file.write_bytes(evidence_bytes)
    result = action_form(worker_page, task_id, "submit")
    result.locator("xpath=ancestor::details[1]/summary").click()  # the form starts folded
    result.locator("#submit-text").fill(result_text)
    result.locator("#submit-links").fill(result_link)
    result.locator("#submit-files").set_input_files(evidence_file)
    submit(result)
    expect_state(worker_page, TaskState.SUBMITTED)
    expect(action_form(worker_page, task_id, "approve")).to_have_count(0)  # not the worker's to approve
    assert (
        Notification.objects.filter(user=assigner, url=f"/tasks/{task_id}/", kind="task_submitted").count()
        == 1
    )

    # 3. The head, back in the first browser, approves and reads the evidence.
    page.reload()
    expect_state(page, TaskState.SUBMITTED)
    approve = action_form(page, task_id, "approve")
    approve.locator("#approve-note").fill("Đạt yêu cầu.")
    submit(approve)
    expect_state(page, TaskState.APPROVED)
    expect(action_form(page, task_id, "approve")).to_have_count(0)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")

    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("50%")
    for text in (report_text, result_text, "Đạt yêu cầu."):
        expect(timeline).to_contain_text(text)
    expect(timeline.get_by_role("link", name=result_link, exact=True)).to_have_attribute("href", result_link)
    attachments = {a.name: a for a in Attachment.objects.filter(task_id=task_id)}
    assert set(attachments) == {report_file.name, evidence_name}
    for name, attachment in attachments.items():
        expect(timeline.locator(f'a[href="/tasks/attachments/{attachment.pk}/"]')).to_have_text(name)

    evidence_link = timeline.locator(f'a[href="/tasks/attachments/{attachments[evidence_name].pk}/"]')
    with page.expect_download() as download_info:
        evidence_link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == evidence_name
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == evidence_bytes

    task.refresh_from_db()
    assert (task.state, task.progress, task.closed_on) == (TaskState.APPROVED, 100, today())
