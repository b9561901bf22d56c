"""Excel import and export of tasks: real .xlsx files built with openpyxl, all-or-nothing, scoped."""

import datetime
import io
import unicodedata
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from kycuong.core.context import SystemActor
from kycuong.core.models import AuditRecord
from kycuong.notifications.models import Notification
from kycuong.org.services import staff_create
from kycuong.tasks import excel, selectors, services
from kycuong.tasks.models import Priority, Task, TaskState

pytestmark = pytest.mark.django_db

KEYS = [column.key for column in excel.COLUMNS]
GOOD_ROW = {
    "title": "Rà soát thủ tục hành chính quý I",
    "assigning_unit": "T008",
    "lead_unit": "T00337",
    "responsible": "Nguyễn Văn Hùng",
    "start_date": "06/01/2025",
    "due_date": "24/01/2025",
}


def header(key: str) -> str:
    return str(excel.COLUMNS_BY_KEY[key].header)


def xlsx(rows: list[dict], *, headers: list | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers if headers is not None else [header(key) for key in KEYS])
    for row in rows:
        sheet.append([row.get(key) for key in KEYS])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(content: bytes, name: str = "nhiem-vu.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=excel.XLSX_CONTENT_TYPE)


def run_import(actor, rows: list[dict], **options) -> excel.ImportResult:
    return excel.import_tasks(actor=actor, file=upload(xlsx(rows, **options)))


def where(result: excel.ImportResult) -> set[tuple]:
    return {(error.row, error.column) for error in result.errors}


def read_back(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


@pytest.fixture
def head(people):
    return people.user("hoangmai_head")


def task_records() -> int:
    return AuditRecord.objects.filter(object_type__in=["tasks.task", "notifications.notification"]).count()


@pytest.fixture
def nothing_saved():
    """Asserts at the end of the test that no task, audit record of one or notification was written."""
    counts = (Task.objects.count(), task_records(), Notification.objects.count())
    yield
    assert (Task.objects.count(), task_records(), Notification.objects.count()) == counts


# --- import: a good file ---------------------------------------------------------------------------------


def test_good_file_creates_every_task_through_the_service(people, head):
    document = services.document_create(
        actor=head,
        issuing_unit=people.hoangmai,
        number="24-CT/TU",
        kind="directive",
        title="Chỉ thị về kỷ cương hành chính",
        issued_on=datetime.date(2025, 1, 2),
    )
    rows = [
        # Text dates; the name typed in another case, with extra spaces and decomposed marks.
        {
            **GOOD_ROW,
            "responsible": unicodedata.normalize("NFD", "  nguyễn  văn hùng "),
            "priority": "Khẩn",
            "document_number": "24-CT/TU",
            "expected_product": "Báo cáo",
            "description": "Dòng 1\nDòng 2",
        },
        # Real Excel dates, another ward of the district, no responsible person.
        {
            **GOOD_ROW,
            "title": "Kiểm tra công vụ",
            "lead_unit": "T00331",
            "responsible": None,
            "start_date": datetime.datetime(2025, 1, 6),
            "due_date": datetime.date(2025, 2, 28),
            "priority": 3,
        },
        # Due in working days: from Friday 24/01/2025, Tết runs to 02/02, so 3 working days end on 05/02.
        {
            **GOOD_ROW,
            "title": "Báo cáo nhanh",
            "start_date": "24/01/2025",
            "due_date": None,
            "due_working_days": 3,
        },
    ]
    result = run_import(head, rows)

    assert result.ok and result.errors == [] and result.created == 3
    first, second, third = (Task.objects.get(title=row["title"]) for row in rows)
    assert first.responsible == people.hoangliet_staff and first.priority == Priority.URGENT
    assert first.document == document and first.description == "Dòng 1\nDòng 2"
    assert (first.start_date, first.due_date) == (datetime.date(2025, 1, 6), datetime.date(2025, 1, 24))
    assert second.lead_unit == people.dinhcong and second.responsible is None
    assert (second.due_date, second.priority) == (datetime.date(2025, 2, 28), Priority.HIGH)
    assert third.due_date == datetime.date(2025, 2, 5) and third.due_working_days == 3
    assert third.priority == Priority.NORMAL
    for task in (first, second, third):
        assert task.assigning_unit == people.hoangmai and task.assigned_by == head
        assert task.state == TaskState.ASSIGNED
    audited = AuditRecord.objects.filter(object_type="tasks.task", action="create")
    assert set(audited.values_list("object_id", flat=True)) == {str(t.pk) for t in (first, second, third)}
    assert audited.filter(actor_id=head.pk).count() == 3
    assert Notification.objects.filter(user=people.user("hoangliet_staff")).count() == 2


def test_headers_are_recognised_in_every_language_of_the_site(people, head):
    language = settings.LANGUAGES[-1][0]
    with translation.override(language):
        headers = [header(key) for key in KEYS]
    assert run_import(head, [GOOD_ROW], headers=headers).created == 1


def test_downloaded_template_filled_in_imports(people, head):
    workbook = load_workbook(io.BytesIO(excel.import_template()))
    sheet = workbook.worksheets[0]
    sheet.append([GOOD_ROW.get(key) for key in KEYS])
    output = io.BytesIO()
    workbook.save(output)
    result = excel.import_tasks(actor=head, file=upload(output.getvalue()))
    assert result.ok and result.created == 1


# --- import: bad files change nothing ----------------------------------------------------------------------


def test_one_bad_row_saves_none_of_the_good_ones(people, head, nothing_saved):
    rows = [GOOD_ROW, {**GOOD_ROW, "due_date": "ngày mai"}, GOOD_ROW]
    result = run_import(head, rows)
    assert result.created == 0
    assert where(result) == {(3, header("due_date"))}  # Excel's row 3: the header is row 1
    assert "3" in str(result.errors[0]) and header("due_date") in str(result.errors[0])


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"due_date": "31/02/2025"}, "due_date"),
        ({"due_date": "2025-01-24"}, "due_date"),
        ({"due_date": 45678}, "due_date"),  # a bare number is not a date
        ({"start_date": "hôm nay"}, "start_date"),
        ({"due_date": None, "due_working_days": "mười"}, "due_working_days"),
        ({"due_date": None, "due_working_days": 0}, "due_working_days"),
        ({"priority": "rất cao"}, "priority"),
        ({"priority": 7}, "priority"),
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"assigning_unit": None}, "assigning_unit"),
        ({"assigning_unit": "X999"}, "assigning_unit"),
        ({"lead_unit": "T00001", "responsible": None}, "lead_unit"),  # Ba Đình: outside the actor's scope
        ({"responsible": "Trần Thị Lan"}, "responsible"),  # works in Phúc Xá, not in the lead unit
        ({"responsible": "Người Không Có"}, "responsible"),
        ({"document_number": "99/QĐ-UBND"}, "document_number"),
        ({"due_date": "05/01/2025"}, "due_date"),  # before the start date
        ({"due_date": None}, "due_date"),  # neither a due date nor working days
        ({"due_working_days": 5}, "due_working_days"),  # both
        ({"due_date": True}, "due_date"),
    ],
)
def test_a_bad_cell_is_reported_by_row_and_column(people, head, nothing_saved, changes, column):
    result = run_import(head, [GOOD_ROW, {**GOOD_ROW, **changes}])
    assert result.created == 0
    assert where(result) == {(3, header(column))}
    assert all(error.message for error in result.errors)


