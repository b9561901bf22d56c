"""Writes to tasks: every transition is a service call that checks the rules and writes its audit record."""

import calendar as month_calendar
import datetime
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_created, audit_updated, audit_write, changed_values, entry_for, snapshot
from kycuong.core.calendar import (
    add_working_days,
    is_working_day,
    next_working_day,
    today,
    working_days_between,
)
from kycuong.core.concurrency import check_version
from kycuong.core.files import store_upload
from kycuong.core.scoping import can, require
from kycuong.core.services import create_audited
from kycuong.notifications.services import notify
from kycuong.org.models import Post, Staff, Unit

from . import rules
from .models import (
    Attachment,
    DocumentAttachment,
    ExtensionRequest,
    Priority,
    ProgressReport,
    Recurrence,
    SourceDocument,
    Task,
    TaskEvent,
    TaskState,
)


def document_create(
    *,
    actor,
    issuing_unit: Unit,
    number: str,
    kind: str,
    title: str,
    issued_on: datetime.date,
    summary: str = "",
    files: Sequence[UploadedFile] = (),
) -> SourceDocument:
    require(actor, "tasks.assign_task", issuing_unit.pk)
    document = SourceDocument(
        issuing_unit=issuing_unit,
        number=number.strip(),
        kind=kind,
        title=title.strip(),
        issued_on=issued_on,
        summary=summary,
    )
    with transaction.atomic():
        create_audited(actor=actor, instance=document)
        if files:
            document_attach(actor=actor, document=document, files=files)
    return document


def _check_responsible(responsible: Staff | None, lead_unit: Unit) -> None:
    if responsible is None:
        return
    works_there = (
        responsible.unit_id == lead_unit.pk
        or Post.objects.current().filter(staff=responsible, unit=lead_unit).exists()
    )
    if not works_there:
        raise ValidationError({"responsible": _("The responsible person must work in the lead unit.")})


LATEST_DATE = datetime.date(2100, 12, 31)


def _due_date(
    start: datetime.date, due_date: datetime.date | None, working_days: int | None
) -> datetime.date:
    """The due date; one that falls on a day off moves to the next working day, as legal time limits do."""
    if start > LATEST_DATE or (due_date and due_date > LATEST_DATE):
        raise ValidationError({"due_date": _("Give a date before 2101.")})
    if working_days is not None:
        if not 1 <= working_days <= 365:
            raise ValidationError({"due_working_days": _("Give from 1 to 365 working days.")})
        return add_working_days(start, working_days)
    if due_date is None:
        raise ValidationError({"due_date": _("Give a due date or a number of working days.")})
    return due_date if is_working_day(due_date) else next_working_day(due_date)


