"""The disbursement dashboard in a real browser: the city leader sees the chart drawn by Chart.js from the
page's figures, both rates side by side, lagging units highlighted, and drills down from a lagging unit to its
lagging projects and on to one project's page with its own chart. Data: the Hanoi demo set."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_disbursement_dashboard_chart_and_drill_down(page, login):
    base = login(page, "lanhdao.thanhpho")
    page.goto(f"{base}/targets/?year=2025")
    expect(page.locator("h1")).to_contain_text("2025")
    canvas = page.locator("canvas#disbursement-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.kycuongCharts && window.kycuongCharts.length === 1")
    chart = page.evaluate(
        "() => { const c = Chart.getChart(document.getElementById('disbursement-chart'));"
        " return c && {type: c.config.type, sets: c.data.datasets.length, points: c.data.labels.length}; }"
    )
    assert chart == {"type": "line", "sets": 2, "points": 13}
    expect(page.get_by_test_id("rate-assigned")).to_contain_text("%")
    expect(page.get_by_test_id("rate-total")).to_contain_text("%")

    lagging_row = page.locator("#unit-table tr[data-lagging='1']").first
    expect(lagging_row).to_be_visible()
    unit_name = lagging_row.get_by_test_id("unit-link").inner_text()
    lagging_row.locator("td").last.locator("a").click()
    expect(page).to_have_url(re.compile(r"/targets/projects/\?year=2025&unit=\d+&lagging=on"))
    expect(page.locator("h1")).to_contain_text(unit_name)
    rows = page.locator("#project-table tbody tr[data-lagging='1']")
    expect(rows.first).to_be_visible()
    rows.first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/targets/projects/\d+/\?year=2025"))
    page.wait_for_function("() => window.kycuongCharts && window.kycuongCharts.length === 1")
    assert page.evaluate("() => !!Chart.getChart(document.getElementById('project-chart'))")
