"""Ratings to and from files: the import of ratings collected on paper or by another system (.xlsx, .csv),
all rows or none with an error per row and column, and the exports of ratings and of the index.

The columns are described once, in COLUMNS. A header is recognised in Vietnamese or English, diacritics and
case ignored. An .xlsx is read with openpyxl in read-only mode and never evaluated (formulas are refused).
"""

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kycuong.core.calendar import today
from kycuong.core.excel import (
    XLSX_CONTENT_TYPE,  # noqa: F401 - the views answer with this module's type
    CellError,
    FileRefused,
    ImportResult,
    RowError,
)
from kycuong.core.scoping import restrict
from kycuong.core.text import fold

from . import services
from .figures import IndexFigures
from .models import ALL_FACTORS, INDEX_FACTORS, Factor, Rating, RatingSource, ServicePoint

MAX_IMPORT_BYTES = 10 * 1024 * 1024
# Written in bulk (one INSERT per 500 ratings, one audit record each): 20,000 rows take a few seconds.
MAX_IMPORT_ROWS = 20_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ERRORS_KEPT = 1000


def _text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = " ".join(str(value).split())
        if len(text) > max_length:
            raise CellError(_("Enter at most %(max)d characters.") % {"max": max_length})
        return text

    return parse


def _day(value: Any) -> datetime.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellError(_("Enter a date as dd/mm/yyyy, for example 06/01/2025."))


