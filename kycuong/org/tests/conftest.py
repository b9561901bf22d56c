import datetime

import pytest

from kycuong.accounts.models import Role, User
from kycuong.accounts.services import grant_create, user_create
from kycuong.core.context import SystemActor
from kycuong.tasks.services import task_assign

SYSTEM = SystemActor("test-setup", kind="command")
EFFECTIVE = datetime.date(2025, 7, 1)


@pytest.fixture
def reorg_admin(world):
    """A system administrator over the whole city (the role that applies reorganisations)."""
    user = user_create(actor=SYSTEM, username="admin.reorg", password="correct-horse-battery-staple")
    grant_create(actor=SYSTEM, user=user, role=Role.objects.get(code="system_admin"), unit=world.city)
    return user


@pytest.fixture
def open_task(world):
    leader_id = world.user("city_leader").pk

    def make(
        lead_unit, title="Rà soát hồ sơ", due=datetime.date(2025, 9, 30), start=datetime.date(2025, 5, 5)
    ):
        return task_assign(
            actor=User.objects.get(pk=leader_id),  # a fresh scope: units may have been created since
            title=title,
            assigning_unit=world.city,
            lead_unit=lead_unit,
            start_date=start,
            due_date=due,
            notify_people=False,
        )

    return make
