import datetime

import pytest

from kycuong.core.dashboard import Period, module_providers
from kycuong.processes import services

from .helpers import at, open_step, start, two_unit_process

pytestmark = pytest.mark.django_db


def _finish(world, instance, day):
    for actor in ("hoangliet_staff", "hoangmai_head", "hoangmai_head"):
        services.step_complete(
            actor=world.user(actor), step=open_step(instance), result="ok", now=at(2026, 3, day, 10)
        )


def test_dashboard_summary_for_a_district(world):
    definition = two_unit_process(world)
    _finish(world, start(world, definition, now=at(2026, 3, 2, 9), reference="A"), 3)  # early
    _finish(world, start(world, definition, now=at(2026, 3, 2, 9), reference="B"), 9)  # late
    _finish(world, start(world, definition, now=at(2026, 3, 2, 9), reference="C"), 6)  # on time (due 6 March)
    providers = dict(module_providers())
    summary = providers["processes"](
        actor=world.user("city_leader"),
        unit=world.hoangmai,
        period=Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)),
    )
    figures = {figure.key: figure for figure in summary.figures}
    assert figures["processes.finished"].value == 3
    assert figures["processes.finished"].previous == 0
    assert figures["processes.late"].value == 1
    assert figures["processes.timely_rate"].value == pytest.approx(66.7)
    assert f"unit={world.hoangmai.pk}" in figures["processes.timely_rate"].drill_url
    assert summary.by_subunit == {world.hoangliet.pk: pytest.approx(66.7), world.dinhcong.pk: None}
    assert summary.sentences and "3" in summary.sentences[0]


def test_home_section_counts_my_steps(world, login):
    definition = two_unit_process(world)
    start(world, definition, now=at(2020, 3, 2, 9))
    page = login(world.user("hoangliet_staff")).get("/").content.decode()
    assert "/processes/?queue=mine" in page
