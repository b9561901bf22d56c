"""Reports made in the background: the PDF, .docx and .xlsx open and carry the figures; thresholds and
subscriptions; rights and audit."""

import datetime
import io
import time
import unicodedata
from decimal import Decimal as D

import docx
import openpyxl
import pypdf
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kycuong.core.models import AuditRecord
from kycuong.reports import selectors, services
from kycuong.reports.models import (
    Report,
    ReportFormat,
    ReportKind,
    ReportState,
    Signal,
    SignalThreshold,
)
from kycuong.reports.selectors import month_period, review_period, year_period

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def make(actor, unit, kind=ReportKind.MONTH, period=None, **extra) -> Report:
    report = services.report_request(
        actor=actor, unit=unit, kind=kind, period=period or month_period(2025, 1), enqueue=False, **extra
    )
    return services.report_make(report_id=report.pk)


def test_monthly_report_files_carry_the_figures(tasks_world):
    head = tasks_world.user("hoangmai_head")
    report = make(head, tasks_world.hoangmai)
    assert report.state == ReportState.DONE and report.progress == 100
    files = {f.format: f for f in report.files.all()}
    assert set(files) == {ReportFormat.PDF, ReportFormat.DOCX, ReportFormat.XLSX}
    assert all(f.uploaded_by_id == head.pk and f.size > 0 for f in files.values())

    with files["pdf"].file.open("rb") as handle:
        pdf = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = flat(" ".join(page.extract_text() for page in pdf.pages))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "QUẬN HOÀNG MAI" in text
    assert "Nơi nhận:" in text
    # 4 tasks due in January 2025, 1 on time: 25,0 %; December 2024: 1 of 1, 100,0 %.
    assert "25,0 %" in text and "100,0 %" in text
    assert "tháng 01/2025" in text

    with files["docx"].file.open("rb") as handle:
        word = docx.Document(io.BytesIO(handle.read()))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    assert "25,0 %" in cells and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in "\n".join(cells)
    paragraphs = "\n".join(p.text for p in word.paragraphs)
    assert "25,0 %" in paragraphs  # the generated sentence

    with files["xlsx"].file.open("rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    by_key = {row[2]: row for row in rows if row and row[2]}
    assert by_key["tasks.on_time_rate"][3] == 25.0 and by_key["tasks.on_time_rate"][4] == 100.0
    assert by_key["tasks.assigned"][3] == 4
    ranking = list(book.worksheets[1].iter_rows(values_only=True))
    assert ("Phường Hoàng Liệt", 33.3) in [(row[2], row[4]) for row in ranking[1:]]
    records = AuditRecord.objects.filter(object_type="reports.report", object_id=str(report.pk))
    assert set(records.values_list("action", flat=True)) >= {"create", "generate"}


def test_review_report_has_one_column_per_year(tasks_world):
    head = tasks_world.user("hoangmai_head")
    start = datetime.date(2023, 8, 7)
    report = make(
        head,
        tasks_world.hoangmai,
        kind=ReportKind.REVIEW,
        period=review_period(start, 2),
        directive="Chỉ thị số 24-CT/TU",
        years=2,
    )
    assert report.state == ReportState.DONE, report.error
    assert report.title == "Tổng kết 2 năm thực hiện Chỉ thị số 24-CT/TU"
    assert (report.period_start, report.period_end) == (start, datetime.date(2025, 8, 6))
    with report.files.get(format="xlsx").file.open("rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()))
    years = book["Từng năm"]
    header = [cell.value for cell in years[1]]
    assert header[2:] == [
        "từ ngày 07/08/2023 đến ngày 06/08/2024",
        "từ ngày 07/08/2024 đến ngày 06/08/2025",
    ]
    rows = {row[1]: row for row in years.iter_rows(min_row=2, values_only=True)}
    # Nothing fell due in the first year; all five Hoàng Mai tasks (December 2024 and January 2025) in the
    # second: 2 of 5 on time, 40 %.
    assert rows["Tỷ lệ đúng hạn"][2:] == (None, 40.0)
    assert rows["Nhiệm vụ đến hạn trong kỳ"][2:] == (0, 5)
    with report.files.get(format="docx").file.open("rb") as handle:
        word = docx.Document(io.BytesIO(handle.read()))
    assert "KẾT QUẢ TỪNG NĂM" in "\n".join(p.text for p in word.paragraphs)
    assert "40,0 %" in [cell.text for table in word.tables for row in table.rows for cell in row.cells]


def test_bad_requests_are_refused_and_change_nothing(tasks_world):
    head = tasks_world.user("hoangmai_head")
    before = (Report.objects.count(), AuditRecord.objects.count())
    with pytest.raises(ValidationError) as refused:
        services.report_request(
            actor=head,
            unit=tasks_world.hoangmai,
            kind=ReportKind.REVIEW,
            period=review_period(datetime.date(2023, 8, 7), 20),
            directive="",
            years=20,
            enqueue=False,
        )
    assert {"directive", "years"} <= set(refused.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.report_request(
            actor=tasks_world.user("badinh_head"),
            unit=tasks_world.hoangmai,
            kind="month",
            period=month_period(2025, 1),
            enqueue=False,
        )
    with pytest.raises(PermissionDenied):
        services.report_request(
            actor=tasks_world.user("hoangliet_staff"),
            unit=tasks_world.hoangliet,
            kind="month",
            period=month_period(2025, 1),
            enqueue=False,
        )
    assert (Report.objects.count(), AuditRecord.objects.count()) == before


def test_thresholds_give_signals_and_keep_their_history(tasks_world):
    admin = tasks_world.user("superuser")
    # The default set: tasks on time, amber below 90 %, red below 75 %.
    default = selectors.thresholds_in_force(datetime.date(2025, 1, 31))["tasks.on_time_rate"]
    assert (default.amber_at, default.red_at) == (D("90"), D("75"))
    assert default.signal_for(25.0) == Signal.RED and default.signal_for(80) == Signal.AMBER
    assert default.signal_for(95) == Signal.GREEN
    services.threshold_create(
        actor=admin,
        key="tasks.on_time_rate",
        higher_is_better=True,
        amber_at=D("30"),
        red_at=D("20"),
        valid_from=datetime.date(2025, 1, 1),
    )
    assert selectors.thresholds_in_force(datetime.date(2024, 12, 31))["tasks.on_time_rate"].red_at == D("75")
    assert selectors.thresholds_in_force(datetime.date(2025, 1, 31))["tasks.on_time_rate"].red_at == D("20")
    board = selectors.dashboard_build(
        actor=tasks_world.user("hoangmai_head"),
        unit=tasks_world.hoangmai,
        period=month_period(2025, 1),
        modules=["tasks"],
    )
    card = board.cards[0]
    assert card.headline.signal == Signal.AMBER  # 25 % < 30 %, not below 20 %
    # Sub-units: Hoàng Liệt 33,3 % green, Định Công 0 % red → Định Công needs attention.
    assert [(row.unit.name, row.signal) for row in card.ranking] == [
        ("Phường Hoàng Liệt", Signal.GREEN),
        ("Phường Định Công", Signal.RED),
    ]
    assert [(item.unit.name, item.signal) for item in board.attention] == [("Phường Định Công", Signal.RED)]
    count = SignalThreshold.objects.count()
    with pytest.raises(ValidationError):
        services.threshold_create(
            actor=admin,
            key="tasks.on_time_rate",
            higher_is_better=True,
            amber_at=D("10"),
            red_at=D("20"),
            valid_from=datetime.date(2025, 6, 1),
        )
    with pytest.raises(PermissionDenied):
        services.threshold_create(
            actor=tasks_world.user("hoangmai_head"),
            key="x",
            amber_at=D("1"),
            red_at=D("0"),
            valid_from=datetime.date(2025, 6, 1),
        )
    assert SignalThreshold.objects.count() == count


def test_monthly_subscription_sends_last_month_once(tasks_world):
    head = tasks_world.user("hoangmai_head")
    head.email = "truong.phong@hoangmai.hanoi.gov.vn"
    head.save(update_fields=["email"])
    subscription = services.subscription_create(actor=head, unit=tasks_world.hoangmai, user=head)
    with pytest.raises(ValidationError):
        services.subscription_create(actor=head, unit=tasks_world.hoangmai, user=head)
    with pytest.raises(ValidationError):
        # Ba Đình's head may not read Hoàng Mai's reports.
        services.subscription_create(
            actor=head, unit=tasks_world.hoangmai, user=tasks_world.user("badinh_head")
        )
    result = services.monthly_reports_send(day=datetime.date(2025, 2, 3))
    assert result == {"sent": 1, "skipped": 0, "failed": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["truong.phong@hoangmai.hanoi.gov.vn"]
    assert sorted(name.rsplit(".", 1)[1] for name, _content, _type in message.attachments) == ["docx", "pdf"]
    report = Report.objects.get(subscription=subscription)
    assert (report.period_start, report.period_end) == (datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    assert services.monthly_reports_send(day=datetime.date(2025, 2, 20)) == {
        "sent": 0,
        "skipped": 0,
        "failed": 0,
    }
    services.subscription_cancel(actor=head, subscription=subscription)
    assert services.monthly_reports_send(day=datetime.date(2025, 3, 3))["sent"] == 0
    assert len(mail.outbox) == 1


def test_year_period_label():
    from django.utils import translation

    with translation.override("vi"):
        assert "2025" in selectors.period_label(year_period(2025))


def test_dashboard_query_count_does_not_grow_with_the_records(tasks_world, make_task):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kycuong.accounts.models import User

    def count() -> int:
        head = User.objects.get(username="head.hm")  # a fresh scope cache each time
        with CaptureQueriesContext(connection) as queries:
            selectors.dashboard_build(
                actor=head, unit=tasks_world.hoangmai, period=month_period(2025, 1), modules=["tasks"]
            )
        return len(queries)

    small = count()
    for index in range(12):
        if index % 2:
            make_task(title=f"Thêm {index}", lead_unit=tasks_world.dinhcong, responsible=None)
        else:
            make_task(title=f"Thêm {index}")
    assert count() == small


def test_a_long_attention_list_sends_the_reader_to_the_workbook(tasks_world):
    from django.utils import translation

    from kycuong.core.official_document import Paragraph
    from kycuong.reports.documents import ReportContent, _attention_blocks, workbook
    from kycuong.reports.selectors import Attention

    board = selectors.dashboard_build(
        actor=tasks_world.user("hoangmai_head"), unit=tasks_world.hoangmai, period=month_period(2025, 1)
    )
    board.attention = [
        Attention(tasks_world.dinhcong, "Nhiệm vụ", "Tỷ lệ đúng hạn", 10.0 + n, "%", Signal.RED)
        for n in range(35)
    ]
    report = Report(
        unit=tasks_world.hoangmai,
        title="Báo cáo",
        period_start=board.period.start,
        period_end=board.period.end,
    )
    content = ReportContent(report, board)
    with translation.override("vi"):
        blocks = _attention_blocks(content)
        book = openpyxl.load_workbook(io.BytesIO(workbook(content)))
    # One lead-in, 30 units, then where to find the other 5.
    assert len(blocks) == 32 and all(isinstance(block, Paragraph) for block in blocks)
    assert "10,0 %" in blocks[1].text and blocks[-1].text.startswith("… và 5 đơn vị khác")
    sheet = book["Đơn vị cần chú ý"]
    assert sheet.max_row == 36 and sheet.cell(36, 5).value == 44.0


@pytest.mark.django_db(transaction=True)
def test_providers_read_side_by_side_on_postgresql_with_the_same_figures(tasks_world, settings, monkeypatch):
    import threading

    from django.db import connection

    from kycuong.accounts.models import User

    if connection.vendor != "postgresql":
        pytest.skip("providers read in turn on SQLite")
    original, threads = selectors._summary, set()

    def recorded(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "_summary", recorded)

    def board_figures(thread_count: int) -> list:
        settings.DASHBOARD_THREADS = thread_count
        board = selectors.dashboard_build(
            actor=User.objects.get(username="head.hm"),  # a fresh scope cache each time
            unit=tasks_world.hoangmai,
            period=month_period(2025, 1),
        )
        return [
            (
                card.summary.module,
                card.error,
                [
                    (view.figure.key, view.figure.value, view.figure.previous, view.signal)
                    for view in card.figures
                ],
                [(row.unit.pk, row.value) for row in card.ranking],
            )
            for card in board.cards
        ]

    in_turn = board_figures(1)
    assert threads == {threading.current_thread().name}
    threads.clear()
    side_by_side = board_figures(4)
    assert threads and all(name.startswith("dashboard") for name in threads)
    assert side_by_side == in_turn
    assert not any(error for _module, error, _figures, _ranking in in_turn)
    assert dict((module, figures) for module, _e, figures, _r in in_turn)["tasks"]  # figures were read


@pytest.mark.django_db(transaction=True)
def test_a_provider_thread_whose_connection_was_cut_connects_again(tasks_world, settings):
    from django.db import connection

    from kycuong.accounts.models import User

    if connection.vendor != "postgresql":
        pytest.skip("providers read in turn on SQLite")
    settings.DASHBOARD_THREADS = 4

    def build():
        return selectors.dashboard_build(
            actor=User.objects.get(username="head.hm"),
            unit=tasks_world.hoangmai,
            period=month_period(2025, 1),
        )

    assert not any(card.error for card in build().cards)
    with connection.cursor() as cursor:  # as a server restart or a restore would
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert not any(card.error for card in build().cards)


@pytest.mark.django_db(transaction=True)
def test_stopping_the_provider_threads_closes_every_connection_they_opened(tasks_world, settings):
    from django.db import connection

    from kycuong.accounts.models import User

    if connection.vendor != "postgresql":
        pytest.skip("providers read in turn on SQLite")

    def others_connected() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    selectors.provider_threads_stop()  # whatever an earlier test left
    settings.DASHBOARD_THREADS = 4
    leader = User.objects.get(username="head.hm")
    for _ in range(3):  # the pool grows and reuses its threads
        selectors.dashboard_build(actor=leader, unit=tasks_world.hoangmai, period=month_period(2025, 1))
    assert others_connected() >= 2
    selectors.provider_threads_stop()
    # A server process ends a moment after its client closes the connection.
    deadline = time.monotonic() + 10
    while others_connected() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert others_connected() == 0
