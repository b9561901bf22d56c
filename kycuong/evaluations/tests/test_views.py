"""Pages: an authorization matrix per page, the workflow through the forms, exports opened for real."""

import datetime
import io
import re

import openpyxl
import pypdf
import pytest
from django.urls import reverse

from kycuong.accounts.models import User
from kycuong.core.models import AuditRecord
from kycuong.evaluations import services
from kycuong.evaluations.models import Cycle, CycleState, Evaluation

from .conftest import MARCH_2026, ten_tasks


@pytest.fixture
def cycle(world, person, make_tasks):
    staff = person(world.hoangliet, "Lê Thị Mai", "mai")
    make_tasks(staff, ten_tasks(), due=datetime.date(2026, 3, 20))
    cycle = services.cycle_create(
        actor=world.user("hoangmai_head"),
        method_code="civil-servants",
        unit=world.hoangmai,
        units=[world.hoangliet],
        frequency="monthly",
        period_start=MARCH_2026,
    )
    services.cycle_compute(actor=world.user("hoangmai_head"), cycle=cycle)
    return Cycle.objects.get(pk=cycle.pk)


def _mai_evaluation(cycle):
    return Evaluation.objects.get(cycle=cycle, staff__full_name="Lê Thị Mai")


def test_page_matrix(world, login, cycle):
    evaluation = _mai_evaluation(cycle)
    scoped = [
        reverse("evaluations:cycle", args=[cycle.pk]),
        reverse("evaluations:evaluation", args=[evaluation.pk]),
        reverse("evaluations:staff", args=[evaluation.staff_id]),
        reverse("evaluations:cycle-export", args=[cycle.pk]),
    ]
    for user in ("no_grant", "badinh_head"):
        client = login(world.user(user))
        for url in scoped:
            assert client.get(url).status_code == 404, (user, url)
    head = login(world.user("hoangmai_head"))
    for url in scoped:
        assert head.get(url).status_code == 200, url
    for name in ("index", "list", "results", "methods", "cycle-new"):
        assert head.get(reverse(f"evaluations:{name}")).status_code == 200, name
    method = cycle.method
    assert head.get(reverse("evaluations:method", args=[method.pk])).status_code == 200
    mai = login(User.objects.get(username="mai"))
    assert mai.get(scoped[1]).status_code == 200
    assert mai.get(scoped[3]).status_code == 404  # the whole cycle's export is not hers
    other = Evaluation.objects.filter(cycle=cycle).exclude(pk=evaluation.pk).first()
    assert mai.get(reverse("evaluations:evaluation", args=[other.pk])).status_code == 404


def test_evaluation_page_explains_with_task_links(world, login, cycle):
    evaluation = _mai_evaluation(cycle)
    page = login(world.user("hoangmai_head")).get(reverse("evaluations:evaluation", args=[evaluation.pk]))
    html = page.content.decode()
    assert "61,83" in html  # Vietnamese decimal comma
    assert len(re.findall(r'href="/tasks/\d+/"', html)) == 10
    assert "−25 %" in html


def test_refused_posts_change_nothing(world, login, cycle):
    evaluation = _mai_evaluation(cycle)
    before = (
        Cycle.objects.get(pk=cycle.pk).state,
        AuditRecord.objects.filter(object_type__startswith="evaluations.").count(),
    )
    for user in ("no_grant", "badinh_head"):
        client = login(world.user(user))
        assert (
            client.post(reverse("evaluations:cycle-action", args=[cycle.pk, "open-review"])).status_code
            == 404
        )
        url = reverse("evaluations:evaluation-action", args=[evaluation.pk, "review"])
        assert client.post(url, {"general_points": "20"}).status_code == 404
    inspector = login(world.user("hoangmai_inspector"))
    assert (
        inspector.post(reverse("evaluations:cycle-action", args=[cycle.pk, "open-review"])).status_code == 403
    )
    assert (
        Cycle.objects.get(pk=cycle.pk).state,
        AuditRecord.objects.filter(object_type__startswith="evaluations.").count(),
    ) == before


