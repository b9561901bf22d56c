"""Export of process instances (what the list shows, scoped the same way) as an .xlsx file."""

import io
from itertools import islice

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kycuong.core.access import scoped_view
from kycuong.core.calendar import today
from kycuong.core.excel import XLSX_CONTENT_TYPE, write_cell

from . import selectors
from .forms import InstanceFilterForm
from .views import _filters

MAX_EXPORT_ROWS = 200_000


def _hours(minutes):
    return round(minutes / 60, 1) if minutes is not None else None


def _local_date(moment):
    return timezone.localtime(moment).date() if moment else None


def export_workbook(instances) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet(_("Cases")[:31])
    headers = [
        (_("Id"), 8),
        (_("Process code"), 14),
        (_("Process"), 40),
        (_("Unit"), 30),
        (_("Case reference"), 16),
        (_("Case"), 40),
        (_("State"), 16),
        (_("Started"), 12),
        (_("Due"), 12),
        (_("Completed"), 12),
        (_("Outcome"), 12),
        (_("Hours allowed"), 10),
        (_("Hours used"), 10),
        (_("Current steps"), 40),
    ]
    for col, (title, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, str(title), header)
    sheet.freeze_panes(1, 0)
    for row, instance in enumerate(islice(instances.iterator(chunk_size=2000), MAX_EXPORT_ROWS), start=1):
        values = [
            instance.pk,
            instance.definition.code,
            instance.definition.name,
            instance.unit.name,
            instance.case_reference,
            instance.case_title,
            instance.get_state_display(),
            _local_date(instance.started_at),
            _local_date(instance.due_at),
            instance.completed_on,
            instance.get_outcome_display() if instance.outcome else "",
            _hours(instance.allowed_minutes),
            _hours(instance.used_minutes),
            instance.current_steps,
        ]
        for col, value in enumerate(values):
            write_cell(sheet, row, col, value, date_format)
    workbook.close()
    return output.getvalue()


@scoped_view
@require_safe
@never_cache
def export_instances(request):
    filters = _filters(InstanceFilterForm(request.GET))
    content = export_workbook(selectors.instance_list(actor=request.user, filters=filters))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="quy-trinh-{today():%Y%m%d}.xlsx"'
    return response
