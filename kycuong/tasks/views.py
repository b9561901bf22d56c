import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.calendar import today
from kycuong.core.concurrency import expected_version_from
from kycuong.core.files import verified_response
from kycuong.core.forms import add_service_errors as _form_errors
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant
from kycuong.org.selectors import unit_get

from . import rules, selectors, services
from .forms import (
    DocumentFilesForm,
    DocumentForm,
    ExtensionDecisionForm,
    ExtensionForm,
    NoteForm,
    ProgressForm,
    ReasonForm,
    ReassignForm,
    SubmitForm,
    TaskAssignForm,
    TaskFilterForm,
)
from .models import OPEN_STATES, Attachment, Task, TaskState


def filters_from(form: TaskFilterForm) -> selectors.TaskFilters:
    form.is_valid()  # invalid fields are left out of cleaned_data; the valid ones still apply
    data = form.cleaned_data
    return selectors.TaskFilters(
        scope=data.get("scope") or "units",
        unit_id=data.get("unit"),
        with_descendants=data.get("descendants", True) if form.data.get("descendants") is not None else True,
        state=data.get("state") or None,
        overdue=bool(data.get("overdue")),
        at_risk=bool(data.get("at_risk")),
        due_from=data.get("due_from"),
        due_to=data.get("due_to"),
        document_id=data.get("document"),
        priority=data.get("priority"),
        responsible_id=data.get("responsible"),
        outcome=data.get("outcome") or None,
        q=data.get("q") or None,
        sort=data.get("sort") or "due_date",
    )


@scoped_view
def task_list(request):
    form = TaskFilterForm(request.GET)
    filters = filters_from(form)
    page = page_of(selectors.task_list(actor=request.user, filters=filters), request.GET.get("page"))
    unit = unit_get(actor=request.user, unit_id=filters.unit_id) if filters.unit_id else None
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "unit": unit,
        "query": query.urlencode(),
        "today": today(),
        "can_assign": has_any_grant(request.user, "tasks.assign_task"),
    }
    template = "tasks/task_list.html#results" if is_htmx(request) else "tasks/task_list.html"
    return render(request, template, context)


def _available_actions(actor, task: Task) -> set[str]:
    return {
        name
        for name, action in rules.ACTIONS.items()
        if task.state in action.from_states and can(actor, action.permission, rules.unit_for(action, task))
    }


@scoped_view
def task_detail(request, task_id: int):
    task = selectors.task_get(actor=request.user, task_id=task_id)
    context = {
        "task": task,
        "flags": selectors.task_flags(task),
        "actions": _available_actions(request.user, task),
        "events": list(task.events.select_related("actor").prefetch_related("attachments")),
        "reports": list(task.reports.select_related("reported_by").prefetch_related("attachments")),
        "extensions": list(task.extensions.select_related("requested_by", "decided_by")),
        "subtasks": list(selectors.subtasks(actor=request.user, task=task)),
        "reassign_units": ReassignForm(actor=request.user).fields["lead_unit"].queryset[:300]
        if task.state == TaskState.RETURNED
        else [],
        "forms": {
            "reason": ReasonForm(),
            "note": NoteForm(),
            "progress": ProgressForm(),
            "submit": SubmitForm(),
            "extension": ExtensionForm(),
            "decision": ExtensionDecisionForm(),
        },
    }
    return render(request, "tasks/task_detail.html", context)


@scoped_view
def task_new(request):
    initial = {"start_date": today()}
    parent_id = request.POST.get("parent") or request.GET.get("parent")
    if parent_id and not parent_id.isdigit():
        raise Http404
    if request.GET.get("parent"):
        parent = selectors.task_get(actor=request.user, task_id=int(request.GET["parent"]))
        initial.update(
            assigning_unit=parent.lead_unit,
            parent=parent.pk,
            due_date=parent.due_date,
            document=parent.document,
        )
    form = TaskAssignForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        parent = selectors.task_get(actor=request.user, task_id=int(parent_id)) if parent_id else None
        try:
            task = services.task_assign(
                actor=request.user,
                parent=parent,
                cooperating_units=list(data.pop("cooperating_units")),
                start_date=data.pop("start_date") or today(),
                recurrence=data.pop("recurrence") or "",
                **data,
            )
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The task was assigned."))
            return redirect("tasks:detail", task.pk)
    return render(
        request,
        "tasks/task_form.html",
        {"form": form, "parent_id": parent_id},
        status=422 if form.errors else 200,
    )


def _reassign(actor, task: Task, post) -> None:
    form = ReassignForm(post, actor=actor)
    if not form.is_valid():
        raise ValidationError([problem for problems in form.errors.values() for problem in problems])
    services.task_reassign(actor=actor, task=task, **form.cleaned_data)


