"""Official documents in the layout of Decree 30/2020/NĐ-CP (Appendix I), as PDF and as editable .docx.

Build an `OfficialDocument` and hand it to `render_pdf`, `render_docx` or `render_html`:

    from kycuong.core.official_document import (
        OfficialDocument, Heading, Paragraph, Signature, Table, render_docx, render_pdf,
    )

    document = OfficialDocument(
        governing_body="UBND THÀNH PHỐ HÀ NỘI",        # cơ quan chủ quản; "" when there is none
        issuing_unit="SỞ NỘI VỤ",                       # cơ quan ban hành
        number=15,                                      # None leaves a blank for the clerk to fill in
        symbol="BC-SNV",                                # "Số: 15/BC-SNV"
        place="Hà Nội",
        date=datetime.date(2026, 11, 26),               # "Hà Nội, ngày 26 tháng 11 năm 2026"
        kind="BÁO CÁO",                                 # the document type; "" for a letter (công văn)
        title="Kết quả thực hiện Chỉ thị số 24-CT/TU",  # trích yếu
        body=[
            Heading("I. KẾT QUẢ"),
            "A plain string is a paragraph.",
            Paragraph("Bold lead-in, then text.", bold=False),
            Table(columns=["Chỉ tiêu", "Số lượng"], rows=[["Cuộc kiểm tra", "1.520"]], title="Bảng 1"),
        ],
        recipients=["Thường trực Thành ủy", "Các sở, ban, ngành"],   # "Nơi nhận:" with "- …;" lines
        archive="VT, TCCB",                             # the last recipient line: "- Lưu: VT, TCCB."
        signature=Signature(authority="KT. GIÁM ĐỐC", title="PHÓ GIÁM ĐỐC", name="Nguyễn Văn A"),
    )
    pdf_bytes = render_pdf(document)     # WeasyPrint, A4, fonts with Vietnamese marks
    docx_bytes = render_docx(document)   # python-docx, Times New Roman, editable before signing

Layout (Decree 30/2020, Appendix I): A4; margins top and bottom 20 mm, left 30 mm, right 15 mm; a two-column
header with the governing body (upper case), the issuing unit (upper case, bold, a short rule below) and the
number and symbol on the left, and the national motto (bold upper case), the slogan "Độc lập - Tự do - Hạnh
phúc" (bold, a rule below) and the place and date (italic) on the right; the document type (bold upper case)
and summary (bold) centred; the body justified with a first-line indent; "Nơi nhận:" (bold italic) with the
recipients at the bottom left and the signature block (authority, title, name) at the bottom right. A letter
(`kind=""`) carries its summary as "V/v …" under the number and may list `addressees` after "Kính gửi:".
Page numbers are printed at the top centre from the second page.

Body blocks: a `str` or `Paragraph` (justified, indented; `bold`/`italic`), a `Heading` (bold, not indented)
and a `Table` (columns, rows of already formatted cells, an optional title, `numeric_columns` aligned right).
Numbers in the cells and sentences should already be formatted for the reader (1.520; 86,5 %): the renderers
do not touch text. The header's date and number follow the Decree's rule of a leading zero for days and
numbers below 10 and for January and February (`date_line`, `number_line`).
"""

import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"
RECIPIENTS_LABEL = "Nơi nhận:"
ADDRESSEES_LABEL = "Kính gửi:"
DOCX_FONT = "Times New Roman"
NBSP = "\u00a0"


@dataclass
class Paragraph:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass
class Heading:
    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""
    numeric_columns: tuple[int, ...] = ()  # indexes of columns aligned right


@dataclass
class Signature:
    title: str  # "CHỦ TỊCH", "PHÓ GIÁM ĐỐC"
    name: str
    authority: str = ""  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH": the lines above the title, "\n" between


Block = str | Paragraph | Heading | Table


