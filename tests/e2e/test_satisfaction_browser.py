"""A citizen rates a one-stop desk on a phone, without logging in and without JavaScript doing anything; the
ward's staff then see the rating counted on the unit's satisfaction page. Data: the Hanoi demo set."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WARD_STAFF = "canbo.hoangliet"
DESK = "00337-MC"


def test_rate_on_a_phone_then_see_it_counted(login, phone_page, page):
    from kycuong.core.calendar import today
    from kycuong.satisfaction.models import Rating, ServicePoint

    point = ServicePoint.objects.select_related("unit").get(code=DESK)
    day = today()
    before = Rating.objects.filter(unit=point.unit, day=day).count()
    base = login(page, WARD_STAFF)

    # The citizen, on a phone: the form is small, has no script, and fits the screen.
    phone_page.goto(f"{base}/r/{point.slug}/")
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert phone_page.evaluate("document.scripts.length") == 0
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    for position in range(5):
        phone_page.locator("fieldset.question").nth(position).locator("label.choice").nth(4).click()
    phone_page.get_by_text("Bổ sung thông tin").click()
    phone_page.get_by_label("Ý kiến, kiến nghị, phản ánh").fill("Cán bộ hướng dẫn rất tận tình.")
    phone_page.get_by_role("button", name="Gửi đánh giá").click()
    expect(phone_page.get_by_test_id("thanks")).to_be_visible()
    assert Rating.objects.filter(unit=point.unit, day=day).count() == before + 1

    # The ward's staff see it counted on the unit's page (today's figures).
    page.goto(f"{base}/satisfaction/?unit={point.unit_id}&date_from={day:%Y-%m-%d}&date_to={day:%Y-%m-%d}")
    expect(page.get_by_test_id("ratings-count")).to_have_text(str(before + 1))
    page.goto(f"{base}/satisfaction/ratings/?unit={point.unit_id}&comments=1")
    expect(page.get_by_text("Cán bộ hướng dẫn rất tận tình.").first).to_be_visible()
