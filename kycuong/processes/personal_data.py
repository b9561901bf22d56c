"""Process steps a person performed, for their data export."""

from .models import ProcessStep


def collect(staff) -> dict[str, list[dict]]:
    user = getattr(staff, "user", None)
    if user is None:
        return {"process_steps_done": []}
    steps = (
        ProcessStep.objects.filter(completed_by=user)
        .select_related("instance")
        .order_by("completed_at", "id")
    )
    return {
        "process_steps_done": [
            {
                "case": step.instance.case_reference,
                "step": step.name,
                "finished": step.completed_at,
                "outcome": step.outcome,
                "result": step.result,
            }
            for step in steps
        ]
    }