def _score(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(_("Enter a whole number from 1 to 5."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise CellError(_("Enter a whole number from 1 to 5."))
    return value


SOURCE_WORDS = {"giay": RatingSource.PAPER, "paper": RatingSource.PAPER, "": RatingSource.PAPER}


def _source(value: Any) -> str:
    word = fold(str(value or ""))
    if word in SOURCE_WORDS:
        return SOURCE_WORDS[word]
    if word in ("he thong khac", "other system", "other"):
        return RatingSource.OTHER_SYSTEM
    raise CellError(_("Enter “giấy” (paper) or “hệ thống khác” (another system)."))


@dataclass(frozen=True)
class Column:
    key: str
    header: Any
    required: bool
    parser: Callable[[Any], Any]
    example: Any = ""
    width: int = 16


COLUMNS: tuple[Column, ...] = (
    # Translators: header of the ratings import file; Vietnamese "Mã điểm phục vụ".
    Column("service_point", gettext_lazy("Service point code"), True, _text(40), "00337-MC", 16),
    # Translators: header of the ratings import file; Vietnamese "Ngày đánh giá".
    Column("day", gettext_lazy("Date of the rating"), True, _day, "06/01/2025", 14),
    *(
        Column(factor.value, factor.label, False, _score, 5 if factor != Factor.VISIT else "", 14)
        for factor in (Factor(f) for f in ALL_FACTORS)
    ),
    # Translators: header of the ratings import file; Vietnamese "Mã hồ sơ".
    Column(
        "receipt_code", gettext_lazy("Dossier or receipt code"), False, _text(60), "H26.01-250106-0001", 22
    ),
    Column("procedure_name", gettext_lazy("Procedure"), False, _text(255), "Đăng ký khai sinh", 28),
    Column("comment", gettext_lazy("Comment"), False, _text(services.MAX_COMMENT_LENGTH), "", 40),
    # Translators: header of the ratings import file; Vietnamese "Nguồn".
    Column("source", gettext_lazy("Source"), False, _source, "giấy", 14),
)


def _header_keys() -> dict[str, str]:
    keys = {}
    for code in ("vi", "en"):
        with translation.override(code):
            for column in COLUMNS:
                keys[fold(str(column.header))] = column.key
    for column in COLUMNS:
        keys[fold(column.key)] = column.key
    return keys


def _read_xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise FileRefused(_("The file is too large once unpacked."))
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRefused(_("This is not an .xlsx file that can be read.")) from error
    sheet = book.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        if len(rows) > MAX_IMPORT_ROWS + 1:
            break
        rows.append(list(values))
    book.close()
    return rows


def _read_csv(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(_("Save the .csv file as UTF-8.")) from error
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)][: MAX_IMPORT_ROWS + 2]


def read_rows(name: str, content: bytes) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """(column keys in file order, [(row number, {key: raw value})]) of a file, or FileRefused."""
    if len(content) > MAX_IMPORT_BYTES:
        raise FileRefused(_("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // 2**20})
    rows = _read_csv(content) if name.lower().endswith(".csv") else _read_xlsx(content)
    if not rows:
        raise FileRefused(_("The file is empty."))
    known = _header_keys()
    header = [known.get(fold(str(cell or "")), "") for cell in rows[0]]
    missing = [str(c.header) for c in COLUMNS if c.required and c.key not in header]
    if missing:
        raise FileRefused(
            _("Columns missing from the first row: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    data = []
    for number, values in enumerate(rows[1:], start=2):
        if all(value in (None, "") for value in values):
            continue
        if any(isinstance(v, str) and v.startswith("=") for v in values):
            data.append((number, {"__formula__": True}))
            continue
        data.append((number, {key: values[i] for i, key in enumerate(header) if key and i < len(values)}))
    if len(data) > MAX_IMPORT_ROWS:
        raise FileRefused(_("At most %(rows)d ratings can be imported at once.") % {"rows": MAX_IMPORT_ROWS})
    if not data:
        raise FileRefused(_("The file has no ratings below its header."))
    return header, data


def import_ratings(*, actor, name: str, content: bytes) -> ImportResult:
    """Check every row, then store all of them in one transaction, or none and every problem found."""
    try:
        _header, rows = read_rows(name, content)
    except FileRefused as refused:
        return ImportResult(errors=[RowError(None, "", refused.message)])
    labels = {column.key: str(column.header) for column in COLUMNS}
    codes = {str(row.get("service_point") or "").strip() for _n, row in rows}
    points = {
        point.code: point
        for point in restrict(
            ServicePoint.objects.filter(code__in=codes), actor, "satisfaction.import_rating"
        )
    }
    errors: list[RowError] = []
    prepared: list[tuple[int, services.ImportedRating]] = []
    seen_receipts: dict[tuple[int, str], int] = {}
    day_today = today()
    for number, raw in rows:
        if raw.get("__formula__"):
            errors.append(RowError(number, "", _("Formulas are not accepted; paste the values instead.")))
            continue
        values: dict[str, Any] = {}
        for column in COLUMNS:
            try:
                values[column.key] = column.parser(raw.get(column.key))
            except CellError as error:
                errors.append(RowError(number, labels[column.key], str(error)))
        point = points.get(values.get("service_point") or "")
        if values.get("service_point") is not None and point is None:
            errors.append(
                RowError(number, labels["service_point"], _("No service point with this code in your units."))
            )
        for key in ("service_point", "day"):
            if key in values and not values[key]:
                errors.append(RowError(number, labels[key], _("This cell is required.")))
        day = values.get("day")
        if day and day > day_today:
            errors.append(RowError(number, labels["day"], _("The date is in the future.")))
        scores = {f: values[f] for f in ALL_FACTORS if values.get(f) is not None}
        expected = (Factor.VISIT,) if point is not None and point.form_kind == "kiosk" else INDEX_FACTORS
        stray = [f for f in scores if f not in expected]
        if point is not None and stray:
            errors.append(
                RowError(number, labels[stray[0]], _("The form of this service point has no such question."))
            )
        elif not scores and all(values.get(f, 0) is None for f in ALL_FACTORS):
            errors.append(RowError(number, "", _("Give at least one score from 1 to 5.")))
        receipt = services.normalise_receipt_code(values.get("receipt_code") or "")
        if point is not None and receipt:
            first = seen_receipts.setdefault((point.pk, receipt), number)
            if first != number:
                errors.append(
                    RowError(
                        number,
                        labels["receipt_code"],
                        _("The same code is on row %(row)d.") % {"row": first},
                    )
                )
        if len(errors) >= ERRORS_KEPT:
            break
        if point is not None and day and scores:
            prepared.append(
                (
                    number,
                    services.ImportedRating(
                        service_point=point,
                        day=day,
                        scores=scores,
                        source=values.get("source") or RatingSource.PAPER,
                        receipt_code=receipt,
                        procedure=values.get("procedure_name") or "",
                        comment=values.get("comment") or "",
                    ),
                )
            )
    if not errors:
        used = _receipts_in_use(row for _number, row in prepared)
        errors += [
            RowError(number, labels["receipt_code"], _("A rating has already been given for this code."))
            for number, row in prepared
            if (row.service_point.pk, row.receipt_code) in used
        ]
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda e: (e.row or 0, e.column)))
    try:
        created = services.ratings_import(actor=actor, rows=[row for _number, row in prepared])
    except (ValidationError, PermissionDenied) as error:
        return ImportResult(errors=[RowError(None, "", message) for message in _messages(error)])
    return ImportResult(created=len(created))


def _receipts_in_use(rows: Iterable[services.ImportedRating]) -> set[tuple[int, str]]:
    wanted = [(row.service_point.pk, row.receipt_code) for row in rows if row.receipt_code]
    if not wanted:
        return set()
    found = Rating.objects.filter(
        service_point_id__in={pk for pk, _code in wanted}, receipt_code__in={code for _pk, code in wanted}
    ).values_list("service_point_id", "receipt_code")
    return set(found) & set(wanted)


def _messages(error) -> list[str]:
    return list(getattr(error, "messages", None) or [str(error) or _("You may not do this.")])


# --- writing ---


def import_template() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(_("Ratings"))
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB", "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width, text)
        sheet.write_string(0, index, str(column.header), bold)
        sheet.write_string(1, index, str(column.example))
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _score_of_factor(rating: Rating, factor_of: dict[str, str], factor: str) -> int | str:
    scores = [score for key, score in rating.answers.items() if factor_of.get(key) == factor]
    return scores[0] if len(scores) == 1 else (round(sum(scores) / len(scores), 2) if scores else "")


def export_ratings(ratings: QuerySet[Rating]) -> bytes:
    """The ratings (no contact details: they never leave the page of a rating) as .xlsx, row by row."""
    from .models import Question

    factor_of = {str(pk): factor for pk, factor in Question.objects.values_list("pk", "factor")}
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(_("Ratings"))
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    headers = [
        "ID",
        _("Date"),
        _("Unit"),
        str(COLUMNS[0].header),
        _("Service point"),
        _("Source"),
        *[str(Factor(f).label) for f in ALL_FACTORS],
        str(COLUMNS[-4].header),
        _("Procedure"),
        _("Civil servant"),
        _("Comment"),
    ]
    for index, header in enumerate(headers):
        sheet.write_string(0, index, header, bold)
    row = 1
    for rating in ratings.iterator(chunk_size=2000):
        values = [
            rating.pk,
            rating.day,
            rating.unit.name,
            rating.service_point.code,
            rating.service_point.name,
            rating.get_source_display(),
            *[_score_of_factor(rating, factor_of, f) for f in ALL_FACTORS],
            rating.receipt_code,
            rating.procedure,
            rating.staff.full_name if rating.staff else "",
            rating.comment,
        ]
        for index, value in enumerate(values):
            if isinstance(value, datetime.date):
                sheet.write_datetime(row, index, datetime.datetime.combine(value, datetime.time()), date)
            elif isinstance(value, int | float):
                sheet.write_number(row, index, value)
            else:
                sheet.write_string(row, index, str(value))
        row += 1
        if row >= 1_048_575:
            break
    book.close()
    return buffer.getvalue()


def export_index(title: str, rows: list[tuple[str, IndexFigures]]) -> bytes:
    """One row per unit or service point: ratings, each factor's %, answers and margin, the overall index."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(_("Index"))
    bold = book.add_format({"bold": True, "text_wrap": True})
    percent = book.add_format({"num_format": "0.0"})
    sheet.write_string(0, 0, title, bold)
    headers = [_("Name"), _("Ratings"), _("Overall index (%)"), _("Margin of error (± points)")]
    for factor in ALL_FACTORS:
        label = str(Factor(factor).label)
        headers += [f"{label} (%)", f"{label}: {_('answers')}", f"{label}: ±"]
    for index, header in enumerate(headers):
        sheet.write_string(2, index, header, bold)
    for number, (name, figures) in enumerate(rows, start=3):
        overall = figures.overall
        values: list[Any] = [name, figures.ratings, overall.percent, overall.margin]
        for factor in ALL_FACTORS:
            figure = figures.factors[factor]
            values += [figure.percent, figure.answers, figure.margin]
        for index, value in enumerate(values):
            if value is None:
                sheet.write_blank(number, index, None)
            elif isinstance(value, float):
                sheet.write_number(number, index, value, percent)
            elif isinstance(value, int):
                sheet.write_number(number, index, value)
            else:
                sheet.write_string(number, index, str(value))
    sheet.set_column(0, 0, 40)
    book.close()
    return buffer.getvalue()
