"""An interconnected process run to the end in a real browser by two users: a staff member of Phường Hoàng
Liệt starts a case of the ward's process "report on administrative reform" and completes the first step with
a file; the head of Quận Hoàng Mai signs it for the ward, then completes the step that the process hands to
the district's Home Affairs Office. The diagram is drawn by bpmn-js. Data: the Hanoi demo set."""

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

STAFF = "canbo.hoangliet"
HEAD = "truong.hoangmai"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def label(choice) -> str:
    """A label as the page shows it, through the same Vietnamese catalogues the server uses."""
    from django.utils import translation

    with translation.override("vi"):
        return str(choice.label)


def complete(page, result: str, files=None) -> None:
    card = page.locator("[id^=open-step-]").first
    card.locator("textarea[name=result]").fill(result)
    if files:
        card.locator("input[name=files]").set_input_files(files)
    card.locator("button[data-action=complete]").click()


def test_two_unit_process_to_the_end(page, second_page, login, media_root, tmp_path):
    from kycuong.org.models import Unit
    from kycuong.processes.models import ProcessDefinition, ProcessInstance

    hoangliet = Unit.objects.get(code="00337")
    home_affairs = Unit.objects.get(code="008-PNV")
    definition = ProcessDefinition.objects.get(owner_unit=hoangliet, code="QT-14", state="active")

    base = login(page, STAFF)
    page.goto(f"{base}/processes/catalogue/?q=cai cach hanh chinh")
    page.get_by_role("link", name=definition.name).click()
    expect(page.locator("#diagram[data-loaded='1'] .djs-element[data-element-id='Step_3']")).to_be_visible()
    page.locator("#id_case_kind").select_option("request")
    page.locator("#id_case_reference").fill("BC-CCHC-Q4")
    page.locator("#id_case_title").fill("Báo cáo cải cách hành chính quý IV")
    page.locator("#start-case").click()
    expect(page.locator("#instance-state")).to_contain_text(label(ProcessInstance.State.RUNNING))
    instance = ProcessInstance.objects.get(case_reference="BC-CCHC-Q4")
    evidence = tmp_path / "so-lieu.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Bộ phận", "Số hồ sơ"])
    workbook.active.append(["Một cửa", 128])
    workbook.save(evidence)
    complete(page, "Đã tổng hợp số liệu của các bộ phận", files=[str(evidence)])
    expect(page.get_by_role("link", name="so-lieu.xlsx")).to_be_visible()
    # The next step needs the head of the unit: the staff member can no longer act on the case.
    expect(page.locator("[id^=open-step-] textarea")).to_have_count(0)

    base = login(second_page, HEAD)
    second_page.goto(f"{base}/processes/?queue=mine&q=bc-cchc-q4")
    second_page.get_by_role("link", name="BC-CCHC-Q4").click()
    expect(second_page.locator("[id^=open-step-]")).to_contain_text("Lãnh đạo duyệt báo cáo")
    complete(second_page, "Đồng ý nội dung báo cáo")
    card = second_page.locator("[id^=open-step-]")
    expect(card).to_contain_text("Phòng Nội vụ quận tiếp nhận, tổng hợp")
    expect(card).to_contain_text(home_affairs.name)
    # The step handed to the district's office is in that office's queue.
    second_page.goto(f"{base}/processes/?queue=unit&q=bc-cchc-q4")
    queue = second_page.locator("#step-queue tbody tr")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text(home_affairs.name)
    queue.get_by_role("link", name="BC-CCHC-Q4").click()
    complete(second_page, "Đã tiếp nhận, tổng hợp vào báo cáo của quận")
    expect(second_page.locator("#instance-state")).to_contain_text(label(ProcessInstance.State.COMPLETED))

    page.reload()
    expect(page.locator("#instance-state")).to_contain_text(label(ProcessInstance.State.COMPLETED))
    rows = page.locator("#steps tbody tr")
    expect(rows).to_have_count(3)
    instance.refresh_from_db()
    assert instance.state == "completed"
    assert sorted(instance.steps.values_list("unit__code", flat=True)) == ["00337", "00337", "008-PNV"]
    assert instance.steps.get(bpmn_id="Step_1").attachments.get().name == "so-lieu.xlsx"

    # The modeler opens the same diagram for editing, without errors.
    second_page.goto(f"{base}/processes/catalogue/{definition.pk}/modeler/")
    modeler = second_page.locator("#modeler[data-loaded='1']")
    expect(modeler.locator(".djs-element[data-element-id='Step_1']")).to_be_visible()
