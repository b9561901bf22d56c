import datetime

import pytest

from kycuong.targets import services


@pytest.fixture
def project(world):
    return services.project_create(
        actor=world.user("hoangmai_head"),
        code="DA-HM-001",
        name="Cải tạo hồ Định Công",
        investor_unit=world.hoangliet,
        responsible_unit=world.hoangmai,
    )


@pytest.fixture
def planned(world, project):
    """The project with a 2024 plan: 100 billion assigned by the Prime Minister and 20 billion local."""
    services.plan_revise(
        actor=world.user("hoangmai_head"),
        project=project,
        year=2024,
        assigned_amount=100_000_000_000,
        local_amount=20_000_000_000,
        effective_on=datetime.date(2024, 1, 1),
        decision="QĐ 01/QĐ-UBND",
    )
    return project
