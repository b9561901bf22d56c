"""Pages of evaluations: cycles and their steps, one evaluation with the tasks behind its points, results."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.calendar import today
from kycuong.core.concurrency import expected_version_from
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant
from kycuong.org.selectors import staff_get, unit_get

from . import exports, scoring, selectors, services
from .compute import task_breakdown
from .forms import (
    CycleFilterForm,
    CycleForm,
    PublishForm,
    ReasonForm,
    ResultsForm,
    ReviewForm,
    SelfAssessmentForm,
)
from .models import CycleState, EvaluationState, Role


def _errors(request, error: ValidationError) -> None:
    for problem in error.messages:
        messages.error(request, problem)


@scoped_view
def index(request):
    form = CycleFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = selectors.CycleFilters(state=data.get("state") or None, year=data.get("year"))
    page = page_of(selectors.cycle_list(actor=request.user, filters=filters), request.GET.get("page"))
    mine = []
    if request.user.staff_id:
        mine = selectors.staff_history(actor=request.user, staff_id=request.user.staff_id)[:12]
    context = {
        "form": form,
        "page": page,
        "mine": mine,
        "steps_section": {"steps": selectors.due_steps(actor=request.user)},
        "can_open": has_any_grant(request.user, "evaluations.manage_cycle"),
    }
    template = "evaluations/index.html#cycles" if is_htmx(request) else "evaluations/index.html"
    return render(request, template, context)


@scoped_view
def cycle_new(request):
    form = CycleForm(request.POST or None, actor=request.user, initial={"frequency": "monthly"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cycle = services.cycle_create(
                actor=request.user,
                method_code=data["method_code"],
                unit=data["unit"],
                units=list(data["units"]),
                outstanding_units=list(data["outstanding_units"]),
                include_descendants=data["include_descendants"],
                frequency=data["frequency"],
                period_start=data["period_start"],
                name=data["name"],
                self_assessment_due=data["self_assessment_due"],
                review_due=data["review_due"],
                approval_due=data["approval_due"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("The cycle is open. Compute it to start the self-assessment."))
            return redirect("evaluations:cycle", cycle.pk)
    return render(request, "evaluations/cycle_form.html", {"form": form})


CYCLE_ACTIONS = {
    "compute": (services.cycle_compute, "evaluations.manage_cycle"),
    "open-review": (services.cycle_open_review, "evaluations.manage_cycle"),
    "submit": (services.cycle_submit, "evaluations.manage_cycle"),
    "approve": (services.cycle_approve, "evaluations.approve_cycle"),
}


def _cycle_actions(actor, cycle) -> list[str]:
    allowed = {
        CycleState.OPEN: ["compute"],
        CycleState.SELF_ASSESSMENT: ["compute", "open-review"],
        CycleState.REVIEW: ["compute", "submit"],
        CycleState.APPROVAL: ["approve", "return"],
        CycleState.APPROVED: ["publish", "return"],
    }.get(cycle.state, [])
    manage = can(actor, "evaluations.manage_cycle", cycle.unit_id)
    approve = can(actor, "evaluations.approve_cycle", cycle.unit_id)
    return [
        name
        for name in allowed
        if (name in ("approve", "publish", "return") and approve)
        or (name not in ("approve", "publish", "return") and manage)
    ]


def visible_quota(actor, cycle) -> list[dict]:
    """The quota rows of the units the actor may see (a person sees a cycle through their own evaluation)."""
    return [
        row
        for row in services.quota_status(cycle)
        if can(actor, "evaluations.view_evaluation", row["unit_id"])
    ]


@scoped_view
def cycle_detail(request, cycle_id: int):
    cycle = selectors.cycle_get(actor=request.user, cycle_id=cycle_id)
    evaluations = selectors.evaluation_list(
        actor=request.user,
        filters=selectors.EvaluationFilters(cycle_id=cycle.pk, level=request.GET.get("level") or None),
    )
    page = page_of(evaluations, request.GET.get("page"))
    quota = visible_quota(request.user, cycle) if cycle.method.rules.get("quota") else []
    rules = cycle.method.rules
    context = {
        "cycle": cycle,
        "page": page,
        "quota": quota,
        "quota_level": scoring.level_name(rules, rules["quota"]["level"]) if rules.get("quota") else "",
        "levels": [(code, scoring.level_name(rules, code)) for code in scoring.level_codes(rules)],
        "actions": _cycle_actions(request.user, cycle),
        "units": list(cycle.cycle_units.select_related("unit")),
        "reason_form": ReasonForm(),
        "publish_form": PublishForm(),
        "today": today(),
        "can_export": has_any_grant(request.user, "evaluations.view_evaluation"),
    }
    template = "evaluations/cycle_detail.html#rows" if is_htmx(request) else "evaluations/cycle_detail.html"
    return render(request, template, context)


@scoped_view
@require_POST
def cycle_action(request, cycle_id: int, action: str):
    cycle = selectors.cycle_get(actor=request.user, cycle_id=cycle_id)
    try:
        if action in CYCLE_ACTIONS:
            CYCLE_ACTIONS[action][0](actor=request.user, cycle=cycle)
        elif action == "publish":
            form = PublishForm(request.POST)
            number = form.cleaned_data["document_number"] if form.is_valid() else ""
            services.cycle_publish(actor=request.user, cycle=cycle, document_number=number)
        elif action == "return":
            services.cycle_return(actor=request.user, cycle=cycle, reason=request.POST.get("reason", ""))
        else:
            raise Http404
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("evaluations:cycle", cycle.pk)


@scoped_view
def evaluation_detail(request, evaluation_id: int):
    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    cycle = evaluation.cycle
    rules = cycle.method.rules
    lines = []
    if evaluation.staff_id and evaluation.role != Role.UNIT:
        lines = task_breakdown(
            rules, staff_id=evaluation.staff_id, start=cycle.period_start, end=cycle.period_end
        )
    own = services.is_own(request.user, evaluation)
    may_self = own and (
        (cycle.state == CycleState.SELF_ASSESSMENT and evaluation.state != EvaluationState.REVIEWED)
        or (cycle.state == CycleState.REVIEW and evaluation.state == EvaluationState.RETURNED)
    )
    may_review = cycle.state == CycleState.REVIEW and services.can_review(request.user, evaluation)
    quota = rules.get("quota")
    may_move = (
        cycle.state == CycleState.APPROVAL
        and can(request.user, "evaluations.approve_cycle", cycle.unit_id)
        and quota
        and (evaluation.level == quota["level"] or evaluation.quota_moved)
    )
    criteria = []
    if rules.get("kind") == "scorecard":
        used = scoring.scorecard_points(rules, evaluation)
        suggested = (evaluation.explanation or {}).get("suggested", {})
        criteria = [
            {
                **item,
                "self": (evaluation.self_criteria_points or {}).get(item["code"]),
                "reviewed": (evaluation.criteria_points or {}).get(item["code"]),
                "suggested": suggested.get(item["code"]),
                "used": used.get(item["code"]),
            }
            for item in rules["criteria"]
        ]
    initial = {
        "general_points": evaluation.general_used,
        "bonus_points": evaluation.bonus_points,
        "adjustment": evaluation.adjustment or None,
        "adjustment_reason": evaluation.adjustment_reason,
        "manual_ground": evaluation.manual_ground,
        "note": evaluation.review_note,
    }
    context = {
        "evaluation": evaluation,
        "cycle": cycle,
        "rules": rules,
        "lines": lines,
        "criteria": criteria,
        "may_self": may_self,
        "may_review": may_review,
        "may_move": may_move,
        "self_form": SelfAssessmentForm(
            initial={"general_points": evaluation.self_general_points, "note": evaluation.self_note}
        ),
        "review_form": ReviewForm(initial=initial),
        "reason_form": ReasonForm(),
    }
    return render(request, "evaluations/evaluation_detail.html", context)


def _criteria_from(post) -> dict:
    return {
        key[len("criterion-") :]: value
        for key, value in post.items()
        if key.startswith("criterion-") and value != ""
    }


@scoped_view
@require_POST
def evaluation_action(request, evaluation_id: int, action: str):
    evaluation = selectors.evaluation_get(actor=request.user, evaluation_id=evaluation_id)
    evaluation.expected_version = expected_version_from(request.POST.get("version"))
    post = request.POST
    try:
        if action == "self-assess":
            form = SelfAssessmentForm(post)
            if not form.is_valid():
                raise ValidationError(list(form.errors.values())[0])
            services.evaluation_self_assess(
                actor=request.user,
                evaluation=evaluation,
                general_points=form.cleaned_data["general_points"],
                criteria_points=_criteria_from(post),
                note=form.cleaned_data["note"],
            )
        elif action == "review":
            form = ReviewForm(post)
            if not form.is_valid():
                raise ValidationError(list(form.errors.values())[0])
            services.evaluation_review(
                actor=request.user,
                evaluation=evaluation,
                criteria_points=_criteria_from(post),
                **form.cleaned_data,
            )
        elif action == "return":
            services.evaluation_return(
                actor=request.user, evaluation=evaluation, reason=post.get("reason", "")
            )
        elif action == "move-down":
            services.evaluation_move_down(
                actor=request.user,
                evaluation=evaluation,
                reason=post.get("reason", ""),
                undo=post.get("undo") == "1",
            )
        else:
            raise Http404
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("evaluations:evaluation", evaluation.pk)


@scoped_view
def evaluation_list(request):
    data = request.GET
    results = ResultsForm(data)
    start, end = results.period() if (data.get("period_from") or data.get("period_to")) else (None, None)
    unit = None
    if data.get("unit"):
        if not data["unit"].isdigit():
            raise Http404
        unit = unit_get(actor=request.user, unit_id=int(data["unit"]))
    filters = selectors.EvaluationFilters(
        unit_id=unit.pk if unit else None,
        with_descendants=data.get("descendants") == "1",
        level=data.get("level") or None,
        published_only=data.get("published") == "1",
        period_from=start,
        period_to=end,
    )
    page = page_of(selectors.evaluation_list(actor=request.user, filters=filters), data.get("page"))
    query = data.copy()
    query.pop("page", None)
    context = {"page": page, "unit": unit, "query": query.urlencode(), "start": start, "end": end}
    return render(request, "evaluations/evaluation_list.html", context)


@scoped_view
def results(request):
    form = ResultsForm(request.GET)
    start, end = form.period()
    unit_id = request.GET.get("unit")
    if unit_id and not unit_id.isdigit():
        raise Http404
    unit = unit_get(actor=request.user, unit_id=int(unit_id)) if unit_id else _home_unit(request.user)
    kind = request.GET.get("kind") or (unit.kind if unit else "")
    context = {
        "form": form,
        "unit": unit,
        "start": start,
        "end": end,
        "kind": kind,
        "distribution": selectors.distribution(actor=request.user, unit=unit, start=start, end=end)
        if unit
        else [],
        "comparison": selectors.period_comparison(actor=request.user, unit=unit, year=start.year)
        if unit
        else [],
        "rankings": selectors.rankings(actor=request.user, kind=kind, start=start, end=end) if kind else [],
    }
    return render(request, "evaluations/results.html", context)


def _home_unit(actor):
    from kycuong.org.selectors import unit_roots

    return unit_roots(actor=actor).first()


@scoped_view
def staff_history(request, staff_id: int):
    own = request.user.staff_id == staff_id
    staff = None if own else staff_get(actor=request.user, staff_id=staff_id)
    history = selectors.staff_history(actor=request.user, staff_id=staff_id)
    if own:
        staff = request.user.staff
    return render(request, "evaluations/staff_history.html", {"staff": staff, "history": history})


@scoped_view
def method_list(request):
    return render(request, "evaluations/method_list.html", {"methods": list(selectors.method_list())})


@scoped_view
def method_detail(request, method_id: int):
    method = selectors.method_get(method_id=method_id)
    rules = method.rules
    return render(
        request,
        "evaluations/method_detail.html",
        {"method": method, "rules": rules, "versions": selectors.method_list().filter(code=method.code)},
    )


@scoped_view
def cycle_export(request, cycle_id: int):
    cycle = selectors.cycle_get(actor=request.user, cycle_id=cycle_id)
    evaluations = selectors.evaluation_list(
        actor=request.user, filters=selectors.EvaluationFilters(cycle_id=cycle.pk)
    )
    if not can(request.user, "evaluations.view_evaluation", cycle.unit_id):
        raise Http404
    quota = (
        visible_quota(request.user, cycle) if cycle.method.rules.get("quota") else exports.level_counts(cycle)
    )
    content = exports.export_cycle(cycle, evaluations.iterator(chunk_size=2000), quota)
    response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="danh-gia-{cycle.pk}-{cycle.period_start:%Y%m}.xlsx"'
    )
    return response