@dataclass
class OfficialDocument:
    issuing_unit: str
    symbol: str
    place: str
    date: datetime.date
    title: str
    signature: Signature
    kind: str = "BÁO CÁO"
    governing_body: str = ""
    number: int | str | None = None
    body: list[Block] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    archive: str = "VT"
    addressees: list[str] = field(default_factory=list)

    def blocks(self) -> list[Paragraph | Heading | Table]:
        return [Paragraph(block) if isinstance(block, str) else block for block in self.body]


def number_line(number: int | str | None, symbol: str) -> str:
    """'Số: 05/BC-UBND'; a number below 10 takes a leading zero; no number leaves room to write one."""
    if number is None or number == "":
        return f"Số:{NBSP * 8}/{symbol}"  # non-breaking, so the room survives HTML's collapsing of spaces
    text = str(number)
    if text.isdigit() and int(text) < 10:
        text = f"{int(text):02d}"
    return f"Số: {text}/{symbol}"


def date_line(place: str, date: datetime.date) -> str:
    """'Hà Nội, ngày 05 tháng 02 năm 2026': days below 10 and the months January and February take a 0."""
    day = f"{date.day:02d}" if date.day < 10 else str(date.day)
    month = f"{date.month:02d}" if date.month < 3 else str(date.month)
    return f"{place}, ngày {day} tháng {month} năm {date.year}"


def recipient_lines(document: OfficialDocument) -> list[str]:
    lines = [f"- {name};" for name in document.recipients]
    if document.archive:
        lines.append(f"- Lưu: {document.archive}.")
    elif lines:
        lines[-1] = lines[-1][:-1] + "."
    return lines


def _context(document: OfficialDocument) -> dict:
    return {
        "doc": document,
        "motto": MOTTO,
        "slogan": SLOGAN,
        "number_line": number_line(document.number, document.symbol),
        "date_line": date_line(document.place, document.date),
        "blocks": [(type(block).__name__.lower(), block) for block in document.blocks()],
        "recipients_label": RECIPIENTS_LABEL,
        "recipient_lines": recipient_lines(document),
        "addressees_label": ADDRESSEES_LABEL,
        "authority_lines": [line for line in document.signature.authority.splitlines() if line.strip()],
    }


def render_html(document: OfficialDocument) -> str:
    return render_to_string("core/official_document.html", _context(document))


def render_pdf(document: OfficialDocument) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(document), base_url=str(settings.BASE_DIR)).write_pdf()


def render_docx(document: OfficialDocument) -> bytes:
    buffer = io.BytesIO()
    _build_docx(document).save(buffer)
    return buffer.getvalue()


# --- .docx -------------------------------------------------------------------------------------------------


def _build_docx(document: OfficialDocument):
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    context = _context(document)
    word = docx.Document()
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = True
    _page_number(section.header.paragraphs[0])

    normal = word.styles["Normal"]
    normal.font.name = DOCX_FONT
    normal.font.size = Pt(14)
    _east_asian_font(normal.element, DOCX_FONT)
    normal.paragraph_format.space_after = Pt(0)

    _docx_header(word, document, context)
    _docx_title(word, document)
    for kind, block in context["blocks"]:
        if kind == "table":
            _docx_table(word, block)
        elif kind == "heading":
            paragraph = _paragraph(word, block.text, bold=True, align="justify", space_after=6)
            paragraph.paragraph_format.first_line_indent = Mm(10)
        else:
            paragraph = _paragraph(
                word, block.text, bold=block.bold, italic=block.italic, align="justify", space_after=6
            )
            paragraph.paragraph_format.first_line_indent = Mm(10)
            paragraph.paragraph_format.line_spacing = 1.15
    _docx_closing(word, context)
    return word


def _east_asian_font(element, name: str) -> None:
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), name)


def _paragraph(
    container,
    text: str,
    *,
    size: float = 14,
    bold=False,
    italic=False,
    align="center",
    space_after: float = 0,
    upper=False,
):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = container.add_paragraph()
    paragraph.alignment = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    paragraph.paragraph_format.space_after = Pt(space_after)
    if text:
        run = paragraph.add_run(text.upper() if upper else text)
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.italic = italic
        run.font.name = DOCX_FONT
    return paragraph


