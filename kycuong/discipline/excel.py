"""The statistics of inspection, supervision and discipline as .xlsx, in the order Party committees report."""

import io

import xlsxwriter
from django.utils.translation import gettext as _

from kycuong.core.excel import write_cell
from kycuong.inspections.excel import workbook_formats


def statistic_rows(context: dict) -> list[tuple[str, int]]:
    i, d = context["i"], context["d"]
    rows = [
        (_("Inspections and supervisions"), i.inspections),
        (_("of which planned"), i.planned),
        (_("of which unannounced"), i.unannounced),
        (_("of which supervisions"), i.supervisions),
        (_("Organisations inspected or supervised (distinct)"), i.orgs),
        (_("Individuals inspected or supervised (distinct)"), i.people),
        (_("of whom Party members"), i.party_people),
        (_("Organisations found violating (distinct)"), i.orgs_violating),
        (_("Individuals found violating (distinct)"), i.people_violating),
        (_("of whom Party members"), i.party_people_violating),
        (_("Organisations disciplined (distinct)"), d.orgs),
        (_("Individuals disciplined (distinct)"), d.people),
        (_("of whom Party members"), d.party_people),
        (_("of whom disciplined by the Party"), d.people_by_party),
        (_("of whom disciplined administratively"), d.people_administratively),
    ]
    return rows


def export_statistics(context: dict) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"strings_to_formulas": False, "strings_to_urls": False})
    header, date_format = workbook_formats(workbook)
    sheet = workbook.add_worksheet(_("Statistics")[:31])
    sheet.set_column(0, 0, 60)
    sheet.set_column(1, 3, 16)
    sheet.write_string(
        0, 0, f"{context['unit'].name}: {context['start']:%d/%m/%Y}–{context['end']:%d/%m/%Y}", header
    )
    sheet.write_string(2, 0, _("Figure"), header)
    sheet.write_string(2, 1, _("Value"), header)
    row = 3
    for label, value in statistic_rows(context):
        write_cell(sheet, row, 0, label, date_format)
        write_cell(sheet, row, 1, value, date_format)
        row += 1
    row += 1
    for col, title in enumerate((_("Kind"), _("Planned"), _("Unannounced"), _("Total"))):
        sheet.write_string(row, col, title, header)
    for kind_row in context["i"].by_kind:
        row += 1
        for col, value in enumerate(
            (kind_row.kind.display_name, kind_row.planned, kind_row.unannounced, kind_row.total)
        ):
            write_cell(sheet, row, col, value, date_format)
    row += 2
    for col, title in enumerate(
        (_("Form of discipline"), _("Legal basis"), _("Organisations"), _("Individuals"))
    ):
        sheet.write_string(row, col, title, header)
    for form_row in context["d"].by_form:
        row += 1
        values = (form_row.form.display_name, form_row.form.legal_basis, form_row.orgs, form_row.people)
        for col, value in enumerate(values):
            write_cell(sheet, row, col, value, date_format)
    workbook.close()
    return output.getvalue()
