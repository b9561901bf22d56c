"""Reads of discipline cases and decisions. Cases are confidential: they are read with `discipline.view_case`
over the subject's unit or the competent body, or by the person the case is about."""

import datetime
from dataclasses import dataclass

from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from kycuong.core.calendar import today
from kycuong.core.scoping import covered_units, restrict
from kycuong.inspections.selectors import READ_SUBTREE, subtree_ids

from .models import OPEN_CASE_STATUSES, Case, CaseStatus, Decision, DisciplineForm, PartyNotice
from .services import VIEW_CASE


def _own_staff_id(actor) -> int | None:
    return getattr(actor, "staff_id", None)


def visible_cases(actor) -> QuerySet[Case]:
    cases = restrict(Case.objects.all(), actor, VIEW_CASE)
    staff_id = _own_staff_id(actor)
    if staff_id is not None:
        cases = cases | Case.objects.filter(staff_id=staff_id)
    return cases


@dataclass(frozen=True)
class CaseFilters:
    unit_id: int | None = None  # competent body, with descendants
    status: str | None = None
    regime: str | None = None
    open_only: bool = False
    overdue: bool = False


def case_list(
    *, actor, filters: CaseFilters = CaseFilters(), day: datetime.date | None = None
) -> QuerySet[Case]:
    cases = visible_cases(actor)
    if filters.unit_id is not None:
        subtree = subtree_ids(filters.unit_id)
        if subtree is not None:
            cases = cases.filter(competent_unit_id__in=subtree)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.regime:
        cases = cases.filter(regime=filters.regime)
    if filters.open_only or filters.overdue:
        cases = cases.filter(status__in=OPEN_CASE_STATUSES)
    if filters.overdue:
        cases = cases.filter(deadline__lt=day or today())
    return cases.select_related("unit", "staff", "competent_unit", "proposed_form").order_by(
        "-opened_on", "-id"
    )


def case_get(*, actor, case_id: int) -> Case:
    """One case the actor may open (404 otherwise, like a missing one). The caller logs the access."""
    try:
        return (
            visible_cases(actor)
            .select_related(
                "unit",
                "staff",
                "competent_unit",
                "subject_unit",
                "proposed_form",
                "finding__subject__inspection",
            )
            .prefetch_related("steps__actor")
            .get(pk=case_id)
        )
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise Http404(_("Not found.")) from error


def case_decision(case: Case) -> Decision | None:
    return (
        Decision.objects.filter(case=case)
        .select_related("form")
        .prefetch_related("appeals")
        .select_related("party_notice__party_unit")
        .first()
    )


def forms_in_force(*, regime: str | None = None, day: datetime.date | None = None) -> list[DisciplineForm]:
    forms = DisciplineForm.objects.all()
    if regime:
        forms = forms.filter(regime=regime)
    return [form for form in forms if day is None or form.valid_on(day)]


def notice_list(*, actor, pending_only: bool = True) -> QuerySet[PartyNotice]:
    notices = restrict(PartyNotice.objects.all(), actor, VIEW_CASE)
    if pending_only:
        notices = notices.filter(notified_on__isnull=True)
    return notices.select_related(
        "decision__form", "decision__staff", "decision__case", "party_unit"
    ).order_by("due_on", "id")


