"""Excel files in and out, shared by every import and export: results with per-row errors, cell parsers,
and reading a workbook safely (never evaluating a formula, refusing damaged files and zip bombs)."""

import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.exceptions import InvalidFileException

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
# What the parts of an .xlsx archive may add up to once unpacked: a few megabytes of real data stay far
# below it, a "zip bomb" does not.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    """A problem found in the file. `row` is the row number Excel shows (None: the file as a whole)."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if not self.column:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)d, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class CellError(ValueError):
    """A cell's value cannot be used; the message says why, in the user's language."""


def normalised(value: Any) -> str:
    text = unicodedata.normalize("NFC", str(value))
    return text.strip()


def as_text(value: Any, max_length: int, *, single_line: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | datetime.date | datetime.time | datetime.timedelta):
        raise CellError(_("Enter text here."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column: 123 rather than 123.0
    text = normalised(value)
    if single_line:
        text = " ".join(text.split())
    if len(text) > max_length:
        raise CellError(
            _("Enter at most %(max)d characters (this cell has %(count)d).")
            % {"max": max_length, "count": len(text)}
        )
    return text


def line(max_length: int) -> Callable[[Any], str]:
    return lambda value: as_text(value, max_length, single_line=True)


def paragraphs(max_length: int) -> Callable[[Any], str]:
    return lambda value: as_text(value, max_length, single_line=False)


DATE_TEXT = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date(value: Any) -> datetime.date | None:
    """A real Excel date, or text as dd/mm/yyyy (never mm/dd: that is what Vietnamese offices write)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        match = DATE_TEXT.fullmatch(value.strip())
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                pass
    raise CellError(_("Enter a date as dd/mm/yyyy, for example 06/01/2025."))


def whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


NOT_XLSX = gettext_lazy(
    "This file is not an Excel workbook (.xlsx). Save it in Excel as “Excel Workbook (*.xlsx)” "
    "and upload it again."
)


class FileRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(position)
    return size


def check_archive(file) -> None:
    """Refuse what is not a zip archive, or unpacks to far more than a spreadsheet of this size could."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise FileRefused(str(NOT_XLSX)) from error
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise FileRefused(str(NOT_XLSX))
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused(_("This workbook is too large once unpacked; split it into several files."))


def cell_value(cell, header: str, row: int, errors: list[RowError]) -> Any:
    """The value of a cell as stored; a formula or an Excel error is refused, never evaluated."""
    value = getattr(cell, "value", None)
    data_type = getattr(cell, "data_type", None)
    if data_type == "f" or (isinstance(value, str) and value.lstrip().startswith("=")):
        errors.append(RowError(row, header, _("Formulas are not accepted: type the value itself.")))
        return None
    if data_type == "e":
        errors.append(
            RowError(row, header, _("This cell holds an Excel error (%(error)s).") % {"error": value})
        )
        return None
    return value


def is_blank(cells: tuple) -> bool:
    for cell in cells:
        value = getattr(cell, "value", None)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return False
    return True


# What openpyxl raises on a damaged archive or sheet: it parses the XML lazily, so also while rows are read.
DAMAGED = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, SyntaxError)


def sheet_rows(sheet, **bounds) -> Iterator[tuple]:
    rows = sheet.iter_rows(**bounds)
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except DAMAGED as error:
            raise FileRefused(_("This workbook is damaged and cannot be read.")) from error
        yield cells


def write_cell(sheet, row: int, col: int, value: Any, date_format) -> None:
    # Typed writes only: a title that starts with "=" stays text and never becomes a formula.
    if value is None:
        return
    if isinstance(value, datetime.date):
        sheet.write_datetime(row, col, value, date_format)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def header_names(column) -> set[str]:
    """A column's header in every language of the site, folded: a file downloaded in one language imports in
    the other."""
    from .text import fold

    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(fold(str(column.header)))
    return names


def match_headers(columns, cells) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """Column positions by key and the header text the file uses, from row 1; every column must be there,
    once."""
    from .text import fold

    wanted = {column.key: header_names(column) for column in columns}
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    errors = []
    for index, cell in enumerate(cells):
        value = getattr(cell, "value", None)
        if value is None:
            continue
        text = normalised(value)
        for key, names in wanted.items():
            if fold(text) in names:
                if key in positions:
                    errors.append(RowError(1, text, _("This column appears twice; keep only one of them.")))
                else:
                    positions[key], labels[key] = index, text
                break
    for column in columns:
        if column.key not in positions:
            message = _(
                "The column “%(header)s” is missing from row 1 (it may have been renamed or deleted); "
                "use the headers of the template."
            ) % {"header": column.header}
            errors.append(RowError(1, str(column.header), message))
        labels.setdefault(column.key, str(column.header))
    return positions, labels, errors