def task_assign(
    *,
    actor,
    title: str,
    assigning_unit: Unit,
    lead_unit: Unit,
    start_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
    due_working_days: int | None = None,
    responsible: Staff | None = None,
    cooperating_units: Sequence[Unit] = (),
    document: SourceDocument | None = None,
    parent: Task | None = None,
    priority: int = Priority.NORMAL,
    expected_product: str = "",
    recurrence: str = Recurrence.NONE,
    description: str = "",
    notify_people: bool = True,
) -> Task:
    """Assign a task from `assigning_unit` to `lead_unit`; the actor needs the right to assign over both."""
    require(actor, "tasks.assign_task", assigning_unit.pk)
    require(actor, "tasks.assign_task", lead_unit.pk)
    if parent is not None:
        # A task is split by those who carry it out (or assigned it), and only while it is open.
        may_split = can(actor, "tasks.work_task", parent.lead_unit_id) or can(
            actor, "tasks.assign_task", parent.assigning_unit_id
        )
        if not may_split:
            raise PermissionDenied(_("You may not split this task."))
        if not parent.is_open:
            raise ValidationError({"parent": _("A closed task cannot get new sub-tasks.")})
    for unit in cooperating_units:
        require(actor, "org.view_unit", unit.pk)
    start_date = start_date or today()
    task = Task(
        title=" ".join(title.split()),
        description=description,
        document=document,
        parent=parent,
        assigning_unit=assigning_unit,
        assigned_by=actor,
        lead_unit=lead_unit,
        responsible=responsible,
        start_date=start_date,
        due_date=_due_date(start_date, due_date, due_working_days),
        due_working_days=due_working_days,
        priority=priority,
        expected_product=expected_product,
        recurrence=recurrence,
    )
    errors = {}
    if parent is not None and task.due_date > parent.due_date:
        errors["due_date"] = _("A sub-task cannot be due after its parent task (%(date)s).") % {
            "date": parent.due_date.strftime("%d/%m/%Y")
        }
    if task.due_date < start_date:
        errors["due_date"] = _("The due date cannot be before the start date.")
    if errors:
        raise ValidationError(errors)
    _check_responsible(responsible, lead_unit)
    with transaction.atomic():
        task.full_clean()
        task.save()
        if cooperating_units:
            task.cooperating_units.set(cooperating_units)
        after = {**snapshot(task), "cooperating_unit_ids": sorted(unit.pk for unit in cooperating_units)}
        audit_write(actor=actor, entries=[entry_for(task, "create", after=after)])
        TaskEvent.objects.create(
            task=task, kind=TaskEvent.Kind.ASSIGNED, actor=actor, new_due_date=task.due_date
        )
        if notify_people:
            _notify_assigned(actor, task)
    return task


def _people_of(staff: Iterable[Staff | None]) -> list:
    return [person.user for person in staff if person is not None and hasattr(person, "user")]


def _task_url(task: Task) -> str:
    from django.urls import reverse

    return reverse("tasks:detail", args=[task.pk])


def _notify_assigned(actor, task: Task) -> None:
    notify(
        actor=actor,
        users=_people_of([task.responsible]),
        kind="task_assigned",
        title=_("New task: %(title)s") % {"title": task.title},
        body=_("Due %(date)s, from %(unit)s.")
        % {"date": task.due_date.strftime("%d/%m/%Y"), "unit": task.assigning_unit.name},
        url=_task_url(task),
        event_key=f"task:{task.pk}:assigned:{task.version}",
    )


def _check_action(actor, task: Task, name: str) -> rules.Action:
    action = rules.ACTIONS[name]
    if not can(actor, action.permission, rules.unit_for(action, task)):
        raise PermissionDenied(_("You may not do this with this task."))
    if task.state not in action.from_states:
        raise ValidationError(
            _("This cannot be done while the task is “%(state)s”.") % {"state": task.get_state_display()}
        )
    return action


def _locked(task: Task) -> Task:
    """Re-read the task under a row lock, so that two decisions on the same task cannot both pass."""
    return Task.objects.select_for_update().get(pk=task.pk)


def _transition(actor, task: Task, name: str, *, state: str | None) -> tuple[Task, dict]:
    """Lock and re-check the task for `name`; returns it moved to `state`, with its values before."""
    current = _locked(task)
    check_version(current, task)
    _check_action(actor, current, name)
    before = snapshot(current)
    if state is not None:
        current.state = state
    current.version += 1
    return current, before


def _save_transition(
    actor, task: Task, before: dict, event: str, note: str = "", **event_fields
) -> TaskEvent:
    """Save the task, its timeline event, and one audit record with the change and the reason or evidence."""
    task.full_clean()
    task.save()
    old, new = changed_values(before, snapshot(task))
    record = {**new, "event": str(event)}
    if note:
        record["note"] = note
    if event_fields.get("links"):
        record["links"] = event_fields["links"]
    audit_write(actor=actor, entries=[entry_for(task, "update", before=old, after=record)])
    return TaskEvent.objects.create(task=task, kind=event, actor=actor, note=note, **event_fields)


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("Give a reason.")})
    return reason


