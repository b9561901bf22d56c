"""The modules' own fixtures, so the dashboard is tested on the same records as each module."""

from kycuong.satisfaction.tests.conftest import points, questions, rate  # noqa: F401
from kycuong.targets.tests.conftest import planned, project  # noqa: F401
from kycuong.tasks.tests.conftest import make_task, people  # noqa: F401
