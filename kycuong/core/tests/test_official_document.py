"""Official documents (Decree 30/2020 layout): the PDF and the .docx are read back and checked."""

import datetime
import io
import unicodedata

import docx
import pypdf
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH

from kycuong.core.official_document import (
    Heading,
    OfficialDocument,
    Paragraph,
    Signature,
    Table,
    date_line,
    number_line,
    render_docx,
    render_html,
    render_pdf,
)

SENTENCE = (
    "Trong năm, các cấp ủy đã kiểm tra, giám sát 1.520 lượt đối với 3.313 tổ chức và cá nhân; phát hiện "
    "873 tổ chức, cá nhân vi phạm; thi hành kỷ luật 368 tổ chức, cá nhân."
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def flat(text: str) -> str:
    return " ".join(nfc(text).split())


def make_document(**overrides) -> OfficialDocument:
    values = {
        "governing_body": "Ủy ban nhân dân thành phố Hà Nội",
        "issuing_unit": "Sở Nội vụ",
        "number": 15,
        "symbol": "BC-SNV",
        "place": "Hà Nội",
        "date": datetime.date(2026, 11, 26),
        "kind": "Báo cáo",
        "title": "Kết quả một năm thực hiện Chỉ thị số 24-CT/TU",
        "body": [
            Heading("I. KẾT QUẢ THỰC HIỆN"),
            SENTENCE,
            Paragraph("Chỉ số hài lòng của người dân đạt 86,5 %.", italic=True),
            Table(
                title="Bảng 1. Kiểm tra, giám sát",
                columns=["Nội dung", "Số lượng"],
                rows=[["Cuộc kiểm tra, giám sát", "1.520"], ["Tổ chức, cá nhân vi phạm", "873"]],
                numeric_columns=(1,),
            ),
        ],
        "recipients": ["Thường trực Thành ủy", "Các sở, ban, ngành"],
        "archive": "VT, TCCB",
        "signature": Signature(authority="KT. GIÁM ĐỐC", title="Phó Giám đốc", name="Nguyễn Thị Hồng Nhung"),
    }
    values.update(overrides)
    return OfficialDocument(**values)


def test_number_and_date_lines_follow_the_decree():
    assert number_line(15, "BC-UBND") == "Số: 15/BC-UBND"
    assert number_line(5, "BC-UBND") == "Số: 05/BC-UBND"
    assert number_line("123", "QĐ-UBND") == "Số: 123/QĐ-UBND"
    assert number_line(None, "BC-UBND").startswith("Số:") and number_line(None, "BC-UBND").endswith(
        "/BC-UBND"
    )
    assert date_line("Hà Nội", datetime.date(2026, 11, 26)) == "Hà Nội, ngày 26 tháng 11 năm 2026"
    # Days below 10 and the months January and February take a leading zero; March onwards does not.
    assert date_line("Hà Nội", datetime.date(2026, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2026"
    assert date_line("Hà Nội", datetime.date(2026, 3, 9)) == "Hà Nội, ngày 09 tháng 3 năm 2026"
    assert date_line("Hà Nội", datetime.date(2026, 1, 31)) == "Hà Nội, ngày 31 tháng 01 năm 2026"


def _positioned_text(page) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on the page; y grows upwards as in PDF user space."""
    parts: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            parts.append((cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3], nfc(text)))

    page.extract_text(visitor_text=visit)
    return parts


def _find(parts, needle: str) -> tuple[float, float]:
    for x, y, text in parts:
        if needle in text:
            return x, y
    raise AssertionError(f"{needle!r} not on the page: {[t for _, _, t in parts]}")


@pytest.fixture(scope="module")
def pdf_reader():
    return pypdf.PdfReader(io.BytesIO(render_pdf(make_document())))


def test_pdf_holds_every_element_of_the_layout(pdf_reader):
    text = flat("\n".join(page.extract_text() for page in pdf_reader.pages))
    for expected in [
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
        "SỞ NỘI VỤ",
        "Số: 15/BC-SNV",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hà Nội, ngày 26 tháng 11 năm 2026",
        "BÁO CÁO",
        "Kết quả một năm thực hiện Chỉ thị số 24-CT/TU",
        "I. KẾT QUẢ THỰC HIỆN",
        SENTENCE,
        "Chỉ số hài lòng của người dân đạt 86,5 %.",
        "Bảng 1. Kiểm tra, giám sát",
        "Cuộc kiểm tra, giám sát 1.520",
        "Tổ chức, cá nhân vi phạm 873",
        "Nơi nhận:",
        "- Thường trực Thành ủy;",
        "- Các sở, ban, ngành;",
        "- Lưu: VT, TCCB.",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Thị Hồng Nhung",
    ]:
        assert expected in text, expected


def test_pdf_is_a4_with_embedded_fonts_that_carry_vietnamese_marks(pdf_reader):
    page = pdf_reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297
    fonts = page["/Resources"]["/Font"]
    names = [str(fonts[key].get_object()["/BaseFont"]) for key in fonts]
    assert any("Serif" in name for name in names), names
    # Each font is embedded (a subset), so the marks print the same on any machine.
    for key in fonts:
        descendant = fonts[key].get_object()
        if "/DescendantFonts" in descendant:
            descendant = descendant["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), names
    # The stacked marks come back from the text layer as the letters typed in (ệ, ạ, ủ).
    text = nfc(page.extract_text())
    assert "Độc lập - Tự do - Hạnh phúc" in text and "Kết quả một năm thực hiện" in text


def test_pdf_places_the_header_and_closing_blocks_where_the_decree_puts_them(pdf_reader):
    first = _positioned_text(pdf_reader.pages[0])
    body_x, body_y = _find(first, "ỦY BAN NHÂN DÂN")
    unit_x, unit_y = _find(first, "SỞ NỘI VỤ")
    motto_x, motto_y = _find(first, "CỘNG HÒA XÃ HỘI")
    number_x, number_y = _find(first, "Số: 15/BC-SNV")
    date_x, date_y = _find(first, "Hà Nội, ngày 26")
    kind_x, kind_y = _find(first, "BÁO CÁO")
    # Issuing unit and number on the left, motto and date on the right, on the same band at the top.
    assert unit_x < motto_x and number_x < date_x
    assert abs(body_y - motto_y) < 2 and unit_y < body_y and number_y < unit_y and date_y < motto_y
    # The type of document is centred below the header (page width 595 pt, margins 85 and 42.5 pt).
    assert kind_y < date_y
    centre = 85 + (595 - 85 - 42.5) / 2
    kind_width = 60
    assert abs(kind_x + kind_width / 2 - centre) < 40
    last = _positioned_text(pdf_reader.pages[-1])
    label_x, label_y = _find(last, "Nơi nhận:")
    name_x, name_y = _find(last, "Nguyễn Thị Hồng Nhung")
    title_x, title_y = _find(last, "PHÓ GIÁM ĐỐC")
    # Recipients bottom left, signature bottom right with the name below the title.
    assert label_x < title_x and label_x < name_x
    assert name_y < title_y


def test_long_documents_number_their_pages_from_the_second():
    body = [SENTENCE] * 60
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(make_document(body=body))))
    assert len(reader.pages) >= 3
    topmost = [max(_positioned_text(page), key=lambda part: part[1])[2].strip() for page in reader.pages]
    assert topmost[0] != "1"
    assert topmost[1] == "2" and topmost[2] == "3"


def test_a_letter_carries_its_subject_under_the_number_and_its_addressees():
    letter = make_document(
        kind="",
        symbol="SNV-TCCB",
        title="báo cáo kết quả thực hiện Chỉ thị số 24-CT/TU",
        addressees=["Ủy ban nhân dân các phường, xã"],
        number=None,
    )
    text = flat(pypdf.PdfReader(io.BytesIO(render_pdf(letter))).pages[0].extract_text())
    assert "V/v báo cáo kết quả thực hiện Chỉ thị số 24-CT/TU" in text
    assert "Kính gửi: Ủy ban nhân dân các phường, xã." in text
    assert "BÁO CÁO" not in text
    assert "/SNV-TCCB" in text and "Số: 15" not in text


def test_html_escapes_text():
    html = render_html(make_document(title="<script>alert(1)</script>"))
    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.fixture(scope="module")
def word():
    return docx.Document(io.BytesIO(render_docx(make_document())))


def _cell_paragraphs(cell) -> list:
    return [p for p in cell.paragraphs if p.text.strip()]


def test_docx_holds_every_element_and_is_editable(word):
    header = word.tables[0].rows[0].cells
    left = [p.text for p in _cell_paragraphs(header[0])]
    right = [p.text for p in _cell_paragraphs(header[1])]
    assert left == ["ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ", "Số: 15/BC-SNV"]
    assert right == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hà Nội, ngày 26 tháng 11 năm 2026",
    ]
    body = [p.text for p in word.paragraphs if p.text.strip()]
    assert body[:2] == ["BÁO CÁO", "Kết quả một năm thực hiện Chỉ thị số 24-CT/TU"]
    assert "I. KẾT QUẢ THỰC HIỆN" in body and SENTENCE in body and "Bảng 1. Kiểm tra, giám sát" in body
    figures = word.tables[1]
    assert [[c.text for c in row.cells] for row in figures.rows] == [
        ["Nội dung", "Số lượng"],
        ["Cuộc kiểm tra, giám sát", "1.520"],
        ["Tổ chức, cá nhân vi phạm", "873"],
    ]
    assert figures.rows[1].cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    closing = word.tables[2].rows[0].cells
    assert [p.text for p in _cell_paragraphs(closing[0])] == [
        "Nơi nhận:",
        "- Thường trực Thành ủy;",
        "- Các sở, ban, ngành;",
        "- Lưu: VT, TCCB.",
    ]
    assert [p.text for p in _cell_paragraphs(closing[1])] == [
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Thị Hồng Nhung",
    ]


def test_docx_layout_follows_the_decree(word):
    section = word.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    assert round(section.top_margin.mm) == 20 and round(section.bottom_margin.mm) == 20
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    header = word.tables[0].rows[0].cells
    unit, motto = _cell_paragraphs(header[0])[1], _cell_paragraphs(header[1])[0]
    assert unit.runs[0].bold and motto.runs[0].bold
    date = _cell_paragraphs(header[1])[2]
    assert date.runs[0].italic
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in _cell_paragraphs(header[0]))
    kind = next(p for p in word.paragraphs if p.text == "BÁO CÁO")
    assert kind.alignment == WD_ALIGN_PARAGRAPH.CENTER and kind.runs[0].bold
    sentence = next(p for p in word.paragraphs if p.text == SENTENCE)
    assert sentence.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert sentence.paragraph_format.first_line_indent.mm > 5
    assert sentence.runs[0].font.name == "Times New Roman" and sentence.runs[0].font.size.pt == 14
    label = _cell_paragraphs(word.tables[2].rows[0].cells[0])[0]
    assert label.runs[0].bold and label.runs[0].italic
    # The header and closing tables have no borders; the figures table does.
    assert word.tables[0].style is None or "Grid" not in word.tables[0].style.name
    assert word.tables[1].style.name == "Table Grid"
