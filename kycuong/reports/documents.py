"""What a generated report says: the official document (PDF, .docx) and the workbook (.xlsx) of a unit and
period, built from the dashboard of every module. Reports are Vietnamese documents: the callers render them
with Vietnamese active, so the sentences and numbers (1.520; 86,5 %) follow Vietnamese conventions.
"""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from kycuong.core.calendar import today
from kycuong.core.dashboard import Figure, Period, format_number, format_percent
from kycuong.core.official_document import Heading, OfficialDocument, Paragraph, Signature, Table
from kycuong.org.models import Post, PostRole, Unit

from .models import Report, ReportKind, Signal
from .selectors import Dashboard, period_label

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
# Past this many lines the document sends the reader to the workbook, which lists every unit.
ATTENTION_IN_TEXT = 30


@dataclass
class ReportContent:
    """The dashboards a report is made of: the whole period, and for a review each of its years."""

    report: Report
    board: Dashboard
    years: list[tuple[Period, Dashboard]] = field(default_factory=list)


def format_figure(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return format_percent(value, 1)
    if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value()):
        return format_number(value)
    return f"{format_number(value, 1)} {unit}".strip()


def format_change(figure: Figure) -> str:
    if figure.value is None or figure.previous is None:
        return "—"
    change = Decimal(str(figure.value)) - Decimal(str(figure.previous))
    sign = "+" if change > 0 else ""
    if figure.unit == "%":
        return f"{sign}{format_number(change, 1)} " + _("points")
    decimals = 0 if change == change.to_integral_value() else 1
    return f"{sign}{format_number(change, decimals)}"


def signal_label(signal: str | None) -> str:
    return str(Signal(signal).label) if signal else ""


def report_title(report: Report) -> str:
    period = Period(report.period_start, report.period_end)
    if report.kind == ReportKind.REVIEW:
        return _("Review of %(years)s years of implementing %(directive)s") % {
            "years": report.years,
            "directive": report.directive,
        }
    return _("Results of the work of %(period)s") % {"period": period_label(period)}


def _head_of(unit: Unit) -> tuple[str, str]:
    post = (
        Post.objects.current()
        .filter(unit=unit, role=PostRole.HEAD)
        .select_related("staff")
        .order_by("start_date", "id")
        .first()
    )
    if post is None:
        return _("Head of unit"), ""
    return post.title, post.staff.full_name


def _module_tables(content: ReportContent) -> list:
    blocks: list = []
    for index, card in enumerate(content.board.cards, start=1):
        if card.error:
            continue
        blocks.append(Heading(f"{index}. {card.summary.title}"))
        blocks.extend(Paragraph(sentence) for sentence in card.summary.sentences)
        rows = [
            [
                str(view.figure.label),
                format_figure(view.figure.value, view.figure.unit),
                format_figure(view.figure.previous, view.figure.unit),
                format_change(view.figure),
                signal_label(view.signal),
            ]
            for view in card.figures
        ]
        blocks.append(
            Table(
                columns=[_("Figure"), _("This period"), _("Previous period"), _("Change"), _("Signal")],
                rows=rows,
                numeric_columns=(1, 2, 3),
            )
        )
        for extra in card.summary.tables:
            blocks.append(
                Table(
                    title=str(extra.get("title", "")),
                    columns=[str(c) for c in extra["columns"]],
                    rows=[[_cell(value) for value in row] for row in extra["rows"]],
                )
            )
    return blocks


def _cell(value) -> str:
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        return format_number(value, 0 if float(value).is_integer() else 1)
    return "—" if value is None else str(value)


def _ranking_blocks(content: ReportContent) -> list:
    rows = []
    for card in content.board.cards:
        headline = card.headline
        if headline is None:
            continue
        for position, row in enumerate(card.ranking, start=1):
            rows.append(
                [
                    str(card.summary.title),
                    str(position),
                    row.unit.name,
                    format_figure(row.value, headline.figure.unit),
                    signal_label(row.signal),
                ]
            )
    if not rows:
        return []
    return [
        Table(
            title=_("Ranking of the sub-units by each module's headline figure"),
            columns=[_("Module"), _("Rank"), _("Unit"), _("Headline figure"), _("Signal")],
            rows=rows,
            numeric_columns=(1, 3),
        )
    ]


def _attention_blocks(content: ReportContent) -> list:
    if not content.board.attention:
        return [Paragraph(_("No sub-unit has a figure in the red or amber band."))]
    blocks: list = [
        Paragraph(
            _("%(count)s sub-units need attention, by the thresholds in force:")
            % {"count": format_number(len(content.board.attention))}
        )
    ]
    for item in content.board.attention[:ATTENTION_IN_TEXT]:
        blocks.append(
            Paragraph(
                f"- {item.unit.name}: {item.module}, {item.label} "
                f"{format_figure(item.value, item.unit_of_measure)} ({signal_label(item.signal)})."
            )
        )
    more = len(content.board.attention) - ATTENTION_IN_TEXT
    if more > 0:
        blocks.append(
            Paragraph(
                _("… and %(count)s more, listed in the Excel workbook of this report.")
                % {"count": format_number(more)}
            )
        )
    return blocks


def _year_blocks(content: ReportContent) -> list:
    if not content.years:
        return []
    columns = [_("Figure")] + [period_label(period) for period, _board in content.years]
    rows = []
    first = content.years[0][1]
    for card_index, card in enumerate(first.cards):
        for figure_index, view in enumerate(card.figures):
            row = [f"{card.summary.title}: {view.figure.label}"]
            for _period, board in content.years:
                other = board.cards[card_index] if card_index < len(board.cards) else None
                figure = (
                    other.figures[figure_index].figure
                    if other is not None and figure_index < len(other.figures)
                    else None
                )
                row.append(format_figure(figure.value, figure.unit) if figure else "—")
            rows.append(row)
    return [Table(columns=columns, rows=rows, numeric_columns=tuple(range(1, len(columns))))]


