"""Files of the satisfaction app: export of ratings and of the index, the import template, the import."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kycuong.core.access import scoped_view
from kycuong.core.calendar import today
from kycuong.core.scoping import has_any_grant
from kycuong.org.selectors import unit_get

from . import excel, selectors
from .forms import ImportForm
from .views import _default_unit, _int, rating_filters

ERRORS_SHOWN = 300


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@scoped_view
@require_safe
@never_cache
def export_ratings(request):
    ratings = selectors.rating_list(actor=request.user, filters=rating_filters(request))
    return _xlsx(excel.export_ratings(ratings), f"danh-gia-{today():%Y%m%d}.xlsx")


@scoped_view
@require_safe
@never_cache
def export_index(request):
    """The index of the unit's sub-units (or its service points) for the period, as on the index page."""
    unit_id = _int(request.GET.get("unit"))
    unit = unit_get(actor=request.user, unit_id=unit_id) if unit_id else _default_unit(request.user)
    filters = selectors.IndexFilters(
        unit_id=unit.pk,
        date_from=selectors.parse_day(request.GET.get("date_from")),
        date_to=selectors.parse_day(request.GET.get("date_to")),
    )
    date_from, date_to = filters.period()
    group = "unit" if unit.children.exists() else "service_point"
    rows = [(unit.name, selectors.satisfaction_index(actor=request.user, filters=filters))]
    rows += [
        (row.label, row.figures)
        for row in selectors.satisfaction_breakdown(
            actor=request.user, filters=filters, group_by=group, limit=5000
        )
    ]
    title = f"{unit.name}: {date_from:%d/%m/%Y} – {date_to:%d/%m/%Y}"
    return _xlsx(excel.export_index(title, rows), f"chi-so-hai-long-{unit.code}-{date_to:%Y%m%d}.xlsx")


@scoped_view
@require_safe
def import_template(request):
    return _xlsx(excel.import_template(), "mau-nhap-danh-gia.xlsx")


@scoped_view
@require_http_methods(["GET", "POST"])
def import_ratings(request):
    if not has_any_grant(request.user, "satisfaction.import_rating"):
        raise PermissionDenied
    posted = request.method == "POST"
    form = ImportForm(request.POST, request.FILES) if posted else ImportForm()
    result = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        result = excel.import_ratings(actor=request.user, name=upload.name, content=upload.read())
        if result.ok:
            messages.success(
                request,
                ngettext("%(count)s rating was imported.", "%(count)s ratings were imported.", result.created)
                % {"count": number_format(result.created, force_grouping=True)},
            )
            return redirect(reverse("satisfaction:ratings"))
    errors = result.errors if result else []
    context = {
        "form": form,
        "columns": excel.COLUMNS,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
        "max_rows": excel.MAX_IMPORT_ROWS,
        "title": _("Import ratings"),
    }
    return render(request, "satisfaction/import.html", context, status=422 if posted else 200)
