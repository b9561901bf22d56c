"""Pages of processes: queues, catalogue, diagram viewer and modeler, step builder, instances, statistics."""

import calendar as month_calendar
import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.calendar import today
from kycuong.core.concurrency import expected_version_from
from kycuong.core.files import verified_response
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, covered_units, get_scoped_or_404, has_any_grant
from kycuong.org.models import Unit
from kycuong.org.selectors import unit_get

from . import selectors, services
from .bpmn import BuilderStep
from .forms import (
    CompleteForm,
    DefinitionMetaForm,
    ImportForm,
    InstanceFilterForm,
    PauseForm,
    ReturnForm,
    StartForm,
    StatsForm,
    StepRowForm,
)
from .models import MonthlyFigure, ProcessStep, StepAttachment

QUEUES = ("mine", "unit", "overdue")


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for messages_ in error.message_dict.values() for message in messages_]
    return list(error.messages)


def _manageable_units(actor):
    units = covered_units(actor, "processes.manage_process")
    queryset = Unit.objects.order_by("depth", "name")
    if units is not None:
        queryset = queryset.filter(pk__in=units)
    return list(queryset.values_list("pk", "name")[:500])


def _role_choices():
    from kycuong.accounts.models import Role

    return [(role.code, role.display_name) for role in Role.objects.order_by("code")]


@scoped_view
def index(request):
    """The queues: my steps, my units' steps, overdue steps."""
    queue = request.GET.get("queue", "mine")
    if queue not in QUEUES:
        queue = "mine"
    actor = request.user
    if queue == "mine":
        steps = selectors.my_steps(actor=actor)
    elif queue == "unit":
        steps = selectors.unit_steps(actor=actor)
    else:
        steps = selectors.overdue_steps(actor=actor)
    q = request.GET.get("q", "").strip()
    for word in selectors.fold(q).split():
        steps = steps.filter(instance__search_text__contains=word)
    page = page_of(steps, request.GET.get("page"))
    context = {"queue": queue, "page": page, "now": timezone.now(), "queues": QUEUES, "q": q}
    template = "processes/index.html#queue" if is_htmx(request) else "processes/index.html"
    return render(request, template, context)


@scoped_view
def catalogue(request):
    unit_id = request.GET.get("unit")
    unit = unit_get(actor=request.user, unit_id=int(unit_id)) if unit_id and unit_id.isdigit() else None
    state = request.GET.get("state", "active")
    definitions = selectors.definition_list(
        actor=request.user,
        q=request.GET.get("q"),
        unit_id=unit.pk if unit else None,
        state=state if state in ("active", "retired") else None,
    )
    page = page_of(definitions, request.GET.get("page"))
    context = {
        "page": page,
        "unit": unit,
        "q": request.GET.get("q", ""),
        "state": state,
        "can_manage": has_any_grant(request.user, "processes.manage_process"),
    }
    return render(request, "processes/catalogue.html", context)


@scoped_view
def definition_detail(request, definition_id: int):
    definition = selectors.definition_get(actor=request.user, definition_id=definition_id)
    context = {
        "definition": definition,
        "steps": list(definition.step_specs.all()),
        "start_form": StartForm(),
        "can_start": can(request.user, "processes.start_process", definition.owner_unit_id),
        "can_manage": can(request.user, "processes.manage_process", definition.owner_unit_id),
        "versions": list(
            selectors.definition_list(actor=request.user, state=None)
            .filter(owner_unit=definition.owner_unit, code=definition.code)
            .values("pk", "version", "state")
        ),
    }
    return render(request, "processes/definition_detail.html", context)


