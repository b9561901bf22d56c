"""The modules' own fixtures, so the dashboard is tested on the same records as each module."""

import datetime

import pytest

from kycuong.satisfaction.tests.conftest import points, questions, rate  # noqa: F401
from kycuong.targets.tests.conftest import planned, project  # noqa: F401
from kycuong.tasks import services as task_services
from kycuong.tasks.tests.conftest import make_task, people  # noqa: F401


@pytest.fixture
def tasks_world(make_task, people):  # noqa: F811 - the fixtures imported above
    worker, head = people.user("hoangliet_staff"), people.user("hoangmai_head")

    def approve(task, closed_on):
        task_services.task_accept(actor=worker, task=task)
        task_services.task_submit(actor=worker, task=task, text="Đã xong", links=["https://e.vn/x"])
        task_services.task_approve(actor=head, task=task, closed_on=closed_on)

    # January 2025, in Hoàng Liệt: one done on time, one done late, one open past its due date.
    approve(make_task(title="Đúng hạn"), datetime.date(2025, 1, 20))
    approve(make_task(title="Trễ hạn"), datetime.date(2025, 2, 5))  # after the Tết holiday
    make_task(title="Quá hạn HL", due_date=datetime.date(2025, 1, 10))
    # Another ward of Hoàng Mai: one open past its due date.
    make_task(
        title="Quá hạn ĐC", lead_unit=people.dinhcong, responsible=None, due_date=datetime.date(2025, 1, 15)
    )
    # December 2024: one done on time; and one in Ba Đình, outside Hoàng Mai.
    approve(
        make_task(
            title="Tháng trước", start_date=datetime.date(2024, 12, 2), due_date=datetime.date(2024, 12, 20)
        ),
        datetime.date(2024, 12, 18),
    )
    task_services.task_assign(
        actor=people.user("badinh_head"),
        title="Ba Đình",
        assigning_unit=people.badinh,
        lead_unit=people.phucxa,
        start_date=datetime.date(2025, 1, 6),
        due_date=datetime.date(2025, 1, 24),
    )
    return people
