"""The inspection list as .xlsx, written row by row as the rows are read."""

import io
from collections.abc import Iterable
from itertools import islice

import xlsxwriter
from django.utils.translation import gettext as _

from kycuong.core.excel import DATE_FORMAT, write_cell

MAX_EXPORT_ROWS = 100_000


def workbook_formats(workbook) -> tuple:
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    return header, workbook.add_format({"num_format": DATE_FORMAT})


def export_inspections(rows: Iterable) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header, date_format = workbook_formats(workbook)
    sheet = workbook.add_worksheet(_("Inspections")[:31])
    headers = [
        (_("Decision number"), 16),
        (_("Decision date"), 12),
        (_("Kind"), 28),
        (_("Planned"), 12),
        (_("Deciding body"), 30),
        (_("Topic"), 50),
        (_("Subjects"), 10),
        (_("Status"), 16),
    ]
    for col, (title, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, str(title), header)
    sheet.freeze_panes(1, 0)
    last = 0
    iterator = rows.iterator(chunk_size=2000) if hasattr(rows, "iterator") else iter(rows)
    for last, row in enumerate(islice(iterator, MAX_EXPORT_ROWS), start=1):
        values = (
            row.decision_number,
            row.decision_date,
            row.kind.display_name,
            _("Planned") if row.planned else _("Unannounced"),
            row.deciding_unit.name,
            row.topic,
            row.subject_count,
            row.get_status_display(),
        )
        for col, value in enumerate(values):
            write_cell(sheet, last, col, value, date_format)
    sheet.autofilter(0, 0, max(last, 1), len(headers) - 1)
    workbook.close()
    return output.getvalue()
