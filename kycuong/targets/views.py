"""Pages: the disbursement dashboard with its drill-down to projects, a project's plan year, the indicator
board and an indicator's progress, Excel import and export. Every read goes through the scoped selectors."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.calendar import today
from kycuong.core.forms import add_service_errors as _form_errors
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant

from . import excel, progress, selectors, services
from .forms import (
    ActualForm,
    DisbursementForm,
    FollowUpForm,
    ImportForm,
    PlanForm,
    ProjectFilterForm,
    TargetForm,
    YearUnitForm,
)
from .models import Direction, MeasureKind

ERRORS_SHOWN = 300


def _unit(request, form, permission):
    unit_id = form.unit_id()
    if unit_id is None:
        return None
    return selectors.visible_unit(actor=request.user, unit_id=unit_id, permission=permission)


@scoped_view
@require_safe
def dashboard(request):
    form = YearUnitForm(request.GET)
    year = form.year_or_current()
    unit = _unit(request, form, selectors.VIEW_PROJECT)
    if not has_any_grant(request.user, selectors.VIEW_PROJECT):
        raise Http404
    board = selectors.disbursement_dashboard(actor=request.user, year=year, unit_id=unit.pk if unit else None)
    context = {
        "form": form,
        "year": year,
        "years": range(today().year - 3, today().year + 1),
        "unit": unit,
        "board": board,
        "chart": board.chart_data(),
        "can_import": has_any_grant(request.user, services.PLAN_PROJECT)
        or has_any_grant(request.user, services.RECORD_DISBURSEMENT),
    }
    return render(request, "targets/dashboard.html", context)


@scoped_view
@require_safe
def project_list(request):
    form = ProjectFilterForm(request.GET)
    year = form.year_or_current()
    unit = _unit(request, form, selectors.VIEW_PROJECT)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.project_list(
        actor=request.user,
        year=year,
        unit_id=unit.pk if unit else None,
        lagging=bool(data.get("lagging")),
        q=data.get("q") or None,
        sort=data.get("sort") or "code",
    )
    page = page_of(rows, request.GET.get("page"))
    threshold = selectors.lag_threshold(year, selectors.as_of(year), selectors.rule_for(year))
    for row in page.items:
        row.rate_assigned = progress.rate(row.disbursed, row.assigned_amount)
        row.rate_total = progress.rate(row.disbursed, row.total_amount)
        row.is_lagging = row.rate_total is not None and row.rate_total < threshold
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "year": year,
        "unit": unit,
        "page": page,
        "query": query.urlencode(),
        "threshold": threshold,
    }
    template = "targets/project_list.html#results" if is_htmx(request) else "targets/project_list.html"
    return render(request, template, context)


@scoped_view
@require_safe
def export_projects(request):
    form = ProjectFilterForm(request.GET)
    year = form.year_or_current()
    unit = _unit(request, form, selectors.VIEW_PROJECT)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.project_list(
        actor=request.user,
        year=year,
        unit_id=unit.pk if unit else None,
        lagging=bool(data.get("lagging")),
        q=data.get("q") or None,
    )
    response = HttpResponse(excel.export_projects(rows, year), content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="giai-ngan-{year}-{today():%Y%m%d}.xlsx"'
    return response


def _project_context(request, project, year, forms=None):
    view = selectors.project_year_view(project=project, year=year)
    unit_id = project.responsible_unit_id
    forms = forms or {}
    return {
        "project": project,
        "year": year,
        "view": view,
        "chart": view.chart_data(),
        "may_plan": can(request.user, services.PLAN_PROJECT, unit_id),
        "may_record": can(request.user, services.RECORD_DISBURSEMENT, unit_id),
        "may_follow_up": can(request.user, "tasks.assign_task", unit_id),
        "plan_form": forms.get("plan") or PlanForm(initial={"year": year, "effective_on": today()}),
        "disbursement_form": forms.get("disburse")
        or DisbursementForm(initial={"plan_year": year, "paid_on": today()}),
        "follow_up_form": forms.get("follow-up") or FollowUpForm(),
    }


@scoped_view
@require_safe
def project_detail(request, project_id: int):
    project = selectors.project_get(actor=request.user, project_id=project_id)
    year = YearUnitForm(request.GET).year_or_current()
    return render(request, "targets/project_detail.html", _project_context(request, project, year))


PROJECT_ACTIONS = {"plan": PlanForm, "disburse": DisbursementForm, "follow-up": FollowUpForm}


@scoped_view
@require_POST
def project_action(request, project_id: int, action: str):
    project = selectors.project_get(actor=request.user, project_id=project_id)
    if action not in PROJECT_ACTIONS:
        raise Http404
    year = YearUnitForm(request.GET).year_or_current()
    form = PROJECT_ACTIONS[action](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "plan":
                services.plan_revise(actor=request.user, project=project, **data)
                year, done = data["year"], _("The capital plan was recorded.")
            elif action == "disburse":
                services.disbursement_record(actor=request.user, project=project, **data)
                year, done = data["plan_year"], _("The disbursement was recorded.")
            else:
                services.project_follow_up(
                    actor=request.user,
                    project=project,
                    plan_year=year,
                    due_working_days=data["due_working_days"],
                )
                done = _("A follow-up task was given to the responsible unit.")
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(f"{reverse('targets:project', args=[project.pk])}?year={year}")
    context = _project_context(request, project, year, {action: form})
    return render(request, "targets/project_detail.html", context, status=422)


@scoped_view
@require_safe
def indicator_list(request):
    form = YearUnitForm(request.GET)
    year = form.year_or_current()
    unit = _unit(request, form, selectors.VIEW_INDICATOR)
    if unit is None:
        unit = _default_unit(request.user, selectors.VIEW_INDICATOR)
    board = selectors.indicator_board(actor=request.user, unit=unit, year=year) if unit else []
    context = {"form": form, "year": year, "unit": unit, "board": board}
    return render(request, "targets/indicator_list.html", context)


def _default_unit(actor, permission):
    """The highest unit the actor may see for `permission` (the city for a city leader)."""
    from kycuong.core.scoping import restrict
    from kycuong.org.models import Unit

    return restrict(Unit.objects.all(), actor, permission).order_by("depth", "name").first()


def _indicator_context(request, indicator, unit, year, forms=None):
    result = selectors.indicator_progress(actor=request.user, indicator=indicator, unit=unit, year=year)
    forms = forms or {}
    goal = float(result.goal) if result.goal is not None else None
    return {
        "indicator": indicator,
        "unit": unit,
        "year": year,
        "result": result,
        "is_flow": indicator.measure_kind == MeasureKind.FLOW,
        "higher": indicator.direction == Direction.HIGHER,
        "chart": {
            "labels": [f"{month:02d}/{year}" for month, _value in result.series],
            "actual": [float(value) for _month, value in result.series],
            "goal": goal,
        },
        "may_record": can(request.user, services.RECORD_ACTUAL, unit.pk),
        "may_manage": can(request.user, services.MANAGE_INDICATOR, unit.pk),
        "actual_form": forms.get("record") or ActualForm(initial={"year": year}),
        "target_form": forms.get("target") or TargetForm(initial={"year": year}),
    }


@scoped_view
@require_safe
def indicator_detail(request, indicator_id: int):
    indicator = selectors.indicator_get(actor=request.user, indicator_id=indicator_id)
    form = YearUnitForm(request.GET)
    unit = _unit(request, form, selectors.VIEW_INDICATOR) or _default_unit(
        request.user, selectors.VIEW_INDICATOR
    )
    if unit is None:
        raise Http404
    context = _indicator_context(request, indicator, unit, form.year_or_current())
    return render(request, "targets/indicator_detail.html", context)


@scoped_view
@require_POST
def indicator_action(request, indicator_id: int, action: str):
    indicator = selectors.indicator_get(actor=request.user, indicator_id=indicator_id)
    forms = {"record": ActualForm, "target": TargetForm}
    if action not in forms:
        raise Http404
    query = YearUnitForm(request.GET)
    unit = _unit(request, query, selectors.VIEW_INDICATOR)
    if unit is None:
        raise Http404
    form = forms[action](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "record":
                services.actual_record(actor=request.user, indicator=indicator, unit=unit, **data)
            else:
                services.target_set(actor=request.user, indicator=indicator, unit=unit, **data)
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(
                f"{reverse('targets:indicator', args=[indicator.pk])}?unit={unit.pk}&year={data['year']}"
            )
    year = form.cleaned_data.get("year") if form.is_valid() else query.year_or_current()
    context = _indicator_context(request, indicator, unit, year or query.year_or_current(), {action: form})
    return render(request, "targets/indicator_detail.html", context, status=422)


@scoped_view
@require_safe
def import_template(request, kind: str):
    if kind not in excel.SHEETS:
        raise Http404
    response = HttpResponse(excel.import_template(kind), content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-nhap-{kind}.xlsx"'
    return response


@scoped_view
@require_http_methods(["GET", "POST"])
def import_file(request, kind: str):
    if kind not in excel.SHEETS:
        raise Http404
    sheet = excel.SHEETS[kind]
    if not has_any_grant(request.user, sheet.permission):
        raise PermissionDenied
    posted = request.method == "POST"
    form = ImportForm(request.POST, request.FILES) if posted else ImportForm()
    result = None
    if posted and form.is_valid():
        result = excel.import_sheet(actor=request.user, kind=kind, file=form.cleaned_data["file"])
        if result.ok:
            messages.success(
                request,
                ngettext("%(count)s row was imported.", "%(count)s rows were imported.", result.created)
                % {"count": number_format(result.created, force_grouping=True)},
            )
            return redirect("targets:dashboard")
    errors = result.errors if result else []
    context = {
        "form": form,
        "sheet": sheet,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
    }
    return render(request, "targets/import.html", context, status=422 if posted else 200)