def _rule(container, width_mm: float, cell_width_mm: float) -> None:
    """A short centred horizontal line: an empty paragraph with a top border, indented on both sides."""
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    paragraph = container.add_paragraph()
    indent = max((cell_width_mm - width_mm) / 2, 0)
    paragraph.paragraph_format.left_indent = Mm(indent)
    paragraph.paragraph_format.right_indent = Mm(indent)
    paragraph.paragraph_format.space_after = Pt(4)
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.makeelement(qn("w:pBdr"), {})
    top = borders.makeelement(
        qn("w:top"), {qn("w:val"): "single", qn("w:sz"): "6", qn("w:space"): "1", qn("w:color"): "000000"}
    )
    borders.append(top)
    ppr.append(borders)
    paragraph.paragraph_format.line_spacing = Pt(2)


def _borderless_table(word, widths_mm: list[float]):
    from docx.shared import Mm

    table = word.add_table(rows=1, cols=len(widths_mm))
    table.autofit = False
    for cell, width in zip(table.rows[0].cells, widths_mm, strict=True):
        cell.width = Mm(width)
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return table


def _docx_header(word, document: OfficialDocument, context: dict) -> None:
    left_width, right_width = 65, 100
    table = _borderless_table(word, [left_width, right_width])
    left, right = table.rows[0].cells
    if document.governing_body:
        _paragraph(left, document.governing_body, size=13, upper=True)
    _paragraph(left, document.issuing_unit, size=13, bold=True, upper=True)
    _rule(left, 25, left_width)
    _paragraph(left, context["number_line"], size=13)
    if not document.kind and document.title:
        _paragraph(left, f"V/v {document.title}", size=12)

    _paragraph(right, MOTTO, size=13, bold=True)
    _paragraph(right, SLOGAN, size=14, bold=True)
    _rule(right, 60, right_width)
    _paragraph(right, context["date_line"], size=14, italic=True)


def _docx_title(word, document: OfficialDocument) -> None:
    _paragraph(word, "", space_after=6)
    if document.kind:
        _paragraph(word, document.kind, size=14, bold=True, upper=True)
        _paragraph(word, document.title, size=14, bold=True)
        _rule(word, 40, 165)
    if document.addressees:
        lines = document.addressees
        if len(lines) == 1:
            _paragraph(word, f"{ADDRESSEES_LABEL} {lines[0]}.", size=14)
        else:
            _paragraph(word, ADDRESSEES_LABEL, size=14)
            for line in lines:
                _paragraph(word, f"- {line};", size=14)
    _paragraph(word, "", space_after=6)


def _docx_table(word, block: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if block.title:
        _paragraph(word, block.title, size=13, bold=True, space_after=4)
    table = word.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    for cell, column in zip(table.rows[0].cells, block.columns, strict=True):
        run = cell.paragraphs[0].add_run(column)
        run.font.bold = True
        run.font.size = Pt(12)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in block.rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
            run = cell.paragraphs[0].add_run(str(value))
            run.font.size = Pt(12)
            if index in block.numeric_columns:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(word, "", space_after=6)


def _docx_closing(word, context: dict) -> None:
    document = context["doc"]
    table = _borderless_table(word, [80, 85])
    left, right = table.rows[0].cells
    _paragraph(left, RECIPIENTS_LABEL, size=12, bold=True, italic=True, align="left")
    for line in context["recipient_lines"]:
        _paragraph(left, line, size=11, align="left")
    for line in context["authority_lines"]:
        _paragraph(right, line, size=14, bold=True, upper=True)
    _paragraph(right, document.signature.title, size=14, bold=True, upper=True)
    for _ in range(4):
        _paragraph(right, "", size=14)
    _paragraph(right, document.signature.name, size=14, bold=True)


def _page_number(paragraph) -> None:
    """A PAGE field at the top centre; the first page has its own, empty header."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    begin = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "begin"})
    instruction = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
    instruction.text = "PAGE"
    end = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "end"})
    run._r.extend([begin, instruction, end])