def notice_get(*, actor, notice_id: int) -> PartyNotice:
    try:
        return restrict(PartyNotice.objects.select_related("decision"), actor, VIEW_CASE).get(pk=notice_id)
    except (PartyNotice.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise Http404 from error


# Statistics -----------------------------------------------------------------------------------------------


def _decisions(
    unit_id: int, start: datetime.date, end: datetime.date, subtree=READ_SUBTREE
) -> QuerySet[Decision]:
    rows = Decision.objects.filter(annulled=False, effective_from__gte=start, effective_from__lte=end)
    if subtree is READ_SUBTREE:
        subtree = subtree_ids(unit_id)
    if subtree is not None:
        rows = rows.filter(competent_unit_id__in=subtree)
    return rows


@dataclass
class FormRow:
    form: DisciplineForm
    orgs: int
    people: int


@dataclass
class DisciplineFigures:
    orgs: int  # distinct organisations disciplined (any form, Party or administrative)
    people: int  # distinct individuals: one person with a Party and an administrative decision counts once
    party_people: int  # Party members among them
    people_by_party: int
    people_administratively: int
    decisions: int
    by_form: list[FormRow]

    @property
    def total(self) -> int:
        return self.orgs + self.people


def _flag(condition: Q) -> Max:
    return Max(CaseWhen(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def discipline_figures(
    *, unit_id: int, start: datetime.date, end: datetime.date, subtree=READ_SUBTREE
) -> DisciplineFigures:
    """Decisions taking effect in the period, by the competent bodies of the unit's subtree (`subtree_ids`,
    read unless given); annulled decisions are left out."""
    rows = _decisions(unit_id, start, end, subtree)
    groups = rows.values("unit_id", "staff_id").annotate(
        by_party=_flag(Q(is_party=True)),
        administratively=_flag(Q(is_party=False)),
        party_member=_flag(Q(staff__is_party_member=True)),
        decision_count=Count("id"),
    )
    person = Q(staff_id__isnull=False)
    totals = groups.aggregate(
        orgs=Count("unit_id"),
        people=Count("staff_id"),
        party_people=Count("staff_id", filter=person & Q(party_member=1)),
        people_by_party=Count("staff_id", filter=person & Q(by_party=1)),
        people_administratively=Count("staff_id", filter=person & Q(administratively=1)),
        decisions=Sum("decision_count"),
    )
    totals = {key: value or 0 for key, value in totals.items()}
    per_form = {
        row["form_id"]: row
        for row in rows.values("form_id")
        .annotate(orgs=Count("unit_id", distinct=True), people=Count("staff_id", distinct=True))
        .order_by()
    }
    forms = DisciplineForm.objects.filter(pk__in=per_form).order_by("regime", "level", "valid_from")
    by_form = [FormRow(form, per_form[form.pk]["orgs"], per_form[form.pk]["people"]) for form in forms]
    return DisciplineFigures(by_form=by_form, **totals)


@dataclass(frozen=True)
class DisciplinedFilters:
    unit_id: int
    start: datetime.date
    end: datetime.date
    individuals: bool = True
    form_id: int | None = None
    party: bool = False
    regime_party: bool | None = None


def distinct_disciplined(*, actor, filters: DisciplinedFilters) -> list[dict]:
    """The distinct organisations or individuals behind a figure, each with the decisions behind it. Only the
    subjects the actor may open are listed."""
    rows = restrict(_decisions(filters.unit_id, filters.start, filters.end), actor, VIEW_CASE)
    if filters.form_id:
        rows = rows.filter(form_id=filters.form_id)
    if filters.party:
        rows = rows.filter(staff__is_party_member=True)
    if filters.regime_party is not None:
        rows = rows.filter(is_party=filters.regime_party)
    key = "staff_id" if filters.individuals else "unit_id"
    rows = rows.filter(**{f"{key}__isnull": False}).select_related("form", "staff__unit", "unit", "case")
    grouped: dict[int, dict] = {}
    for decision in rows.order_by("effective_from", "id")[:5000]:
        subject = decision.staff if filters.individuals else decision.unit
        entry = grouped.setdefault(getattr(decision, key), {"subject": subject, "decisions": []})
        entry["decisions"].append(decision)
    return sorted(grouped.values(), key=lambda entry: str(entry["subject"]))


def disciplined_in_period(
    *,
    staff_ids=None,
    unit_ids=None,
    start: datetime.date,
    end: datetime.date,
) -> dict[tuple[str, int], str]:
    """For each person or organisation with a discipline decision taking effect in [start, end] (annulled
    ones left out), a short reason: the form, the decision number and date. No actor: callers (evaluations)
    apply their own scope; the reason names no violation."""
    rows = Decision.objects.filter(annulled=False, effective_from__gte=start, effective_from__lte=end)
    condition = Q()
    if staff_ids is not None:
        condition |= Q(staff_id__in=list(staff_ids))
    if unit_ids is not None:
        condition |= Q(unit_id__in=list(unit_ids))
    if staff_ids is not None or unit_ids is not None:
        rows = rows.filter(condition)
    reasons: dict[tuple[str, int], list[str]] = {}
    for decision in rows.select_related("form").order_by("effective_from", "id"):
        key = ("staff", decision.staff_id) if decision.staff_id else ("unit", decision.unit_id)
        reasons.setdefault(key, []).append(
            _("%(form)s, decision %(number)s of %(date)s")
            % {
                "form": decision.form.display_name,
                "number": decision.number,
                "date": f"{decision.signed_on:%d/%m/%Y}",
            }
        )
    return {key: "; ".join(items) for key, items in reasons.items()}


def open_case_counts(*, actor) -> dict[str, int]:
    cases = visible_cases(actor).filter(status__in=OPEN_CASE_STATUSES)
    return cases.aggregate(open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=today())))


def can_view_any(actor) -> bool:
    units = covered_units(actor, VIEW_CASE)
    return units is None or bool(units) or _own_staff_id(actor) is not None


__all__ = ["CaseStatus"]