def task_accept(*, actor, task: Task) -> Task:
    with transaction.atomic():
        task, before = _transition(actor, task, "accept", state=TaskState.ACCEPTED)
        _save_transition(actor, task, before, TaskEvent.Kind.ACCEPTED)
    return task


def task_return(*, actor, task: Task, reason: str) -> Task:
    reason = _require_reason(reason)
    with transaction.atomic():
        task, before = _transition(actor, task, "return", state=TaskState.RETURNED)
        _save_transition(actor, task, before, TaskEvent.Kind.RETURNED, reason)
        notify(
            actor=actor,
            users=[task.assigned_by],
            kind="task_returned",
            title=_("Task returned: %(title)s") % {"title": task.title},
            body=reason,
            url=_task_url(task),
            event_key=f"task:{task.pk}:returned:{task.version}",
        )
    return task


def task_reassign(
    *,
    actor,
    task: Task,
    lead_unit: Unit | None = None,
    responsible: Staff | None = None,
    due_date: datetime.date | None = None,
    note: str = "",
) -> Task:
    """Send a returned task out again, possibly to another unit or person or with another due date."""
    with transaction.atomic():
        task, before = _transition(actor, task, "reassign", state=TaskState.ASSIGNED)
        if lead_unit is not None and lead_unit.pk != task.lead_unit_id:
            require(actor, "tasks.assign_task", lead_unit.pk)
            task.lead_unit = lead_unit
            task.responsible = None
        if responsible is not None:
            _check_responsible(responsible, task.lead_unit)
            task.responsible = responsible
        if due_date is not None:
            task.due_date = _due_date(task.start_date, due_date, None)
            task.due_working_days = None
            if task.parent_id and task.due_date > task.parent.due_date:
                raise ValidationError(
                    {
                        "due_date": _("A sub-task cannot be due after its parent task (%(date)s).")
                        % {"date": task.parent.due_date.strftime("%d/%m/%Y")}
                    }
                )
        _save_transition(actor, task, before, TaskEvent.Kind.REASSIGNED, note, new_due_date=task.due_date)
        _notify_assigned(actor, task)
    return task


def _store_files(
    actor, task: Task, files: Iterable[UploadedFile], *, report=None, event=None
) -> list[Attachment]:
    stored = []
    for upload in files:
        attachment = store_upload(Attachment(task=task, report=report, event=event), upload, actor=actor)
        audit_created(actor=actor, instance=attachment)
        stored.append(attachment)
    return stored


def document_attach(
    *, actor, document: SourceDocument, files: Sequence[UploadedFile]
) -> list[DocumentAttachment]:
    """Add the text of a document or its annexes; the same people who may register it for the issuing unit."""
    require(actor, "tasks.assign_task", document.issuing_unit_id)
    if not files:
        raise ValidationError({"files": _("Choose at least one file.")})
    stored = []
    with transaction.atomic():
        for upload in files:
            attachment = store_upload(DocumentAttachment(document=document), upload, actor=actor)
            audit_created(actor=actor, instance=attachment)
            stored.append(attachment)
    return stored


def task_report_progress(
    *,
    actor,
    task: Task,
    percent: int,
    text: str,
    reported_on: datetime.date | None = None,
    files: Sequence[UploadedFile] = (),
) -> ProgressReport:
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Progress is a percentage from 0 to 100.")})
    text = _require_reason(text, "text")
    reported_on = reported_on or today()
    with transaction.atomic():
        task, before = _transition(actor, task, "report", state=TaskState.IN_PROGRESS)
        if reported_on > today():
            raise ValidationError({"reported_on": _("A report cannot be dated in the future.")})
        report = ProgressReport(
            task=task, percent=percent, text=text, reported_on=reported_on, reported_by=actor
        )
        report.full_clean()
        report.save()
        audit_created(actor=actor, instance=report)
        _store_files(actor, task, files, report=report)
        task.progress = percent
        task.last_report_on = max(reported_on, task.last_report_on or reported_on)
        task.full_clean()
        task.save()
        audit_updated(actor=actor, instance=task, before=before)
    return report


