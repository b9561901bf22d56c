"""A cycle's results as an .xlsx workbook: one sheet of evaluations, one of the distribution per unit."""

import io
from collections.abc import Iterable

import xlsxwriter
from django.utils.translation import gettext as _

from kycuong.core.excel import write_cell

from . import scoring
from .models import Cycle, Evaluation

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 200_000


def _headers():
    return [
        (_("Unit"), 32),
        (_("Full name"), 28),
        (_("Role"), 12),
        (_("Tasks assigned"), 10),
        (_("Done"), 8),
        (_("Late"), 8),
        (_("Times sent back"), 10),
        (_("Task results points"), 12),
        (_("General criteria"), 12),
        (_("Bonus points"), 10),
        (_("Adjustment"), 10),
        (_("Reason for the adjustment"), 30),
        (_("Score"), 10),
        (_("Level"), 26),
        (_("Grounds"), 30),
        (_("Moved down for the quota"), 30),
        (_("State"), 18),
    ]


def export_cycle(cycle: Cycle, evaluations: Iterable[Evaluation], quota: list[dict]) -> bytes:
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
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    rules = cycle.method.rules
    sheet = workbook.add_worksheet(_("Evaluations")[:31])
    sheet.write_string(0, 0, cycle.name, bold)
    sheet.write_string(
        1, 0, f"{cycle.method.display_name} · {cycle.period_start:%d/%m/%Y} – {cycle.period_end:%d/%m/%Y}"
    )
    headers = _headers()
    for col, (title, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(3, col, str(title), header)
    row = 3
    for row, evaluation in enumerate(evaluations, start=4):
        if row - 3 > MAX_ROWS:
            break
        values = [
            evaluation.unit.name,
            evaluation.staff.full_name if evaluation.staff_id else "",
            evaluation.get_role_display(),
            evaluation.tasks_assigned,
            evaluation.tasks_done,
            evaluation.tasks_late,
            evaluation.rework_total,
            float(evaluation.task_points),
            float(evaluation.general_used) if evaluation.general_used is not None else None,
            float(evaluation.bonus_points),
            float(evaluation.adjustment),
            evaluation.adjustment_reason,
            float(evaluation.total),
            scoring.level_name(rules, evaluation.level),
            "; ".join(filter(None, [evaluation.ground_reason, evaluation.manual_ground])),
            evaluation.quota_reason,
            evaluation.get_state_display(),
        ]
        for col, value in enumerate(values):
            write_cell(sheet, row, col, value, date_format)
    sheet.autofilter(3, 0, max(row, 4), len(headers) - 1)
    codes = scoring.level_codes(rules)
    summary = workbook.add_worksheet(_("Distribution")[:31])
    summary.set_column(0, 0, 34)
    summary.write_string(0, 0, _("Unit"), header)
    for col, code in enumerate(codes, start=1):
        summary.set_column(col, col, 16)
        summary.write_string(0, col, scoring.level_name(rules, code), header)
    extra = len(codes) + 1
    summary.write_string(0, extra, _("Allowed at the quota level"), header)
    summary.write_string(0, extra + 1, _("Excess"), header)
    for line, entry in enumerate(quota, start=1):
        summary.write_string(line, 0, entry["unit_name"])
        for col, code in enumerate(codes, start=1):
            summary.write_number(line, col, entry["counts"].get(code, 0))
        if entry["allowed"] is not None:
            summary.write_number(line, extra, entry["allowed"])
        summary.write_number(line, extra + 1, entry["excess"])
    workbook.close()
    return output.getvalue()


def level_counts(cycle: Cycle) -> list[dict]:
    """Per unit, counts by level (used for methods with and without a quota)."""
    from django.db.models import Count

    from kycuong.org.models import Unit

    counts: dict[int, dict[str, int]] = {}
    for row in cycle.evaluations.order_by().values("unit_id", "level").annotate(n=Count("id")):
        counts.setdefault(row["unit_id"], {})[row["level"]] = row["n"]
    names = dict(Unit.objects.filter(pk__in=counts).values_list("pk", "name"))
    return [
        {
            "unit_id": unit_id,
            "unit_name": names.get(unit_id, ""),
            "counts": by_level,
            "allowed": None,
            "excess": 0,
        }
        for unit_id, by_level in sorted(counts.items(), key=lambda item: names.get(item[0], ""))
    ]
