"""Pages: discipline cases (every opening written to the access log), decisions, appeals, Party notices, the
forms in force, and the statistics of inspection, supervision and discipline with a drill-down per figure."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kycuong.core.access import scoped_view
from kycuong.core.calendar import today
from kycuong.core.concurrency import expected_version_from
from kycuong.core.excel import XLSX_CONTENT_TYPE
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant
from kycuong.inspections import selectors as inspection_selectors
from kycuong.inspections.forms import PeriodForm
from kycuong.inspections.models import Finding
from kycuong.inspections.services import VIEW as VIEW_INSPECTION
from kycuong.inspections.services import access_record
from kycuong.inspections.views import form_errors

from . import excel, selectors, services
from .forms import (
    AppealDecideForm,
    AppealForm,
    CaseFilterForm,
    CaseForm,
    DecideForm,
    NoticeForm,
    ProposeForm,
    ReasonForm,
)
from .models import Appeal, AppealOutcome, Regime


@scoped_view
@require_safe
def index(request):
    if not selectors.can_view_any(request.user):
        raise Http404
    form = CaseFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("unit"):
        inspection_selectors.visible_unit(
            actor=request.user, unit_id=data["unit"], permission=services.VIEW_CASE
        )
    filters = selectors.CaseFilters(
        unit_id=data.get("unit"),
        status=data.get("status") or None,
        regime=data.get("regime") or None,
        overdue=bool(data.get("overdue")),
    )
    page = page_of(selectors.case_list(actor=request.user, filters=filters), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "today": today(),
        "notices": list(selectors.notice_list(actor=request.user)[:50]),
        "may_handle": has_any_grant(request.user, services.HANDLE_CASE),
        "notice_form": NoticeForm(initial={"notified_on": today()}),
    }
    return render(request, "discipline/index.html", context)


@scoped_view
@require_http_methods(["GET", "HEAD", "POST"])
def case_new(request):
    if not has_any_grant(request.user, services.HANDLE_CASE):
        raise Http404
    finding = None
    finding_id = request.POST.get("finding") or request.GET.get("finding")
    if finding_id:
        row = Finding.objects.filter(pk=finding_id).first() if str(finding_id).isdigit() else None
        if row is None:
            raise Http404
        inspection_selectors.subject_get(actor=request.user, subject_id=row.subject_id)
        finding = row
    initial = {"opened_on": today()}
    if finding is not None:
        subject = finding.subject
        initial.update(
            finding=finding.pk,
            unit=subject.unit_id,
            staff=subject.staff_id,
            violation=finding.description,
            competent_unit=subject.deciding_unit_id,
            regime=Regime.PARTY_ORGANISATION if subject.unit_id else Regime.CIVIL_SERVANT,
        )
    form = CaseForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("finding", None)
        try:
            case = services.case_open(actor=request.user, finding=finding, **data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            if case.limitation_warning:
                messages.warning(request, case.limitation_warning)
            messages.success(request, _("The case was opened."))
            return redirect("discipline:case", case.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "discipline/case_form.html", {"form": form, "finding": finding}, status=status)


def _case_context(request, case, forms=None) -> dict:
    forms = forms or {}
    decision = selectors.case_decision(case)
    appeals = list(decision.appeals.all()) if decision else []
    return {
        "case": case,
        "steps": list(case.steps.all()),
        "decision": decision,
        "appeals": appeals,
        "pending_appeal": next((a for a in appeals if a.outcome == AppealOutcome.PENDING), None),
        "may_handle": can(request.user, services.HANDLE_CASE, case.competent_unit_id),
        "overdue": case.is_open and case.deadline < today(),
        "propose_form": forms.get("propose") or ProposeForm(regime=case.regime, initial={"on": today()}),
        "decide_form": forms.get("decide") or DecideForm(regime=case.regime, initial={"signed_on": today()}),
        "extend_form": forms.get("extend") or ReasonForm(),
        "drop_form": forms.get("drop") or ReasonForm(),
        "appeal_form": forms.get("appeal") or AppealForm(initial={"lodged_on": today()}),
        "appeal_decide_form": forms.get("appeal-decide") or AppealDecideForm(initial={"decided_on": today()}),
    }


@scoped_view
@require_safe
def case_detail(request, case_id: int):
    case = selectors.case_get(actor=request.user, case_id=case_id)
    access_record(actor=request.user, action="view", instance=case, subject_unit_id=case.subject_unit_id)
    return render(request, "discipline/case.html", _case_context(request, case))


ACTIONS = {
    "propose": ProposeForm,
    "decide": DecideForm,
    "extend": ReasonForm,
    "drop": ReasonForm,
    "appeal": AppealForm,
    "appeal-decide": AppealDecideForm,
}


@scoped_view
@require_POST
def case_action(request, case_id: int, action: str):
    case = selectors.case_get(actor=request.user, case_id=case_id)
    if action not in ACTIONS:
        raise Http404
    case.expected_version = expected_version_from(request.POST.get("version"))
    kwargs = {"regime": case.regime} if action in ("propose", "decide") else {}
    form = ACTIONS[action](request.POST, **kwargs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "propose":
                services.case_propose(actor=request.user, case=case, **data)
            elif action == "decide":
                services.case_decide(actor=request.user, case=case, **data)
            elif action == "extend":
                services.case_extend(actor=request.user, case=case, **data)
            elif action == "drop":
                services.case_drop(actor=request.user, case=case, **data)
            else:
                decision = selectors.case_decision(case)
                if decision is None:
                    raise ValidationError(_("This case has no decision."))
                if action == "appeal":
                    services.appeal_lodge(actor=request.user, decision=decision, **data)
                else:
                    appeal = Appeal.objects.filter(decision=decision, outcome=AppealOutcome.PENDING).first()
                    if appeal is None:
                        raise ValidationError(_("No appeal is pending."))
                    services.appeal_decide(actor=request.user, appeal=appeal, **data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("discipline:case", case.pk)
    case = selectors.case_get(actor=request.user, case_id=case_id)
    return render(request, "discipline/case.html", _case_context(request, case, {action: form}), status=422)


@scoped_view
@require_POST
def notice_done(request, notice_id: int):
    notice = selectors.notice_get(actor=request.user, notice_id=notice_id)
    form = NoticeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the date of the notice."))
        services.notice_record(actor=request.user, notice=notice, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not do this."))
    else:
        messages.success(request, _("The notice was recorded."))
    return redirect("discipline:index")


@scoped_view
@require_safe
def form_list(request):
    if not selectors.can_view_any(request.user) and not has_any_grant(request.user, VIEW_INSPECTION):
        raise Http404
    return render(request, "discipline/forms.html", {"forms": selectors.forms_in_force(), "today": today()})


def _period(request):
    form = PeriodForm(request.GET)
    start, end = form.period()
    if not has_any_grant(request.user, VIEW_INSPECTION):
        raise Http404
    unit_id = form.unit_id()
    if unit_id is None:
        unit = _default_unit(request.user)
    else:
        unit = inspection_selectors.visible_unit(actor=request.user, unit_id=unit_id)
    return form, unit, start, end


def _default_unit(actor):
    from kycuong.core.scoping import restrict
    from kycuong.org.models import Unit

    unit = restrict(Unit.objects.all(), actor, VIEW_INSPECTION).order_by("depth", "name", "id").first()
    if unit is None:
        raise Http404
    return unit


def statistics_context(request) -> dict:
    form, unit, start, end = _period(request)
    inspections = inspection_selectors.inspection_figures(unit_id=unit.pk, start=start, end=end)
    discipline = selectors.discipline_figures(unit_id=unit.pk, start=start, end=end)
    base = f"unit={unit.pk}&start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"
    links = {
        "inspections": f"{reverse('inspections:index')}?{base}",
        "subjects": f"{reverse('inspections:subjects')}?{base}",
        "disciplined": f"{reverse('discipline:disciplined')}?{base}",
    }
    return {
        "form": form,
        "unit": unit,
        "start": start,
        "end": end,
        "i": inspections,
        "d": discipline,
        "links": links,
        "base": base,
    }


@scoped_view
@require_safe
def statistics(request):
    return render(request, "discipline/statistics.html", statistics_context(request))


@scoped_view
@require_safe
def statistics_export(request):
    context = statistics_context(request)
    response = HttpResponse(excel.export_statistics(context), content_type=XLSX_CONTENT_TYPE)
    period = f"{context['start']:%Y%m%d}-{context['end']:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="thong-ke-kiem-tra-ky-luat-{period}.xlsx"'
    return response


@scoped_view
@require_safe
def disciplined(request):
    """The distinct organisations or individuals disciplined behind a figure, with their decisions."""
    _form, unit, start, end = _period(request)
    form_id = request.GET.get("form")
    regime = request.GET.get("regime")
    filters = selectors.DisciplinedFilters(
        unit_id=unit.pk,
        start=start,
        end=end,
        individuals=request.GET.get("who") != "orgs",
        form_id=int(form_id) if form_id and form_id.isdigit() else None,
        party=request.GET.get("party") == "1",
        regime_party={"party": True, "administrative": False}.get(regime or ""),
    )
    rows = selectors.distinct_disciplined(actor=request.user, filters=filters)
    context = {"unit": unit, "start": start, "end": end, "filters": filters, "rows": rows}
    return render(request, "discipline/disciplined.html", context)
