import datetime

import pytest

from kycuong.tasks.services import task_assign


@pytest.fixture
def people(world):
    """Link the ward staff user to the ward's staff record, so that they are 'responsible' for tasks."""
    user = world.user("hoangliet_staff")
    user.staff = world.hoangliet_staff
    user.save(update_fields=["staff"])
    return world


@pytest.fixture
def make_task(people):
    def make(**overrides):
        fields = {
            "actor": people.user("hoangmai_head"),
            "title": "Báo cáo kết quả thực hiện Chỉ thị 24-CT/TU",
            "assigning_unit": people.hoangmai,
            "lead_unit": people.hoangliet,
            "responsible": people.hoangliet_staff,
            "start_date": datetime.date(2025, 1, 6),
            "due_date": datetime.date(2025, 1, 24),
        }
        fields.update(overrides)
        return task_assign(**fields)

    return make
