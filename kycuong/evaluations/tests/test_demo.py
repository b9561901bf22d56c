"""The demo loader on a small tree: a year of monthly cycles and four quarterly scorecards, quotas kept."""

import datetime
import random

from conftest import SYSTEM
from kycuong.accounts.services import user_create
from kycuong.demo.evaluations_data import load_evaluations
from kycuong.demo.loader import DemoContext
from kycuong.evaluations import services
from kycuong.evaluations.models import Cycle, CycleState, Evaluation

from .conftest import ten_tasks


def test_demo_year_of_evaluations(world, person, make_tasks):
    user_create(actor=SYSTEM, username="admin", password=None, is_superuser=True)
    staff = person(world.hoangliet, "Lê Thị Mai")
    make_tasks(staff, ten_tasks(), due=datetime.date(2026, 3, 20))
    units = {"008": world.hoangmai, "281": world.badinh}
    units.update({unit.code: unit for unit in (world.hoangliet, world.dinhcong, world.phucxa)})
    ctx = DemoContext(
        rng=random.Random(1), today=datetime.date(2026, 11, 26), units=units, log=lambda m: None
    )
    load_evaluations(ctx)

    monthly = list(Cycle.objects.filter(method__code="hanoi-monthly").order_by("period_start"))
    assert [(c.period_start.year, c.period_start.month) for c in monthly] == [(2025, 11), (2025, 12)] + [
        (2026, month) for month in range(1, 11)
    ]
    assert {c.unit_id for c in monthly} == {world.hoangmai.pk}
    assert [c.state for c in monthly] == [CycleState.PUBLISHED] * 11 + [CycleState.REVIEW]
    scorecards = Cycle.objects.filter(method__code="heads-scorecard")
    assert sorted({c.period_start for c in scorecards}) == [
        datetime.date(2025, 10, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 4, 1),
        datetime.date(2026, 7, 1),
    ]
    assert scorecards.count() == 8  # Hoàng Mai and (standing in for Ứng Hòa) Ba Đình
    assert Evaluation.objects.filter(cycle__in=scorecards, role="unit").count() == 4 * 3  # 2 + 1 wards
    for cycle in Cycle.objects.filter(state=CycleState.PUBLISHED):
        assert services.quota_holds(cycle), cycle.name
    march = Evaluation.objects.get(
        cycle__method__code="hanoi-monthly", cycle__period_start=datetime.date(2026, 3, 1), staff=staff
    )
    assert str(march.task_points) == "61.83"  # the product's own computation from the tasks
    assert march.cycle.name == "Đánh giá tháng 3/2026, Quận Hoàng Mai"