def test_every_bad_row_is_reported_at_once(people, head, nothing_saved):
    rows = [{**GOOD_ROW, "lead_unit": "X1"}, GOOD_ROW, {**GOOD_ROW, "due_date": "x", "priority": "y"}]
    result = run_import(head, rows)
    assert where(result) == {(2, header("lead_unit")), (4, header("due_date")), (4, header("priority"))}
    assert [error.row for error in result.errors] == [2, 4, 4]


def test_a_unit_outside_the_scope_is_answered_like_an_unknown_code(people, head, nothing_saved):
    result = run_import(
        head, [{**GOOD_ROW, "assigning_unit": "T001", "lead_unit": "T00001", "responsible": None}]
    )
    assert where(result) == {(2, header("assigning_unit")), (2, header("lead_unit"))}
    unknown = run_import(head, [{**GOOD_ROW, "assigning_unit": "Z0"}]).errors[0].message
    outside = result.errors[0].message
    assert outside == unknown.replace("Z0", "T001")
    assert "Ba Đình" not in " ".join(error.message for error in result.errors)


def test_a_unit_the_actor_sees_but_may_not_assign_in_is_named(people, nothing_saved):
    inspector = people.user("hoangmai_inspector")  # views Hoàng Mai, assigns nothing
    result = run_import(inspector, [GOOD_ROW])
    assert where(result) == {(2, header("assigning_unit")), (2, header("lead_unit"))}
    assert "Quận Hoàng Mai" in result.errors[0].message and "Phường Hoàng Liệt" in result.errors[1].message


