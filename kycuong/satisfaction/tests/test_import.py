"""Import of ratings from .xlsx and .csv: all rows or none, with an error per row; export."""

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kycuong.core.models import AuditRecord
from kycuong.satisfaction import excel
from kycuong.satisfaction.models import DailyCount, Rating

pytestmark = pytest.mark.django_db

HEADER = "Mã điểm phục vụ;Ngày đánh giá;Tiếp cận dịch vụ;Thủ tục hành chính;Mã hồ sơ, biên nhận;Ý kiến"


def xlsx(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def test_a_good_xlsx_file_is_imported_with_one_audit_record_per_rating(points):
    rows = [
        [
            "Service point code",
            "Date of the rating",
            "Access to the service",
            "The result",
            "Dossier or receipt code",
        ],
        ["T00337-MC", "06/01/2025", 5, 4, "A-1"],
        ["T00337-MC", "07/01/2025", 2, 5, ""],
    ]
    records = AuditRecord.objects.count()
    result = excel.import_ratings(actor=points.user("hoangmai_head"), name="paper.xlsx", content=xlsx(rows))
    assert result.ok and result.created == 2
    assert Rating.objects.filter(source="paper").count() == 2
    assert AuditRecord.objects.count() == records + 2
    assert sum(DailyCount.objects.values_list("access_satisfied", flat=True)) == 1


def test_a_bad_file_imports_nothing_and_names_each_problem(points, rate):
    rate(access=5, receipt_code="USED-1")
    csv_text = "\n".join(
        [
            "Service point code,Date of the rating,Access to the service,The result,"
            "Dossier or receipt code,The visit as a whole",
            "T00337-MC,06/01/2025,5,4,B-1,",  # fine
            "T00337-MC,31/02/2025,5,,,",  # no such date
            "T00337-MC,06/01/2025,7,,,",  # score out of range
            "T00001-MC,06/01/2025,5,,,",  # Phúc Xá: outside the head of Hoàng Mai's units
            "T00337-MC,06/01/2025,4,,B-1,",  # the same code as row 2
            "T00337-MC,06/01/2025,,,,",  # no score at all
            "T00337-MC,06/01/2030,5,,,",  # in the future
            "T00337-MC,06/01/2025,5,,,4",  # a kiosk question at a survey point
            "T00337-MC,06/01/2025,5,,USED-1,",  # already rated
        ]
    )
    before = (Rating.objects.count(), AuditRecord.objects.count())
    result = excel.import_ratings(
        actor=points.user("hoangmai_head"), name="bad.csv", content=csv_text.encode()
    )
    assert not result.ok and result.created == 0
    assert (Rating.objects.count(), AuditRecord.objects.count()) == before
    rows = {error.row for error in result.errors}
    assert rows == {3, 4, 5, 6, 7, 8, 9}
    # USED-1 is reported once the other rows are right; the first pass stops at the rows above.
    fixed = "\n".join(csv_text.splitlines()[:2] + csv_text.splitlines()[-1:])
    result = excel.import_ratings(actor=points.user("hoangmai_head"), name="bad.csv", content=fixed.encode())
    assert [error.row for error in result.errors] == [3]
    assert Rating.objects.count() == before[0]


def test_missing_columns_and_unreadable_files(points):
    head = points.user("hoangmai_head")
    assert (
        "missing"
        in str(excel.import_ratings(actor=head, name="x.csv", content=b"a,b\n1,2").errors[0]).lower()
        or excel.import_ratings(actor=head, name="x.csv", content=b"a,b\n1,2").errors[0].row is None
    )
    assert excel.import_ratings(actor=head, name="x.xlsx", content=b"not a zip").errors[0].row is None


def test_import_page_and_api(points, login, api_client):
    content = f"{HEADER}\nT00337-MC;06/01/2025;5;4;C-1;Tốt\n".encode()
    page = login(points.user("hoangmai_head")).post(
        reverse("satisfaction:import"), {"file": SimpleUploadedFile("giay.csv", content)}
    )
    assert page.status_code == 302 and Rating.objects.count() == 1
    refused = login(points.user("hoangmai_inspector")).get(reverse("satisfaction:import"))
    assert refused.status_code == 403
    bad = api_client(points.user("hoangmai_head")).post(
        "/api/v1/satisfaction/ratings/import", {"file": SimpleUploadedFile("x.csv", content)}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["row"] == 2
    assert (
        api_client(points.user("hoangmai_observer"))
        .post("/api/v1/satisfaction/ratings/import", {"file": SimpleUploadedFile("x.csv", content)})
        .status_code
        == 403
    )


def test_template_and_exports(points, login, rate):
    rate(access=5, result=2, comment="Ổn")
    client = login(points.user("hoangmai_head"))
    template = load_workbook(io.BytesIO(client.get(reverse("satisfaction:import-template")).content))
    assert template.worksheets[0].cell(1, 1).value
    exported = load_workbook(io.BytesIO(client.get(reverse("satisfaction:ratings-export")).content))
    sheet = exported.worksheets[0]
    assert sheet.max_row == 2 and "Ổn" in [cell.value for cell in sheet[2]]
    index = load_workbook(
        io.BytesIO(client.get(reverse("satisfaction:index-export"), {"unit": points.hoangmai.pk}).content)
    )
    names = [row[0].value for row in index.worksheets[0].iter_rows(min_row=4)]
    assert names[0] == "Quận Hoàng Mai" and "Phường Hoàng Liệt" in names
