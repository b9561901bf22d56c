"""From plan item to inspection, finding, discipline case, decision and the statistics page, in a real
browser, as Hoàng Mai's inspector; then a ward's staff member is refused the case. Data: the Hanoi demo."""

import datetime
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_plan_item_to_decision_and_statistics(page, second_page, login):
    from kycuong.discipline.models import DisciplineForm
    from kycuong.inspections.models import ConfidentialAccess, InspectionKind
    from kycuong.org.models import Staff, StaffCategory, Unit

    base = login(page, "thanhtra.hoangmai")
    year = datetime.date.today().year
    inspectorate = Unit.objects.get(code="008-TT")
    district = Unit.objects.get(code="008")
    ward = Unit.objects.get(code="00337")
    # Not the ward staff member who logs in below: the case is about a colleague.
    person = (
        Staff.objects.filter(unit=ward, category=StaffCategory.CIVIL_SERVANT, user__isnull=True)
        .order_by("id")
        .first()
    )
    kind = InspectionKind.objects.get(code="public-service-inspection")
    reprimand = DisciplineForm.objects.get(code="nd172-cs-reprimand")

    page.goto(f"{base}/inspections/plans/")
    form = page.locator("#plan-form")
    form.locator("#id_unit").select_option(str(inspectorate.pk))
    form.locator("#id_year").fill(str(year))
    form.locator("#id_number").fill("99/KH-TT")
    form.locator("#id_title").fill("Kế hoạch kiểm tra công vụ bổ sung")
    form.locator("#id_approved_on").fill(f"{year}-01-15")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("99/KH-TT")

    item_form = page.locator("#plan-item-form")
    item_form.locator("#id_kind").select_option(str(kind.pk))
    item_form.locator("#id_topic").fill("Kiểm tra công vụ phường Hoàng Liệt")
    item_form.locator("#id_starts_on").fill(f"{year}-02-01")
    item_form.locator("#id_ends_on").fill(f"{year}-02-28")
    item_form.locator("#id_subject_units").select_option(str(ward.pk))
    item_form.locator("#id_subject_staff").select_option(str(person.pk))
    item_form.locator("button[type=submit]").click()
    row = page.locator("#plan-items tbody tr", has_text="Kiểm tra công vụ phường Hoàng Liệt")
    row.locator("input[name=decision_number]").fill("77/QĐ-TT")
    row.locator("input[name=decision_date]").fill(f"{year}-02-03")
    row.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/inspections/\d+/$"))
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "decided")
    page.locator("#id_started_on").fill(f"{year}-02-04")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "in_progress")

    page.locator("#subject-table tr", has_text=person.full_name).get_by_role("link").click()
    finding = page.locator("#finding-form")
    finding.locator("#id_result").select_option("violation")
    finding.locator("#id_description").fill("Trả hồ sơ quá hạn, không thông báo lý do")
    finding.locator("#id_files").set_input_files(
        files=[{"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 bien ban"}]
    )
    finding.locator("button[type=submit]").click()
    expect(page.locator("#subject-result")).to_have_text("Vi phạm")
    expect(page.locator("#finding-list")).to_contain_text("bien-ban.pdf")

    page.get_by_role("link", name="Mở vụ việc kỷ luật").click()
    case_form = page.locator("#case-form")
    expect(case_form.locator("#id_violation")).to_have_value("Trả hồ sơ quá hạn, không thông báo lý do")
    case_form.locator("#id_regime").select_option("civil_servant")
    case_form.locator("#id_competent_unit").select_option(str(district.pk))
    case_form.locator("#id_committed_on").fill(f"{year}-01-20")
    case_form.locator("#id_opened_on").fill(f"{year}-02-20")
    case_form.locator("button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_attribute("data-status", "review")
    expect(page.locator("#case-deadline")).to_contain_text(
        (datetime.date(year, 2, 20) + datetime.timedelta(days=90)).strftime("%d/%m/%Y")
    )
    case_url = page.url

    decide = page.locator("#decide-form")
    decide.locator("#id_form").select_option(str(reprimand.pk))
    decide.locator("#id_number").fill("88/QĐ-UBND")
    decide.locator("#id_signed_on").fill(f"{year}-03-10")
    decide.locator("button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_attribute("data-status", "decided")
    expect(page.locator("#decision")).to_contain_text("88/QĐ-UBND")

    page.goto(f"{base}/discipline/statistics/?unit={district.pk}&start={year}-01-01&end={year}-12-31")
    expect(page.locator("h1")).to_contain_text("Quận Hoàng Mai")
    figure = page.locator("a[data-figure='people-disciplined']")
    assert int(figure.inner_text().replace(".", "")) >= 1
    figure.click()
    expect(page.locator("#disciplined-rows")).to_contain_text(person.full_name)
    expect(page.locator("#disciplined-rows")).to_contain_text("88/QĐ-UBND")

    # A ward's staff member cannot open the case about a colleague; the log shows only who did.
    login(second_page, "canbo.hoangliet")
    response = second_page.goto(case_url)
    assert response.status == 404
    viewers = set(ConfidentialAccess.objects.values_list("user_label", flat=True))
    assert viewers == {"thanhtra.hoangmai"}
