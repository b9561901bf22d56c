"""Capital plans and disbursements to and from Excel: the import templates, the all-or-nothing import with
per-row errors, and the export of the project list.

Each sheet's columns are described once (SHEETS): the template, the header check and the row parser read
that description. The reading follows kycuong/tasks/excel.py and reuses its file-level helpers (size and
archive checks, formula refusal, date and text parsing, error types): a formula cell is refused, never
evaluated, and nothing is saved unless every row is right.
"""

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import xlsxwriter
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from kycuong.core.excel import (
    DAMAGED,
    DATE_FORMAT,
    NOT_XLSX,
    XLSX_CONTENT_TYPE,
    CellError,
    FileRefused,
    ImportResult,
    RowError,
    match_headers,
)
from kycuong.core.excel import cell_value as _cell_value
from kycuong.core.excel import check_archive as _check_archive
from kycuong.core.excel import file_size as _file_size
from kycuong.core.excel import is_blank as _is_blank
from kycuong.core.excel import line as _line
from kycuong.core.excel import parse_date as _date
from kycuong.core.excel import sheet_rows as _sheet_rows
from kycuong.core.excel import write_cell as _write_cell
from kycuong.core.scoping import can, restrict
from kycuong.org.models import Unit

from . import progress, services
from .models import PlanRevision, Project

__all__ = ["XLSX_CONTENT_TYPE", "SHEETS", "import_sheet", "import_template", "export_projects"]

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
MAX_HEADER_COLUMNS = 40
EXPORT_CHUNK_SIZE = 2000
MAX_EXPORT_ROWS = 1_048_574


# --- cell parsers ------------------------------------------------------------------------------------------

GROUPED_NUMBER = re.compile(r"\d{1,3}([., ]\d{3})+|\d+")