def official_document(content: ReportContent) -> OfficialDocument:
    report, board = content.report, content.board
    unit = board.unit
    head_title, head_name = _head_of(unit)
    period_text = period_label(board.period)
    body: list = [
        _(
            "This report sums up, from the records kept in Kỷ Cương, the results of %(unit)s and its "
            "sub-units in %(period)s, compared with %(previous)s."
        )
        % {"unit": unit.name, "period": period_text, "previous": period_label(board.previous)},
        Heading(f"{ROMAN[0]}. " + _("RESULTS")),
        *_module_tables(content),
    ]
    sections = [
        (_("RANKING OF THE SUB-UNITS"), _ranking_blocks(content)),
        (_("UNITS NEEDING ATTENTION"), _attention_blocks(content)),
        (_("RESULTS YEAR BY YEAR"), _year_blocks(content)),
    ]
    number = 1
    for title, blocks in sections:
        if blocks:
            body.append(Heading(f"{ROMAN[number]}. {title}"))
            body.extend(blocks)
            number += 1
    return OfficialDocument(
        governing_body=unit.parent.name if unit.parent_id else "",
        issuing_unit=unit.name,
        number=None,
        symbol="BC",
        place=getattr(settings, "REPORT_PLACE", "Hà Nội"),
        date=today(),
        kind=_("REPORT"),
        title=report.title,
        body=body,
        recipients=[_("The superior Party committee and authority"), _("The unit's leadership")],
        archive="VT",
        signature=Signature(authority="", title=head_title, name=head_name),
    )


def workbook(content: ReportContent) -> bytes:
    """The report's tables as numbers: the figures, the sub-units, and for a review each year."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1, "text_wrap": True})
    number = book.add_format({"num_format": "#,##0.##"})
    title_format = book.add_format({"bold": True, "font_size": 13})

    sheet = book.add_worksheet(_("Figures")[:31])
    sheet.write(0, 0, content.report.title, title_format)
    sheet.write(1, 0, f"{content.board.unit.name} · {period_label(content.board.period)}")
    headers = [
        _("Module"),
        _("Figure"),
        _("Key"),
        _("This period"),
        _("Previous period"),
        _("Unit"),
        _("Signal"),
    ]
    for column, header in enumerate(headers):
        sheet.write(3, column, header, bold)
    row = 4
    for card in content.board.cards:
        for view in card.figures:
            figure = view.figure
            sheet.write(row, 0, str(card.summary.title))
            sheet.write(row, 1, str(figure.label))
            sheet.write(row, 2, figure.key)
            for column, value in ((3, figure.value), (4, figure.previous)):
                if value is not None:
                    sheet.write_number(row, column, float(value), number)
            sheet.write(row, 5, figure.unit)
            sheet.write(row, 6, signal_label(view.signal))
            row += 1
    sheet.set_column(0, 1, 34)
    sheet.set_column(2, 2, 28)
    sheet.set_column(3, 6, 16)

    ranking = book.add_worksheet(_("Sub-units")[:31])
    for column, header in enumerate(
        [_("Module"), _("Rank"), _("Unit"), _("Code"), _("Headline figure"), _("Signal")]
    ):
        ranking.write(0, column, header, bold)
    row = 1
    for card in content.board.cards:
        for position, rank in enumerate(card.ranking, start=1):
            ranking.write(row, 0, str(card.summary.title))
            ranking.write_number(row, 1, position)
            ranking.write(row, 2, rank.unit.name)
            ranking.write(row, 3, rank.unit.code)
            ranking.write_number(row, 4, float(rank.value), number)
            ranking.write(row, 5, signal_label(rank.signal))
            row += 1
    ranking.set_column(0, 0, 30)
    ranking.set_column(2, 2, 34)

    attention = book.add_worksheet(_("Units needing attention")[:31])
    for column, header in enumerate(
        [_("Unit"), _("Code"), _("Module"), _("Figure"), _("Value"), _("Signal")]
    ):
        attention.write(0, column, header, bold)
    for row, item in enumerate(content.board.attention, start=1):
        attention.write(row, 0, item.unit.name)
        attention.write(row, 1, item.unit.code)
        attention.write(row, 2, item.module)
        attention.write(row, 3, item.label)
        attention.write_number(row, 4, float(item.value), number)
        attention.write(row, 5, signal_label(item.signal))
    attention.set_column(0, 0, 34)
    attention.set_column(2, 3, 28)

    if content.years:
        years = book.add_worksheet(_("Year by year")[:31])
        years.write(0, 0, _("Module"), bold)
        years.write(0, 1, _("Figure"), bold)
        for column, (period, _board) in enumerate(content.years, start=2):
            years.write(0, column, period_label(period), bold)
        row = 1
        first = content.years[0][1]
        for card_index, card in enumerate(first.cards):
            for figure_index, view in enumerate(card.figures):
                years.write(row, 0, str(card.summary.title))
                years.write(row, 1, str(view.figure.label))
                for column, (_period, board) in enumerate(content.years, start=2):
                    if card_index < len(board.cards) and figure_index < len(board.cards[card_index].figures):
                        value = board.cards[card_index].figures[figure_index].figure.value
                        if value is not None:
                            years.write_number(row, column, float(value), number)
                row += 1
        years.set_column(0, 1, 34)
    book.close()
    return buffer.getvalue()
