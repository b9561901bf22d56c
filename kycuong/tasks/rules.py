"""Which actions a task allows in which state, and who may take them: one table for services and pages."""

from dataclasses import dataclass

from .models import TaskState

ASSIGNER = "assigner"  # holds tasks.assign_task over the assigning unit
WORKER = "worker"  # holds tasks.work_task over the lead unit


@dataclass(frozen=True)
class Action:
    name: str
    from_states: tuple[str, ...]
    side: str

    @property
    def permission(self) -> str:
        return "tasks.assign_task" if self.side == ASSIGNER else "tasks.work_task"


OPEN = (
    TaskState.ASSIGNED,
    TaskState.ACCEPTED,
    TaskState.RETURNED,
    TaskState.IN_PROGRESS,
    TaskState.SUBMITTED,
)
WORKING = (TaskState.ACCEPTED, TaskState.IN_PROGRESS)

ACTIONS = {
    action.name: action
    for action in (
        Action("accept", (TaskState.ASSIGNED,), WORKER),
        Action("return", (TaskState.ASSIGNED,), WORKER),
        Action("reassign", (TaskState.RETURNED,), ASSIGNER),
        Action("report", WORKING, WORKER),
        Action("submit", WORKING, WORKER),
        Action("approve", (TaskState.SUBMITTED,), ASSIGNER),
        Action("send_back", (TaskState.SUBMITTED,), ASSIGNER),
        Action("cancel", OPEN, ASSIGNER),
        Action("request_extension", (TaskState.ASSIGNED, TaskState.ACCEPTED, TaskState.IN_PROGRESS), WORKER),
        Action("decide_extension", OPEN, ASSIGNER),
    )
}


def unit_for(action: Action, task) -> int:
    return task.assigning_unit_id if action.side == ASSIGNER else task.lead_unit_id
