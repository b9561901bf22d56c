"""Writes to plans, inspections, subjects, findings and recommendations: each checks the actor's rights, runs
in one transaction and writes its audit record there. Opening a confidential record writes the access log."""

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_write, changed_values, entry_for, snapshot
from kycuong.core.calendar import today
from kycuong.core.context import actor_label, current_request_id
from kycuong.core.files import check_upload, store_upload
from kycuong.core.scoping import require
from kycuong.core.services import create_audited
from kycuong.org.models import Staff, Unit

from .models import (
    HELD_STATUSES,
    RESULT_RANK,
    ConfidentialAccess,
    EvidenceFile,
    Finding,
    Inspection,
    InspectionKind,
    Plan,
    PlanItem,
    Recommendation,
    RecommendationStatus,
    Status,
    Subject,
    SubjectResult,
)

VIEW = "inspections.view_inspection"
MANAGE = "inspections.manage_inspection"
VIEW_FINDING = "inspections.view_finding"
VIEW_ACCESS_LOG = "inspections.view_confidentialaccess"
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def _check_dates(**dates: datetime.date | None) -> None:
    errors = {
        name: _("Give a date between 2000 and 2100.")
        for name, day in dates.items()
        if day is not None and not EARLIEST <= day <= LATEST
    }
    if errors:
        raise ValidationError(errors)


def _check_kind(kind: InspectionKind, day: datetime.date) -> None:
    if not kind.valid_on(day):
        raise ValidationError(
            {
                "kind": _("The kind “%(kind)s” is not in force on %(date)s.")
                % {"kind": kind.name, "date": f"{day:%d/%m/%Y}"}
            }
        )


