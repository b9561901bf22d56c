"""Excel import of plans and disbursements: all rows or none, errors by row and column; export."""

import datetime
import io

import pytest
import xlsxwriter
from openpyxl import load_workbook

from kycuong.core.models import AuditRecord
from kycuong.targets import excel, services
from kycuong.targets.models import Disbursement, PlanRevision, Project

pytestmark = pytest.mark.django_db
BILLION = 1_000_000_000


def workbook(headers, rows, formula_at=None) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"strings_to_formulas": False})
    sheet = book.add_worksheet()
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if formula_at == (r, c):
                sheet.write_formula(r, c, "=1+1")
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(
                    r,
                    c,
                    datetime.datetime.combine(value, datetime.time()),
                    book.add_format({"num_format": "dd/mm/yyyy"}),
                )
            elif value is not None:
                sheet.write_string(r, c, value)
    book.close()
    return output.getvalue()


def headers(kind):
    from django.utils import translation

    with translation.override("vi"):
        return [str(column.header) for column in excel.SHEETS[kind].columns]


def test_disbursements_import_all_rows(world, planned):
    rows = [
        ["DA-HM-001", 2024, "05/03/2024", 2 * BILLION, "UNC 01", ""],
        ["DA-HM-001", 2024, datetime.date(2025, 1, 15), "1.500.000.000", "", "chuyển nguồn"],
    ]
    result = excel.import_sheet(
        actor=world.user("hoangmai_head"), kind="disbursements", file=workbook(headers("disbursements"), rows)
    )
    assert result.ok, result.errors
    assert result.created == 2 and Disbursement.objects.count() == 2


def test_disbursement_errors_save_nothing(world, planned):
    records = AuditRecord.objects.count()
    rows = [
        ["DA-HM-001", 2024, "05/03/2024", 2 * BILLION, "", ""],  # fine on its own
        ["DA-XX-999", 2024, "05/03/2024", 1000, "", ""],  # unknown project
        ["DA-HM-001", "năm ngoái", "05/03/2024", 1000, "", ""],  # wrong type
        ["DA-HM-001", 2024, "01/02/2025", 1000, "", ""],  # outside the carry-over window
        ["DA-HM-001", 2024, "05/03/2024", "nhiều", "", ""],  # not an amount
        ["DA-HM-001", 2024, "05/03/2024", 1000, "", ""],  # formula in the amount cell
    ]
    file = workbook(headers("disbursements"), rows, formula_at=(6, 3))
    result = excel.import_sheet(actor=world.user("hoangmai_head"), kind="disbursements", file=file)
    assert not result.ok
    by_row = {error.row for error in result.errors}
    assert by_row == {3, 4, 5, 6, 7}
    messages = " ".join(error.message for error in result.errors)
    assert (
        "DA-XX-999" in messages
        and "31/01/2025" in messages
        and "Formulas" in messages
        or "công thức" in messages
    )
    assert Disbursement.objects.count() == 0 and AuditRecord.objects.count() == records


def test_missing_column_is_reported_and_nothing_saved(world, planned):
    result = excel.import_sheet(
        actor=world.user("hoangmai_head"),
        kind="disbursements",
        file=workbook(headers("disbursements")[:3], [["DA-HM-001", 2024, "05/03/2024"]]),
    )
    assert not result.ok and result.errors[0].row == 1
    assert Disbursement.objects.count() == 0


def test_plans_import_creates_new_projects_and_refuses_unknown_units(world, project):
    head = world.user("hoangmai_head")
    good = [
        ["DA-HM-001", 2025, 10 * BILLION, 2 * BILLION, "02/01/2025", "QĐ 1", "", "", ""],
        [
            "DA-HM-002",
            2025,
            5 * BILLION,
            None,
            "02/01/2025",
            "QĐ 1",
            "Trường THCS Hoàng Liệt",
            "T00337",
            "T008",
        ],
    ]
    result = excel.import_sheet(actor=head, kind="plans", file=workbook(headers("plans"), good))
    assert result.ok, result.errors
    assert (
        PlanRevision.objects.filter(year=2025).count() == 2
        and Project.objects.filter(code="DA-HM-002").exists()
    )
    records = AuditRecord.objects.count()
    bad = [
        ["DA-HM-003", 2025, BILLION, 0, "02/01/2025", "", "Dự án mới", "T99999", "T008"],  # unknown unit
        [
            "DA-HM-004",
            2025,
            BILLION,
            0,
            "02/01/2025",
            "",
            "Dự án Ba Đình",
            "T001",
            "T001",
        ],  # not the head's unit
        ["DA-HM-001", 2025, -5, 0, "02/01/2025", "", "", "", ""],  # negative amount
    ]
    result = excel.import_sheet(actor=head, kind="plans", file=workbook(headers("plans"), bad))
    assert {error.row for error in result.errors} == {2, 3, 4}
    assert not Project.objects.filter(code__in=["DA-HM-003", "DA-HM-004"]).exists()
    assert AuditRecord.objects.count() == records


def test_template_and_export(world, planned, login):
    assert load_workbook(io.BytesIO(excel.import_template("plans"))).worksheets[0].cell(1, 1).value
    services.disbursement_record(
        actor=world.user("hoangmai_head"),
        project=planned,
        plan_year=2024,
        paid_on=datetime.date(2024, 3, 1),
        amount=60 * BILLION,
    )
    response = login(world.user("city_leader")).get("/targets/projects/export.xlsx?year=2024")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert (
        sheet.cell(2, 1).value == "DA-HM-001"
        and sheet.cell(2, 10).value == 60
        and sheet.cell(2, 11).value == 50
    )
    outsider = login(world.user("badinh_head")).get("/targets/projects/export.xlsx?year=2024")
    assert load_workbook(io.BytesIO(outsider.content)).worksheets[0].max_row == 1
