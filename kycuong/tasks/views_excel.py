"""Excel pages of the task list: export what the list shows, download the import template, import a file."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kycuong.core.access import scoped_view
from kycuong.core.calendar import today
from kycuong.core.forms import StyledFormMixin
from kycuong.core.scoping import has_any_grant

from . import excel, selectors
from .forms import TaskFilterForm
from .views import filters_from

# Enough to show what is wrong with a file; the rest is counted, not listed.
ERRORS_SHOWN = 300


class TaskImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{excel.XLSX_CONTENT_TYPE}"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Filled in from the template: at most %(rows)s tasks and %(size)s MB."
        ) % {
            "rows": number_format(excel.MAX_IMPORT_ROWS, force_grouping=True),
            "size": excel.MAX_IMPORT_BYTES // (1024 * 1024),
        }


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@scoped_view
@require_safe
@never_cache
def export_tasks(request):
    """The tasks the list page shows for the same filters, scoped the same way, as an .xlsx file."""
    filters = filters_from(TaskFilterForm(request.GET))
    tasks = selectors.task_list(actor=request.user, filters=filters)
    return _xlsx(excel.export_tasks(tasks), f"nhiem-vu-{today():%Y%m%d}.xlsx")


@scoped_view
@require_safe
def import_template(request):
    return _xlsx(excel.import_template(), "mau-nhap-nhiem-vu.xlsx")


@scoped_view
@require_http_methods(["GET", "POST"])
def import_tasks(request):
    if not has_any_grant(request.user, "tasks.assign_task"):
        raise PermissionDenied
    posted = request.method == "POST"
    form = TaskImportForm(request.POST, request.FILES) if posted else TaskImportForm()
    result = None
    if posted and form.is_valid():
        result = excel.import_tasks(actor=request.user, file=form.cleaned_data["file"])
        if result.ok:
            messages.success(
                request,
                ngettext("%(count)s task was imported.", "%(count)s tasks were imported.", result.created)
                % {"count": number_format(result.created, force_grouping=True)},
            )
            return redirect(f"{reverse('tasks:list')}?scope=assigned&sort=-updated")
    errors = result.errors if result else []
    context = {
        "form": form,
        "columns": excel.COLUMNS,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
        "errors_not_shown": max(0, len(errors) - ERRORS_SHOWN),
    }
    return render(request, "tasks/import.html", context, status=422 if posted else 200)
