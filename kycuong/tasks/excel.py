"""Tasks to and from Excel: the export of a task list, the import template, and the all-or-nothing import.

The import columns are described once, in COLUMNS: the template, the header check and the row parser all
read that tuple. A file is read with openpyxl and never evaluated: a cell holding a formula is refused.
The export is written with XlsxWriter in constant-memory mode, row after row, from a queryset iterator.
"""

import functools
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from kycuong.core.calendar import today
from kycuong.core.excel import (
    DAMAGED,
    DATE_FORMAT,
    NOT_XLSX,
    XLSX_CONTENT_TYPE,  # noqa: F401 - the views answer with this module's type
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
from kycuong.core.excel import paragraphs as _paragraphs
from kycuong.core.excel import parse_date as _date
from kycuong.core.excel import sheet_rows as _sheet_rows
from kycuong.core.excel import whole_number as _whole_number
from kycuong.core.excel import write_cell as _write_cell
from kycuong.core.scoping import can, restrict
from kycuong.core.text import fold
from kycuong.org.models import Post, Staff, Unit

from . import services
from .models import Priority, SourceDocument, Task

MAX_IMPORT_BYTES = 10 * 1024 * 1024
# Every row goes through services.task_assign (audit, event, notification): about 7 ms a row on SQLite and
# 18 ms on PostgreSQL here, inside one transaction that holds SQLite's write lock. 1,000 rows stay well
# within the web server's 60 s timeout and other writers' 20 s wait (checking without saving is ~0.1 s).
MAX_IMPORT_ROWS = 1000
# Header cells looked at; columns further right are ignored.
MAX_HEADER_COLUMNS = 60
MAX_WORKING_DAYS = 365
# Excel's last row is 1,048,576; the header takes one and a closing note another.
MAX_EXPORT_ROWS = 1_048_574
EXPORT_CHUNK_SIZE = 2000


# --- results ---------------------------------------------------------------------------------------------


# --- the import columns, described once --------------------------------------------------------------------


def _working_days(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _whole_number(value)
    if number is None or not 1 <= number <= MAX_WORKING_DAYS:
        raise CellError(
            _("Enter a whole number of working days from 1 to %(max)d.") % {"max": MAX_WORKING_DAYS}
        )
    return number


# The Vietnamese words offices write, whatever the language of the page; the labels of Priority in every
# language of the site are accepted too.
PRIORITY_WORDS = {
    "thap": Priority.LOW,
    "binh thuong": Priority.NORMAL,
    "cao": Priority.HIGH,
    "khan": Priority.URGENT,
    "khan cap": Priority.URGENT,
}


@functools.cache
def _priority_words() -> dict[str, int]:
    words = dict(PRIORITY_WORDS)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.update({fold(str(label)): value for value, label in Priority.choices})
    return words


def _priority(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _whole_number(value)
    if number is not None and number in Priority.values:
        return number
    if isinstance(value, str) and fold(value) in _priority_words():
        return _priority_words()[fold(value)]
    raise CellError(
        _("Enter a priority from 1 to 4, or one of: %(words)s.")
        % {"words": ", ".join(str(label) for label in Priority.labels)}
    )


@dataclass(frozen=True)
class Column:
    key: str
    header: Any  # a lazy translation: the header in the language of whoever downloads or uploads
    required: bool
    parser: Callable[[Any], Any]
    help: Any
    example: Any = ""
    width: int = 18
    # Typed as text in the template, so that Excel keeps "00337" and "06/01/2025" as they are typed.
    as_text: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "title",
        # Translators: header of the import template; Vietnamese "Tên nhiệm vụ".
        gettext_lazy("Task title"),
        True,
        _line(500),
        gettext_lazy("What is to be done, in one line (at most 500 characters)."),
        gettext_lazy("Report on the implementation of Directive 24-CT/TU"),
        width=48,
    ),
    Column(
        "assigning_unit",
        # Translators: header of the import template; Vietnamese "Mã đơn vị giao".
        gettext_lazy("Assigning unit code"),
        True,
        _line(40),
        gettext_lazy(
            "Official code of the unit that assigns the task; you need the right to assign tasks there."
        ),
        "T008",
        as_text=True,
    ),
    Column(
        "lead_unit",
        # Translators: header of the import template; Vietnamese "Mã đơn vị chủ trì".
        gettext_lazy("Lead unit code"),
        True,
        _line(40),
        gettext_lazy(
            "Official code of the unit that leads the task; you need the right to assign tasks there."
        ),
        "T00337",
        as_text=True,
    ),
    Column(
        "responsible",
        # Translators: header of the import template; Vietnamese "Người chịu trách nhiệm".
        gettext_lazy("Responsible person"),
        False,
        _line(200),
        gettext_lazy(
            "Full name of a person working in the lead unit, as recorded in the system. "
            "Leave it empty to let the lead unit decide."
        ),
        "Nguyễn Văn Hùng",
        width=24,
    ),
    Column(
        "start_date",
        # Translators: header of the import template; Vietnamese "Ngày bắt đầu".
        gettext_lazy("Start date"),
        False,
        _date,
        gettext_lazy("dd/mm/yyyy. Empty: today."),
        "06/01/2025",
        width=14,
        as_text=True,
    ),
    Column(
        "due_date",
        # Translators: header of the import template; Vietnamese "Hạn hoàn thành".
        gettext_lazy("Due date"),
        False,
        _date,
        gettext_lazy("dd/mm/yyyy. Give either a due date or a number of working days."),
        "",
        width=14,
        as_text=True,
    ),
    Column(
        "due_working_days",
        # Translators: header of the import template; Vietnamese "Số ngày làm việc".
        gettext_lazy("Working days"),
        False,
        _working_days,
        gettext_lazy(
            "Instead of a due date: the number of working days from the start date (1 to 365), "
            "weekends and public holidays not counted."
        ),
        10,
        width=12,
    ),
    Column(
        "priority",
        # Translators: header of the import template; Vietnamese "Mức ưu tiên".
        gettext_lazy("Priority"),
        False,
        _priority,
        gettext_lazy("1 to 4, or Low, Normal, High, Urgent (Thấp, Bình thường, Cao, Khẩn). Empty: Normal."),
        Priority.NORMAL.label,
        width=14,
    ),
    Column(
        "expected_product",
        # Translators: header of the import template; Vietnamese "Sản phẩm dự kiến".
        gettext_lazy("Expected product"),
        False,
        _line(300),
        gettext_lazy("What the lead unit hands in at the end (a report, a plan, a decision...)."),
        gettext_lazy("Report"),
        width=24,
    ),
    Column(
        "document_number",
        # Translators: header of the import template; Vietnamese "Số văn bản".
        gettext_lazy("Document number"),
        False,
        _line(60),
        gettext_lazy(
            "Optional: the number of the source document issued by the assigning unit, as recorded in the "
            "system, for example 24-CT/TU."
        ),
        "",
        width=16,
        as_text=True,
    ),
    Column(
        "description",
        # Translators: header of the import template; Vietnamese "Mô tả".
        gettext_lazy("Description"),
        False,
        _paragraphs(10000),
        gettext_lazy("Optional details."),
        "",
        width=40,
    ),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
# Where a field error of services.task_assign belongs in the sheet.
FIELD_COLUMNS = {
    "title": "title",
    "assigning_unit": "assigning_unit",
    "lead_unit": "lead_unit",
    "responsible": "responsible",
    "start_date": "start_date",
    "due_date": "due_date",
    "due_working_days": "due_working_days",
    "priority": "priority",
    "expected_product": "expected_product",
    "document": "document_number",
    "description": "description",
}


# --- the template ----------------------------------------------------------------------------------------


def import_template() -> bytes:
    """An empty import sheet with the headers, and a second sheet explaining each column with an example."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"strings_to_formulas": False, "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    required_header = workbook.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True}
    )
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    title = workbook.add_format({"bold": True, "font_size": 14})

    sheet = workbook.add_worksheet(_("Tasks")[:31])
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width, text if column.as_text else None)
        sheet.write_string(0, index, str(column.header), required_header if column.required else header)
    sheet.freeze_panes(1, 0)
    last_row = MAX_IMPORT_ROWS
    priority_index = COLUMNS.index(COLUMNS_BY_KEY["priority"])
    sheet.data_validation(
        1,
        priority_index,
        last_row,
        priority_index,
        {"validate": "list", "source": [str(label) for label in Priority.labels], "error_type": "warning"},
    )
    days_index = COLUMNS.index(COLUMNS_BY_KEY["due_working_days"])
    sheet.data_validation(
        1,
        days_index,
        last_row,
        days_index,
        {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": MAX_WORKING_DAYS},
    )

    guide = workbook.add_worksheet(_("Instructions")[:31])
    guide.set_column(0, 0, 28)
    guide.set_column(1, 1, 14)
    guide.set_column(2, 2, 90)
    guide.write_string(0, 0, _("How to fill in the sheet “%(sheet)s”") % {"sheet": _("Tasks")}, title)
    notes = (
        _("One task per row, from row 2. Keep the headers of row 1 as they are; do not use formulas."),
        _("Units are identified by their official code; you need the right to assign tasks in both units."),
        _("Nothing is saved unless every row is correct: the errors are listed by row and column."),
        _("At most %(rows)d tasks and %(size)d MB per file.")
        % {"rows": MAX_IMPORT_ROWS, "size": MAX_IMPORT_BYTES // (1024 * 1024)},
    )
    for offset, note in enumerate(notes, start=1):
        guide.write_string(offset, 0, note)
    row = len(notes) + 2
    for col, label in enumerate((_("Column"), _("Required"), _("What to enter"))):
        guide.write_string(row, col, label, header)
    for column in COLUMNS:
        row += 1
        guide.write_string(row, 0, str(column.header))
        guide.write_string(row, 1, _("Yes") if column.required else _("No"))
        guide.write_string(row, 2, str(column.help), wrap)
    row += 2
    guide.write_string(row, 0, _("Example row"), title)
    row += 1
    for col, column in enumerate(COLUMNS):
        guide.write_string(row, col, str(column.header), header)
        example = column.example
        if isinstance(example, int):
            guide.write_number(row + 1, col, example)
        elif str(example):
            guide.write_string(row + 1, col, str(example))
    workbook.close()
    return output.getvalue()


# --- reading a file ----------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    refused: set[str]  # the keys of the cells that could not be read


def _parse_row(
    number: int, cells: tuple, positions: dict[str, int], labels: dict[str, str], errors: list[RowError]
) -> _Row:
    row = _Row(number, {}, set())
    for column in COLUMNS:
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
                    errors.append(RowError(number, labels[column.key], _("This cell must be filled in.")))
        if len(errors) > found_before:
            row.refused.add(column.key)
        row.values[column.key] = parsed
    return row


def _read_rows(file) -> tuple[list[_Row], dict[str, str], list[RowError]]:
    """Parse the first sheet: each cell checked for its type, no database look-up yet."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except DAMAGED as error:
        raise FileRefused(str(NOT_XLSX)) from error
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        # The size a sheet declares may be wrong (some programs write none, or a stale one): read every row
        # there is rather than silently stop at the declared last row.
        sheet.reset_dimensions()
        header = next(_sheet_rows(sheet, min_row=1, max_row=1, max_col=MAX_HEADER_COLUMNS), ())
        if _is_blank(header):
            raise FileRefused(
                _("Row 1 of the first sheet is empty: it must hold the headers of the template.")
            )
        positions, labels, errors = match_headers(COLUMNS, header)
        if errors:
            return [], labels, errors
        rows = []
        width = max(positions.values()) + 1
        for number, cells in enumerate(_sheet_rows(sheet, min_row=2, max_col=width), start=2):
            if _is_blank(cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise FileRefused(
                    _("The file has more than %(max)d tasks; split it into several files.")
                    % {"max": MAX_IMPORT_ROWS}
                )
            rows.append(_parse_row(number, cells, positions, labels, errors))
        if not rows:
            raise FileRefused(_("The first sheet has no task to import below its headers."))
        return rows, labels, errors
    finally:
        workbook.close()


# --- resolving codes and names -------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


class _References:
    """Units, people and documents named in the file, each looked up once for all rows."""

    def __init__(self, actor, rows: list[_Row]):
        self.actor = actor
        codes = {
            row.values[key] for row in rows for key in ("assigning_unit", "lead_unit") if row.values[key]
        }
        self.units = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)}
        self._assignable: dict[int, bool] = {}
        self._visible: dict[int, bool] = {}
        lead_ids = {
            unit.pk
            for row in rows
            if (unit := self.units.get(row.values["lead_unit"])) is not None and self.may_assign(unit)
        }
        assigning_ids = {
            unit.pk
            for row in rows
            if (unit := self.units.get(row.values["assigning_unit"])) is not None and self.may_assign(unit)
        }
        self.staff = self._staff_by_name(lead_ids)
        numbers = {row.values["document_number"] for row in rows if row.values["document_number"]}
        self.documents = (
            {
                (document.issuing_unit_id, document.number): document
                for document in restrict(
                    SourceDocument.objects.filter(issuing_unit_id__in=assigning_ids, number__in=numbers),
                    actor,
                    "tasks.view_sourcedocument",
                )
            }
            if numbers
            else {}
        )

    def may_assign(self, unit: Unit) -> bool:
        if unit.pk not in self._assignable:
            self._assignable[unit.pk] = can(self.actor, "tasks.assign_task", unit.pk)
        return self._assignable[unit.pk]

    def may_see(self, unit: Unit) -> bool:
        if unit.pk not in self._visible:
            self._visible[unit.pk] = can(self.actor, "org.view_unit", unit.pk)
        return self._visible[unit.pk]

    def _staff_by_name(self, unit_ids: set[int]) -> dict[tuple[int, str], list[int]]:
        """Active people of each lead unit (managed there or holding a post there) by name.

        Case and spacing are ignored but not the marks: "Hùng" and "Hưng" are different people.
        """
        if not unit_ids:
            return {}
        visible = restrict(Staff.objects.filter(is_active=True), self.actor, "org.view_staff")
        found: dict[tuple[int, str], set[int]] = {}
        members = visible.filter(unit_id__in=unit_ids).values_list("unit_id", "pk", "full_name")
        posted = (
            Post.objects.current()
            .filter(unit_id__in=unit_ids, staff__in=visible)
            .values_list("unit_id", "staff_id", "staff__full_name")
        )
        for unit_id, staff_id, name in (*members, *posted):
            found.setdefault((unit_id, _name_key(name)), set()).add(staff_id)
        return {key: sorted(ids) for key, ids in found.items()}


def _resolve_unit(
    refs: _References, code: str, header: str, number: int, errors: list[RowError]
) -> Unit | None:
    unit = refs.units.get(code)
    if unit is None or not (refs.may_assign(unit) or refs.may_see(unit)):
        # Outside what the actor may see, a unit is answered exactly like a missing one.
        errors.append(
            RowError(number, header, _("There is no unit with the code “%(code)s”.") % {"code": code})
        )
        return None
    if not unit.is_valid_on(today()):
        errors.append(
            RowError(
                number,
                header,
                _("The unit “%(unit)s” (%(code)s) no longer exists.")
                % {"unit": unit.display_name, "code": code},
            )
        )
        return None
    if not refs.may_assign(unit):
        errors.append(
            RowError(
                number,
                header,
                _("You may not assign tasks in “%(unit)s” (%(code)s).")
                % {"unit": unit.display_name, "code": code},
            )
        )
        return None
    return unit


def _prepare(refs: _References, row: _Row, labels: dict[str, str], errors: list[RowError]) -> dict | None:
    """The arguments of services.task_assign for one row; None when the row has errors (added to `errors`)."""
    values, number = row.values, row.number
    found_before = len(errors)
    assigning = lead = None
    if values["assigning_unit"]:
        assigning = _resolve_unit(refs, values["assigning_unit"], labels["assigning_unit"], number, errors)
    if values["lead_unit"]:
        lead = _resolve_unit(refs, values["lead_unit"], labels["lead_unit"], number, errors)

    start, due, days = values["start_date"], values["due_date"], values["due_working_days"]
    if not row.refused & {"start_date", "due_date", "due_working_days"}:
        if due is not None and days is not None:
            errors.append(
                RowError(
                    number,
                    labels["due_working_days"],
                    _("Give either a due date or a number of working days, not both."),
                )
            )
        elif due is None and days is None:
            errors.append(
                RowError(number, labels["due_date"], _("Give a due date or a number of working days."))
            )
        elif due is not None and due < (start or today()):
            errors.append(
                RowError(
                    number,
                    labels["due_date"],
                    _("The due date cannot be before the start date (%(date)s).")
                    % {"date": (start or today()).strftime("%d/%m/%Y")},
                )
            )

    responsible = None
    if values["responsible"] and lead is not None:
        matches = refs.staff.get((lead.pk, _name_key(values["responsible"])), [])
        if not matches:
            errors.append(
                RowError(
                    number,
                    labels["responsible"],
                    _("No one named “%(name)s” works in “%(unit)s”.")
                    % {"name": values["responsible"], "unit": lead.display_name},
                )
            )
        elif len(matches) > 1:
            errors.append(
                RowError(
                    number,
                    labels["responsible"],
                    _(
                        "%(count)d people named “%(name)s” work in “%(unit)s”; the name does not say "
                        "which one. Leave the cell empty and choose the person in the task."
                    )
                    % {"count": len(matches), "name": values["responsible"], "unit": lead.display_name},
                )
            )
        else:
            responsible = matches[0]

    document = None
    if values["document_number"] and assigning is not None:
        document = refs.documents.get((assigning.pk, values["document_number"]))
        if document is None:
            errors.append(
                RowError(
                    number,
                    labels["document_number"],
                    _("“%(unit)s” has no document numbered “%(number)s”.")
                    % {"unit": assigning.display_name, "number": values["document_number"]},
                )
            )

    if row.refused or len(errors) > found_before:
        return None
    return {
        "title": values["title"],
        "assigning_unit": assigning,
        "lead_unit": lead,
        "responsible_id": responsible,
        "start_date": start,
        "due_date": due,
        "due_working_days": days,
        "priority": values["priority"] or Priority.NORMAL,
        "expected_product": values["expected_product"],
        "document": document,
        "description": values["description"],
    }


def _service_errors(number: int, labels: dict[str, str], error: ValidationError) -> list[RowError]:
    if not hasattr(error, "error_dict"):
        return [RowError(number, "", message) for message in error.messages]
    found = []
    for name, messages in error.message_dict.items():
        key = FIELD_COLUMNS.get(name)
        column = labels.get(key, "") if key and name != NON_FIELD_ERRORS else ""
        found.extend(RowError(number, column, message) for message in messages)
    return found


class _RollBack(Exception):
    pass


def import_tasks(*, actor, file) -> ImportResult:
    """Create one task per row through services.task_assign, all in one transaction, or none at all.

    Every row is checked first (types, codes, the actor's right to assign in both units, names, dates);
    if any row has a problem nothing is created and every problem is returned, by row and column.
    """
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
        rows, labels, errors = _read_rows(file)
    except FileRefused as refused:
        return ImportResult(errors=[RowError(None, "", refused.message)])
    if not rows:  # the headers are wrong: there is nothing more to say about the rows
        return ImportResult(errors=_in_sheet_order(errors, labels))

    refs = _References(actor, rows)
    prepared = []
    for row in rows:
        arguments = _prepare(refs, row, labels, errors)
        if arguments is not None:
            prepared.append((row.number, arguments))
    if errors:
        return ImportResult(errors=_in_sheet_order(errors, labels))

    people = Staff.objects.in_bulk(
        {args["responsible_id"] for _n, args in prepared if args["responsible_id"]}
    )
    created = 0
    try:
        with transaction.atomic():
            for number, arguments in prepared:
                arguments = dict(arguments)
                responsible_id = arguments.pop("responsible_id")
                try:
                    services.task_assign(
                        actor=actor, notify_people=True, responsible=people.get(responsible_id), **arguments
                    )
                except ValidationError as error:
                    errors.extend(_service_errors(number, labels, error))
                except PermissionDenied as error:
                    errors.append(RowError(number, "", str(error) or _("You may not do this.")))
                else:
                    created += 1
            if errors:
                raise _RollBack
    except _RollBack:
        return ImportResult(errors=_in_sheet_order(errors, labels))
    return ImportResult(created=created)


def _in_sheet_order(errors: list[RowError], labels: dict[str, str]) -> list[RowError]:
    order = {labels.get(column.key, str(column.header)): index for index, column in enumerate(COLUMNS)}
    return sorted(errors, key=lambda error: (error.row or 0, order.get(error.column, -1)))


# --- the export --------------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    (gettext_lazy("Task title"), 48),
    (gettext_lazy("Source document number"), 16),
    (gettext_lazy("Assigning unit"), 28),
    (gettext_lazy("Lead unit code"), 12),
    (gettext_lazy("Lead unit"), 28),
    (gettext_lazy("Responsible person"), 24),
    (gettext_lazy("Start date"), 12),
    (gettext_lazy("Due date"), 12),
    (gettext_lazy("State"), 18),
    (gettext_lazy("Progress (%)"), 10),
    (gettext_lazy("Closed on"), 12),
    (gettext_lazy("Working days late"), 12),
    (gettext_lazy("Times sent back for rework"), 12),
    (gettext_lazy("Priority"), 12),
)


