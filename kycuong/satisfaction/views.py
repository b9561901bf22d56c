"""Staff pages: the index, service points and their posters, ratings, complaints and suggestions."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.calendar import today
from kycuong.core.forms import add_service_errors as _form_errors
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant
from kycuong.org.models import ADMINISTRATIVE_KINDS, UnitKind
from kycuong.org.selectors import unit_get, unit_roots

from . import selectors, services
from .figures import change
from .forms import FeedbackAnswerForm, FeedbackTagForm, IndexFilterForm, ServicePointForm
from .models import FeedbackKind, FeedbackState
from .posters import poster_pdf, qr_png, rating_url

LEAF_KINDS = {UnitKind.WARD, UnitKind.COMMUNE, UnitKind.TOWNSHIP, UnitKind.DEPARTMENT, UnitKind.OFFICE}


def _flash_errors(request, error) -> None:
    for problem in getattr(error, "messages", None) or [str(error) or _("You may not do this.")]:
        messages.error(request, problem)


def _default_unit(actor):
    unit = unit_roots(actor=actor).order_by("depth", "name").first()
    if unit is None:
        raise Http404
    return unit


def _int(raw) -> int | None:
    return int(raw) if raw not in (None, "") and str(raw).isdigit() else None


# --- the index ---


def trend_chart(trend: list, width: int = 640, height: int = 160) -> dict:
    """A server-drawn line chart of the overall index (no script); the table beside it has the figures."""
    pad, count = 24, len(trend)
    step = (width - 2 * pad) / max(count - 1, 1)
    points, dots = [], []
    for index, point in enumerate(trend):
        percent = point.figures.overall.percent
        if percent is None:
            continue
        x = pad + index * step
        y = pad + (height - 2 * pad) * (1 - percent / 100)
        points.append(f"{x:.1f},{y:.1f}")
        dots.append({"x": round(x, 1), "y": round(y, 1), "percent": percent, "start": point.start})
    grid = [
        {"y": round(pad + (height - 2 * pad) * (1 - level / 100), 1), "level": level}
        for level in (0, 50, 100)
    ]
    return {"width": width, "height": height, "polyline": " ".join(points), "dots": dots, "grid": grid}


@scoped_view
@require_safe
def index(request):
    form = IndexFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    unit = (
        unit_get(actor=request.user, unit_id=data["unit"])
        if data.get("unit")
        else _default_unit(request.user)
    )
    point = None
    if data.get("point"):
        point = selectors.service_point_get(actor=request.user, service_point_id=data["point"])
    end = data.get("date_to") or today()
    start = data.get("date_from") or end.replace(month=1, day=1)
    if start > end:
        start, end = end, start
    with_descendants = data.get("descendants", False) or "descendants" not in request.GET
    filters = selectors.IndexFilters(
        unit_id=None if point else unit.pk,
        with_descendants=with_descendants,
        service_point_id=point.pk if point else None,
        staff_id=data.get("staff"),
        procedure=data.get("procedure") or None,
        date_from=start,
        date_to=end,
    )
    report = selectors.index_report(actor=request.user, filters=filters, unit=None if point else unit)
    trend = selectors.satisfaction_trend(actor=request.user, filters=filters)
    breakdowns = []
    if point is None and not filters.staff_id and not filters.procedure:
        if unit.children.exists():
            breakdowns.append(("unit", _("By sub-unit")))
        breakdowns.append(("service_point", _("By service point")))
    if point is not None or unit.kind in LEAF_KINDS:
        if not filters.staff_id:
            breakdowns.append(("staff", _("By civil servant")))
        if not filters.procedure:
            breakdowns.append(("procedure", _("By procedure")))
    tables = [
        (
            key,
            title,
            selectors.satisfaction_breakdown(actor=request.user, filters=filters, group_by=key, limit=100),
        )
        for key, title in breakdowns
    ]
    base = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    context = {
        "unit": unit,
        "point": point,
        "report": report,
        "overall_change": change(report.current.overall.percent, report.previous.overall.percent),
        "trend": trend,
        "chart": trend_chart(trend),
        "tables": tables,
        "date_from": start,
        "date_to": end,
        "with_descendants": with_descendants,
        "base": base,
        "peer_kind_label": UnitKind(report.peer_kind).label if report.peer_kind else "",
        "staff_id": filters.staff_id,
        "procedure": filters.procedure or "",
        "is_administrative": unit.kind in ADMINISTRATIVE_KINDS,
    }
    template = "satisfaction/index.html#figures" if is_htmx(request) else "satisfaction/index.html"
    return render(request, template, context)


# --- service points ---


@scoped_view
@require_safe
def point_list(request):
    unit_id = _int(request.GET.get("unit"))
    points = selectors.service_point_list(actor=request.user, unit_id=unit_id, q=request.GET.get("q") or None)
    page = page_of(points, request.GET.get("page"))
    context = {
        "page": page,
        "q": request.GET.get("q", ""),
        "can_add": has_any_grant(request.user, "satisfaction.add_servicepoint"),
        "can_import": has_any_grant(request.user, "satisfaction.import_rating"),
    }
    return render(request, "satisfaction/point_list.html", context)


@scoped_view
def point_new(request):
    if not has_any_grant(request.user, "satisfaction.add_servicepoint"):
        raise PermissionDenied
    form = ServicePointForm(request.POST or None, actor=request.user, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("active", None)
        try:
            point = services.service_point_create(actor=request.user, staff=list(data.pop("staff")), **data)
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The service point was created."))
            return redirect("satisfaction:point", point.pk)
    return render(request, "satisfaction/point_form.html", {"form": form}, status=422 if form.errors else 200)


@scoped_view
def point_edit(request, point_id: int):
    point = selectors.service_point_get(actor=request.user, service_point_id=point_id)
    if not can(request.user, "satisfaction.change_servicepoint", point.unit_id):
        raise PermissionDenied
    initial = {
        "code": point.code,
        "name": point.name,
        "kind": point.kind,
        "form_kind": point.form_kind,
        "procedures": point.procedures,
        "staff": list(point.staff.all()),
        "active": point.active,
    }
    form = ServicePointForm(request.POST or None, actor=request.user, service_point=point, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        staff = list(data.pop("staff"))
        data.pop("code", None)
        try:
            services.service_point_update(actor=request.user, service_point=point, changes=data, staff=staff)
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The service point was saved."))
            return redirect("satisfaction:point", point.pk)
    return render(
        request,
        "satisfaction/point_form.html",
        {"form": form, "point": point},
        status=422 if form.errors else 200,
    )


@scoped_view
@require_safe
def point_detail(request, point_id: int):
    point = selectors.service_point_get(actor=request.user, service_point_id=point_id)
    end = today()
    filters = selectors.IndexFilters(
        service_point_id=point.pk, date_from=end.replace(month=1, day=1), date_to=end
    )
    context = {
        "point": point,
        "public_url": rating_url(request, point),
        "figures": selectors.satisfaction_index(actor=request.user, filters=filters),
        "filters": filters,
        "can_change": can(request.user, "satisfaction.change_servicepoint", point.unit_id),
    }
    return render(request, "satisfaction/point_detail.html", context)


@scoped_view
@require_POST
def point_renew_link(request, point_id: int):
    point = selectors.service_point_get(actor=request.user, service_point_id=point_id)
    try:
        services.service_point_renew_link(actor=request.user, service_point=point)
    except PermissionDenied as error:
        _flash_errors(request, error)
    else:
        messages.success(request, _("The public link was renewed; print the poster again."))
    return redirect("satisfaction:point", point.pk)


@scoped_view
@require_safe
def point_qr(request, point_id: int):
    point = selectors.service_point_get(actor=request.user, service_point_id=point_id)
    response = HttpResponse(qr_png(rating_url(request, point)), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="qr-{point.code}.png"'
    return response


@scoped_view
@require_safe
def point_poster(request, point_id: int):
    point = selectors.service_point_get(actor=request.user, service_point_id=point_id)
    response = HttpResponse(poster_pdf(request, point), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{point.code}.pdf"'
    return response


# --- ratings ---


def rating_filters(request) -> selectors.RatingFilters:
    get = request.GET

    def day(name):
        try:
            return datetime.date.fromisoformat(get[name]) if get.get(name) else None
        except ValueError:
            return None

    return selectors.RatingFilters(
        unit_id=_int(get.get("unit")),
        service_point_id=_int(get.get("point")),
        staff_id=_int(get.get("staff")),
        procedure=get.get("procedure") or None,
        date_from=day("date_from"),
        date_to=day("date_to"),
        with_comment=get.get("comments") == "1",
        untagged=get.get("untagged") == "1",
    )


@scoped_view
@require_safe
def rating_list(request):
    filters = rating_filters(request)
    page = page_of(selectors.rating_list(actor=request.user, filters=filters), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "filters": filters, "query": query.urlencode()}
    return render(request, "satisfaction/rating_list.html", context)


@scoped_view
@require_safe
def rating_detail(request, rating_id: int):
    rating = selectors.rating_get(actor=request.user, rating_id=rating_id)
    questions = {str(q.pk): q for q in rating.template.questions.all()}
    answers = [(questions.get(key), score) for key, score in rating.answers.items()]
    feedback = getattr(rating, "feedback", None) if hasattr(rating, "feedback") else None
    context = {
        "rating": rating,
        "answers": answers,
        "feedback": feedback,
        "can_see_contact": can(request.user, "satisfaction.view_contact", rating.unit_id),
        "can_erase": can(request.user, "satisfaction.erase_contact", rating.unit_id),
        "can_tag": can(request.user, "satisfaction.handle_feedback", rating.unit_id),
        "tag_form": FeedbackTagForm(),
    }
    return render(request, "satisfaction/rating_detail.html", context)


@scoped_view
@require_POST
def rating_erase_contact(request, rating_id: int):
    rating = selectors.rating_get(actor=request.user, rating_id=rating_id)
    try:
        services.rating_erase_contact(actor=request.user, rating=rating)
    except (ValidationError, PermissionDenied) as error:
        _flash_errors(request, error)
    else:
        messages.success(request, _("The contact details were erased."))
    return redirect("satisfaction:rating", rating.pk)


@scoped_view
@require_POST
def rating_tag(request, rating_id: int):
    rating = selectors.rating_get(actor=request.user, rating_id=rating_id)
    form = FeedbackTagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the kind of the comment."))
        return redirect("satisfaction:rating", rating.pk)
    try:
        feedback = services.feedback_tag(actor=request.user, rating=rating, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        _flash_errors(request, error)
        return redirect("satisfaction:rating", rating.pk)
    messages.success(request, _("The comment was tagged; answer it by its deadline."))
    return redirect("satisfaction:feedback-detail", feedback.pk)


# --- complaints and suggestions ---


@scoped_view
@require_safe
def feedback_list(request):
    get = request.GET
    filters = selectors.FeedbackFilters(
        unit_id=_int(get.get("unit")),
        state=get.get("state") if get.get("state") in FeedbackState.values else None,
        kind=get.get("kind") if get.get("kind") in FeedbackKind.values else None,
        overdue=get.get("overdue") == "1",
    )
    page = page_of(selectors.feedback_list(actor=request.user, filters=filters), get.get("page"))
    query = get.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "summary": selectors.feedback_summary(actor=request.user, filters=filters),
        "states": FeedbackState.choices,
        "kinds": FeedbackKind.choices,
        "query": query.urlencode(),
        "today": today(),
    }
    return render(request, "satisfaction/feedback_list.html", context)


@scoped_view
def feedback_detail(request, feedback_id: int):
    feedback = selectors.feedback_get(actor=request.user, feedback_id=feedback_id)
    form = FeedbackAnswerForm(request.POST or None, initial={"answered_on": today()})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "close":
                services.feedback_close(actor=request.user, feedback=feedback)
            elif form.is_valid():
                services.feedback_answer(actor=request.user, feedback=feedback, **form.cleaned_data)
            else:
                raise ValidationError(_("Write the answer."))
        except (ValidationError, PermissionDenied) as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Done."))
        return redirect("satisfaction:feedback-detail", feedback.pk)
    context = {
        "feedback": feedback,
        "form": form,
        "can_handle": can(request.user, "satisfaction.handle_feedback", feedback.unit_id),
        "today": today(),
    }
    return render(request, "satisfaction/feedback_detail.html", context)


def index_url(unit_id: int, **extra) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"unit": unit_id, **extra}.items())
    return f"{reverse('satisfaction:index')}?{query}"