ACTION_FORMS = {
    "return": ReasonForm,
    "send_back": ReasonForm,
    "cancel": ReasonForm,
    "approve": NoteForm,
    "report": ProgressForm,
    "submit": SubmitForm,
    "request_extension": ExtensionForm,
}


def _run_action(actor, task: Task, action: str, data: dict) -> None:
    if action == "accept":
        services.task_accept(actor=actor, task=task)
    elif action == "return":
        services.task_return(actor=actor, task=task, reason=data["reason"])
    elif action == "send_back":
        services.task_send_back(actor=actor, task=task, reason=data["reason"])
    elif action == "cancel":
        services.task_cancel(actor=actor, task=task, reason=data["reason"])
    elif action == "approve":
        services.task_approve(actor=actor, task=task, note=data.get("note", ""))
    elif action == "report":
        services.task_report_progress(
            actor=actor,
            task=task,
            percent=data["percent"],
            text=data["text"],
            reported_on=data.get("reported_on"),
            files=data.get("files", []),
        )
    elif action == "submit":
        links = [line.strip() for line in data.get("links", "").splitlines() if line.strip()]
        services.task_submit(
            actor=actor, task=task, text=data["text"], links=links, files=data.get("files", [])
        )
    elif action == "reassign":
        _reassign(actor, task, data)
    elif action == "request_extension":
        services.extension_request(
            actor=actor, task=task, requested_due_date=data["requested_due_date"], reason=data["reason"]
        )
    else:
        raise Http404


@scoped_view
@require_POST
def task_action(request, task_id: int, action: str):
    task = selectors.task_get(actor=request.user, task_id=task_id)
    if action not in rules.ACTIONS or action == "decide_extension":
        raise Http404
    task.expected_version = expected_version_from(request.POST.get("version"))
    form_class = ACTION_FORMS.get(action)
    data = request.POST if action == "reassign" else {}
    if form_class is not None:
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            for field, problems in form.errors.items():
                for problem in problems:
                    messages.error(
                        request, f"{form.fields[field].label if field in form.fields else ''}: {problem}"
                    )
            return redirect("tasks:detail", task.pk)
        data = form.cleaned_data
    try:
        _run_action(request.user, task, action, data)
    except (ValidationError, PermissionDenied) as error:
        for problem in getattr(error, "messages", [str(error)]):
            messages.error(request, problem)
    else:
        messages.success(request, _("Done."))
    return redirect("tasks:detail", task.pk)