def _export_values(task: Task) -> tuple:
    return (
        task.title,
        task.document.number if task.document_id else None,
        task.assigning_unit.display_name,
        task.lead_unit.code,
        task.lead_unit.display_name,
        task.responsible.full_name if task.responsible_id else None,
        task.start_date,
        task.due_date,
        str(task.get_state_display()),
        task.progress,
        task.closed_on,
        task.late_working_days,
        task.rework_count,
        str(task.get_priority_display()),
    )


def _rows_of(tasks: Iterable[Task]) -> Iterator[Task]:
    if isinstance(tasks, QuerySet):
        return tasks.iterator(chunk_size=EXPORT_CHUNK_SIZE)
    return iter(tasks)


def export_tasks(tasks: Iterable[Task]) -> bytes:
    """The tasks as an .xlsx, one row each, written as they are read (the caller scoped the queryset)."""
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
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    date_format = workbook.add_format({"num_format": DATE_FORMAT})
    sheet = workbook.add_worksheet(_("Tasks")[:31])
    for col, (title, width) in enumerate(EXPORT_HEADERS):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, str(title), header)
    sheet.freeze_panes(1, 0)
    rows = _rows_of(tasks)
    last_row = 0
    for last_row, task in enumerate(islice(rows, MAX_EXPORT_ROWS), start=1):
        for col, value in enumerate(_export_values(task)):
            _write_cell(sheet, last_row, col, value, date_format)
    if last_row == MAX_EXPORT_ROWS and next(rows, None) is not None:
        sheet.write_string(
            last_row + 1,
            0,
            _("The list was cut at %(rows)d rows: narrow the filters.") % {"rows": MAX_EXPORT_ROWS},
        )
    sheet.autofilter(0, 0, max(last_row, 1), len(EXPORT_HEADERS) - 1)
    workbook.close()
    return output.getvalue()
