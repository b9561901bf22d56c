"""The leadership dashboard in a real browser: the city leader opens the city's dashboard for a year, sees the
cards and the charts drawn by Chart.js, drills down to a district and from its task figures to the tasks
behind them, then asks for the district's yearly report, watches its progress bar while the background worker
makes it, and downloads the PDF. Data: the Hanoi demo set."""

import io
import re
import unicodedata

import pypdf
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_dashboard_drill_down_and_report_download(page, login):
    base = login(page, "lanhdao.thanhpho")
    page.goto(f"{base}/dashboard/?period=year&year=2025")
    expect(page.get_by_test_id("dashboard-unit")).to_contain_text("Hà Nội")
    tasks_card = page.locator("section[data-module='tasks']")
    expect(tasks_card).to_be_visible()
    expect(tasks_card.locator("tr[data-key='tasks.on_time_rate'] [data-testid='value']")).to_contain_text("%")
    page.wait_for_function("() => window.kycuongDashboard && window.kycuongDashboard.size >= 1")
    assert page.evaluate("() => !!Chart.getChart(document.querySelector(\"canvas[data-module='tasks']\"))")

    # First drill-down: a district from the tasks ranking, keeping the period.
    tasks_card.locator("details summary").click()
    district_link = tasks_card.get_by_test_id("subunit").first
    district = district_link.inner_text()
    district_link.click()
    expect(page).to_have_url(re.compile(r"/dashboard/\?unit=\d+&period=year&year=2025"))
    expect(page.get_by_test_id("dashboard-unit")).to_have_text(district)
    district_url = page.url

    # Second drill-down: from the district's count of tasks due to the tasks themselves.
    tasks_card = page.locator("section[data-module='tasks']")
    count = tasks_card.locator("tr[data-key='tasks.assigned'] [data-testid='value']").inner_text()
    tasks_card.locator("tr[data-key='tasks.assigned'] a[data-testid='drill']").click()
    expect(page).to_have_url(
        re.compile(r"/tasks/\?unit=\d+&descendants=on&due_from=2025-01-01&due_to=2025-12-31")
    )
    if count != "0":
        expect(page.locator("main table tbody tr").first).to_be_visible()

    # The district's yearly report, made by the background worker, downloaded as PDF.
    page.goto(district_url)
    page.get_by_test_id("make-report").click()
    page.locator("#id_kind").select_option("year")
    page.locator("#id_year").select_option("2025")
    page.get_by_test_id("generate").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/$"))
    expect(page.locator("[role=progressbar]")).to_be_visible()
    call_command("worker", batch=True, verbosity=0)
    download_button = page.get_by_test_id("download-pdf")
    expect(download_button).to_be_visible(timeout=20_000)  # the progress bar polls every second
    with page.expect_download() as info:
        download_button.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = unicodedata.normalize("NFC", " ".join(p.extract_text() for p in reader.pages))
    text = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert district.upper() in text and "năm 2025" in text
