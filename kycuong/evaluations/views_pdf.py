"""A cycle's results as an official report (Decree 30/2020 layout) in PDF, through core.official_document."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from kycuong.core.access import scoped_view
from kycuong.core.calendar import today
from kycuong.core.official_document import Heading, OfficialDocument, Signature, Table, render_pdf
from kycuong.core.scoping import can
from kycuong.org.models import Post, PostRole

from . import exports, scoring, selectors
from .models import CycleState, Frequency

# An official report is written in Vietnamese whatever the reader's language.
MAX_LISTED = 300


def _number(value: float | int) -> str:
    text = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _period(cycle) -> str:
    start = cycle.period_start
    if cycle.frequency == Frequency.MONTHLY:
        return f"tháng {start.month:02d}/{start.year}"
    if cycle.frequency == Frequency.QUARTERLY:
        return f"quý {(start.month - 1) // 3 + 1}/{start.year}"
    return f"năm {start.year}"


def _head_name(unit_id: int) -> str:
    post = (
        Post.objects.current(today())
        .filter(unit_id=unit_id, role=PostRole.HEAD)
        .select_related("staff")
        .first()
    )
    return post.staff.full_name if post else ""


def build_document(actor, cycle) -> OfficialDocument:
    rules = cycle.method.rules
    codes = scoring.level_codes(rules)
    counts = exports.level_counts(cycle)
    counts = [row for row in counts if can(actor, "evaluations.view_evaluation", row["unit_id"])]
    totals = {code: sum(row["counts"].get(code, 0) for row in counts) for code in codes}
    everyone = sum(totals.values())
    distribution = Table(
        columns=["Đơn vị", *[scoring.level_name(rules, code) for code in codes], "Tổng số"],
        rows=[
            [
                row["unit_name"],
                *[_number(row["counts"].get(code, 0)) for code in codes],
                _number(sum(row["counts"].values())),
            ]
            for row in counts
        ]
        + [["Cộng", *[_number(totals[code]) for code in codes], _number(everyone)]],
        title="Bảng 1. Kết quả xếp loại theo đơn vị",
        numeric_columns=tuple(range(1, len(codes) + 2)),
    )
    evaluations = selectors.evaluation_list(
        actor=actor, filters=selectors.EvaluationFilters(cycle_id=cycle.pk)
    )[: MAX_LISTED + 1]
    listed = list(evaluations)
    people = Table(
        columns=["STT", "Họ và tên / đơn vị", "Đơn vị", "Điểm", "Xếp loại"],
        rows=[
            [
                str(index),
                evaluation.staff.full_name if evaluation.staff_id else evaluation.unit.name,
                evaluation.unit.name,
                _number(float(evaluation.total)),
                scoring.level_name(rules, evaluation.level),
            ]
            for index, evaluation in enumerate(listed[:MAX_LISTED], start=1)
        ],
        title="Bảng 2. Kết quả của từng cá nhân, đơn vị",
        numeric_columns=(0, 3),
    )
    shares = "; ".join(
        f"{scoring.level_name(rules, code)}: {_number(totals[code])}"
        + (f" ({_number(round(100 * totals[code] / everyone, 1))} %)" if everyone else "")
        for code in codes
    )
    body = [
        f"Căn cứ {cycle.method.legal_basis}; {cycle.unit.name} báo cáo kết quả đánh giá, xếp loại "
        f"{_period(cycle)} như sau:",
        Heading("I. KẾT QUẢ CHUNG"),
        f"Tổng số được đánh giá: {_number(everyone)}. {shares}.",
        distribution,
        Heading("II. KẾT QUẢ CỤ THỂ"),
        people,
    ]
    if len(listed) > MAX_LISTED:
        body.append(f"Danh sách đầy đủ xem trong tệp Excel kèm theo (chỉ in {MAX_LISTED} dòng đầu).")
    if cycle.state != CycleState.PUBLISHED:
        body.insert(0, "DỰ THẢO – kết quả chưa được công bố.")
    number, _, symbol = cycle.document_number.partition("/")
    parent = cycle.unit.parent
    return OfficialDocument(
        governing_body=parent.name if parent else "",
        issuing_unit=cycle.unit.name,
        number=number if symbol else None,
        symbol=symbol or "BC",
        place="Hà Nội",
        date=cycle.published_on or today(),
        kind="BÁO CÁO",
        title=f"Kết quả đánh giá, xếp loại {_period(cycle)}",
        body=body,
        recipients=["Các đơn vị được đánh giá"],
        signature=Signature(title="THỦ TRƯỞNG ĐƠN VỊ", name=_head_name(cycle.unit_id)),
    )


@scoped_view
@require_safe
def cycle_pdf(request, cycle_id: int):
    cycle = selectors.cycle_get(actor=request.user, cycle_id=cycle_id)
    if not can(request.user, "evaluations.view_evaluation", cycle.unit_id):
        raise Http404
    response = HttpResponse(render_pdf(build_document(request.user, cycle)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bao-cao-danh-gia-{cycle.pk}.pdf"'
    return response