def test_workflow_through_the_pages(world, login, cycle):
    evaluation = _mai_evaluation(cycle)
    mai = login(User.objects.get(username="mai"))
    home = mai.get(reverse("home")).content.decode()
    assert f'href="{reverse("evaluations:evaluation", args=[evaluation.pk])}"' in home
    url = reverse("evaluations:evaluation-action", args=[evaluation.pk, "self-assess"])
    response = mai.post(url, {"general_points": "31"}, follow=True)
    assert _mai_evaluation(cycle).state == "pending"
    assert response.status_code == 200
    mai.post(url, {"general_points": "28", "note": "Đạt yêu cầu"})
    assert _mai_evaluation(cycle).state == "self_assessed"

    head = login(world.user("hoangmai_head"))
    head.post(reverse("evaluations:cycle-action", args=[cycle.pk, "open-review"]))
    review = reverse("evaluations:evaluation-action", args=[evaluation.pk, "review"])
    head.post(review, {"general_points": "28", "adjustment": "-1", "adjustment_reason": ""})
    assert _mai_evaluation(cycle).state == "self_assessed"  # an adjustment without a reason changes nothing
    head.post(review, {"general_points": "28", "adjustment": "-1", "adjustment_reason": "Nộp báo cáo muộn"})
    reviewed = _mai_evaluation(cycle)
    assert (reviewed.state, str(reviewed.total), reviewed.level) == ("reviewed", "88.83", "good")
    page = head.get(reverse("evaluations:evaluation", args=[evaluation.pk])).content.decode()
    assert "Nộp báo cáo muộn" in page
    for other in Evaluation.objects.filter(cycle=cycle).exclude(pk=evaluation.pk):
        head.post(
            reverse("evaluations:evaluation-action", args=[other.pk, "review"]), {"general_points": "10"}
        )
    for action in ("submit", "approve"):
        head.post(reverse("evaluations:cycle-action", args=[cycle.pk, action]))
    head.post(
        reverse("evaluations:cycle-action", args=[cycle.pk, "publish"]), {"document_number": "07/BC-UBND"}
    )
    cycle.refresh_from_db()
    assert cycle.state == CycleState.PUBLISHED and cycle.document_number == "07/BC-UBND"


def test_excel_export_opens(world, login, cycle):
    response = login(world.user("hoangmai_head")).get(reverse("evaluations:cycle-export", args=[cycle.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = [row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]]
    by_name = {row[1]: row for row in rows}
    assert by_name["Lê Thị Mai"][3:8] == (10, 9, 1, 1, 61.83)
    assert len(rows) == 2


def test_pdf_summary_in_the_official_layout(world, login, cycle):
    response = login(world.user("hoangmai_head")).get(reverse("evaluations:cycle-pdf", args=[cycle.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert "QUẬN HOÀNG MAI" in flat.upper()
    assert "BÁO CÁO" in flat
    assert "tháng 03/2026" in flat
    assert "Lê Thị Mai" in flat
    assert "DỰ THẢO" in flat  # not published yet


def test_open_a_cycle_through_the_form(world, login):
    head = login(world.user("hoangmai_head"))
    data = {
        "method_code": "hanoi-monthly",
        "unit": world.hoangmai.pk,
        "units": [world.dinhcong.pk],
        "frequency": "monthly",
        "period_start": "01/04/2026",
    }
    response = head.post(reverse("evaluations:cycle-new"), {**data, "period_start": "15/04/2026"})
    assert response.status_code == 200 and Cycle.objects.count() == 0
    response = head.post(reverse("evaluations:cycle-new"), {**data, "units": [world.phucxa.pk]})
    assert response.status_code == 200 and Cycle.objects.count() == 0  # Phúc Xá is not in the choices
    response = head.post(reverse("evaluations:cycle-new"), data)
    cycle = Cycle.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "evaluations:cycle", args=[cycle.pk]
    )
    assert cycle.period_end == datetime.date(2026, 4, 30)


def test_home_section_lists_due_steps(world, login, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(self_assessment_due=datetime.date(2100, 1, 4))
    home = login(world.user("hoangmai_head")).get(reverse("home")).content.decode()
    assert 'data-testid="evaluation-steps"' not in home  # the self-assessment runs until its deadline
    Cycle.objects.filter(pk=cycle.pk).update(self_assessment_due=datetime.date(2026, 4, 1))
    home = login(world.user("hoangmai_head")).get(reverse("home")).content.decode()
    assert 'data-testid="evaluation-steps"' in home
    assert "text-bg-danger" in home  # overdue
