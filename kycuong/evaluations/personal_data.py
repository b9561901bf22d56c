"""A person's evaluations, with their points and the reasons given, for their data export."""

from .models import Evaluation


def collect(staff) -> dict[str, list[dict]]:
    evaluations = [
        {
            "cycle": evaluation.cycle.name,
            "state": evaluation.state,
            "task_points": evaluation.task_points,
            "self_general_points": evaluation.self_general_points,
            "general_points": evaluation.general_points,
            "bonus_points": evaluation.bonus_points,
            "adjustment": evaluation.adjustment,
            "adjustment_reason": evaluation.adjustment_reason,
            "score": evaluation.total,
            "level": evaluation.level,
            "grounds": evaluation.ground_reason or evaluation.manual_ground,
            "moved_down_for_quota": evaluation.quota_reason if evaluation.quota_moved else "",
            "self_assessment": evaluation.self_note,
            "reviewer_comment": evaluation.review_note,
        }
        for evaluation in Evaluation.objects.filter(staff=staff).select_related("cycle").order_by("cycle_id")
    ]
    return {"evaluations": evaluations}