@scoped_view
def definition_bpmn(request, definition_id: int):
    definition = selectors.definition_get(actor=request.user, definition_id=definition_id)
    response = HttpResponse(
        definition.bpmn_xml.encode("utf-8"), content_type="application/xml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{definition.code}-v{definition.version}.bpmn"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@scoped_view
def definition_import(request):
    if not has_any_grant(request.user, "processes.manage_process"):
        raise PermissionDenied
    units = _manageable_units(request.user)
    errors: list[str] = []
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields["owner_unit"].widget.choices = units
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            owner = get_scoped_or_404(
                Unit.objects.all(), request.user, "org.view_unit", pk=data["owner_unit"]
            )
            content = upload.read(services.bpmn.MAX_BPMN_BYTES + 1)
            definition = services.definition_import(
                actor=request.user,
                owner_unit=owner,
                code=data["code"],
                name=data["name"],
                scope=data["scope"],
                valid_from=data["valid_from"],
                data=content,
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("The process was added to the catalogue."))
            return redirect("processes:definition", definition.pk)
    return render(
        request, "processes/import.html", {"form": form, "errors": errors}, status=422 if errors else 200
    )


@scoped_view
def definition_builder(request):
    if not has_any_grant(request.user, "processes.manage_process"):
        raise PermissionDenied
    units = _manageable_units(request.user)
    roles = _role_choices()
    meta = DefinitionMetaForm(request.POST or None)
    meta.fields["owner_unit"].widget.choices = units
    count = 8
    rows = [
        StepRowForm(request.POST or None, prefix=f"s{index}", roles=roles, use_required_attribute=False)
        for index in range(count)
    ]
    errors: list[str] = []
    if request.method == "POST":
        filled = [row for row in rows if row.data.get(f"{row.prefix}-name", "").strip()]
        if meta.is_valid() and filled and all(row.is_valid() for row in filled):
            data = meta.cleaned_data
            try:
                owner = get_scoped_or_404(
                    Unit.objects.all(), request.user, "org.view_unit", pk=data["owner_unit"]
                )
                definition = services.definition_build(
                    actor=request.user,
                    owner_unit=owner,
                    code=data["code"],
                    name=data["name"],
                    scope=data["scope"],
                    valid_from=data["valid_from"],
                    steps=[
                        BuilderStep(
                            name=row.cleaned_data["name"],
                            role=row.cleaned_data["role"],
                            unit_ref=row.cleaned_data["unit_ref"].strip(),
                            limit_value=row.cleaned_data["limit_value"],
                            limit_unit=row.cleaned_data["limit_unit"],
                            escalate=row.cleaned_data["escalate"],
                        )
                        for row in filled
                    ],
                )
            except ValidationError as error:
                errors = _errors(error)
            else:
                messages.success(request, _("The process was generated and added to the catalogue."))
                return redirect("processes:definition", definition.pk)
        elif not filled:
            errors = [_("Give at least one step.")]
        else:
            errors = [_("Correct the fields marked below.")]
    context = {"meta": meta, "rows": rows, "errors": errors}
    return render(request, "processes/builder.html", context, status=422 if errors else 200)


@scoped_view
def definition_modeler(request, definition_id: int):
    """The diagram in bpmn-js; someone who manages the catalogue may save it as a new version."""
    definition = selectors.definition_get(actor=request.user, definition_id=definition_id)
    can_manage = can(request.user, "processes.manage_process", definition.owner_unit_id)
    errors: list[str] = []
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        try:
            new = services.definition_import(
                actor=request.user,
                owner_unit=definition.owner_unit,
                code=definition.code,
                name=definition.name,
                scope=definition.scope,
                data=request.POST.get("xml", "").encode("utf-8"),
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("Saved as version %(version)s.") % {"version": new.version})
            return redirect("processes:definition", new.pk)
    context = {"definition": definition, "can_manage": can_manage, "errors": errors}
    return render(request, "processes/modeler.html", context, status=422 if errors else 200)


@scoped_view
@require_POST
def definition_retire(request, definition_id: int):
    definition = selectors.definition_get(actor=request.user, definition_id=definition_id)
    try:
        services.definition_retire(actor=request.user, definition=definition)
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
    return redirect("processes:definition", definition.pk)


@scoped_view
@require_POST
def instance_start(request, definition_id: int):
    definition = selectors.definition_get(actor=request.user, definition_id=definition_id)
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            instance = services.instance_start(actor=request.user, definition=definition, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(_errors(error)))
        else:
            return redirect("processes:instance", instance.pk)
    else:
        messages.error(request, _("Fill in the case reference and description."))
    return redirect("processes:definition", definition.pk)


def _filters(form: InstanceFilterForm) -> selectors.InstanceFilters:
    form.is_valid()
    data = form.cleaned_data
    return selectors.InstanceFilters(
        unit_id=data.get("unit"),
        definition_id=data.get("definition"),
        code=data.get("code") or None,
        state=data.get("state") or None,
        outcome=data.get("outcome") or None,
        completed_from=data.get("completed_from"),
        completed_to=data.get("completed_to"),
        q=data.get("q") or None,
    )


@scoped_view
def instance_list(request):
    form = InstanceFilterForm(request.GET)
    filters = _filters(form)
    if filters.unit_id:
        unit_get(actor=request.user, unit_id=filters.unit_id)
    page = page_of(selectors.instance_list(actor=request.user, filters=filters), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "processes/instance_list.html#results" if is_htmx(request) else "processes/instance_list.html"
    return render(request, template, context)


@scoped_view
def instance_detail(request, instance_id: int):
    instance = selectors.instance_get(actor=request.user, instance_id=instance_id)
    steps = selectors.instance_steps(instance)
    actor = request.user
    open_steps = [step for step in steps if step.state == ProcessStep.State.OPEN]
    specs = {spec.bpmn_id: spec for spec in instance.definition.step_specs.all()}
    done_ids = []
    for step in steps:
        if step.state == ProcessStep.State.DONE and step.bpmn_id not in done_ids:
            done_ids.append(step.bpmn_id)
    context = {
        "instance": instance,
        "steps": steps,
        "now": timezone.now(),
        "open_steps": [
            {
                "step": step,
                "can_work": services.may_perform(actor, step),
                "decisions": specs[step.bpmn_id].decisions if step.bpmn_id in specs else [],
                "returnable": [(bpmn_id, specs[bpmn_id].name) for bpmn_id in done_ids if bpmn_id in specs],
            }
            for step in open_steps
        ],
        "events": list(instance.events.select_related("actor", "step")),
        "can_pause": can(actor, "processes.start_process", instance.unit_id),
        "complete_form": CompleteForm(),
        "return_form": ReturnForm(),
        "pause_form": PauseForm(),
    }
    return render(request, "processes/instance_detail.html", context)


@scoped_view
@require_POST
def instance_action(request, instance_id: int, action: str):
    instance = selectors.instance_get(actor=request.user, instance_id=instance_id)
    instance.expected_version = expected_version_from(request.POST.get("version"))
    try:
        if action == "pause":
            services.instance_pause(
                actor=request.user, instance=instance, reason=request.POST.get("reason", "")
            )
        elif action == "resume":
            services.instance_resume(actor=request.user, instance=instance)
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
    return redirect("processes:instance", instance.pk)


@scoped_view
@require_POST
def step_action(request, step_id: int, action: str):
    step = selectors.step_get(actor=request.user, step_id=step_id)
    step.instance.expected_version = expected_version_from(request.POST.get("version"))
    try:
        if action == "complete":
            services.step_complete(
                actor=request.user,
                step=step,
                result=request.POST.get("result", ""),
                decision=request.POST.get("decision", ""),
                files=request.FILES.getlist("files"),
            )
            messages.success(request, _("The step is done."))
        elif action == "return":
            services.step_return(
                actor=request.user,
                step=step,
                to_bpmn_id=request.POST.get("to_step", ""),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("The case was returned."))
        elif action == "claim":
            services.step_claim(actor=request.user, step=step)
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
    return redirect("processes:instance", step.instance_id)


@scoped_view
def attachment_download(request, attachment_id: int):
    attachment = get_scoped_or_404(
        StepAttachment.objects.select_related("step"),
        request.user,
        "processes.view_processinstance",
        pk=attachment_id,
    )
    return verified_response(attachment)


def _period(form: StatsForm) -> tuple[datetime.date, datetime.date]:
    form.is_valid()
    data = form.cleaned_data
    year = data.get("year") or today().year
    start = data.get("start_month") or 1
    end = data.get("end_month") or 12
    if end < start:
        start, end = end, start
    return datetime.date(year, start, 1), datetime.date(year, end, month_calendar.monthrange(year, end)[1])


def _default_unit(actor) -> int | None:
    units = covered_units(actor, "processes.view_processinstance")
    queryset = Unit.objects.order_by("depth", "name")
    if units is not None:
        queryset = queryset.filter(pk__in=units)
    return queryset.values_list("pk", flat=True).first()


@scoped_view
def statistics(request):
    form = StatsForm(request.GET)
    start, end = _period(form)
    data = form.cleaned_data
    unit_id = data.get("unit") or _default_unit(request.user)
    if unit_id is None:
        raise Http404
    unit = unit_get(actor=request.user, unit_id=unit_id)
    level = data.get("level") or MonthlyFigure.Level.INSTANCE
    code = data.get("code") or None
    figures = selectors.statistics(
        actor=request.user, unit_id=unit.pk, start=start, end=end, level=level, code=code
    )
    drill = reverse("processes:instances")
    context = {
        "form": form,
        "unit": unit,
        "start": start,
        "end": end,
        "level": level,
        "figures": figures,
        "drill": f"{drill}?unit={unit.pk}&completed_from={start.isoformat()}&completed_to={end.isoformat()}",
        "year": start.year,
        "code": code or "",
        "chart": {
            "labels": [month.strftime("%m/%Y") for month, _figure in figures["by_month"]],
            "rates": [figure.timely_rate for _month, figure in figures["by_month"]],
        },
    }
    return render(request, "processes/statistics.html", context)
