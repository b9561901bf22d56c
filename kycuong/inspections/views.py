"""Pages: inspections and supervisions with their subjects, findings, conclusion and recommendations; plans;
the distinct subjects behind a statistic; the access log. Every read goes through the scoped selectors;
opening a finding about a person, or its evidence, is written to the access log."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.calendar import today
from kycuong.core.excel import XLSX_CONTENT_TYPE
from kycuong.core.files import verified_response
from kycuong.core.forms import add_service_errors as form_errors
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant

from . import excel, selectors, services
from .forms import (
    CloseForm,
    ConcludeForm,
    DecideForm,
    FindingForm,
    FromPlanItemForm,
    InspectionFilterForm,
    InspectionForm,
    PeriodForm,
    PlanForm,
    PlanItemForm,
    RecommendationCloseForm,
    RecommendationForm,
    StartForm,
    SubjectForm,
)
from .models import KindCategory, Status


def _require_view(request) -> None:
    if not has_any_grant(request.user, services.VIEW):
        raise Http404


def _filters(request) -> tuple[InspectionFilterForm, selectors.InspectionFilters]:
    form = InspectionFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    unit_id = data.get("unit")
    if unit_id is not None:
        selectors.visible_unit(actor=request.user, unit_id=unit_id)
    planned = {"1": True, "0": False}.get(data.get("planned") or "")
    filters = selectors.InspectionFilters(
        unit_id=unit_id,
        start=data.get("start"),
        end=data.get("end"),
        kind_id=data["kind"].pk if data.get("kind") else None,
        category=data.get("category") or None,
        planned=planned,
        status=data.get("status") or None,
        q=data.get("q") or None,
    )
    return form, filters


@scoped_view
@require_safe
def index(request):
    _require_view(request)
    form, filters = _filters(request)
    page = page_of(selectors.inspection_list(actor=request.user, filters=filters), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "unit": selectors.visible_unit(actor=request.user, unit_id=filters.unit_id)
        if filters.unit_id
        else None,
        "may_manage": has_any_grant(request.user, services.MANAGE),
        "may_see_log": has_any_grant(request.user, services.VIEW_ACCESS_LOG),
        "my_subjects": selectors.my_subjects(actor=request.user)[:20],
    }
    template = "inspections/index.html#results" if is_htmx(request) else "inspections/index.html"
    return render(request, template, context)


@scoped_view
@require_safe
def export(request):
    _require_view(request)
    _form, filters = _filters(request)
    rows = selectors.inspection_list(actor=request.user, filters=filters)
    response = HttpResponse(excel.export_inspections(rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="kiem-tra-giam-sat-{today():%Y%m%d}.xlsx"'
    return response


@scoped_view
@require_http_methods(["GET", "HEAD", "POST"])
def inspection_new(request):
    if not has_any_grant(request.user, services.MANAGE):
        raise Http404
    form = InspectionForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The inspection was created."))
            return redirect("inspections:detail", inspection.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "inspections/inspection_form.html", {"form": form}, status=status)


def _detail_context(request, inspection, forms=None) -> dict:
    forms = forms or {}
    actor = request.user
    subjects = list(inspection.subjects.all())
    for subject in subjects:
        subject.readable = selectors.may_read_findings(actor, subject)
    return {
        "inspection": inspection,
        "subjects": subjects,
        "recommendations": list(inspection.recommendations.all()),
        "may_manage": can(actor, services.MANAGE, inspection.deciding_unit_id),
        "may_assign": can(actor, "tasks.assign_task", inspection.deciding_unit_id),
        "decide_form": forms.get("decide") or DecideForm(),
        "start_form": forms.get("start") or StartForm(initial={"started_on": today()}),
        "conclude_form": forms.get("conclude") or ConcludeForm(initial={"conclusion_date": today()}),
        "close_form": forms.get("close") or CloseForm(initial={"closed_on": today()}),
        "subject_form": forms.get("subject") or SubjectForm(actor=actor),
        "recommendation_form": forms.get("recommend") or RecommendationForm(actor=actor),
        "recommendation_close_form": RecommendationCloseForm(),
        "Status": Status,
    }


@scoped_view
@require_safe
def detail(request, inspection_id: int):
    inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    return render(request, "inspections/detail.html", _detail_context(request, inspection))


ACTIONS = {
    "decide": DecideForm,
    "start": StartForm,
    "conclude": ConcludeForm,
    "close": CloseForm,
    "subject": SubjectForm,
    "recommend": RecommendationForm,
}
WITH_ACTOR = {"subject", "recommend"}


@scoped_view
@require_POST
def action(request, inspection_id: int, action: str):
    inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    if action not in ACTIONS:
        raise Http404
    kwargs = {"actor": request.user} if action in WITH_ACTOR else {}
    form = ACTIONS[action](request.POST, request.FILES, **kwargs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "decide":
                services.inspection_decide(actor=request.user, inspection=inspection, **data)
            elif action == "start":
                services.inspection_start(actor=request.user, inspection=inspection, **data)
            elif action == "conclude":
                services.inspection_conclude(actor=request.user, inspection=inspection, **data)
            elif action == "close":
                services.inspection_close(actor=request.user, inspection=inspection, **data)
            elif action == "subject":
                services.subject_add(actor=request.user, inspection=inspection, **data)
            else:
                services.recommendation_add(actor=request.user, inspection=inspection, **data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("inspections:detail", inspection.pk)
    inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    return render(
        request, "inspections/detail.html", _detail_context(request, inspection, {action: form}), status=422
    )


@scoped_view
@require_POST
def recommendation_action(request, recommendation_id: int, action: str):
    recommendation = selectors.recommendation_get(actor=request.user, recommendation_id=recommendation_id)
    if action not in ("close", "task"):
        raise Http404
    try:
        if action == "task":
            task = services.recommendation_to_task(actor=request.user, recommendation=recommendation)
            messages.success(
                request,
                _("The recommendation was given to %(unit)s as a task.") % {"unit": task.lead_unit.name},
            )
        else:
            form = RecommendationCloseForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say what was done."))
            services.recommendation_close(
                actor=request.user, recommendation=recommendation, **form.cleaned_data
            )
            messages.success(request, _("The recommendation was closed."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not do this."))
    return redirect("inspections:detail", recommendation.inspection_id)


def _subject_context(request, subject, form=None) -> dict:
    return {
        "subject": subject,
        "inspection": subject.inspection,
        "findings": list(selectors.subject_findings(subject)),
        "may_record": can(request.user, services.MANAGE, subject.deciding_unit_id)
        and subject.inspection.status == Status.IN_PROGRESS,
        "may_open_case": has_any_grant(request.user, "discipline.handle_case"),
        "form": form or FindingForm(),
    }


@scoped_view
@require_safe
def subject_detail(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    if subject.is_individual:
        services.access_record(
            actor=request.user, action="view", instance=subject, subject_unit_id=subject.subject_unit_id
        )
    return render(request, "inspections/subject.html", _subject_context(request, subject))


@scoped_view
@require_POST
def finding_add(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    form = FindingForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.finding_record(actor=request.user, subject=subject, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The finding was recorded."))
            return redirect("inspections:subject", subject.pk)
    return render(request, "inspections/subject.html", _subject_context(request, subject, form), status=422)


@scoped_view
@require_safe
def evidence_download(request, file_id: int):
    evidence = selectors.evidence_get(actor=request.user, file_id=file_id)
    subject = evidence.finding.subject
    if subject.is_individual:
        services.access_record(
            actor=request.user, action="download", instance=evidence, subject_unit_id=subject.subject_unit_id
        )
    return verified_response(evidence)


@scoped_view
@require_safe
def conclusion_download(request, inspection_id: int):
    inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    if not inspection.conclusion_file:
        raise Http404
    name = inspection.conclusion_file.name.rsplit("/", 1)[-1].removeprefix("conclusion-")
    return FileResponse(inspection.conclusion_file.open("rb"), as_attachment=True, filename=name)


@scoped_view
@require_http_methods(["GET", "HEAD", "POST"])
def plan_list(request):
    _require_view(request)
    form = PlanForm(
        request.POST or None, actor=request.user, initial={"year": today().year, "approved_on": today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The plan was created."))
            return redirect("inspections:plan", plan.pk)
    page = page_of(selectors.plan_list(actor=request.user), request.GET.get("page"))
    context = {"page": page, "form": form, "may_manage": has_any_grant(request.user, services.MANAGE)}
    return render(request, "inspections/plans.html", context, status=422 if request.method == "POST" else 200)


def _plan_context(request, plan, item_form=None) -> dict:
    return {
        "plan": plan,
        "items": list(selectors.plan_items(plan)),
        "may_manage": can(request.user, services.MANAGE, plan.unit_id),
        "item_form": item_form or PlanItemForm(actor=request.user),
        "start_form": FromPlanItemForm(),
    }


@scoped_view
@require_safe
def plan_detail(request, plan_id: int):
    plan = selectors.plan_get(actor=request.user, plan_id=plan_id)
    return render(request, "inspections/plan.html", _plan_context(request, plan))


@scoped_view
@require_POST
def plan_item_add(request, plan_id: int):
    plan = selectors.plan_get(actor=request.user, plan_id=plan_id)
    form = PlanItemForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            services.plan_item_add(actor=request.user, plan=plan, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The plan item was added."))
            return redirect("inspections:plan", plan.pk)
    return render(request, "inspections/plan.html", _plan_context(request, plan, form), status=422)


@scoped_view
@require_POST
def plan_item_start(request, item_id: int):
    item = selectors.plan_item_get(actor=request.user, item_id=item_id)
    form = FromPlanItemForm(request.POST)
    if form.is_valid():
        try:
            inspection = services.inspection_create(actor=request.user, plan_item=item, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The inspection was created from the plan."))
            return redirect("inspections:detail", inspection.pk)
    else:
        messages.error(request, _("Check the decision number and date."))
    return redirect("inspections:plan", item.plan_id)


@scoped_view
@require_safe
def subjects(request):
    """The distinct organisations or individuals behind a figure of the statistics."""
    _require_view(request)
    form = PeriodForm(request.GET)
    start, end = form.period()
    unit_id = form.unit_id()
    if unit_id is None:
        raise Http404
    unit = selectors.visible_unit(actor=request.user, unit_id=unit_id)
    category = request.GET.get("category")
    filters = selectors.SubjectFilters(
        unit_id=unit.pk,
        start=start,
        end=end,
        individuals=request.GET.get("who") == "people",
        violating=request.GET.get("violating") == "1",
        party=request.GET.get("party") == "1",
        category=category if category in KindCategory.values else None,
    )
    page = page_of(
        selectors.distinct_subjects(actor=request.user, filters=filters),
        request.GET.get("page"),
        per_page=100,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "unit": unit,
        "start": start,
        "end": end,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "inspections/subjects.html", context)


@scoped_view
@require_safe
def access_log(request):
    if not has_any_grant(request.user, services.VIEW_ACCESS_LOG):
        raise Http404
    rows = selectors.access_log(
        actor=request.user,
        object_type=request.GET.get("type") or None,
        object_id=request.GET.get("id") or None,
    )
    page = page_of(rows, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inspections/access_log.html", {"page": page, "query": query.urlencode()})


def statistics_url(unit_id: int, start, end) -> str:
    return f"{reverse('discipline:statistics')}?unit={unit_id}&start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"