def test_an_ambiguous_responsible_name_is_refused(people, head):
    staff_create(
        actor=SystemActor("test-setup", kind="command"),
        unit=people.hoangliet,
        full_name="Nguyễn Văn Hùng",
        birth_year=1990,
    )
    with_two = (Task.objects.count(), AuditRecord.objects.count())
    result = run_import(head, [GOOD_ROW])
    assert where(result) == {(2, header("responsible"))}
    assert (Task.objects.count(), AuditRecord.objects.count()) == with_two
    assert run_import(head, [{**GOOD_ROW, "responsible": None}]).created == 1


def test_a_missing_or_renamed_column_is_named(people, head, nothing_saved):
    headers = [header(key) for key in KEYS]
    headers[KEYS.index("due_date")] = "Hạn HT"
    result = run_import(head, [GOOD_ROW], headers=headers)
    assert [(error.row, error.column) for error in result.errors] == [(1, header("due_date"))]
    assert header("due_date") in result.errors[0].message

    without = [header(key) for key in KEYS if key != "lead_unit"]
    workbook = Workbook()
    workbook.active.append(without)
    workbook.active.append(["Nhiệm vụ"] * len(without))
    output = io.BytesIO()
    workbook.save(output)
    result = excel.import_tasks(actor=head, file=upload(output.getvalue()))
    assert where(result) == {(1, header("lead_unit"))}


def test_a_formula_is_refused_never_evaluated(people, head, nothing_saved):
    rows = [
        {**GOOD_ROW, "due_date": "=TODAY()+5"},  # openpyxl stores this as a formula
        {**GOOD_ROW, "title": '=HYPERLINK("http://example.com","x")'},
    ]
    result = run_import(head, rows)
    assert where(result) == {(2, header("due_date")), (3, header("title"))}


def test_text_that_looks_like_a_formula_is_refused_too(people, head, nothing_saved):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([header(key) for key in KEYS])
    sheet.append([GOOD_ROW.get(key) for key in KEYS])
    cell = sheet.cell(row=2, column=1)
    cell.value, cell.data_type = "=1+1", "s"
    output = io.BytesIO()
    workbook.save(output)
    result = excel.import_tasks(actor=head, file=upload(output.getvalue()))
    assert where(result) == {(2, header("title"))}


def _zip(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return output.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        "Tên nhiệm vụ;Hạn hoàn thành\nA;24/01/2025\n".encode(),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,  # an old .xls
        _zip({"word/document.xml": b"<w:document/>"}),
        _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml <"}),
    ],
    ids=["empty", "csv", "xls", "other-zip", "damaged-xlsx"],
)
def test_a_file_that_is_not_an_xlsx_is_refused_clearly(people, head, nothing_saved, content):
    result = excel.import_tasks(actor=head, file=upload(content))
    assert result.created == 0 and len(result.errors) == 1
    assert result.errors[0].row is None and result.errors[0].message


def test_an_empty_sheet_is_refused(people, head, nothing_saved):
    result = run_import(head, [])
    assert len(result.errors) == 1 and result.errors[0].row is None


