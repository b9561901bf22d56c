"""Writes to discipline cases: open (with the limitation check), propose, extend, decide, drop, appeals, and
the notice owed to a Party organisation. Each checks the actor's rights and writes its audit record in the
same transaction."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_write, changed_values, entry_for, snapshot
from kycuong.core.calendar import add_working_days, today
from kycuong.core.concurrency import check_version
from kycuong.core.scoping import require
from kycuong.inspections.models import Finding, SubjectResult
from kycuong.org.models import PARTY_KINDS, Post, PostRole, Staff, StaffCategory, Unit

from .models import (
    PARTY_REGIMES,
    Appeal,
    AppealOutcome,
    Case,
    CaseStatus,
    CaseStep,
    Decision,
    DisciplineForm,
    PartyNotice,
    Regime,
    Severity,
)

VIEW_CASE = "discipline.view_case"
HANDLE_CASE = "discipline.handle_case"
# Decree 172/2025 (art. on handling time, as Decree 112/2020 before it) counts calendar days, not working
# days: 90 days from the decision to handle, extendable to 150 for complex cases.
HANDLING_DAYS = 90
EXTENDED_HANDLING_DAYS = 150
# An agency that disciplines a Party member notifies the member's Party organisation within 5 working days.
PARTY_NOTICE_WORKING_DAYS = 5
EARLIEST = datetime.date(1990, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def _check_dates(**dates) -> None:
    errors = {
        name: _("Give a date between 1990 and 2100.")
        for name, day in dates.items()
        if day is not None and not EARLIEST <= day <= LATEST
    }
    if errors:
        raise ValidationError(errors)


def _dmy(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def forms_for(regime: str, day: datetime.date):
    return [form for form in DisciplineForm.objects.filter(regime=regime) if form.valid_on(day)]


def limitation_warning(*, regime: str, committed_on: datetime.date, on: datetime.date, form=None) -> str:
    """'' when discipline is still possible; otherwise a sentence saying which limitation period ended."""
    if form is not None:
        ends = form.limitation_ends(committed_on)
        if ends is not None and on > ends:
            return _(
                "The limitation period of %(years)s years for “%(form)s” ended on %(date)s: this form can no "
                "longer be applied."
            ) % {"years": form.limitation_years, "form": form.name, "date": _dmy(ends)}
        return ""
    forms = forms_for(regime, on)
    limited = [f for f in forms if f.limitation_years is not None]
    if not limited:
        return ""
    longest = max(limited, key=lambda f: f.limitation_years)
    shortest = min(limited, key=lambda f: f.limitation_years)
    if on > longest.limitation_ends(committed_on):
        if any(f.limitation_years is None for f in forms):
            return _(
                "The limitation periods of %(years)s years ended on %(date)s: only a violation at the level "
                "of expulsion can still be disciplined."
            ) % {"years": longest.limitation_years, "date": _dmy(longest.limitation_ends(committed_on))}
        return _(
            "The limitation period of %(years)s years ended on %(date)s: this violation can no longer be "
            "disciplined."
        ) % {"years": longest.limitation_years, "date": _dmy(longest.limitation_ends(committed_on))}
    if on > shortest.limitation_ends(committed_on):
        return _(
            "The limitation period of %(years)s years for reprimand-level violations ended on %(date)s: only "
            "heavier forms remain."
        ) % {"years": shortest.limitation_years, "date": _dmy(shortest.limitation_ends(committed_on))}
    return ""


def _check_subject(regime: str, unit: Unit | None, staff: Staff | None) -> None:
    if (unit is None) == (staff is None):
        raise ValidationError({"unit": _("Choose either an organisation or an individual.")})
    if unit is not None:
        if regime != Regime.PARTY_ORGANISATION:
            raise ValidationError({"regime": _("An organisation is disciplined as a Party organisation.")})
        if unit.kind not in PARTY_KINDS:
            raise ValidationError({"unit": _("Only Party organisations are disciplined as organisations.")})
        return
    if regime == Regime.PARTY_ORGANISATION:
        raise ValidationError({"regime": _("A person cannot be disciplined as a Party organisation.")})
    if regime == Regime.PARTY_MEMBER and not staff.is_party_member:
        raise ValidationError({"regime": _("This person is not a Party member.")})
    if regime == Regime.CADRE and staff.category != StaffCategory.CADRE:
        raise ValidationError({"regime": _("This person is not a cadre.")})


def case_open(
    *,
    actor,
    regime: str,
    competent_unit: Unit,
    violation: str,
    committed_on: datetime.date,
    severity: str,
    unit: Unit | None = None,
    staff: Staff | None = None,
    finding: Finding | None = None,
    proposed_form: DisciplineForm | None = None,
    opened_on: datetime.date | None = None,
) -> Case:
    """Open a case (the review step). The limitation period is checked now: a case past it still opens, with
    the warning recorded on it, so that the competent body can see why it will be dropped."""
    opened_on = opened_on or today()
    require(actor, HANDLE_CASE, competent_unit.pk)
    if regime not in Regime.values:
        raise ValidationError({"regime": _("Choose who the rules apply to.")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Choose the severity.")})
    if finding is not None:
        unit = unit or finding.subject.unit
        staff = staff or finding.subject.staff
        if finding.result != SubjectResult.VIOLATION:
            raise ValidationError({"finding": _("Only a finding of violation opens a discipline case.")})
        if (finding.subject.unit_id, finding.subject.staff_id) != (
            getattr(unit, "pk", None),
            getattr(staff, "pk", None),
        ):
            raise ValidationError({"finding": _("The finding is about someone else.")})
    _check_subject(regime, unit, staff)
    require(actor, "org.view_unit" if unit else "org.view_staff", unit.pk if unit else staff.unit_id)
    _check_dates(committed_on=committed_on, opened_on=opened_on)
    if committed_on > opened_on:
        raise ValidationError({"committed_on": _("The violation cannot be after the opening of the case.")})
    violation = (violation or "").strip()
    if not violation:
        raise ValidationError({"violation": _("Describe the violation.")})
    if proposed_form is not None and proposed_form.regime != regime:
        raise ValidationError({"proposed_form": _("This form does not apply to this subject.")})
    case = Case(
        regime=regime,
        unit=unit,
        staff=staff,
        subject_unit_id=unit.pk if unit else staff.unit_id,
        competent_unit=competent_unit,
        finding=finding,
        violation=violation,
        committed_on=committed_on,
        severity=severity,
        proposed_form=proposed_form,
        opened_on=opened_on,
        deadline=opened_on + datetime.timedelta(days=HANDLING_DAYS),
        limitation_warning=limitation_warning(
            regime=regime, committed_on=committed_on, on=opened_on, form=proposed_form
        ),
        created_by=actor,
    )
    with transaction.atomic():
        case.full_clean()
        case.save()
        CaseStep.objects.create(
            case=case, kind=CaseStep.Kind.OPENED, on=opened_on, actor=actor, note=case.limitation_warning
        )
        audit_write(actor=actor, entries=[entry_for(case, "create", after=snapshot(case))])
    return case


def _locked(case: Case) -> Case:
    current = Case.objects.select_for_update(of=("self",)).select_related("staff", "unit").get(pk=case.pk)
    check_version(current, case)
    return current


def _save(actor, case: Case, before: dict, step: str, on: datetime.date, note: str = "") -> Case:
    case.version += 1
    case.full_clean()
    case.save()
    CaseStep.objects.create(case=case, kind=step, on=on, actor=actor, note=note)
    old, new = changed_values(before, snapshot(case))
    audit_write(
        actor=actor,
        entries=[entry_for(case, "update", before=old, after={**new, "step": step, "note": note})],
    )
    return case


def _expect_open(case: Case) -> None:
    if not case.is_open:
        raise ValidationError(_("This case is closed."))


def case_propose(
    *, actor, case: Case, form: DisciplineForm, note: str, on: datetime.date | None = None
) -> Case:
    require(actor, HANDLE_CASE, case.competent_unit_id)
    on = on or today()
    with transaction.atomic():
        case = _locked(case)
        _expect_open(case)
        if form.regime != case.regime:
            raise ValidationError({"form": _("This form does not apply to this subject.")})
        before = snapshot(case)
        case.status, case.proposed_form = CaseStatus.PROPOSAL, form
        case.limitation_warning = limitation_warning(
            regime=case.regime, committed_on=case.committed_on, on=on, form=form
        )
        _save(actor, case, before, CaseStep.Kind.PROPOSAL, on, (note or "").strip())
    return case


def case_extend(*, actor, case: Case, reason: str, on: datetime.date | None = None) -> Case:
    """Extend the handling time to 150 days from the opening (once, for a complex case)."""
    require(actor, HANDLE_CASE, case.competent_unit_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        case = _locked(case)
        _expect_open(case)
        if case.extended:
            raise ValidationError(
                _("The handling time can be extended only once, to %(days)s days.")
                % {"days": EXTENDED_HANDLING_DAYS}
            )
        before = snapshot(case)
        case.extended = True
        case.deadline = case.opened_on + datetime.timedelta(days=EXTENDED_HANDLING_DAYS)
        _save(actor, case, before, CaseStep.Kind.EXTENDED, on or today(), reason)
    return case


def _holds_post(staff: Staff, day: datetime.date) -> bool:
    return Post.objects.current(day).filter(staff=staff, role__in=[PostRole.HEAD, PostRole.DEPUTY]).exists()


def case_decide(
    *,
    actor,
    case: Case,
    form: DisciplineForm,
    number: str,
    signed_on: datetime.date,
    effective_from: datetime.date | None = None,
    note: str = "",
) -> Decision:
    """Decide the case with a form of discipline. The form must apply to the subject, be in force when the
    decision is signed (or when the case opened, for cases opened under the previous rules), and its
    limitation period must not have ended."""
    require(actor, HANDLE_CASE, case.competent_unit_id)
    number = " ".join((number or "").split())
    if not number:
        raise ValidationError({"number": _("Give the decision number.")})
    effective_from = effective_from or signed_on
    _check_dates(signed_on=signed_on, effective_from=effective_from)
    if effective_from < signed_on:
        raise ValidationError({"effective_from": _("A decision cannot take effect before it is signed.")})
    with transaction.atomic():
        case = _locked(case)
        _expect_open(case)
        errors = {}
        if form.regime != case.regime:
            errors["form"] = _("This form does not apply to this subject.")
        elif not (form.valid_on(signed_on) or form.valid_on(case.opened_on)):
            errors["form"] = _("This form is not in force on %(date)s.") % {"date": _dmy(signed_on)}
        elif form.managers_only and not (case.staff and _holds_post(case.staff, signed_on)):
            errors["form"] = _("This form applies only to someone who holds a managing post.")
        if signed_on < case.opened_on:
            errors["signed_on"] = _("The decision cannot be signed before the case was opened.")
        if errors:
            raise ValidationError(errors)
        expired = limitation_warning(
            regime=case.regime, committed_on=case.committed_on, on=signed_on, form=form
        )
        if expired:
            raise ValidationError({"form": expired})
        effective_to = None
        if form.effect_months:
            month = effective_from.month - 1 + form.effect_months
            year = effective_from.year + month // 12
            try:
                effective_to = effective_from.replace(year=year, month=month % 12 + 1) - datetime.timedelta(
                    days=1
                )
            except ValueError:
                effective_to = datetime.date(year, month % 12 + 1, 28)
        decision = Decision(
            case=case,
            form=form,
            number=number,
            signed_on=signed_on,
            effective_from=effective_from,
            effective_to=effective_to,
            unit=case.unit,
            staff=case.staff,
            subject_unit_id=case.subject_unit_id,
            competent_unit_id=case.competent_unit_id,
            is_party=case.regime in PARTY_REGIMES,
        )
        decision.full_clean()
        decision.save()
        before = snapshot(case)
        case.status, case.closed_on = CaseStatus.DECIDED, signed_on
        _save(actor, case, before, CaseStep.Kind.DECISION, signed_on, (note or "").strip())
        entries = [entry_for(decision, "create", after=snapshot(decision))]
        notice = _party_notice(decision, case)
        if notice is not None:
            entries.append(entry_for(notice, "create", after=snapshot(notice)))
        audit_write(actor=actor, entries=entries)
    return decision


def _party_notice(decision: Decision, case: Case) -> PartyNotice | None:
    """An administrative decision about a Party member: their Party organisation is owed a notice."""
    staff = case.staff
    if decision.is_party or staff is None or not staff.is_party_member or staff.party_unit_id is None:
        return None
    return PartyNotice.objects.create(
        decision=decision,
        party_unit_id=staff.party_unit_id,
        due_on=add_working_days(decision.signed_on, PARTY_NOTICE_WORKING_DAYS),
    )


def case_drop(*, actor, case: Case, reason: str, on: datetime.date | None = None) -> Case:
    """Close the case without discipline (no violation confirmed, or the limitation period has ended)."""
    require(actor, HANDLE_CASE, case.competent_unit_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    on = on or today()
    with transaction.atomic():
        case = _locked(case)
        _expect_open(case)
        before = snapshot(case)
        case.status, case.closed_on = CaseStatus.DROPPED, on
        _save(actor, case, before, CaseStep.Kind.DROPPED, on, reason)
    return case


def appeal_lodge(*, actor, decision: Decision, lodged_on: datetime.date, grounds: str) -> Appeal:
    require(actor, HANDLE_CASE, decision.competent_unit_id)
    grounds = (grounds or "").strip()
    if not grounds:
        raise ValidationError({"grounds": _("Give the grounds of the appeal.")})
    _check_dates(lodged_on=lodged_on)
    if lodged_on < decision.signed_on:
        raise ValidationError({"lodged_on": _("An appeal cannot be lodged before the decision.")})
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if decision.annulled:
            raise ValidationError(_("This decision has been annulled."))
        if decision.appeals.filter(outcome=AppealOutcome.PENDING).exists():
            raise ValidationError(_("An appeal against this decision is already pending."))
        appeal = Appeal.objects.create(decision=decision, lodged_on=lodged_on, grounds=grounds)
        CaseStep.objects.create(
            case_id=decision.case_id, kind=CaseStep.Kind.APPEAL, on=lodged_on, actor=actor, note=grounds
        )
        audit_write(actor=actor, entries=[entry_for(appeal, "create", after=snapshot(appeal))])
    return appeal


def appeal_decide(
    *, actor, appeal: Appeal, upheld: bool, decided_on: datetime.date, note: str = ""
) -> Appeal:
    require(actor, HANDLE_CASE, appeal.decision.competent_unit_id)
    _check_dates(decided_on=decided_on)
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("decision").get(pk=appeal.pk)
        if appeal.outcome != AppealOutcome.PENDING:
            raise ValidationError(_("This appeal has been decided."))
        if decided_on < appeal.lodged_on:
            raise ValidationError({"decided_on": _("The outcome cannot be before the appeal.")})
        before = snapshot(appeal)
        appeal.outcome = AppealOutcome.UPHELD if upheld else AppealOutcome.ANNULLED
        appeal.decided_on, appeal.outcome_note = decided_on, (note or "").strip()
        appeal.save()
        old, new = changed_values(before, snapshot(appeal))
        entries = [entry_for(appeal, "update", before=old, after=new)]
        if not upheld:
            decision = appeal.decision
            decision_before = snapshot(decision)
            decision.annulled = True
            decision.save(update_fields=["annulled"])
            old, new = changed_values(decision_before, snapshot(decision))
            entries.append(entry_for(decision, "update", before=old, after=new))
        CaseStep.objects.create(
            case_id=appeal.decision.case_id,
            kind=CaseStep.Kind.APPEAL_OUTCOME,
            on=decided_on,
            actor=actor,
            note=f"{appeal.get_outcome_display()}. {appeal.outcome_note}".strip(),
        )
        audit_write(actor=actor, entries=entries)
    return appeal


def notice_record(
    *, actor, notice: PartyNotice, notified_on: datetime.date, reference: str = ""
) -> PartyNotice:
    require(actor, HANDLE_CASE, notice.decision.competent_unit_id)
    _check_dates(notified_on=notified_on)
    with transaction.atomic():
        notice = PartyNotice.objects.select_for_update().select_related("decision").get(pk=notice.pk)
        if notice.notified_on is not None:
            raise ValidationError(_("The Party organisation has already been notified."))
        if notified_on < notice.decision.signed_on:
            raise ValidationError({"notified_on": _("The notice cannot be before the decision.")})
        before = snapshot(notice)
        notice.notified_on, notice.reference = notified_on, (reference or "").strip()[:100]
        notice.save()
        old, new = changed_values(before, snapshot(notice))
        audit_write(actor=actor, entries=[entry_for(notice, "update", before=old, after=new)])
    return notice
