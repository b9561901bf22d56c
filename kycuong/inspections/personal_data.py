"""Inspections and supervisions a person was a subject of, with the findings about them, for their data
export (the person may read what was found about them)."""

from .models import Finding, Subject


def collect(staff) -> dict[str, list[dict]]:
    subjects = Subject.objects.filter(staff=staff).select_related("inspection").order_by("inspection_id")
    inspected = [
        {
            "inspection": subject.inspection.topic,
            "decision_number": subject.inspection.decision_number,
            "decision_date": subject.inspection.decision_date,
            "result": subject.result,
        }
        for subject in subjects
    ]
    findings = [
        {
            "inspection": finding.subject.inspection.topic,
            "result": finding.result,
            "description": finding.description,
        }
        for finding in Finding.objects.filter(subject__staff=staff).select_related("subject__inspection")
    ]
    return {"inspected_as_subject": inspected, "findings_about_them": findings}