def task_submit(
    *, actor, task: Task, text: str, links: Sequence[str] = (), files: Sequence[UploadedFile] = ()
) -> Task:
    """Submit the result with its evidence: a text, and files or links ("practice with words")."""
    text = (text or "").strip()
    links = [link.strip() for link in links if link and link.strip()]
    if not text:
        raise ValidationError({"text": _("Describe the result.")})
    if not links and not files:
        raise ValidationError({"files": _("Attach at least one file or link as evidence.")})
    for link in links:
        if not link.startswith(("http://", "https://")):
            raise ValidationError({"links": _("“%(link)s” is not a web address.") % {"link": link}})
    with transaction.atomic():
        task, before = _transition(actor, task, "submit", state=TaskState.SUBMITTED)
        task.submitted_on = today()
        event = _save_transition(actor, task, before, TaskEvent.Kind.SUBMITTED, text, links=links)
        _store_files(actor, task, files, event=event)
        notify(
            actor=actor,
            users=[task.assigned_by],
            kind="task_submitted",
            title=_("Task submitted for approval: %(title)s") % {"title": task.title},
            url=_task_url(task),
            event_key=f"task:{task.pk}:submitted:{task.version}",
        )
    return task


def task_approve(*, actor, task: Task, note: str = "", closed_on: datetime.date | None = None) -> Task:
    """Close the task. It is on time when the result that was approved was submitted by the due date, else
    late by the working days from the due date to that submission: the approver's delay is not the worker's.
    """
    closed_on = closed_on or today()
    with transaction.atomic():
        task, before = _transition(actor, task, "approve", state=TaskState.APPROVED)
        task.closed_on = closed_on
        task.progress = 100
        done_on = min(task.submitted_on or closed_on, closed_on)
        task.late_working_days = max(0, working_days_between(task.due_date, done_on))
        _close_open_extensions(actor, task)
        _save_transition(actor, task, before, TaskEvent.Kind.APPROVED, note)
        if task.recurrence:
            _next_occurrence(actor, task)
        notify(
            actor=actor,
            users=_people_of([task.responsible]),
            kind="task_approved",
            title=_("Task approved: %(title)s") % {"title": task.title},
            url=_task_url(task),
            event_key=f"task:{task.pk}:approved",
        )
    return task


def _shift_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def _next_occurrence(actor, task: Task) -> Task | None:
    if Task.objects.filter(previous_occurrence=task).exists():
        return None
    months = 1 if task.recurrence == Recurrence.MONTHLY else 3
    following = Task(
        title=task.title,
        description=task.description,
        document=task.document,
        parent=task.parent,
        assigning_unit=task.assigning_unit,
        assigned_by=task.assigned_by,
        lead_unit=task.lead_unit,
        responsible=task.responsible,
        start_date=_shift_months(task.start_date, months),
        due_date=_due_date(task.start_date, _shift_months(task.due_date, months), None),
        due_working_days=None,
        priority=task.priority,
        expected_product=task.expected_product,
        recurrence=task.recurrence,
        previous_occurrence=task,
    )
    create_audited(actor=actor, instance=following)
    following.cooperating_units.set(task.cooperating_units.all())
    TaskEvent.objects.create(
        task=following, kind=TaskEvent.Kind.ASSIGNED, actor=actor, new_due_date=following.due_date
    )
    return following


def task_send_back(*, actor, task: Task, reason: str) -> Task:
    reason = _require_reason(reason)
    with transaction.atomic():
        task, before = _transition(actor, task, "send_back", state=TaskState.IN_PROGRESS)
        task.rework_count += 1
        _save_transition(actor, task, before, TaskEvent.Kind.REWORK, reason)
        notify(
            actor=actor,
            users=_people_of([task.responsible]),
            kind="task_rework",
            title=_("Task sent back for rework: %(title)s") % {"title": task.title},
            body=reason,
            url=_task_url(task),
            event_key=f"task:{task.pk}:rework:{task.rework_count}",
        )
    return task


