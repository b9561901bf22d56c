"""For the tests that hold a dashboard provider to its module's own statistics page."""

from django.urls import reverse

from kycuong.core.dashboard import Period


def statistics_page(client, url_name: str, query: dict, unit, period: Period) -> dict:
    """The context of a module's statistics page, checked to be for the unit and period asked: a period the
    page's form did not accept would silently fall back to its default one."""
    page = client.get(reverse(url_name), query)
    assert page.status_code == 200
    assert (page.context["unit"], page.context["start"], page.context["end"]) == (
        unit,
        period.start,
        period.end,
    )
    return page.context


def assert_figures_equal(figures, counterparts: dict, now, before, *, not_compared: tuple = ()) -> None:
    """Each dashboard figure equals its counterpart read from the page for the period (`now`) and for the
    previous one (`before`); a figure the page has no counterpart for must be named in `not_compared`."""
    assert {figure.key for figure in figures} == {*counterparts, *not_compared}
    for figure in figures:
        if figure.key in counterparts:
            own = counterparts[figure.key]
            assert (figure.key, figure.value, figure.previous) == (figure.key, own(now), own(before))
