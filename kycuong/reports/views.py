"""Pages of the leadership dashboard, the generated reports, the thresholds and the subscriptions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.files import verified_response
from kycuong.core.forms import add_service_errors as _form_errors
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, covers_every_unit, has_any_grant

from . import selectors, services
from .forms import PeriodForm, ReportRequestForm, SubscriptionForm, ThresholdForm
from .models import ReportKind, Signal

UNIT_QUERY_MAX = 100


def _unit(request, unit_id: int | None):
    if unit_id:
        return selectors.dashboard_unit_get(actor=request.user, unit_id=unit_id)
    unit = selectors.dashboard_units(actor=request.user).first()
    if unit is None:
        raise Http404
    return unit


def chart_data(board) -> dict:
    charts = {}
    for card in board.cards:
        figure = card.chart
        if figure is not None:
            charts[card.summary.module] = {
                "label": str(figure.label),
                "unit": figure.unit,
                "labels": [label for label, _value in figure.series],
                "values": [value for _label, value in figure.series],
            }
    return charts


@scoped_view
@require_safe
def index(request):
    """The leadership dashboard of a unit (with its sub-units) for a period."""
    form = PeriodForm(request.GET or None)
    unit_id = form.cleaned_data.get("unit") if form.is_valid() else None
    if unit_id is None and request.GET.get("unit", "").isdigit():
        unit_id = int(request.GET["unit"])
    unit = _unit(request, unit_id)
    period = form.chosen_period()
    board = selectors.dashboard_build(actor=request.user, unit=unit, period=period)
    unit_query = request.GET.get("unit_q", "").strip()[:UNIT_QUERY_MAX]
    context = {
        "form": form,
        "unit": unit,
        "board": board,
        "period_label": selectors.period_label(period),
        "previous_label": selectors.period_label(board.previous),
        "charts": chart_data(board),
        "signals": Signal,
        "parent": unit.parent
        if unit.parent_id and can(request.user, selectors.VIEW_DASHBOARD, unit.parent_id)
        else None,
        "may_report": can(request.user, selectors.ADD_REPORT, unit.pk),
        "period_query": _period_query(request),
        "kept_fields": [(name, value) for name, value in request.GET.items() if name != "unit_q"],
        "unit_query": unit_query,
        "unit_matches": selectors.dashboard_units_search(actor=request.user, q=unit_query)
        if unit_query
        else None,
    }
    template = "reports/dashboard.html#board" if is_htmx(request) else "reports/dashboard.html"
    return render(request, template, context)


def _period_query(request) -> str:
    query = request.GET.copy()
    query.pop("unit", None)
    query.pop("unit_q", None)
    return query.urlencode()


@scoped_view
def report_list(request):
    if not has_any_grant(request.user, selectors.VIEW_REPORT):
        raise Http404
    unit_id = request.GET.get("unit")
    unit = _unit(request, int(unit_id) if unit_id and unit_id.isdigit() else None)
    form = ReportRequestForm(
        request.POST or None,
        initial={"unit": unit.pk, "kind": ReportKind.MONTH, "directive": "Chỉ thị số 24-CT/TU"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            target = selectors.dashboard_unit_get(actor=request.user, unit_id=form.cleaned_data["unit"])
            report = services.report_request(
                actor=request.user,
                unit=target,
                kind=form.cleaned_data["kind"],
                period=form.period(),
                directive=form.cleaned_data.get("directive") or "",
                years=form.cleaned_data.get("years"),
            )
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The report is being made; this page shows its progress."))
            return redirect("reports:report", report.pk)
    page = page_of(selectors.report_list(actor=request.user), request.GET.get("page"))
    context = {
        "form": form,
        "unit": unit,
        "page": page,
        "may_report": can(request.user, selectors.ADD_REPORT, unit.pk),
    }
    return render(request, "reports/report_list.html", context, status=422 if form.errors else 200)


@scoped_view
@require_safe
def report_detail(request, report_id: int):
    report = selectors.report_get(actor=request.user, report_id=report_id)
    context = {"report": report, "files": list(report.files.all())}
    template = "reports/report_detail.html#progress" if is_htmx(request) else "reports/report_detail.html"
    return render(request, template, context)


@scoped_view
@require_safe
def report_file(request, file_id: int):
    return verified_response(selectors.report_file_get(actor=request.user, file_id=file_id))


@scoped_view
def thresholds(request):
    if not has_any_grant(request.user, selectors.VIEW_DASHBOARD):
        raise Http404
    may_manage = covers_every_unit(request.user, selectors.MANAGE_THRESHOLDS)
    form = ThresholdForm(request.POST or None, initial={"higher_is_better": True})
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.threshold_create(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The new limits were saved."))
                return redirect("reports:thresholds")
    context = {"form": form, "thresholds": selectors.threshold_list(), "may_manage": may_manage}
    return render(request, "reports/thresholds.html", context, status=422 if form.errors else 200)


@scoped_view
def subscriptions(request):
    if not has_any_grant(request.user, selectors.VIEW_SUBSCRIPTION):
        raise Http404
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from kycuong.accounts.models import User

        try:
            unit = selectors.dashboard_unit_get(actor=request.user, unit_id=form.cleaned_data["unit"])
            username = form.cleaned_data.get("username")
            recipient = request.user
            if username:
                recipient = User.objects.filter(username=username, is_active=True).first()
                if recipient is None:
                    raise ValidationError({"username": _("There is no such user.")})
            services.subscription_create(actor=request.user, unit=unit, user=recipient)
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The monthly report will be sent by e-mail."))
            return redirect("reports:subscriptions")
    context = {
        "form": form,
        "subscriptions": list(selectors.subscription_list(actor=request.user)[:500]),
        "units": list(selectors.dashboard_units(actor=request.user)[:300]),
    }
    return render(request, "reports/subscriptions.html", context, status=422 if form.errors else 200)


@scoped_view
@require_POST
def subscription_cancel(request, subscription_id: int):
    subscription = selectors.subscription_get(actor=request.user, subscription_id=subscription_id)
    try:
        services.subscription_cancel(actor=request.user, subscription=subscription)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The subscription was cancelled."))
    return redirect(reverse("reports:subscriptions"))