def task_cancel(*, actor, task: Task, reason: str) -> Task:
    reason = _require_reason(reason)
    with transaction.atomic():
        task, before = _transition(actor, task, "cancel", state=TaskState.CANCELLED)
        _save_transition(actor, task, before, TaskEvent.Kind.CANCELLED, reason)
        _close_open_extensions(actor, task)
    return task


def _close_open_extensions(actor, task: Task) -> None:
    """A closed task has no due date left to extend: refuse what still waits, with a note saying why."""
    from django.utils import timezone

    for extension in task.extensions.filter(state=ExtensionRequest.State.REQUESTED):
        before = snapshot(extension)
        extension.state = ExtensionRequest.State.REFUSED
        extension.decided_by, extension.decided_at = actor, timezone.now()
        extension.decision_note = _("The task was closed before a decision.")
        extension.save()
        audit_updated(actor=actor, instance=extension, before=before)


def extension_request(
    *, actor, task: Task, requested_due_date: datetime.date, reason: str
) -> ExtensionRequest:
    reason = _require_reason(reason)
    with transaction.atomic():
        task, before = _transition(actor, task, "request_extension", state=None)
        if requested_due_date <= task.due_date:
            raise ValidationError({"requested_due_date": _("Ask for a date after the current due date.")})
        if task.extensions.filter(state=ExtensionRequest.State.REQUESTED).exists():
            raise ValidationError(_("An extension request for this task is already waiting for a decision."))
        extension = ExtensionRequest(
            task=task,
            old_due_date=task.due_date,
            requested_due_date=requested_due_date,
            reason=reason,
            requested_by=actor,
        )
        extension.save()
        audit_created(actor=actor, instance=extension)
        _save_transition(
            actor,
            task,
            before,
            TaskEvent.Kind.EXTENSION_REQUESTED,
            reason,
            old_due_date=task.due_date,
            new_due_date=requested_due_date,
        )
        notify(
            actor=actor,
            users=[task.assigned_by],
            kind="task_extension",
            title=_("Extension requested: %(title)s") % {"title": task.title},
            body=reason,
            url=_task_url(task),
            event_key=f"extension:{extension.pk}:requested",
        )
    return extension


def extension_decide(*, actor, extension: ExtensionRequest, grant: bool, note: str = "") -> ExtensionRequest:
    """Grant (the task gets the new due date; the old one stays in the request) or refuse an extension."""
    from django.utils import timezone

    with transaction.atomic():
        task, before = _transition(actor, extension.task, "decide_extension", state=None)
        extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if extension.state != ExtensionRequest.State.REQUESTED:
            raise ValidationError(_("This extension request has been decided already."))
        if not grant:
            note = _require_reason(note, "note")
        extension_before = snapshot(extension)
        extension.state = ExtensionRequest.State.GRANTED if grant else ExtensionRequest.State.REFUSED
        extension.decided_by, extension.decided_at, extension.decision_note = actor, timezone.now(), note
        extension.save()
        audit_updated(actor=actor, instance=extension, before=extension_before)
        if grant:
            if task.parent_id and extension.requested_due_date > task.parent.due_date:
                raise ValidationError(
                    _("The new due date would fall after the parent task's (%(date)s).")
                    % {"date": task.parent.due_date.strftime("%d/%m/%Y")}
                )
            task.due_date = extension.requested_due_date
            task.due_working_days = None
        kind = TaskEvent.Kind.EXTENSION_GRANTED if grant else TaskEvent.Kind.EXTENSION_REFUSED
        _save_transition(
            actor, task, before, kind, note, old_due_date=extension.old_due_date, new_due_date=task.due_date
        )
        notify(
            actor=actor,
            users=[extension.requested_by],
            kind="task_extension",
            title=(_("Extension granted: %(title)s") if grant else _("Extension refused: %(title)s"))
            % {"title": task.title},
            body=note,
            url=_task_url(task),
            event_key=f"extension:{extension.pk}:decided",
        )
    return extension