@scoped_view
@require_POST
def extension_decide(request, task_id: int, extension_id: int):
    task = selectors.task_get(actor=request.user, task_id=task_id)
    extension = task.extensions.select_related("task").filter(pk=extension_id).first()
    if extension is None:
        raise Http404
    extension.task.expected_version = expected_version_from(request.POST.get("version"))
    form = ExtensionDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_decide(
                actor=request.user,
                extension=extension,
                grant=form.cleaned_data["grant"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            for problem in getattr(error, "messages", [str(error)]):
                messages.error(request, problem)
        else:
            messages.success(request, _("Done."))
    return redirect("tasks:detail", task.pk)


@scoped_view
def attachment_download(request, attachment_id: int):
    """Files are served only here, after the task's scope is checked, and their checksum is verified."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    selectors.task_get(actor=request.user, task_id=attachment.task_id)
    return verified_response(attachment)


@scoped_view
def document_file_download(request, attachment_id: int):
    return verified_response(
        selectors.document_attachment_get(actor=request.user, attachment_id=attachment_id)
    )


@scoped_view
def unit_summary(request):
    from kycuong.org.selectors import unit_roots

    unit_id = request.GET.get("unit")
    unit = unit_get(actor=request.user, unit_id=int(unit_id)) if unit_id and unit_id.isdigit() else None
    if unit is None:
        unit = unit_roots(actor=request.user).order_by("depth", "name").first()
        if unit is None:
            raise Http404
    year = today().year
    due_from = _date(request.GET.get("from")) or datetime.date(year, 1, 1)
    due_to = _date(request.GET.get("to")) or datetime.date(year, 12, 31)
    # The form sends a hidden "0" before the checkbox's "1": the last value wins, so unchecking works.
    with_descendants = request.GET.get("descendants", "1") == "1"
    summary = selectors.unit_task_summary(
        actor=request.user,
        unit_id=unit.pk,
        with_descendants=with_descendants,
        due_from=due_from,
        due_to=due_to,
    )
    base = (
        f"unit={unit.pk}&descendants={'on' if with_descendants else ''}"
        f"&due_from={due_from.isoformat()}&due_to={due_to.isoformat()}"
    )
    from kycuong.org.selectors import (
        ComparableResult,
        comparable_figures,
        comparable_predecessors,
        unit_list,
    )

    from .handover import COMPARABLE

    by_child = selectors.sub_unit_task_summaries(
        actor=request.user, unit_id=unit.pk, due_from=due_from, due_to=due_to
    )
    # the sub-units of the period's structure: for 2024, the wards of 2024, even those closed since
    sub_units = unit_list(actor=request.user, parent_id=unit.pk, include_expired=True).valid_during(
        due_from, due_to
    )
    children = [(child, by_child[child.pk]) for child in sub_units if child.pk in by_child]
    comparable = None
    if comparable_predecessors(unit=unit):
        # the period's figures on today's structure: the unit's own plus its predecessors' shares
        source = COMPARABLE[0]
        comparable = ComparableResult(
            source,
            comparable_figures(
                unit=unit,
                figures_of=lambda unit_id: source.figures(
                    actor=request.user, unit_id=unit_id, date_from=due_from, date_to=due_to
                ),
                keys=[key for key, _label in source.columns],
            ),
        )
    context = {
        "unit": unit,
        "summary": summary,
        "due_from": due_from,
        "due_to": due_to,
        "base": base,
        "with_descendants": with_descendants,
        "children": children,
        "comparable": comparable,
    }
    return render(request, "tasks/unit_summary.html", context)


def _date(raw: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@scoped_view
def board(request):
    form = TaskFilterForm(request.GET)
    filters = filters_from(form)
    columns = []
    for state in (*OPEN_STATES, TaskState.APPROVED):
        column_filters = selectors.TaskFilters(**{**filters.__dict__, "state": state})
        tasks = list(selectors.task_list(actor=request.user, filters=column_filters)[:30])
        columns.append((TaskState(state), tasks))
    return render(request, "tasks/board.html", {"columns": columns, "form": form, "today": today()})


@scoped_view
def document_list(request):
    from .selectors import document_list as documents

    page = page_of(documents(actor=request.user, q=request.GET.get("q")), request.GET.get("page"))
    return render(request, "tasks/document_list.html", {"page": page, "q": request.GET.get("q", "")})


@scoped_view
def document_new(request):
    form = DocumentForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The document was saved."))
            return redirect("tasks:document", document.pk)
    return render(request, "tasks/document_form.html", {"form": form}, status=422 if form.errors else 200)


@scoped_view
def document_detail(request, document_id: int):
    """The document, its files, and how far the tasks broken out of it have got."""
    document = selectors.document_get(actor=request.user, document_id=document_id)
    form = DocumentFilesForm(request.POST, request.FILES) if request.method == "POST" else DocumentFilesForm()
    if form.is_bound and form.is_valid():
        try:
            services.document_attach(actor=request.user, document=document, files=form.cleaned_data["files"])
        except (ValidationError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The files were added."))
            return redirect("tasks:document", document.pk)
    context = {
        "document": document,
        "files": list(document.attachments.all()),
        "summary": selectors.document_task_summary(actor=request.user, document_id=document.pk),
        "base": f"document={document.pk}",
        "form": form,
        "can_attach": can(request.user, "tasks.assign_task", document.issuing_unit_id),
    }
    return render(request, "tasks/document_detail.html", context, status=422 if form.errors else 200)


@scoped_view
def due_calendar(request):
    """A month of due dates: how many tasks fall due each day (and how many of them are overdue)."""
    import calendar as month_calendar

    from django.db.models import Count

    try:
        first = datetime.date.fromisoformat(f"{request.GET.get('month', '')}-01")
    except ValueError:
        first = today().replace(day=1)
    if not 2000 <= first.year <= 2100:
        first = today().replace(day=1)
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    filters = filters_from(TaskFilterForm(request.GET))
    filters = selectors.TaskFilters(
        **{**filters.__dict__, "due_from": first, "due_to": last, "sort": "due_date"}
    )
    day = today()
    counts = {
        row["due_date"]: row
        for row in selectors.task_list(actor=request.user, filters=filters)
        .order_by()
        .values("due_date")
        .annotate(total=Count("id"), overdue=Count("id", filter=selectors.overdue_q(day)))
    }
    weeks = [
        [(date, counts.get(date)) if date.month == first.month else (None, None) for date in week]
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous_month = (first - datetime.timedelta(days=1)).replace(day=1)
    context = {
        "weeks": weeks,
        "first": first,
        "previous": previous_month,
        "next": last + datetime.timedelta(days=1),
        "today": day,
        "scope": filters.scope,
        "overdue_total": sum(r["overdue"] for r in counts.values()),
        "weekdays": [WEEKDAYS_ABBR[index] for index in range(7)],
    }
    return render(request, "tasks/calendar.html", context)
