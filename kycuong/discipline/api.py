"""API of discipline cases, decisions, appeals, Party notices, forms and the combined statistics. Opening a
case writes the access log."""

import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, paginate
from kycuong.inspections import selectors as inspection_selectors
from kycuong.inspections.services import access_record
from kycuong.org.selectors import staff_get, unit_get

from . import selectors, services
from .models import Appeal, AppealOutcome, CaseStatus, Decision, DisciplineForm, Regime, Severity

router = Router(tags=["discipline"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]


class FormOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    regime: Regime
    legal_basis: str
    level: int
    limitation_years: int | None
    effect_months: int | None
    managers_only: bool
    valid_from: datetime.date | None
    valid_to: datetime.date | None


class CaseOut(Schema):
    id: int
    regime: Regime
    unit_id: int | None
    staff_id: int | None
    subject: str
    competent_unit_id: int
    severity: Severity
    status: CaseStatus
    opened_on: datetime.date
    deadline: datetime.date
    extended: bool
    limitation_warning: str

    @staticmethod
    def resolve_subject(obj) -> str:
        return str(obj.staff or obj.unit)


class CaseStepOut(Schema):
    kind: str
    on: datetime.date
    note: str


class AppealOut(Schema):
    id: int
    lodged_on: datetime.date
    grounds: str
    outcome: AppealOutcome
    decided_on: datetime.date | None
    outcome_note: str


class DecisionOut(Schema):
    id: int
    form_id: int
    form: str
    number: str
    signed_on: datetime.date
    effective_from: datetime.date
    effective_to: datetime.date | None
    annulled: bool
    appeals: list[AppealOut]

    @staticmethod
    def resolve_form(obj) -> str:
        return obj.form.name

    @staticmethod
    def resolve_appeals(obj) -> list:
        return list(obj.appeals.all())


class CaseDetail(CaseOut):
    violation: str
    committed_on: datetime.date
    finding_id: int | None
    proposed_form_id: int | None
    closed_on: datetime.date | None
    steps: list[CaseStepOut]
    decision: DecisionOut | None

    @staticmethod
    def resolve_steps(obj) -> list:
        return list(obj.steps.all())

    @staticmethod
    def resolve_decision(obj):
        return getattr(obj, "decision_row", None)


class CasePage(Page):
    items: list[CaseOut]


class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    regime: Regime
    competent_unit_id: int
    unit_id: int | None = None
    staff_id: int | None = None
    finding_id: int | None = None
    violation: str = Field(..., min_length=1)
    committed_on: datetime.date
    severity: Severity
    proposed_form_id: int | None = None
    opened_on: datetime.date | None = None


class ProposeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    form_id: int
    note: str = ""
    on: datetime.date | None = None


class CaseReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1)
    on: datetime.date | None = None


class CaseDecideIn(Schema):
    model_config = ConfigDict(extra="forbid")
    form_id: int
    number: str = Field(..., min_length=1, max_length=60)
    signed_on: datetime.date
    effective_from: datetime.date | None = None
    note: str = ""


class AppealIn(Schema):
    model_config = ConfigDict(extra="forbid")
    lodged_on: datetime.date
    grounds: str = Field(..., min_length=1)


class AppealDecideIn(Schema):
    model_config = ConfigDict(extra="forbid")
    upheld: bool
    decided_on: datetime.date
    note: str = ""


class NoticeOut(Schema):
    id: int
    decision_id: int
    party_unit_id: int
    due_on: datetime.date
    notified_on: datetime.date | None
    reference: str


class NoticePage(Page):
    items: list[NoticeOut]


class NotifiedIn(Schema):
    model_config = ConfigDict(extra="forbid")
    notified_on: datetime.date
    reference: str = Field("", max_length=100)


class FormFigure(Schema):
    form_id: int
    form: str
    legal_basis: str
    organisations: int
    individuals: int


