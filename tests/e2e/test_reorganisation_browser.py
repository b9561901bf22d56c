"""A reorganisation in a real browser: the administrator prepares the merge of two wards of Hoàng Mai into a
new ward, reads the preview, applies it, confirms the ward official's grant for the new ward, checks the
comparable figures page, and undoes the whole event. Data: the Hanoi demo set (2024 structure)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_merge_preview_apply_confirm_grant_and_undo(page, login):
    from kycuong.accounts.models import Grant
    from kycuong.org.models import Unit
    from kycuong.tasks.models import OPEN_STATES, Task

    open_tasks = Task.objects.filter(lead_unit__code__in=["00337", "00331"], state__in=OPEN_STATES).count()
    base = login(page, "admin")
    page.goto(f"{base}/reorganisations/")
    page.get_by_role("link", name="Sắp xếp tổ chức mới").click()
    page.locator("#id_kind").select_option("merge")
    page.locator("#id_title").fill("Hợp nhất phường Hoàng Liệt và phường Thịnh Liệt")
    page.locator("#id_effective_date").fill("2025-07-01")
    page.locator("#id_legal_basis").fill("Nghị quyết 1656/NQ-UBTVQH15")
    page.locator("#id_new_units").fill("N-HM1; Phường Hoàng Liệt mới; ward; 008")
    page.locator("#id_links").fill("00337; N-HM1; whole\n00331; N-HM1; whole")
    page.get_by_role("button", name="Chuẩn bị").click()
    expect(page).to_have_url(re.compile(r"/reorganisations/\d+/$"))
    event_url = page.url
    expect(page.get_by_test_id("event-state")).to_contain_text("Dự thảo")
    closing = page.get_by_test_id("closing-units")
    expect(closing).to_contain_text("Phường Hoàng Liệt")
    expect(closing).to_contain_text("Phường Thịnh Liệt")
    expect(page.get_by_test_id("preview-summary")).to_contain_text(f"Nhiệm vụ: {open_tasks}")

    page.get_by_test_id("apply").click()
    expect(page.get_by_text("Đã áp dụng việc sắp xếp.")).to_be_visible()
    expect(page.get_by_test_id("event-state")).to_contain_text("Đã áp dụng")
    new = Unit.objects.get(code="N-HM1")
    assert Task.objects.filter(lead_unit=new, state__in=OPEN_STATES).count() == open_tasks

    page.get_by_role("link", name=re.compile("quyền đang chờ xác nhận")).click()
    row = page.get_by_test_id("proposals").locator("tr", has_text="canbo.hoangliet")
    row.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text("Đã tạo quyền.")).to_be_visible()
    assert Grant.objects.filter(user__username="canbo.hoangliet", unit=new).exists()

    page.goto(f"{base}/units/{new.pk}/comparable/?date_from=2024-01-01&date_to=2024-12-31")
    expect(page.get_by_test_id("comparable-label")).to_be_visible()
    expect(page.get_by_test_id("comparable-tasks")).to_contain_text("Phường Thịnh Liệt")

    page.goto(event_url)
    page.get_by_test_id("undo").click()
    expect(page.get_by_text("Đã hoàn tác việc sắp xếp.")).to_be_visible()
    assert not Unit.objects.filter(code="N-HM1").exists()
    assert not Grant.objects.filter(user__username="canbo.hoangliet", unit__code="N-HM1").exists()
