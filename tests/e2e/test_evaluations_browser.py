"""A monthly evaluation from opening to publication in a real browser, two users at once: the head of Quận
Hoàng Mai opens a cycle for Phường Hoàng Liệt, a ward civil servant makes her self-assessment from the home
page, the head reviews every evaluation, meets the grade-A quota by moving one person down, approves and
publishes; the civil servant then sees her grade. Data: the Hanoi demo set."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

HEAD = "truong.hoangmai"
STAFF = "canbo.hoangliet"


def label(text_or_choice) -> str:
    """A label as the page shows it: through the same Vietnamese catalogue the server uses."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("vi"):
        return str(getattr(text_or_choice, "label", None) or gettext(text_or_choice))


def press(page, test_id: str) -> None:
    page.get_by_test_id(test_id).click()


def test_self_assessment_review_approval_publication(page, second_page, login):
    from kycuong.accounts.models import User
    from kycuong.evaluations.models import Cycle, CycleState, Evaluation, EvaluationState
    from kycuong.org.models import Staff, Unit

    hoangliet = Unit.objects.get(code="00337")
    me = User.objects.get(username=STAFF).staff
    ward_staff = list(Staff.objects.filter(unit=hoangliet).values_list("full_name", flat=True))
    assert me.full_name in ward_staff and len(ward_staff) == 4

    # The head opens a cycle for January 2023 (no task was due then: every task-result part is full).
    base = login(page, HEAD)
    page.goto(f"{base}/evaluations/cycles/new/")
    page.get_by_label(label("Method")).select_option(label="Chấm điểm hằng tháng (Quyết định 3814-QĐ/TU)")
    page.get_by_label(label("Organising unit")).select_option(label="Quận Hoàng Mai")
    page.get_by_label(label("Units evaluated")).select_option(label="Phường Hoàng Liệt")
    page.get_by_label(label("First day of the period")).fill("2023-01-01")
    page.get_by_role("button", name=label("Open the cycle")).click()
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.OPEN))
    cycle = Cycle.objects.get(period_start__year=2023, unit__code="008")
    press(page, "cycle-compute")
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.SELF_ASSESSMENT))
    expect(page.get_by_test_id("evaluations").locator("tbody tr")).to_have_count(4)

    # The civil servant finds the step on her home page and assesses herself.
    base2 = login(second_page, STAFF)
    steps = second_page.get_by_test_id("evaluation-steps")
    steps.get_by_role("link", name=label("Make your self-assessment")).click()
    form = second_page.get_by_test_id("self-form")
    form.get_by_label(re.compile(re.escape(label("General criteria")))).fill("19")
    form.get_by_label(label("Self-assessment"), exact=True).fill("Hoàn thành đầy đủ nhiệm vụ được giao.")
    form.get_by_role("button").click()
    expect(second_page.get_by_test_id("evaluation-state")).to_have_text(label(EvaluationState.SELF_ASSESSED))
    assert base2 == base

    # The head closes the self-assessment and reviews the four: a colleague and the civil servant get grade A
    # (95 and 94), the other two B (80).
    page.goto(f"{base}/evaluations/cycles/{cycle.pk}/")
    press(page, "cycle-open-review")
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.REVIEW))
    others = list(Evaluation.objects.filter(cycle=cycle).exclude(staff=me).order_by("id"))
    points = {Evaluation.objects.get(cycle=cycle, staff=me).pk: ("19", "5"), others[0].pk: ("20", "5")}
    points.update({evaluation.pk: ("10", "0") for evaluation in others[1:]})
    for evaluation_id, (general, bonus) in points.items():
        page.goto(f"{base}/evaluations/{evaluation_id}/")
        form = page.get_by_test_id("review-form")
        form.locator("#review-general").fill(general)
        form.locator("#review-bonus").fill(bonus)
        press(page, "review-submit")
        expect(page.get_by_test_id("evaluation-state")).to_have_text(label(EvaluationState.REVIEWED))
    mine = Evaluation.objects.get(cycle=cycle, staff=me)
    assert (mine.total, mine.level) == (Decimal("94.00"), "A")

    # 2 grade A among 4: 30 % of 4 allows 1. Approval is refused until the approver moves one down.
    page.goto(f"{base}/evaluations/cycles/{cycle.pk}/")
    press(page, "cycle-submit")
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.APPROVAL))
    expect(page.get_by_test_id("quota")).to_contain_text("Phường Hoàng Liệt")
    press(page, "cycle-approve")
    expect(page.locator(".alert-danger, .alert-error").first).to_contain_text("Phường Hoàng Liệt")
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.APPROVAL))
    page.goto(f"{base}/evaluations/{mine.pk}/")
    form = page.get_by_test_id("move-form")
    form.get_by_label(label("Move down a level for the quota, with a reason")).fill(
        "Điểm thấp hơn trong hai người loại A"
    )
    form.get_by_role("button").click()
    expect(page.get_by_test_id("evaluation-level")).to_have_text("Loại B")
    page.goto(f"{base}/evaluations/cycles/{cycle.pk}/")
    press(page, "cycle-approve")
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.APPROVED))
    page.get_by_label(label("Document number")).fill("15/BC-UBND")
    press(page, "publish")
    expect(page.get_by_test_id("cycle-state")).to_have_text(label(CycleState.PUBLISHED))

    # The civil servant sees her published grade.
    second_page.goto(f"{base}/evaluations/")
    second_page.get_by_role("link", name=label("My whole history")).click()
    row = second_page.get_by_test_id("history").locator("tbody tr").filter(has_text=cycle.name)
    expect(row).to_contain_text("Loại B")
    cycle.refresh_from_db()
    assert (cycle.state, cycle.document_number) == (CycleState.PUBLISHED, "15/BC-UBND")