def test_more_rows_than_the_limit_are_refused(people, head, nothing_saved, monkeypatch):
    monkeypatch.setattr(excel, "MAX_IMPORT_ROWS", 2)
    result = run_import(head, [GOOD_ROW, {}, GOOD_ROW, GOOD_ROW])
    assert len(result.errors) == 1 and result.errors[0].row is None and "2" in result.errors[0].message


def test_blank_rows_are_skipped_and_do_not_count(people, head, monkeypatch):
    monkeypatch.setattr(excel, "MAX_IMPORT_ROWS", 2)
    assert run_import(head, [GOOD_ROW, {}, {"title": "  "}, GOOD_ROW]).created == 2


def test_a_sheet_without_headers_is_refused(people, head, nothing_saved):
    result = run_import(head, [GOOD_ROW], headers=[])
    assert len(result.errors) == 1 and result.errors[0].row is None


def test_a_file_over_the_size_limit_is_refused(people, head, nothing_saved, monkeypatch):
    content = xlsx([GOOD_ROW])
    monkeypatch.setattr(excel, "MAX_IMPORT_BYTES", len(content) - 1)
    result = excel.import_tasks(actor=head, file=upload(content))
    assert len(result.errors) == 1 and result.errors[0].row is None


def test_a_service_refusal_rolls_back_the_rows_already_created(people, head, nothing_saved, monkeypatch):
    real_assign = services.task_assign
    calls = []

    def assign_then_refuse(**arguments):
        calls.append(arguments["title"])
        if len(calls) == 2:
            raise ValidationError({"due_date": "Refused by the service."})
        return real_assign(**arguments)

    monkeypatch.setattr(services, "task_assign", assign_then_refuse)
    result = run_import(head, [GOOD_ROW, GOOD_ROW, GOOD_ROW])
    assert len(calls) == 3  # the first row was created, then undone with the rest
    assert result.created == 0
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, header("due_date"), "Refused by the service.")
    ]


# --- the template ------------------------------------------------------------------------------------------


def test_template_has_the_headers_of_the_column_spec_and_instructions():
    workbook = load_workbook(io.BytesIO(excel.import_template()))
    data, guide = workbook.worksheets
    assert [cell.value for cell in data[1]] == [str(column.header) for column in excel.COLUMNS]
    assert data.max_row == 1
    guide_text = [value for row in guide.iter_rows(values_only=True) for value in row if value is not None]
    for column in excel.COLUMNS:
        assert str(column.header) in guide_text and str(column.help) in guide_text
    assert "T00337" in guide_text  # the example row


# --- export ------------------------------------------------------------------------------------------------


def _ba_dinh_task(people):
    return services.task_assign(
        actor=people.user("badinh_head"),
        title="Nhiệm vụ của Ba Đình",
        assigning_unit=people.badinh,
        lead_unit=people.phucxa,
        responsible=people.phucxa_staff,
        start_date=datetime.date(2025, 1, 6),
        due_date=datetime.date(2025, 3, 31),
    )


def test_export_holds_the_scoped_tasks_with_real_dates(people, head, make_task):
    ours = make_task(priority=Priority.HIGH)
    injected = make_task(title='=HYPERLINK("http://example.com","bấm vào")')
    _ba_dinh_task(people)
    sheet = read_back(excel.export_tasks(selectors.task_list(actor=head)))

    assert [cell.value for cell in sheet[1]] == [str(title) for title, _width in excel.EXPORT_HEADERS]
    rows = list(sheet.iter_rows(min_row=2))
    assert sorted(row[0].value for row in rows) == sorted([ours.title, injected.title])
    title_cell = next(row[0] for row in rows if row[0].value == injected.title)
    assert title_cell.data_type == "s"  # text, not a formula
    row = next(row for row in rows if row[0].value == ours.title)
    values = [cell.value for cell in row]
    assert values[3:6] == ["T00337", "Phường Hoàng Liệt", "Nguyễn Văn Hùng"]
    start, due = row[6], row[7]
    assert start.value == datetime.datetime(2025, 1, 6) and due.value == datetime.datetime(2025, 1, 24)
    assert start.is_date and due.number_format == "dd/mm/yyyy"
    assert values[9] == 0 and values[13] == str(Priority.HIGH.label)


