"""The foundation in a real browser: log-in, the scoped unit tree (htmx, keyboard), a unit page, search,
the language switch and the collapsed navigation on a phone. Data: the Hanoi demo set."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# Tab presses allowed to reach the first tree toggle (skip link, header links, search, language, user menu…).
MAX_TABS = 40


def open_by_click(page, locator, url_pattern):
    """Follow a link and wait until the new page has run its deferred scripts (htmx, app.js)."""
    locator.click()
    expect(page).to_have_url(url_pattern)
    page.wait_for_load_state("load")


def tree_roots(page):
    return page.get_by_test_id("unit-tree").locator(":scope > li > a")


def test_inspector_walks_tree_unit_search_and_language(page, login):
    from kycuong.org.models import Unit

    hoangmai = Unit.objects.get(code="008")
    assert hoangmai.name == "Quận Hoàng Mai"
    # The negative search below is meaningful only if the ward exists outside the inspector's scope.
    assert Unit.objects.filter(name="Phường Phúc Xá").exclude(parent=hoangmai).exists()

    base = login(page, "thanhtra.hoangmai")
    html = page.locator("html")
    nav = page.locator("#main-nav")

    # Home, in Vietnamese (the browser asks for vi; vi is also the default).
    expect(html).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    expect(page.locator(".navbar-toggler")).to_be_hidden()  # desktop: the menu is not collapsed

    # The unit tree, reached through the navigation: the inspector's scope is Quận Hoàng Mai alone.
    open_by_click(page, nav.get_by_role("link", name="Đơn vị", exact=True), f"{base}/units/")
    tree = page.get_by_test_id("unit-tree")
    expect(tree_roots(page)).to_have_text(["Quận Hoàng Mai"])
    expect(tree).not_to_contain_text("Quận Ba Đình")
    expect(tree).not_to_contain_text("Thành phố Hà Nội")

    toggle = page.locator(f'[data-tree-toggle][aria-controls="branch-{hoangmai.pk}"]')
    branch = page.locator(f"#branch-{hoangmai.pk}")
    hoangliet_in_branch = branch.get_by_role("link", name="Phường Hoàng Liệt", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(branch).to_be_hidden()

    # Open with the mouse: the branch is loaded by htmx.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(hoangliet_in_branch).to_be_visible()
    branch_count = branch.locator(":scope > li").count()
    assert branch_count > 1
    # The count shown next to the node matches what the branch loaded.
    expect(toggle.locator("xpath=following-sibling::span[contains(@class, 'small')][1]")).to_have_text(
        f"({branch_count})"
    )
    # Close again.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(branch).to_be_hidden()

    # Keyboard: from a fresh page, Tab reaches the first toggle and Enter opens it.
    page.reload()
    page.wait_for_load_state("load")
    first_toggle = page.locator("[data-tree-toggle]").first
    expect(first_toggle).to_have_attribute("aria-controls", f"branch-{hoangmai.pk}")
    expect(first_toggle).to_have_attribute("aria-expanded", "false")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.hasAttribute('data-tree-toggle') ?? false"):
            break
    else:
        pytest.fail(f"the first tree toggle was not reached in {MAX_TABS} Tab presses")
    expect(first_toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(first_toggle).to_have_attribute("aria-expanded", "true")
    expect(hoangliet_in_branch).to_be_visible()
    expect(branch.locator(":scope > li")).to_have_count(branch_count)

    # Quận Hoàng Mai's page lists the same sub-units.
    open_by_click(page, tree_roots(page).first, f"{base}/units/{hoangmai.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quận Hoàng Mai")
    sub_units = page.get_by_test_id("sub-units")
    expect(sub_units.get_by_role("link", name="Phường Hoàng Liệt", exact=True)).to_be_visible()
    expect(sub_units.locator(":scope > li")).to_have_count(branch_count)

    # The header search: accents and capitals do not matter...
    search = page.locator("#global-search")
    search.fill("hoang liet")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=hoang\+liet$"))
    page.wait_for_load_state("load")
    unit_results = page.get_by_test_id("unit-results")
    expect(unit_results.get_by_role("link", name="Phường Hoàng Liệt", exact=True)).to_be_visible()

    # ...and a ward outside the scope is not found.
    search = page.locator("#global-search")
    search.fill("phuc xa")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=phuc\+xa$"))
    page.wait_for_load_state("load")
    expect(page.locator("#search-results")).to_contain_text("Không có đơn vị nào phù hợp.")
    expect(page.get_by_test_id("unit-results")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Phúc Xá")

    # Switch to English: same page, English text.
    page.get_by_test_id("switch-language").click()
    expect(html).to_have_attribute("lang", "en")
    page.wait_for_load_state("load")
    expect(page).to_have_url(re.compile(r"/search/\?q=phuc\+xa$"))
    expect(nav.get_by_role("link", name="Units", exact=True)).to_be_visible()
    expect(page.locator("#search-results")).to_contain_text("No unit matches.")

    # And back to Vietnamese.
    expect(page.get_by_test_id("switch-language")).to_contain_text("Tiếng Việt")
    page.get_by_test_id("switch-language").click()
    expect(html).to_have_attribute("lang", "vi")
    expect(nav.get_by_role("link", name="Đơn vị", exact=True)).to_be_visible()
    expect(page.get_by_test_id("switch-language")).to_contain_text("English")


def test_ward_staff_on_a_phone(phone_page, login):
    page = phone_page
    base = login(page, "canbo.hoangliet")

    # The navigation collapses behind the toggler.
    toggler = page.locator(".navbar-toggler")
    units_link = page.locator("#main-nav").get_by_role("link", name="Đơn vị", exact=True)
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(units_link).to_be_hidden()

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(units_link).to_be_visible()
    expect(page.locator("#global-search")).to_be_visible()

    # A ward's staff member sees only the ward.
    open_by_click(page, units_link, f"{base}/units/")
    expect(tree_roots(page)).to_have_text(["Phường Hoàng Liệt"])
    expect(page.get_by_test_id("unit-tree").locator("li")).to_have_count(1)