class DisciplineStatisticsOut(Schema):
    unit_id: int
    start: datetime.date
    end: datetime.date
    inspections: int
    planned: int
    unannounced: int
    supervisions: int
    organisations_inspected: int
    individuals_inspected: int
    organisations_violating: int
    individuals_violating: int
    organisations_disciplined: int
    individuals_disciplined: int
    party_members_disciplined: int
    by_form: list[FormFigure]


def _form(form_id: int | None, field: str = "form_id") -> DisciplineForm | None:
    if form_id is None:
        return None
    form = DisciplineForm.objects.filter(pk=form_id).first()
    if form is None:
        raise ValidationError({field: _("Choose one of the allowed values.")})
    return form


def _case(request, case_id: int, *, log: bool = False):
    case = selectors.case_get(actor=request.user, case_id=case_id)
    if log:
        access_record(actor=request.user, action="view", instance=case, subject_unit_id=case.subject_unit_id)
    case.decision_row = selectors.case_decision(case)
    return case


def _case_out(case):
    return case


@router.get("/discipline/forms", response={200: list[FormOut], **LIST_ERRORS}, summary="Forms of discipline")
def list_forms(request, regime: Regime | None = None, on: datetime.date | None = None):
    return selectors.forms_in_force(regime=regime, day=on)


@router.get("/discipline/cases", response={200: CasePage, **LIST_ERRORS}, summary="Discipline cases")
def list_cases(
    request,
    unit_id: int | None = None,
    status: CaseStatus | None = None,
    overdue: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
):
    filters = selectors.CaseFilters(unit_id=unit_id, status=status, overdue=overdue)
    items, page = paginate(
        selectors.case_list(actor=request.user, filters=filters), limit=limit, offset=offset
    )
    return {**page, "items": items}


@router.post("/discipline/cases", response={201: CaseDetail, **WRITE_ERRORS}, summary="Open a case")
def open_case(request, payload: CaseIn):
    finding = None
    if payload.finding_id is not None:
        from kycuong.inspections.models import Finding

        row = Finding.objects.filter(pk=payload.finding_id).first()
        if row is None:
            raise ValidationError({"finding_id": _("Choose one of the allowed values.")})
        inspection_selectors.subject_get(actor=request.user, subject_id=row.subject_id)
        finding = row
    case = services.case_open(
        actor=request.user,
        regime=payload.regime,
        competent_unit=unit_get(actor=request.user, unit_id=payload.competent_unit_id),
        unit=unit_get(actor=request.user, unit_id=payload.unit_id) if payload.unit_id else None,
        staff=staff_get(actor=request.user, staff_id=payload.staff_id) if payload.staff_id else None,
        finding=finding,
        violation=payload.violation,
        committed_on=payload.committed_on,
        severity=payload.severity,
        proposed_form=_form(payload.proposed_form_id, "proposed_form_id"),
        opened_on=payload.opened_on,
    )
    return Status(201, _case_out(_case(request, case.pk)))


@router.get("/discipline/cases/{int:case_id}", response={200: CaseDetail, **READ_ERRORS}, summary="A case")
def get_case(request, case_id: int):
    return _case_out(_case(request, case_id, log=True))


@router.post(
    "/discipline/cases/{int:case_id}/propose", response={200: CaseDetail, **WRITE_ERRORS}, summary="Propose"
)
def propose(request, case_id: int, payload: ProposeIn):
    case = _case(request, case_id)
    services.case_propose(
        actor=request.user, case=case, form=_form(payload.form_id), note=payload.note, on=payload.on
    )
    return _case_out(_case(request, case_id))


@router.post(
    "/discipline/cases/{int:case_id}/extend",
    response={200: CaseDetail, **WRITE_ERRORS},
    summary="Extend the handling time",
)
def extend(request, case_id: int, payload: CaseReasonIn):
    case = _case(request, case_id)
    services.case_extend(actor=request.user, case=case, reason=payload.reason, on=payload.on)
    return _case_out(_case(request, case_id))


@router.post(
    "/discipline/cases/{int:case_id}/drop",
    response={200: CaseDetail, **WRITE_ERRORS},
    summary="Close without discipline",
)
def drop(request, case_id: int, payload: CaseReasonIn):
    case = _case(request, case_id)
    services.case_drop(actor=request.user, case=case, reason=payload.reason, on=payload.on)
    return _case_out(_case(request, case_id))


