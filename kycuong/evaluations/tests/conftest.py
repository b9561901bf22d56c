"""Helpers of the evaluation tests: people with user accounts, and tasks in any state built directly."""

import datetime

import pytest

from conftest import PASSWORD, SYSTEM
from kycuong.accounts.services import user_create
from kycuong.org.models import PostRole
from kycuong.org.services import post_create, staff_create
from kycuong.tasks.models import Task, TaskState

MARCH_2026 = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def shipped_methods(db):
    """The shipped methods, whatever tests that empty the database ran before (a flush sends post_migrate,
    which ships them again; this makes sure of it)."""
    from kycuong.evaluations.shipped import ship_methods

    ship_methods()


@pytest.fixture
def person(world):
    """A staff member of a unit with a user account linked to the staff record (a post as `role`)."""

    def make(unit, name: str, username: str | None = None, role: str = PostRole.MEMBER):
        staff = staff_create(actor=SYSTEM, unit=unit, full_name=name)
        post_create(
            actor=SYSTEM, staff=staff, unit=unit, title=name, role=role, start_date=datetime.date(2020, 1, 1)
        )
        if username:
            user_create(actor=SYSTEM, username=username, password=PASSWORD, staff=staff)
        return staff

    return make


@pytest.fixture
def make_tasks(world):
    """Tasks of a person due in a period, in the states the scoring reads; written in one bulk insert."""

    def make(staff, specs: list[dict], *, due: datetime.date, unit=None) -> list[Task]:
        tasks = []
        for index, spec in enumerate(specs):
            task = Task(
                title=spec.get("title", f"Nhiệm vụ {index + 1}"),
                assigning_unit=world.hoangmai,
                assigned_by=world.user("hoangmai_head"),
                lead_unit=unit or staff.unit,
                responsible=staff,
                start_date=due - datetime.timedelta(days=10),
                due_date=due,
                state=spec.get("state", TaskState.APPROVED),
                closed_on=due if spec.get("state", TaskState.APPROVED) == TaskState.APPROVED else None,
                late_working_days=spec.get("late", 0),
                rework_count=spec.get("rework", 0),
                search_text=f"nhiem vu {index + 1}",
            )
            task.refresh_day_numbers()
            tasks.append(task)
        return Task.objects.bulk_create(tasks)

    return make


def ten_tasks() -> list[dict]:
    """The example of the methods' guide: 7 on time, 1 late, 1 sent back once, 1 not done."""
    return [
        *[{} for _ in range(7)],
        {"late": 2},
        {"rework": 1},
        {"state": TaskState.IN_PROGRESS, "late": None},
    ]