def _clean_text(value: str, field: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError({field: _("This field is required.")})
    return value


def _check_visible_people(actor, units: Sequence[Unit], staff: Sequence[Staff]) -> None:
    for unit in units:
        require(actor, "org.view_unit", unit.pk)
    for person in staff:
        require(actor, "org.view_staff", person.unit_id)


# Plans ----------------------------------------------------------------------------------------------------


def plan_create(*, actor, unit: Unit, year: int, number: str, title: str, approved_on: datetime.date) -> Plan:
    require(actor, MANAGE, unit.pk)
    _check_dates(approved_on=approved_on)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Give a year between 2000 and 2100.")})
    plan = Plan(
        unit=unit,
        year=year,
        number=_clean_text(number, "number"),
        title=_clean_text(title, "title"),
        approved_on=approved_on,
        created_by=actor,
    )
    if Plan.objects.filter(unit=unit, year=year, number=plan.number).exists():
        raise ValidationError({"number": _("This body already has a plan with this number for the year.")})
    return create_audited(actor=actor, instance=plan)


def plan_item_add(
    *,
    actor,
    plan: Plan,
    kind: InspectionKind,
    topic: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    subject_units: Sequence[Unit] = (),
    subject_staff: Sequence[Staff] = (),
    team_lead: Staff | None = None,
    team_members: Sequence[Staff] = (),
) -> PlanItem:
    require(actor, MANAGE, plan.unit_id)
    _check_dates(starts_on=starts_on, ends_on=ends_on)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end cannot be before the start.")})
    _check_kind(kind, starts_on)
    _check_visible_people(
        actor, subject_units, [*subject_staff, *([team_lead] if team_lead else []), *team_members]
    )
    item = PlanItem(
        plan=plan,
        kind=kind,
        topic=_clean_text(topic, "topic"),
        starts_on=starts_on,
        ends_on=ends_on,
        team_lead=team_lead,
    )
    with transaction.atomic():
        item.full_clean()
        item.save()
        item.subject_units.set(subject_units)
        item.subject_staff.set(subject_staff)
        item.team_members.set(team_members)
        after = {
            **snapshot(item),
            "subject_unit_ids": sorted(u.pk for u in subject_units),
            "subject_staff_ids": sorted(s.pk for s in subject_staff),
            "team_member_ids": sorted(s.pk for s in team_members),
        }
        audit_write(actor=actor, entries=[entry_for(item, "create", after=after)])
    return item


# Inspections ----------------------------------------------------------------------------------------------


def _subject(inspection: Inspection, *, unit: Unit | None = None, staff: Staff | None = None) -> Subject:
    return Subject(
        inspection=inspection,
        unit=unit,
        staff=staff,
        subject_unit_id=unit.pk if unit else staff.unit_id,
        deciding_unit_id=inspection.deciding_unit_id,
        decided_on=inspection.decision_date,
        kind_id=inspection.kind_id,
        is_supervision=inspection.kind.category == "supervision",
        is_party_member=bool(staff and staff.is_party_member),
    )


def inspection_create(
    *,
    actor,
    topic: str = "",
    kind: InspectionKind | None = None,
    deciding_unit: Unit | None = None,
    plan_item: PlanItem | None = None,
    decision_number: str = "",
    decision_date: datetime.date | None = None,
    covered_from: datetime.date | None = None,
    covered_to: datetime.date | None = None,
    team_lead: Staff | None = None,
    team_members: Sequence[Staff] = (),
    subject_units: Sequence[Unit] = (),
    subject_staff: Sequence[Staff] = (),
) -> Inspection:
    """An inspection or supervision: from a plan item (planned: kind, body, subjects and team come from the
    item unless given), or unannounced (kind and deciding body required). With a decision number and date it
    starts as decided."""
    if plan_item is not None:
        kind = kind or plan_item.kind
        deciding_unit = plan_item.plan.unit
        topic = topic or plan_item.topic
        team_lead = team_lead or plan_item.team_lead
        team_members = team_members or list(plan_item.team_members.all())
        subject_units = subject_units or list(plan_item.subject_units.all())
        subject_staff = subject_staff or list(plan_item.subject_staff.all())
    errors = {}
    if kind is None:
        errors["kind"] = _("Choose a kind.")
    if deciding_unit is None:
        errors["deciding_unit"] = _("Choose the deciding body.")
    if bool(decision_number.strip()) != bool(decision_date):
        errors["decision_number"] = _("Give both the decision number and its date, or neither.")
    if covered_from and covered_to and covered_to < covered_from:
        errors["covered_to"] = _("The end cannot be before the start.")
    if errors:
        raise ValidationError(errors)
    require(actor, MANAGE, deciding_unit.pk)
    _check_dates(decision_date=decision_date, covered_from=covered_from, covered_to=covered_to)
    _check_kind(kind, decision_date or today())
    _check_visible_people(
        actor, subject_units, [*subject_staff, *([team_lead] if team_lead else []), *team_members]
    )
    inspection = Inspection(
        kind=kind,
        plan_item=plan_item,
        planned=plan_item is not None,
        deciding_unit=deciding_unit,
        topic=_clean_text(topic, "topic"),
        decision_number=decision_number.strip(),
        decision_date=decision_date,
        covered_from=covered_from,
        covered_to=covered_to,
        status=Status.DECIDED if decision_date else Status.PLANNED,
        team_lead=team_lead,
        created_by=actor,
    )
    with transaction.atomic():
        inspection.full_clean()
        inspection.save()
        inspection.team_members.set(team_members)
        subjects = [_subject(inspection, unit=u) for u in dict.fromkeys(subject_units)]
        subjects += [_subject(inspection, staff=s) for s in dict.fromkeys(subject_staff)]
        Subject.objects.bulk_create(subjects)
        after = {
            **snapshot(inspection),
            "team_member_ids": sorted(s.pk for s in team_members),
            "subject_unit_ids": sorted(u.pk for u in subject_units),
            "subject_staff_ids": sorted(s.pk for s in subject_staff),
        }
        audit_write(actor=actor, entries=[entry_for(inspection, "create", after=after)])
    return inspection


def _locked(inspection: Inspection) -> Inspection:
    return Inspection.objects.select_for_update().select_related("kind").get(pk=inspection.pk)


def _save(actor, inspection: Inspection, before: dict, event: str) -> Inspection:
    inspection.full_clean()
    inspection.save()
    old, new = changed_values(before, snapshot(inspection))
    audit_write(
        actor=actor, entries=[entry_for(inspection, "update", before=old, after={**new, "event": event})]
    )
    return inspection


def _expect(inspection: Inspection, *statuses: str) -> None:
    if inspection.status not in statuses:
        raise ValidationError(
            _("This cannot be done while the inspection is “%(status)s”.")
            % {"status": inspection.get_status_display()}
        )


def inspection_decide(
    *, actor, inspection: Inspection, decision_number: str, decision_date: datetime.date
) -> Inspection:
    require(actor, MANAGE, inspection.deciding_unit_id)
    _check_dates(decision_date=decision_date)
    number = _clean_text(decision_number, "decision_number")
    with transaction.atomic():
        inspection = _locked(inspection)
        _expect(inspection, Status.PLANNED)
        _check_kind(inspection.kind, decision_date)
        before = snapshot(inspection)
        inspection.decision_number, inspection.decision_date = number, decision_date
        inspection.status = Status.DECIDED
        _save(actor, inspection, before, "decided")
        Subject.objects.filter(inspection=inspection).update(decided_on=decision_date)
    return inspection


def inspection_start(*, actor, inspection: Inspection, started_on: datetime.date | None = None) -> Inspection:
    require(actor, MANAGE, inspection.deciding_unit_id)
    started_on = started_on or today()
    _check_dates(started_on=started_on)
    with transaction.atomic():
        inspection = _locked(inspection)
        _expect(inspection, Status.DECIDED)
        if started_on < inspection.decision_date:
            raise ValidationError({"started_on": _("The work cannot start before the decision.")})
        before = snapshot(inspection)
        inspection.status, inspection.started_on = Status.IN_PROGRESS, started_on
        _save(actor, inspection, before, "started")
    return inspection


def inspection_conclude(
    *,
    actor,
    inspection: Inspection,
    conclusion_number: str,
    conclusion_date: datetime.date,
    summary: str,
    file: UploadedFile | None = None,
) -> Inspection:
    require(actor, MANAGE, inspection.deciding_unit_id)
    _check_dates(conclusion_date=conclusion_date)
    number = _clean_text(conclusion_number, "conclusion_number")
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": _("Write the conclusion.")})
    if file is not None:
        check_upload(file, "file")
    with transaction.atomic():
        inspection = _locked(inspection)
        _expect(inspection, Status.IN_PROGRESS)
        if conclusion_date < inspection.decision_date:
            raise ValidationError(
                {"conclusion_date": _("The conclusion cannot be dated before the decision.")}
            )
        if inspection.subjects.filter(result="").exists():
            raise ValidationError(_("Record a finding for every subject before concluding."))
        before = snapshot(inspection)
        inspection.status = Status.CONCLUDED
        inspection.conclusion_number, inspection.conclusion_date = number, conclusion_date
        inspection.conclusion_summary = summary
        if file is not None:
            inspection.conclusion_file.save(file.name, file, save=False)
        _save(actor, inspection, before, "concluded")
    return inspection


def inspection_close(*, actor, inspection: Inspection, closed_on: datetime.date | None = None) -> Inspection:
    """Close the follow-up: every recommendation carried out or withdrawn."""
    require(actor, MANAGE, inspection.deciding_unit_id)
    closed_on = closed_on or today()
    with transaction.atomic():
        inspection = _locked(inspection)
        _expect(inspection, Status.CONCLUDED)
        if inspection.recommendations.filter(status=RecommendationStatus.OPEN).exists():
            raise ValidationError(_("Some recommendations are still open."))
        before = snapshot(inspection)
        inspection.status, inspection.closed_on = Status.CLOSED, closed_on
        _save(actor, inspection, before, "closed")
    return inspection


def subject_add(
    *, actor, inspection: Inspection, unit: Unit | None = None, staff: Staff | None = None
) -> Subject:
    require(actor, MANAGE, inspection.deciding_unit_id)
    if (unit is None) == (staff is None):
        raise ValidationError({"unit": _("Choose either an organisation or an individual.")})
    _check_visible_people(actor, [unit] if unit else [], [staff] if staff else [])
    if inspection.status in (Status.CONCLUDED, Status.CLOSED):
        raise ValidationError(_("A concluded inspection cannot get new subjects."))
    duplicate = inspection.subjects.filter(unit=unit) if unit else inspection.subjects.filter(staff=staff)
    if duplicate.exists():
        raise ValidationError({"unit": _("This subject is already in the inspection.")})
    subject = _subject(
        Inspection.objects.select_related("kind").get(pk=inspection.pk), unit=unit, staff=staff
    )
    with transaction.atomic():
        subject.save()
        audit_write(actor=actor, entries=[entry_for(subject, "create", after=snapshot(subject))])
    return subject


def _store_file(finding: Finding, upload: UploadedFile, actor) -> EvidenceFile:
    return store_upload(EvidenceFile(finding=finding), upload, actor=actor)


def finding_record(
    *, actor, subject: Subject, result: str, description: str, files: Sequence[UploadedFile] = ()
) -> Finding:
    """A finding about a subject, with evidence; the subject's result becomes the most serious one."""
    require(actor, MANAGE, subject.deciding_unit_id)
    if result not in (SubjectResult.COMPLIANT, SubjectResult.SHORTCOMINGS, SubjectResult.VIOLATION):
        raise ValidationError({"result": _("Choose compliant, shortcomings or violation.")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe the finding.")})
    for upload in files:
        check_upload(upload, "files")
    with transaction.atomic():
        inspection = _locked(subject.inspection)
        _expect(inspection, Status.IN_PROGRESS)
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        finding = Finding.objects.create(
            subject=subject, result=result, description=description, recorded_by=actor
        )
        stored = [_store_file(finding, upload, actor) for upload in files]
        entries = [
            entry_for(finding, "create", after={**snapshot(finding), "files": [f.sha256 for f in stored]})
        ]
        if RESULT_RANK[result] > RESULT_RANK[subject.result]:
            before = snapshot(subject)
            subject.result = result
            subject.save(update_fields=["result"])
            old, new = changed_values(before, snapshot(subject))
            entries.append(entry_for(subject, "update", before=old, after=new))
        audit_write(actor=actor, entries=entries)
    return finding


# Recommendations ------------------------------------------------------------------------------------------


def recommendation_add(
    *, actor, inspection: Inspection, text: str, responsible_unit: Unit, due_date: datetime.date
) -> Recommendation:
    require(actor, MANAGE, inspection.deciding_unit_id)
    require(actor, "org.view_unit", responsible_unit.pk)
    _check_dates(due_date=due_date)
    if inspection.status not in (Status.IN_PROGRESS, Status.CONCLUDED):
        raise ValidationError(_("Recommendations are made while the inspection runs or at its conclusion."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the recommendation.")})
    recommendation = Recommendation(
        inspection=inspection, text=text, responsible_unit=responsible_unit, due_date=due_date
    )
    return create_audited(actor=actor, instance=recommendation)


def recommendation_close(
    *,
    actor,
    recommendation: Recommendation,
    carried_out: bool,
    note: str,
    closed_on: datetime.date | None = None,
) -> Recommendation:
    require(actor, MANAGE, recommendation.inspection.deciding_unit_id)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done.")})
    with transaction.atomic():
        recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        if recommendation.status != RecommendationStatus.OPEN:
            raise ValidationError(_("This recommendation is already closed."))
        before = snapshot(recommendation)
        recommendation.status = RecommendationStatus.DONE if carried_out else RecommendationStatus.CANCELLED
        recommendation.closed_on = closed_on or today()
        recommendation.result_note = note
        recommendation.save()
        old, new = changed_values(before, snapshot(recommendation))
        audit_write(actor=actor, entries=[entry_for(recommendation, "update", before=old, after=new)])
    return recommendation


def recommendation_to_task(*, actor, recommendation: Recommendation):
    """Hand an open recommendation to its responsible unit as a task, due on its deadline."""
    from kycuong.tasks.services import task_assign

    require(actor, MANAGE, recommendation.inspection.deciding_unit_id)
    with transaction.atomic():
        recommendation = (
            Recommendation.objects.select_for_update()
            .select_related("inspection__deciding_unit", "responsible_unit")
            .get(pk=recommendation.pk)
        )
        if recommendation.status != RecommendationStatus.OPEN:
            raise ValidationError(_("This recommendation is already closed."))
        if recommendation.task_id:
            raise ValidationError(_("This recommendation is already a task."))
        inspection = recommendation.inspection
        start = min(today(), recommendation.due_date)
        task = task_assign(
            actor=actor,
            title=" ".join(recommendation.text.split())[:500],
            assigning_unit=inspection.deciding_unit,
            lead_unit=recommendation.responsible_unit,
            start_date=start,
            due_date=recommendation.due_date,
            description=_("Recommendation of “%(topic)s” (decision %(number)s).")
            % {"topic": inspection.topic, "number": inspection.decision_number},
        )
        before = snapshot(recommendation)
        recommendation.task = task
        recommendation.save(update_fields=["task"])
        old, new = changed_values(before, snapshot(recommendation))
        audit_write(actor=actor, entries=[entry_for(recommendation, "update", before=old, after=new)])
    return task


# The access log -------------------------------------------------------------------------------------------


def access_record(*, actor, action: str, instance, subject_unit_id: int) -> ConfidentialAccess:
    """Write who opened a confidential record. Its own transaction: the log stays even if the page fails."""
    if getattr(actor, "pk", None) is None:
        raise PermissionDenied
    with transaction.atomic():
        return ConfidentialAccess.objects.create(
            user=actor,
            user_label=actor_label(actor)[:150],
            action=action,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            object_repr=str(instance)[:255],
            subject_unit_id=subject_unit_id,
            request_id=current_request_id() or "",
        )


__all__ = [
    "HELD_STATUSES",
    "access_record",
    "finding_record",
    "inspection_close",
    "inspection_conclude",
    "inspection_create",
    "inspection_decide",
    "inspection_start",
    "plan_create",
    "plan_item_add",
    "recommendation_add",
    "recommendation_close",
    "recommendation_to_task",
    "subject_add",
]