REMINDER_ACTOR_NAME = "task-reminders"


def _users_of(staff: Staff | None) -> list:
    return _people_of([staff])


def task_reminders_send(*, day: datetime.date | None = None) -> dict[str, int]:
    """Remind responsible people before the due date, on it, and once overdue; on Mondays, send each
    assigning unit's head a digest of its overdue tasks. Event keys make every notice go out only once."""
    from django.conf import settings

    from kycuong.core.context import SystemActor
    from kycuong.org.models import PostRole

    actor = SystemActor(REMINDER_ACTOR_NAME)
    day = day or today()
    sent = {"before": 0, "today": 0, "overdue": 0, "digest": 0}
    open_tasks = (
        Task.objects.filter(state__in=rules.OPEN)
        .exclude(state=TaskState.SUBMITTED)  # handed in: nothing left for the worker to be reminded of
        .select_related("responsible__user")
    )
    for working_days in sorted(set(settings.TASK_REMINDER_WORKING_DAYS)):
        window = (add_working_days(day, working_days - 1), add_working_days(day, working_days))
        for task in open_tasks.filter(due_date__gt=window[0], due_date__lte=window[1]):
            sent["before"] += len(
                notify(
                    actor=actor,
                    users=_users_of(task.responsible),
                    kind="task_due_soon",
                    title=_("Due in %(days)s working days: %(title)s")
                    % {"days": working_days, "title": task.title},
                    url=_task_url(task),
                    event_key=f"task:{task.pk}:due:{task.due_date}:in-{working_days}",
                )
            )
    for task in open_tasks.filter(due_date=day):
        sent["today"] += len(
            notify(
                actor=actor,
                users=_users_of(task.responsible),
                kind="task_due_today",
                title=_("Due today: %(title)s") % {"title": task.title},
                url=_task_url(task),
                event_key=f"task:{task.pk}:due:{task.due_date}:today",
            )
        )
    # Each task is told once that it is overdue: look back a fortnight (holidays, a worker that was down),
    # not at every task ever overdue.
    for task in open_tasks.filter(due_date__lt=day, due_date__gte=day - datetime.timedelta(days=14)):
        sent["overdue"] += len(
            notify(
                actor=actor,
                users=_users_of(task.responsible),
                kind="task_overdue",
                title=_("Overdue since %(date)s: %(title)s")
                % {"date": task.due_date.strftime("%d/%m/%Y"), "title": task.title},
                url=_task_url(task),
                event_key=f"task:{task.pk}:overdue:{task.due_date}",
            )
        )
    if day.weekday() == 0:
        year, week, _weekday = day.isocalendar()
        overdue = open_tasks.filter(due_date__lt=day)
        for unit_id in overdue.values_list("assigning_unit_id", flat=True).distinct():
            heads = [
                post.staff
                for post in Post.objects.current(day)
                .filter(unit_id=unit_id, role=PostRole.HEAD)
                .select_related("staff")
            ]
            titles = list(
                overdue.filter(assigning_unit_id=unit_id)
                .order_by("due_date")
                .values_list("title", "due_date")[:50]
            )
            body = "\n".join(f"- {title} ({due.strftime('%d/%m/%Y')})" for title, due in titles)
            sent["digest"] += len(
                notify(
                    actor=actor,
                    users=_people_of(heads),
                    kind="task_weekly_digest",
                    title=_("Overdue tasks assigned by your unit: %(count)s")
                    % {"count": overdue.filter(assigning_unit_id=unit_id).count()},
                    body=body,
                    url="/tasks/?overdue=on",
                    event_key=f"digest:{unit_id}:{year}-W{week:02d}",
                )
            )
    return sent