def _amount(value: Any) -> int | None:
    """Whole đồng: a number, or text with dots, commas or spaces between thousands (1.250.000.000)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(_("Enter an amount in đồng, as a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and GROUPED_NUMBER.fullmatch(value.strip()):
        number = int(re.sub(r"[., ]", "", value.strip()))
    else:
        raise CellError(_("Enter an amount in đồng, as a whole number."))
    if number < 0:
        raise CellError(_("Enter an amount of zero or more."))
    if number > services.MAX_AMOUNT:
        raise CellError(_("This amount is too large."))
    return number


def _year(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise CellError(_("Enter a year such as 2025."))
    return value


@dataclass(frozen=True)
class Column:
    key: str
    header: Any
    required: bool
    parser: Callable[[Any], Any]
    help: Any
    example: Any = ""
    width: int = 18
    as_text: bool = False


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: Any
    permission: str
    columns: tuple[Column, ...]


PROJECT_CODE = Column(
    "project_code",
    # Translators: header of the import template; Vietnamese "Mã dự án".
    gettext_lazy("Project code"),
    True,
    _line(40),
    gettext_lazy("The project's code as recorded in the system."),
    "DA-008-0001",
    as_text=True,
)

PLAN_COLUMNS = (
    PROJECT_CODE,
    Column(
        "year",
        # Translators: header of the import template; Vietnamese "Năm kế hoạch".
        gettext_lazy("Plan year"),
        True,
        _year,
        gettext_lazy("The year of the capital plan, for example 2025."),
        2025,
        width=10,
    ),
    Column(
        "assigned_amount",
        # Translators: header of the import template; Vietnamese "Vốn Thủ tướng giao (đồng)".
        gettext_lazy("Assigned by the Prime Minister (VND)"),
        True,
        _amount,
        gettext_lazy("Whole đồng, without decimals."),
        12_000_000_000,
        width=20,
    ),
    Column(
        "local_amount",
        # Translators: header of the import template; Vietnamese "Vốn địa phương bổ sung (đồng)".
        gettext_lazy("Local additions (VND)"),
        False,
        _amount,
        gettext_lazy("Whole đồng. Empty: none."),
        3_000_000_000,
        width=20,
    ),
    Column(
        "effective_on",
        # Translators: header of the import template; Vietnamese "Ngày hiệu lực".
        gettext_lazy("Effective on"),
        False,
        _date,
        gettext_lazy("dd/mm/yyyy: the date of the decision. Empty: today. A later date revises the plan."),
        "15/12/2024",
        width=14,
        as_text=True,
    ),
    Column(
        "decision",
        # Translators: header of the import template; Vietnamese "Quyết định".
        gettext_lazy("Decision"),
        False,
        _line(100),
        gettext_lazy("The number of the decision that assigns or revises the plan."),
        "5678/QĐ-UBND",
        as_text=True,
    ),
    Column(
        "project_name",
        # Translators: header of the import template; Vietnamese "Tên dự án (dự án mới)".
        gettext_lazy("Project name (new project)"),
        False,
        _line(500),
        gettext_lazy("Only for a project not yet recorded: its name. Leave empty for a recorded project."),
        "",
        width=40,
    ),
    Column(
        "investor_code",
        # Translators: header of the import template; Vietnamese "Mã chủ đầu tư (dự án mới)".
        gettext_lazy("Investor unit code (new project)"),
        False,
        _line(40),
        gettext_lazy("Only for a new project: the official code of the investor."),
        "",
        as_text=True,
    ),
    Column(
        "responsible_code",
        # Translators: header of the import template; Vietnamese "Mã đơn vị phụ trách (dự án mới)".
        gettext_lazy("Responsible unit code (new project)"),
        False,
        _line(40),
        gettext_lazy("Only for a new project: the official code of the unit that follows it."),
        "",
        as_text=True,
    ),
)

DISBURSEMENT_COLUMNS = (
    PROJECT_CODE,
    Column(
        "plan_year",
        # Translators: header of the import template; Vietnamese "Năm kế hoạch".
        gettext_lazy("Plan year"),
        True,
        _year,
        gettext_lazy("The plan year the capital belongs to; January payments may count for the year before."),
        2024,
        width=10,
    ),
    Column(
        "paid_on",
        # Translators: header of the import template; Vietnamese "Ngày giải ngân".
        gettext_lazy("Paid on"),
        True,
        _date,
        gettext_lazy("dd/mm/yyyy, from 01/01 of the plan year to 31/01 of the next year."),
        "15/01/2025",
        width=14,
        as_text=True,
    ),
    Column(
        "amount",
        # Translators: header of the import template; Vietnamese "Số tiền (đồng)".
        gettext_lazy("Amount (VND)"),
        True,
        _amount,
        gettext_lazy("Whole đồng, greater than zero."),
        1_500_000_000,
        width=20,
    ),
    Column(
        "reference",
        # Translators: header of the import template; Vietnamese "Chứng từ".
        gettext_lazy("Reference"),
        False,
        _line(100),
        gettext_lazy("The number of the payment order or voucher."),
        "",
        as_text=True,
    ),
    Column(
        "note",
        # Translators: header of the import template; Vietnamese "Ghi chú".
        gettext_lazy("Note"),
        False,
        _line(500),
        gettext_lazy("Optional."),
        "",
        width=30,
    ),
)

SHEETS = {
    "plans": Sheet("plans", gettext_lazy("Capital plans"), services.PLAN_PROJECT, PLAN_COLUMNS),
    "disbursements": Sheet(
        "disbursements", gettext_lazy("Disbursements"), services.RECORD_DISBURSEMENT, DISBURSEMENT_COLUMNS
    ),
}


# --- the template ----------------------------------------------------------------------------------------


def import_template(kind: str) -> bytes:
    sheet_spec = SHEETS[kind]
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"strings_to_formulas": False, "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True})
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(str(sheet_spec.title)[:31])
    for index, column in enumerate(sheet_spec.columns):
        sheet.set_column(index, index, column.width, text if column.as_text else None)
        sheet.write_string(0, index, str(column.header), required if column.required else header)
    sheet.freeze_panes(1, 0)
    guide = workbook.add_worksheet(_("Instructions")[:31])
    guide.set_column(0, 0, 34)
    guide.set_column(1, 1, 10)
    guide.set_column(2, 2, 80)
    guide.write_string(0, 0, _("One row per line from row 2; keep the headers; do not use formulas."))
    guide.write_string(
        1, 0, _("Nothing is saved unless every row is correct: the errors are listed by row and column.")
    )
    for row, column in enumerate(sheet_spec.columns, start=3):
        guide.write_string(row, 0, str(column.header))
        guide.write_string(row, 1, _("Yes") if column.required else _("No"))
        guide.write_string(row, 2, str(column.help), wrap)
    example_row = len(sheet_spec.columns) + 4
    for col, column in enumerate(sheet_spec.columns):
        guide.write_string(example_row, col, str(column.header), header)
        if isinstance(column.example, int):
            guide.write_number(example_row + 1, col, column.example)
        elif str(column.example):
            guide.write_string(example_row + 1, col, str(column.example))
    workbook.close()
    return output.getvalue()


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    refused: bool


def _read_rows(columns, file) -> tuple[list[_Row], dict[str, str], list[RowError]]:
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except DAMAGED as error:
        raise FileRefused(str(NOT_XLSX)) from error
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        header = next(_sheet_rows(sheet, min_row=1, max_row=1, max_col=MAX_HEADER_COLUMNS), ())
        if _is_blank(header):
            raise FileRefused(
                _("Row 1 of the first sheet is empty: it must hold the headers of the template.")
            )
        positions, labels, errors = match_headers(columns, header)
        if errors:
            return [], labels, errors
        rows = []
        width = max(positions.values()) + 1
        for number, cells in enumerate(_sheet_rows(sheet, min_row=2, max_col=width), start=2):
            if _is_blank(cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise FileRefused(
                    _("The file has more than %(max)d rows; split it into several files.")
                    % {"max": MAX_IMPORT_ROWS}
                )
            row = _Row(number, {}, False)
            for column in columns:
                position = positions[column.key]
                cell = cells[position] if position < len(cells) else None
                found_before = len(errors)
                value = _cell_value(cell, labels[column.key], number, errors)
                parsed = None
                if len(errors) == found_before:
                    try:
                        parsed = column.parser(value)
                    except CellError as problem:
                        errors.append(RowError(number, labels[column.key], str(problem)))
                    else:
                        if column.required and parsed in (None, ""):
                            errors.append(
                                RowError(number, labels[column.key], _("This cell must be filled in."))
                            )
                row.refused |= len(errors) > found_before
                row.values[column.key] = parsed
            rows.append(row)
        if not rows:
            raise FileRefused(_("The first sheet has nothing to import below its headers."))
        return rows, labels, errors
    finally:
        workbook.close()


# --- checking and importing ---------------------------------------------------------------------------------


class _RollBack(Exception):
    pass


def _service_errors(
    number: int, labels: dict[str, str], error: ValidationError, fields: dict
) -> list[RowError]:
    if not hasattr(error, "error_dict"):
        return [RowError(number, "", message) for message in error.messages]
    found = []
    for name, messages in error.message_dict.items():
        key = fields.get(name)
        column = labels.get(key, "") if key and name != NON_FIELD_ERRORS else ""
        found.extend(RowError(number, column, message) for message in messages)
    return found


class _Refs:
    def __init__(self, actor, rows: list[_Row], permission: str):
        self.actor = actor
        self.permission = permission
        codes = {row.values["project_code"] for row in rows if row.values.get("project_code")}
        visible = restrict(Project.objects.filter(code__in=codes), actor, "targets.view_project")
        self.projects = {project.code: project for project in visible}
        unit_codes = {
            row.values[key]
            for row in rows
            for key in ("investor_code", "responsible_code")
            if row.values.get(key)
        }
        self.units = (
            {unit.code: unit for unit in Unit.objects.filter(code__in=unit_codes)} if unit_codes else {}
        )
        self._rights: dict[tuple[str, int], bool] = {}

    def may(self, permission: str, unit_id: int) -> bool:
        key = (permission, unit_id)
        if key not in self._rights:
            self._rights[key] = can(self.actor, permission, unit_id)
        return self._rights[key]

    def unit(self, code: str) -> Unit | None:
        unit = self.units.get(code)
        if unit is None or not (self.may("org.view_unit", unit.pk) or self.may(self.permission, unit.pk)):
            return None  # outside what the actor may see, a unit is answered like a missing one
        return unit


def _unknown_project(number, labels, code) -> RowError:
    return RowError(
        number, labels["project_code"], _("There is no project with the code “%(code)s”.") % {"code": code}
    )


def _prepare_plan(refs: _Refs, row: _Row, labels, errors, new_codes: set) -> dict | None:
    values, number = row.values, row.number
    before = len(errors)
    code = values["project_code"]
    project = refs.projects.get(code) if code else None
    new_project = None
    if code and project is None:
        if not (values["project_name"] and values["investor_code"] and values["responsible_code"]):
            if Project.objects.filter(code=code).exists() or not values["project_name"]:
                errors.append(_unknown_project(number, labels, code))
            else:
                errors.append(
                    RowError(
                        number,
                        labels["responsible_code"],
                        _("A new project needs its name, investor unit code and responsible unit code."),
                    )
                )
        elif Project.objects.filter(code=code).exists():
            errors.append(_unknown_project(number, labels, code))
        else:
            units = {}
            for key in ("investor_code", "responsible_code"):
                unit = refs.unit(values[key])
                if unit is None:
                    errors.append(
                        RowError(
                            number,
                            labels[key],
                            _("There is no unit with the code “%(code)s”.") % {"code": values[key]},
                        )
                    )
                units[key] = unit
            responsible = units["responsible_code"]
            if responsible is not None and not refs.may(services.PLAN_PROJECT, responsible.pk):
                errors.append(
                    RowError(
                        number,
                        labels["responsible_code"],
                        _("You may not plan projects of “%(unit)s”.") % {"unit": responsible.display_name},
                    )
                )
            if code not in new_codes:
                new_codes.add(code)
                new_project = {
                    "code": code,
                    "name": values["project_name"],
                    "investor_unit": units["investor_code"],
                    "responsible_unit": responsible,
                }
    elif project is not None and not refs.may(services.PLAN_PROJECT, project.responsible_unit_id):
        errors.append(
            RowError(
                number,
                labels["project_code"],
                _("You may not revise the plans of project “%(code)s”.") % {"code": code},
            )
        )
    if row.refused or len(errors) > before:
        return None
    return {
        "code": code,
        "new_project": new_project,
        "year": values["year"],
        "assigned_amount": values["assigned_amount"],
        "local_amount": values["local_amount"] or 0,
        "effective_on": values["effective_on"],
        "decision": values["decision"],
    }


def _prepare_disbursement(refs: _Refs, row: _Row, labels, errors, planned: set) -> dict | None:
    values, number = row.values, row.number
    before = len(errors)
    code = values["project_code"]
    project = refs.projects.get(code) if code else None
    if code and project is None:
        errors.append(_unknown_project(number, labels, code))
    elif project is not None:
        if not refs.may(services.RECORD_DISBURSEMENT, project.responsible_unit_id):
            errors.append(
                RowError(
                    number,
                    labels["project_code"],
                    _("You may not record disbursements of project “%(code)s”.") % {"code": code},
                )
            )
        elif values["plan_year"] and (project.pk, values["plan_year"]) not in planned:
            errors.append(
                RowError(
                    number,
                    labels["plan_year"],
                    _("The project has no capital plan for %(year)d.") % {"year": values["plan_year"]},
                )
            )
    if values["plan_year"] and values["paid_on"] and values["amount"] is not None:
        problems = services.check_disbursement(
            plan_year=values["plan_year"], paid_on=values["paid_on"], amount=values["amount"]
        )
        for name, message in problems.items():
            errors.append(RowError(number, labels.get(name, ""), message))
    if row.refused or len(errors) > before:
        return None
    return {
        "project": project,
        "plan_year": values["plan_year"],
        "paid_on": values["paid_on"],
        "amount": values["amount"],
        "reference": values["reference"],
        "note": values["note"],
    }


PLAN_FIELDS = {
    "assigned_amount": "assigned_amount",
    "local_amount": "local_amount",
    "effective_on": "effective_on",
    "year": "year",
    "code": "project_code",
    "name": "project_name",
}
DISBURSEMENT_FIELDS = {"paid_on": "paid_on", "amount": "amount", "plan_year": "plan_year"}


def import_sheet(*, actor, kind: str, file) -> ImportResult:
    """Import every row of the first sheet through the services in one transaction, or none at all."""
    sheet = SHEETS[kind]
    if isinstance(file, bytes | bytearray):
        file = io.BytesIO(file)
    try:
        if _file_size(file) > MAX_IMPORT_BYTES:
            raise FileRefused(
                _("The file is larger than %(size)d MB; split it into several files.")
                % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        file.seek(0)
        _check_archive(file)
        rows, labels, errors = _read_rows(sheet.columns, file)
    except FileRefused as refused:
        return ImportResult(errors=[RowError(None, "", refused.message)])
    if not rows:
        return ImportResult(errors=errors)
    refs = _Refs(actor, rows, sheet.permission)
    prepared = []
    if kind == "plans":
        new_codes: set = set()
        for row in rows:
            arguments = _prepare_plan(refs, row, labels, errors, new_codes)
            if arguments is not None:
                prepared.append((row.number, arguments))
    else:
        planned = set(
            PlanRevision.objects.filter(project__in=list(refs.projects.values()))
            .values_list("project_id", "year")
            .distinct()
        )
        for row in rows:
            arguments = _prepare_disbursement(refs, row, labels, errors, planned)
            if arguments is not None:
                prepared.append((row.number, arguments))
    if errors:
        return ImportResult(errors=_ordered(errors))
    created = 0
    try:
        with transaction.atomic():
            for number, arguments in prepared:
                try:
                    if kind == "plans":
                        _import_plan(actor, refs, arguments)
                    else:
                        services.disbursement_record(actor=actor, **arguments)
                except ValidationError as error:
                    fields = PLAN_FIELDS if kind == "plans" else DISBURSEMENT_FIELDS
                    errors.extend(_service_errors(number, labels, error, fields))
                except PermissionDenied as error:
                    errors.append(RowError(number, "", str(error) or _("You may not do this.")))
                else:
                    created += 1
            if errors:
                raise _RollBack
    except _RollBack:
        return ImportResult(errors=_ordered(errors))
    return ImportResult(created=created)


def _import_plan(actor, refs: _Refs, arguments: dict) -> None:
    arguments = dict(arguments)
    code, new_project = arguments.pop("code"), arguments.pop("new_project")
    if new_project is not None:
        refs.projects[code] = services.project_create(actor=actor, **new_project)
    services.plan_revise(actor=actor, project=refs.projects[code], **arguments)


def _ordered(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda error: (error.row or 0,))


# --- export ---------------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    (gettext_lazy("Project code"), 14),
    (gettext_lazy("Project name"), 44),
    (gettext_lazy("Responsible unit"), 28),
    (gettext_lazy("Investor"), 28),
    (gettext_lazy("Plan year"), 8),
    (gettext_lazy("Assigned by the Prime Minister (VND)"), 20),
    (gettext_lazy("Local additions (VND)"), 18),
    (gettext_lazy("Total plan (VND)"), 20),
    (gettext_lazy("Disbursed (VND)"), 20),
    (gettext_lazy("Rate of the assigned plan (%)"), 12),
    (gettext_lazy("Rate of the total plan (%)"), 12),
)


def export_projects(rows: Iterable, year: int) -> bytes:
    """The project list of a year as .xlsx, one row each, written as the rows are read."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date_format = workbook.add_format({"num_format": DATE_FORMAT})
    money = workbook.add_format({"num_format": "#,##0"})
    sheet = workbook.add_worksheet((_("Disbursement %(year)d") % {"year": year})[:31])
    for col, (title, width) in enumerate(EXPORT_HEADERS):
        sheet.set_column(col, col, width, money if 5 <= col <= 8 else None)
        sheet.write_string(0, col, str(title), header)
    sheet.freeze_panes(1, 0)
    iterator = rows.iterator(chunk_size=EXPORT_CHUNK_SIZE) if hasattr(rows, "iterator") else iter(rows)
    last = 0
    for last, row in enumerate(islice(iterator, MAX_EXPORT_ROWS), start=1):
        rate_assigned = progress.rate(row.disbursed, row.assigned_amount)
        rate_total = progress.rate(row.disbursed, row.total_amount)
        values = (
            row.project.code,
            row.project.name,
            row.responsible_unit.display_name,
            row.project.investor_unit.display_name,
            row.year,
            row.assigned_amount,
            row.local_amount,
            row.total_amount,
            row.disbursed,
            float(rate_assigned) if rate_assigned is not None else None,
            float(rate_total) if rate_total is not None else None,
        )
        for col, value in enumerate(values):
            _write_cell(sheet, last, col, value, date_format)
    sheet.autofilter(0, 0, max(last, 1), len(EXPORT_HEADERS) - 1)
    workbook.close()
    return output.getvalue()
