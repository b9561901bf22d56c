"""Discipline cases about a person and their decisions, for their data export."""

from .models import Case


def collect(staff) -> dict[str, list[dict]]:
    cases = []
    for case in Case.objects.filter(staff=staff).select_related("decision__form").order_by("opened_on", "id"):
        decision = getattr(case, "decision", None)
        cases.append(
            {
                "violation": case.violation,
                "committed_on": case.committed_on,
                "severity": case.severity,
                "opened_on": case.opened_on,
                "closed_on": case.closed_on,
                "decision": None
                if decision is None
                else {
                    "form": decision.form.name,
                    "number": decision.number,
                    "signed_on": decision.signed_on,
                    "effective_from": decision.effective_from,
                    "effective_to": decision.effective_to,
                },
            }
        )
    return {"discipline_cases": cases}