@router.post(
    "/discipline/cases/{int:case_id}/decide", response={200: CaseDetail, **WRITE_ERRORS}, summary="Decide"
)
def decide(request, case_id: int, payload: CaseDecideIn):
    case = _case(request, case_id)
    data = payload.dict()
    data["form"] = _form(data.pop("form_id"))
    services.case_decide(actor=request.user, case=case, **data)
    return _case_out(_case(request, case_id))


def _decision(request, decision_id: int) -> Decision:
    decision = Decision.objects.filter(pk=decision_id).only("case_id").first()
    if decision is None:
        from django.http import Http404

        raise Http404
    return _case(request, decision.case_id).decision_row


@router.post(
    "/discipline/decisions/{int:decision_id}/appeals",
    response={201: AppealOut, **WRITE_ERRORS},
    summary="Lodge an appeal",
)
def lodge_appeal(request, decision_id: int, payload: AppealIn):
    decision = _decision(request, decision_id)
    return Status(201, services.appeal_lodge(actor=request.user, decision=decision, **payload.dict()))


@router.post(
    "/discipline/appeals/{int:appeal_id}/decide",
    response={200: AppealOut, **WRITE_ERRORS},
    summary="Decide an appeal",
)
def decide_appeal(request, appeal_id: int, payload: AppealDecideIn):
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None:
        from django.http import Http404

        raise Http404
    _decision(request, appeal.decision_id)
    return services.appeal_decide(actor=request.user, appeal=appeal, **payload.dict())


@router.get(
    "/discipline/notices",
    response={200: NoticePage, **LIST_ERRORS},
    summary="Notices owed to Party organisations",
)
def list_notices(request, pending_only: bool = True, limit: Limit = 50, offset: Offset = 0):
    rows = selectors.notice_list(actor=request.user, pending_only=pending_only)
    items, page = paginate(rows, limit=limit, offset=offset)
    return {**page, "items": items}


@router.post(
    "/discipline/notices/{int:notice_id}/notified",
    response={200: NoticeOut, **WRITE_ERRORS},
    summary="Record the notice",
)
def notified(request, notice_id: int, payload: NotifiedIn):
    notice = selectors.notice_get(actor=request.user, notice_id=notice_id)
    return services.notice_record(actor=request.user, notice=notice, **payload.dict())


class StatisticsIn(Schema):
    unit_id: int
    start: datetime.date
    end: datetime.date


@router.get(
    "/discipline/statistics",
    response={200: DisciplineStatisticsOut, **READ_ERRORS, **LIST_ERRORS},
    summary="Inspection, supervision and discipline statistics",
)
def statistics(request, query: Query[StatisticsIn]):
    unit = inspection_selectors.visible_unit(actor=request.user, unit_id=query.unit_id)
    if query.end < query.start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    inspections = inspection_selectors.inspection_figures(unit_id=unit.pk, start=query.start, end=query.end)
    discipline = selectors.discipline_figures(unit_id=unit.pk, start=query.start, end=query.end)
    return {
        "unit_id": unit.pk,
        "start": query.start,
        "end": query.end,
        "inspections": inspections.inspections,
        "planned": inspections.planned,
        "unannounced": inspections.unannounced,
        "supervisions": inspections.supervisions,
        "organisations_inspected": inspections.orgs,
        "individuals_inspected": inspections.people,
        "organisations_violating": inspections.orgs_violating,
        "individuals_violating": inspections.people_violating,
        "organisations_disciplined": discipline.orgs,
        "individuals_disciplined": discipline.people,
        "party_members_disciplined": discipline.party_people,
        "by_form": [
            {
                "form_id": row.form.pk,
                "form": row.form.name,
                "legal_basis": row.form.legal_basis,
                "organisations": row.orgs,
                "individuals": row.people,
            }
            for row in discipline.by_form
        ],
    }
