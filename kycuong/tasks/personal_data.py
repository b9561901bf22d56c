"""Tasks a person is responsible for and the progress reports they wrote, for their data export."""

from .models import ProgressReport, Task


def collect(staff) -> dict[str, list[dict]]:
    responsible = [
        {
            "id": task.pk,
            "title": task.title,
            "lead_unit": task.lead_unit.display_name,
            "state": task.state,
            "due": task.due_date,
            "closed": task.closed_on,
            "working_days_late": task.late_working_days,
            "sent_back_for_rework": task.rework_count,
        }
        for task in Task.objects.filter(responsible=staff)
        .select_related("lead_unit")
        .order_by("due_date", "id")
    ]
    user = getattr(staff, "user", None)
    reports = []
    if user is not None:
        reports = [
            {
                "task": report.task_id,
                "date": report.reported_on,
                "percent": report.percent,
                "text": report.text,
            }
            for report in ProgressReport.objects.filter(reported_by=user).order_by("reported_on", "id")
        ]
    return {"tasks_responsible": responsible, "progress_reports": reports}