def test_export_reads_in_a_constant_number_of_queries(people, head, make_task):
    make_task()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            excel.export_tasks(selectors.task_list(actor=head))
        return len(captured)

    queries()  # the actor's scope is read once and then kept for the request
    few = queries()
    for number in range(5):
        make_task(title=f"Nhiệm vụ {number}")
    assert queries() == few


# --- the pages ---------------------------------------------------------------------------------------------


URLS = ["tasks:export", "tasks:import", "tasks:import-template"]


@pytest.mark.parametrize("name", URLS)
def test_anonymous_is_sent_to_log_in(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize(
    "username", ["no_grant", "hoangliet_staff", "hoangmai_observer", "hoangmai_inspector"]
)
def test_import_is_forbidden_without_the_right_to_assign_anywhere(people, login, nothing_saved, username):
    client = login(people.user(username))
    assert client.get(reverse("tasks:import")).status_code == 403
    response = client.post(reverse("tasks:import"), {"file": upload(xlsx([GOOD_ROW]))})
    assert response.status_code == 403


def test_import_page_is_accessible_and_links_the_template(people, head, login):
    response = login(head).get(reverse("tasks:import"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("tasks:import-template") in page
    assert '<label class="form-label" for="id_file">' in page and 'type="file"' in page
    assert 'aria-describedby="id_file_helptext"' in page and 'id="id_file_helptext"' in page
    assert 'enctype="multipart/form-data"' in page


def test_in_scope_head_imports_and_is_told_how_many(people, head, login, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # the upload arrives as a temporary file, as a large one would
    client = login(head)
    response = client.post(reverse("tasks:import"), {"file": upload(xlsx([GOOD_ROW, GOOD_ROW]))}, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("tasks:list"))
    assert Task.objects.filter(title=GOOD_ROW["title"]).count() == 2
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and "2" in shown[0]


def test_a_bad_file_is_shown_back_with_its_errors(people, head, login, nothing_saved):
    client = login(head)
    response = client.post(
        reverse("tasks:import"), {"file": upload(xlsx([GOOD_ROW, {**GOOD_ROW, "lead_unit": "X"}]))}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="import-errors"' in page and "<td>3</td>" in page and header("lead_unit") in page
    assert response.context["error_count"] == 1


def test_posting_without_a_file_is_a_form_error(people, head, login, nothing_saved):
    response = login(head).post(reverse("tasks:import"), {})
    assert response.status_code == 422 and response.context["form"].errors["file"]
    assert 'aria-invalid="true"' in response.content.decode()


def test_export_page_applies_the_scope_and_the_list_filters(people, head, login, make_task):
    ours = make_task()
    make_task(title="Kiểm tra công vụ")  # not found by the search
    theirs = _ba_dinh_task(people)
    response = login(head).get(reverse("tasks:export"), {"q": "bao cao ket qua", "state": "assigned"})
    assert response.status_code == 200 and response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="nhiem-vu-') and disposition.endswith('.xlsx"')
    assert len(disposition.split("nhiem-vu-")[1].removesuffix('.xlsx"')) == 8
    titles = [row[0] for row in read_back(response.content).iter_rows(min_row=2, values_only=True)]
    assert titles == [ours.title]

    response = login(people.user("badinh_head")).get(reverse("tasks:export"))
    titles = [row[0] for row in read_back(response.content).iter_rows(min_row=2, values_only=True)]
    assert titles == [theirs.title]


def test_template_download(people, login):
    response = login(people.user("hoangmai_observer")).get(reverse("tasks:import-template"))
    assert response.status_code == 200 and response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    sheet = read_back(response.content)
    assert [cell.value for cell in sheet[1]] == [str(column.header) for column in excel.COLUMNS]
