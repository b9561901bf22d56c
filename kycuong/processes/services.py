"""Writes to processes: import and build diagrams, start instances, complete, return, pause and resume,
fire timers and escalate. Every change writes its audit record in the same transaction."""

import datetime
import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import AuditEntry, audit_write, entry_for, snapshot
from kycuong.core.calendar import today
from kycuong.core.concurrency import check_version
from kycuong.core.files import check_upload, store_upload
from kycuong.core.scoping import can, covered_units, require
from kycuong.notifications.services import notify
from kycuong.org.models import Unit

from . import bpmn, engine
from .models import (
    InstanceEvent,
    LimitUnit,
    MonthlyFigure,
    ProcessDefinition,
    ProcessInstance,
    ProcessStep,
    StepAttachment,
    StepDefinition,
    UnitMonthFigure,
)
from .worktime import DAYS, HOURS, add_working_minutes, deadline, outcome, working_minutes_between

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
HIDDEN_FIELDS = ("workflow", "search_text", "updated_at", "bpmn_xml")


def _view(instance) -> dict:
    values = snapshot(instance)
    for name in HIDDEN_FIELDS:
        values.pop(name, None)
    return values


# --- catalogue ---------------------------------------------------------------------------------------------


def _known_roles() -> set[str]:
    from django.apps import apps

    return set(apps.get_model("accounts", "Role").objects.values_list("code", flat=True))


def _visible_codes(actor, root) -> set[str]:
    referenced = {
        element.get(f"{{{bpmn.KC_NS}}}unit").strip()
        for element in root.iter()
        if isinstance(element.tag, str) and element.get(f"{{{bpmn.KC_NS}}}unit")
    }
    referenced -= {bpmn.UNIT_OWN, bpmn.UNIT_PARENT}
    if not referenced:
        return set()
    units = Unit.objects.filter(code__in=referenced)
    allowed = covered_units(actor, "org.view_unit")
    if allowed is not None:
        units = units.filter(pk__in=allowed)
    return set(units.values_list("code", flat=True))


def definition_import(
    *,
    actor,
    owner_unit: Unit,
    code: str,
    name: str,
    data: bytes,
    scope: str = "",
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> ProcessDefinition:
    """Add a process (or a new version of one) to the unit's catalogue from a BPMN file; all or nothing."""
    require(actor, "processes.manage_process", owner_unit.pk)
    code = (code or "").strip()
    if not CODE.match(code):
        raise ValidationError({"code": _("Give a code of letters, digits and . _ / - (at most 40).")})
    root = bpmn.parse_xml(data)
    parsed = bpmn.analyse(root, known_roles=_known_roles(), known_unit_codes=_visible_codes(actor, root))
    bpmn.engine_check(data, parsed.process_id)
    name = " ".join((name or parsed.process_name).split())
    if not name:
        raise ValidationError({"name": _("Give the process a name.")})
    valid_from = valid_from or today()
    if valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end of validity cannot be before its start.")})
    with transaction.atomic():
        latest = (
            ProcessDefinition.objects.select_for_update()
            .filter(owner_unit=owner_unit, code=code)
            .aggregate(latest=Max("version"))["latest"]
        )
        definition = ProcessDefinition(
            owner_unit=owner_unit,
            code=code,
            name=name[:300],
            scope=scope,
            version=(latest or 0) + 1,
            valid_from=valid_from,
            valid_to=valid_to,
            bpmn_process_id=parsed.process_id,
            bpmn_xml=data.decode("utf-8"),
            limit_value=parsed.limit_value,
            limit_unit=parsed.limit_unit,
            interconnected=any(step.unit_ref for step in parsed.steps),
            created_by=actor,
        )
        definition.full_clean(exclude=["created_by"])
        definition.save()
        StepDefinition.objects.bulk_create(
            StepDefinition(
                definition=definition,
                position=position,
                bpmn_id=step.bpmn_id,
                name=step.name,
                role=step.role,
                unit_ref=step.unit_ref,
                limit_value=step.limit_value,
                limit_unit=step.limit_unit,
                decisions=step.decisions,
                timers=step.timers,
            )
            for position, step in enumerate(parsed.steps)
        )
        entries = [
            entry_for(
                definition,
                "create",
                after={
                    **_view(definition),
                    "bpmn_sha256": hashlib.sha256(data).hexdigest(),
                    "bpmn_bytes": len(data),
                    "steps": [step.name for step in parsed.steps],
                },
            )
        ]
        for older in ProcessDefinition.objects.filter(
            owner_unit=owner_unit, code=code, state=ProcessDefinition.State.ACTIVE
        ).exclude(pk=definition.pk):
            older.state = ProcessDefinition.State.RETIRED
            older.save(update_fields=["state"])
            entries.append(entry_for(older, "retire", before={"state": "active"}, after={"state": "retired"}))
        audit_write(actor=actor, entries=entries)
    return definition


def definition_build(
    *,
    actor,
    owner_unit: Unit,
    code: str,
    name: str,
    steps: Sequence[bpmn.BuilderStep],
    scope: str = "",
    valid_from: datetime.date | None = None,
) -> ProcessDefinition:
    """A linear process from a list of steps: the diagram is generated, then imported like any other."""
    if not steps:
        raise ValidationError({"steps": _("Give at least one step.")})
    errors = {}
    for index, step in enumerate(steps, start=1):
        if not step.name.strip():
            errors[f"steps.{index}.name"] = _("Step %(n)s needs a name.") % {"n": index}
        if step.limit_unit not in (DAYS, HOURS):
            errors[f"steps.{index}.limit_unit"] = _("Choose working days or working hours.")
        maximum = bpmn.MAX_HOURS if step.limit_unit == HOURS else bpmn.MAX_DAYS
        if not isinstance(step.limit_value, int) or not 1 <= step.limit_value <= maximum:
            errors[f"steps.{index}.limit_value"] = _("Step %(n)s: give a time limit from 1 to %(max)s.") % {
                "n": index,
                "max": maximum,
            }
    if errors:
        raise ValidationError(errors)
    slug = re.sub(r"[^A-Za-z0-9_]", "_", code.strip())[:40] or "Process"
    data = bpmn.build_linear(process_id=f"P_{slug}", name=name.strip(), steps=list(steps))
    return definition_import(
        actor=actor,
        owner_unit=owner_unit,
        code=code,
        name=name,
        data=data,
        scope=scope,
        valid_from=valid_from,
    )


def definition_retire(*, actor, definition: ProcessDefinition) -> ProcessDefinition:
    require(actor, "processes.manage_process", definition.owner_unit_id)
    with transaction.atomic():
        definition = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
        if definition.state == ProcessDefinition.State.RETIRED:
            raise ValidationError(_("This process is already retired."))
        definition.state = ProcessDefinition.State.RETIRED
        definition.valid_to = definition.valid_to or today()
        definition.save(update_fields=["state", "valid_to"])
        audit_write(
            actor=actor,
            entries=[entry_for(definition, "retire", before={"state": "active"}, after={"state": "retired"})],
        )
    return definition


# --- running ------------------------------------------------------------------------------------------------


def _step_specs(definition: ProcessDefinition) -> dict[str, StepDefinition]:
    """The user tasks of a process version; a version never changes, so each process reads them once."""
    return engine.cached(
        ("steps", definition.pk, definition.version, definition.created_at),
        lambda: {spec.bpmn_id: spec for spec in StepDefinition.objects.filter(definition_id=definition.pk)},
    )


def _performer_unit(ref: str, instance: ProcessInstance) -> Unit:
    if ref == bpmn.UNIT_OWN:
        return instance.unit
    if ref == bpmn.UNIT_PARENT:
        return instance.unit.parent or instance.unit
    return Unit.objects.get(code=ref)


def _timer_deadline(start: datetime.datetime, duration: str) -> datetime.datetime:
    match = bpmn.ISO_DURATION.match(duration)
    days = int((match.group(1) or "0D")[:-1]) if match else 0
    hours = int((match.group(3) or "0H")[:-1]) if match else 0
    minutes = int((match.group(4) or "0M")[:-1]) if match else 0
    moment = deadline(start, days, DAYS) if days else start
    return add_working_minutes(moment, hours * 60 + minutes)


def _grants_covering(unit_id: int, *, role: str = "", permission: str = "processes.work_step"):
    """Grants valid today that cover the unit with the permission (and the role, when one is named)."""
    from django.apps import apps

    grant_model = apps.get_model("accounts", "Grant")
    closure = apps.get_model("org", "UnitClosure")
    app_label, codename = permission.split(".")
    now_day = timezone.localdate()
    grants = grant_model.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=now_day),
        Q(valid_to__isnull=True) | Q(valid_to__gte=now_day),
        Q(unit_id=unit_id)
        | Q(
            include_descendants=True,
            unit_id__in=closure.objects.filter(descendant_id=unit_id).values("ancestor_id"),
        ),
        role__permissions__codename=codename,
        role__permissions__content_type__app_label=app_label,
        user__is_active=True,
    )
    return grants.filter(role__code=role) if role else grants


def _people(unit_id: int, *, role: str = "", permission: str = "processes.work_step") -> list:
    """Users whose grants today cover the unit with the permission (and the role, when one is named)."""
    from kycuong.accounts.models import User

    grants = _grants_covering(unit_id, role=role, permission=permission)
    return list(User.objects.filter(pk__in=grants.values("user_id")))


def _instance_url(instance: ProcessInstance) -> str:
    return reverse("processes:instance", args=[instance.pk])


def _sync(
    *,
    actor,
    instance: ProcessInstance,
    workflow,
    now: datetime.datetime,
    entries: list,
    new: bool = False,
    figures: list | None = None,
) -> list:
    """Make the step rows and the instance's columns agree with the engine; returns the new steps.

    A finished instance is counted at once, or added to `figures` for the caller to count later.
    """
    definition = instance.definition
    specs = _step_specs(definition)
    ready = {str(task.id): task for task in engine.ready_user_tasks(workflow)}
    open_steps = (
        {}
        if new
        else {step.engine_task_id: step for step in instance.steps.filter(state=ProcessStep.State.OPEN)}
    )
    for engine_id, step in open_steps.items():
        if engine_id not in ready:
            before = {"state": step.state}
            step.state = ProcessStep.State.CANCELLED
            step.completed_at = now
            step.save(update_fields=["state", "completed_at"])
            entries.append(entry_for(step, "cancel", before=before, after={"state": step.state}))
    created = []
    participant_ids = set()
    for engine_id, task in ready.items():
        if engine_id in open_steps:
            continue
        spec = specs.get(task.task_spec.bpmn_id)
        unit = _performer_unit(spec.unit_ref if spec else "", instance)
        due = deadline(now, spec.limit_value, spec.limit_unit) if spec and spec.limit_value else None
        step = ProcessStep(
            instance=instance,
            definition=definition,
            bpmn_id=task.task_spec.bpmn_id,
            name=(spec.name if spec else task.task_spec.bpmn_name or task.task_spec.bpmn_id)[:200],
            unit=unit,
            role=spec.role if spec else "",
            engine_task_id=engine_id,
            started_at=now,
            due_at=due,
            limit_value=spec.limit_value if spec else None,
            limit_unit=spec.limit_unit if spec else LimitUnit.DAYS,
            allowed_minutes=working_minutes_between(now, due) if due else None,
        )
        step.save()
        created.append(step)
        entries.append(entry_for(step, "create", after=_view(step)))
        if unit.pk != instance.unit_id:
            participant_ids.add(unit.pk)
    if participant_ids:
        instance.participant_units.add(*participant_ids)
    timers = engine.pending_timers(workflow)
    dues = []
    for timer in timers:
        due = engine.timer_due(timer)
        if due is None:
            due_at = _timer_deadline(now, timer.duration)
            engine.set_timer_due(timer, due_at)
            due = due_at.isoformat()
        dues.append(datetime.datetime.fromisoformat(due))
    instance.next_timer_at = min(dues) if dues else None
    still_open = [step for key, step in open_steps.items() if key in ready] + created
    instance.current_steps = "; ".join(step.name for step in still_open)[:500]
    if workflow.is_completed() and instance.state == ProcessInstance.State.RUNNING:
        instance.state = ProcessInstance.State.COMPLETED
        instance.completed_at = now
        instance.completed_on = timezone.localdate(now)
        instance.used_minutes = working_minutes_between(instance.started_at, now) - instance.paused_minutes
        if instance.due_at:
            instance.outcome = outcome(now, instance.due_at)
        _add_figure(MonthlyFigure.Level.INSTANCE, instance.unit_id, instance, later=figures)
        instance.next_timer_at = None
    instance.workflow = engine.dump(workflow)
    for step in created:
        if step.unit_id != instance.unit_id:
            notify(
                actor=actor,
                users=_people(step.unit_id, role=step.role),
                kind="process_step",
                title=_("A step reaches your unit: %(step)s") % {"step": step.name},
                body=_("%(case)s, from %(unit)s.") % {"case": str(instance), "unit": instance.unit.name},
                url=_instance_url(instance),
                event_key=f"process-step:{step.pk}",
            )
    return created


def _add_figure(level: str, unit_id: int, record, *, later: list | None = None) -> None:
    """Count a finished instance or step in its month, in the transaction that finishes it.

    With `later`, only note it there: the caller counts it at the end of its transaction.
    """
    if not record.outcome:
        return
    if later is not None:
        later.append((level, unit_id, record))
        return
    month = record.completed_on.replace(day=1)
    used = max(record.used_minutes or 0, 0)
    increments = {
        "finished": F("finished") + 1,
        record.outcome: F(record.outcome) + 1,
        "used_minutes": F("used_minutes") + used,
    }
    keys = [
        (
            MonthlyFigure,
            {"level": level, "unit_id": unit_id, "definition_id": record.definition_id, "month": month},
            {"code": record.definition.code},
        ),
        (UnitMonthFigure, {"level": level, "unit_id": unit_id, "month": month}, {}),
    ]
    for model, key, extra in keys:
        if model.objects.filter(**key).update(**increments):
            continue
        try:
            with transaction.atomic():
                model.objects.create(**key, **extra, finished=1, used_minutes=used, **{record.outcome: 1})
        except IntegrityError:
            model.objects.filter(**key).update(**increments)


def instance_start(
    *,
    actor,
    definition: ProcessDefinition,
    case_kind: str,
    case_reference: str,
    case_title: str,
    unit: Unit | None = None,
    now: datetime.datetime | None = None,
) -> ProcessInstance:
    """Start a process for a case in `unit` (the process owner's unit by default)."""
    unit = unit or definition.owner_unit
    require(actor, "processes.start_process", unit.pk)
    if unit.pk != definition.owner_unit_id:
        raise ValidationError({"unit": _("A process is run by the unit whose catalogue holds it.")})
    day = today()
    if (
        definition.state != ProcessDefinition.State.ACTIVE
        or day < definition.valid_from
        or (definition.valid_to and day > definition.valid_to)
    ):
        raise ValidationError({"definition": _("This process is not in force today.")})
    errors = {}
    if case_kind not in ProcessInstance.CaseKind.values:
        errors["case_kind"] = _("Choose one of the allowed values.")
    if not (case_reference or "").strip():
        errors["case_reference"] = _("Give the case reference (dossier or document number).")
    if not (case_title or "").strip():
        errors["case_title"] = _("Describe the case.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    workflow = engine.new_workflow(definition)
    with transaction.atomic():
        instance = ProcessInstance(
            definition=definition,
            unit=unit,
            case_kind=case_kind,
            case_reference=case_reference.strip()[:60],
            case_title=" ".join(case_title.split())[:300],
            started_by=actor if getattr(actor, "pk", None) else None,
            started_at=now,
            started_on=timezone.localdate(now),
            due_at=deadline(now, definition.limit_value, definition.limit_unit)
            if definition.limit_value
            else None,
        )
        if instance.due_at:
            instance.allowed_minutes = working_minutes_between(now, instance.due_at)
        instance.save()
        entries = [entry_for(instance, "start", after=_view(instance))]
        _sync(actor=actor, instance=instance, workflow=workflow, now=now, entries=entries, new=True)
        instance.save()
        InstanceEvent.objects.create(
            instance=instance, kind=InstanceEvent.Kind.STARTED, actor=_user(actor), at=now
        )
        audit_write(actor=actor, entries=entries)
    return instance


def _user(actor):
    return actor if getattr(actor, "pk", None) and not getattr(actor, "is_system", False) else None


def _locked(instance: ProcessInstance) -> ProcessInstance:
    current = (
        ProcessInstance.objects.select_for_update().select_related("definition", "unit").get(pk=instance.pk)
    )
    check_version(current, instance)
    return current


def _instance_seen(step: ProcessStep) -> ProcessInstance:
    """The instance as the caller saw it (with the version it expects), without loading it only for that."""
    if ProcessStep._meta.get_field("instance").is_cached(step):
        return step.instance
    return ProcessInstance(pk=step.instance_id)


def holds_role(actor, role: str, unit_id: int) -> bool:
    """Whether the actor has a grant today in `role` that covers the unit (system authority always does)."""
    if not role or covered_units(actor, "processes.work_step") is None:
        return True
    cache = actor.__dict__.setdefault("_kycuong_process_roles", {})
    key = (role, unit_id)
    if key not in cache:
        cache[key] = _grants_covering(unit_id, role=role).filter(user_id=actor.pk).exists()
    return cache[key]


def may_perform(actor, step: ProcessStep) -> bool:
    return can(actor, "processes.work_step", step.unit_id) and holds_role(actor, step.role, step.unit_id)


def _check_step(actor, step: ProcessStep) -> None:
    if not can(actor, "processes.work_step", step.unit_id):
        raise PermissionDenied(_("You may not perform steps of this unit."))
    if not holds_role(actor, step.role, step.unit_id):
        raise PermissionDenied(
            _("This step is performed by someone in the role “%(role)s”.") % {"role": step.role}
        )
    if step.state != ProcessStep.State.OPEN:
        raise ValidationError(
            _("This step is no longer waiting: it was “%(state)s”.") % {"state": step.get_state_display()}
        )


def _close_step(
    step: ProcessStep,
    *,
    actor,
    state: str,
    now: datetime.datetime,
    entries: list,
    figures: list | None = None,
) -> None:
    before = _view(step)
    step.state = state
    step.completed_at = now
    step.completed_on = timezone.localdate(now)
    step.completed_by = _user(actor)
    step.used_minutes = working_minutes_between(step.started_at, now) - step.paused_minutes
    if state == ProcessStep.State.DONE and step.due_at:
        step.outcome = outcome(now, step.due_at)
        _add_figure(MonthlyFigure.Level.STEP, step.unit_id, step, later=figures)
    step.save()
    after = _view(step)
    entries.append(
        entry_for(
            step,
            state,
            before={k: before[k] for k in after if before.get(k) != after[k]},
            after={k: after[k] for k in after if before.get(k) != after[k]},
        )
    )


def step_complete(
    *,
    actor,
    step: ProcessStep,
    result: str,
    decision: str = "",
    files: Iterable[UploadedFile] = (),
    now: datetime.datetime | None = None,
) -> ProcessStep:
    """Finish a step with its result (and the decision a following gateway needs); the process moves on."""
    _check_step(actor, step)
    files = list(files)
    errors = {}
    if not (result or "").strip():
        errors["result"] = _("Write the result of the step.")
    spec = _step_specs(step.definition).get(step.bpmn_id)
    choices = spec.decisions if spec else []
    if choices and decision not in choices:
        errors["decision"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
    if not choices and decision:
        errors["decision"] = _("This step takes no decision.")
    for upload in files:
        try:
            check_upload(upload, "files")
        except ValidationError as error:
            errors["files"] = error.message_dict["files"][0]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        instance = _locked(_instance_seen(step))
        step = ProcessStep.objects.select_for_update().get(pk=step.pk)
        step.definition = instance.definition
        _check_step(actor, step)
        if instance.state == ProcessInstance.State.PAUSED:
            raise ValidationError(_("The case is waiting for the citizen; resume it first."))
        if instance.state != ProcessInstance.State.RUNNING:
            raise ValidationError(_("The case is closed."))
        workflow = engine.load(instance.workflow)
        task = workflow.get_task_from_id(uuid.UUID(step.engine_task_id))
        task.data["decision"] = decision
        task.data["result"] = result.strip()[:2000]
        task.run()
        workflow.do_engine_steps()
        step.result = result.strip()
        step.decision = decision
        entries: list = []
        figures: list = []
        _close_step(
            step, actor=actor, state=ProcessStep.State.DONE, now=now, entries=entries, figures=figures
        )
        for upload in files:
            _attach(actor, step, upload, entries)
        _sync(actor=actor, instance=instance, workflow=workflow, now=now, entries=entries, figures=figures)
        instance.version += 1
        instance.save()
        InstanceEvent.objects.create(
            instance=instance,
            step=step,
            kind=InstanceEvent.Kind.STEP_DONE,
            actor=_user(actor),
            text=result,
            at=now,
        )
        if instance.state == ProcessInstance.State.COMPLETED:
            InstanceEvent.objects.create(instance=instance, kind=InstanceEvent.Kind.COMPLETED, at=now)
            entries.append(
                entry_for(
                    instance,
                    "complete",
                    after={"outcome": instance.outcome, "used_minutes": instance.used_minutes},
                )
            )
        audit_write(actor=actor, entries=entries)
        # Counted last: every completion of this process and unit in the month adds to the same figure
        # rows, whose locks are held until the commit; taken last, they are held the shortest time.
        for level, unit_id, record in figures:
            _add_figure(level, unit_id, record)
    return step


def _attach(actor, step: ProcessStep, upload: UploadedFile, entries: list) -> StepAttachment:
    attachment = store_upload(StepAttachment(step=step), upload, actor=actor)
    entries.append(
        entry_for(
            attachment,
            "attach",
            after={
                "name": attachment.name,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "step": step.pk,
            },
        )
    )
    return attachment


def step_return(
    *, actor, step: ProcessStep, to_bpmn_id: str, reason: str, now: datetime.datetime | None = None
) -> ProcessStep:
    """Send the case back to an earlier step with a reason; that step opens again for its performer."""
    _check_step(actor, step)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for returning the case.")})
    now = now or timezone.now()
    with transaction.atomic():
        instance = _locked(step.instance)
        step = ProcessStep.objects.select_for_update().get(pk=step.pk)
        _check_step(actor, step)
        if instance.state != ProcessInstance.State.RUNNING:
            raise ValidationError(_("Only a case in progress can be returned."))
        earlier = instance.steps.filter(bpmn_id=to_bpmn_id, state=ProcessStep.State.DONE).exists()
        workflow = engine.load(instance.workflow)
        target = engine.completed_task_of(workflow, to_bpmn_id) if earlier else None
        if target is None:
            raise ValidationError({"to_step": _("The case can only be returned to a step already done.")})
        engine.reset_to(workflow, target)
        entries: list = []
        step.result = reason.strip()
        _close_step(step, actor=actor, state=ProcessStep.State.RETURNED, now=now, entries=entries)
        created = _sync(actor=actor, instance=instance, workflow=workflow, now=now, entries=entries)
        instance.version += 1
        instance.save()
        InstanceEvent.objects.create(
            instance=instance,
            step=step,
            kind=InstanceEvent.Kind.RETURNED,
            actor=_user(actor),
            text=_("%(reason)s (back to “%(step)s”)")
            % {"reason": reason.strip(), "step": created[0].name if created else to_bpmn_id},
            at=now,
        )
        audit_write(actor=actor, entries=entries)
    return step


def step_claim(*, actor, step: ProcessStep) -> ProcessStep:
    """Take an open step of one's unit, so the queue shows who holds it."""
    _check_step(actor, step)
    with transaction.atomic():
        step = ProcessStep.objects.select_for_update().get(pk=step.pk)
        _check_step(actor, step)
        before = {"assignee_id": step.assignee_id}
        step.assignee = actor
        step.save(update_fields=["assignee"])
        InstanceEvent.objects.create(
            instance_id=step.instance_id,
            step=step,
            kind=InstanceEvent.Kind.CLAIMED,
            actor=actor,
            at=timezone.now(),
        )
        audit_write(
            actor=actor, entries=[entry_for(step, "claim", before=before, after={"assignee_id": actor.pk})]
        )
    return step


def instance_pause(
    *, actor, instance: ProcessInstance, reason: str, now: datetime.datetime | None = None
) -> ProcessInstance:
    """Stop the clock while the case waits for the citizen (documents to add, a fee to pay)."""
    require(actor, "processes.start_process", instance.unit_id)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for waiting.")})
    now = now or timezone.now()
    with transaction.atomic():
        instance = _locked(instance)
        if instance.state != ProcessInstance.State.RUNNING:
            raise ValidationError(_("Only a case in progress can be paused."))
        instance.state = ProcessInstance.State.PAUSED
        instance.paused_at = now
        instance.pause_reason = reason.strip()[:500]
        instance.save(update_fields=["state", "paused_at", "pause_reason", "updated_at"])
        InstanceEvent.objects.create(
            instance=instance, kind=InstanceEvent.Kind.PAUSED, actor=_user(actor), text=reason, at=now
        )
        audit_write(
            actor=actor,
            entries=[
                entry_for(
                    instance,
                    "pause",
                    before={"state": "running"},
                    after={"state": "paused", "reason": instance.pause_reason},
                )
            ],
        )
    return instance


def instance_resume(
    *, actor, instance: ProcessInstance, now: datetime.datetime | None = None
) -> ProcessInstance:
    """Restart the clock: the working time spent waiting moves every deadline of the case later."""
    require(actor, "processes.start_process", instance.unit_id)
    now = now or timezone.now()
    with transaction.atomic():
        instance = _locked(instance)
        if instance.state != ProcessInstance.State.PAUSED:
            raise ValidationError(_("The case is not paused."))
        waited = max(working_minutes_between(instance.paused_at, now), 0)
        instance.state = ProcessInstance.State.RUNNING
        instance.paused_minutes += waited
        if instance.due_at:
            instance.due_at = add_working_minutes(instance.due_at, waited)
        entries = [
            entry_for(
                instance,
                "resume",
                before={"state": "paused"},
                after={"state": "running", "waited_minutes": waited},
            )
        ]
        for step in instance.steps.filter(state=ProcessStep.State.OPEN):
            step.paused_minutes += waited
            if step.due_at:
                step.due_at = add_working_minutes(step.due_at, waited)
            step.save(update_fields=["paused_minutes", "due_at"])
        workflow = engine.load(instance.workflow)
        dues = []
        for timer in engine.pending_timers(workflow):
            due = engine.timer_due(timer)
            if due:
                moved = add_working_minutes(datetime.datetime.fromisoformat(due), waited)
                engine.set_timer_due(timer, moved)
                dues.append(moved)
        instance.next_timer_at = min(dues) if dues else None
        instance.workflow = engine.dump(workflow)
        instance.paused_at = None
        instance.pause_reason = ""
        instance.save()
        InstanceEvent.objects.create(
            instance=instance, kind=InstanceEvent.Kind.RESUMED, actor=_user(actor), at=now
        )
        audit_write(actor=actor, entries=entries)
    return instance


# --- scheduler ----------------------------------------------------------------------------------------------


def _escalate(
    *, actor, step: ProcessStep, instance: ProcessInstance, now, reason: str, entries: list
) -> None:
    heads = _people(step.unit_id, role="unit_head")
    users = heads + ([step.assignee] if step.assignee_id else [])
    notify(
        actor=actor,
        users=users,
        kind="process_escalation",
        title=_("Step past its time limit: %(step)s") % {"step": step.name},
        body=_("%(case)s. %(reason)s") % {"case": str(instance), "reason": reason},
        url=_instance_url(instance),
        event_key=f"process-escalation:{step.pk}:{reason[:20]}",
    )
    step.escalated_at = now
    step.save(update_fields=["escalated_at"])
    InstanceEvent.objects.create(
        instance=instance, step=step, kind=InstanceEvent.Kind.ESCALATED, text=reason, at=now
    )
    entries.append(
        entry_for(step, "escalate", after={"reason": reason, "notified": sorted(u.pk for u in users)})
    )


def timers_fire(*, actor, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Fire the timer events whose working-time deadline has passed; escalate the steps they watch."""
    now = now or timezone.now()
    fired = 0
    ids = list(
        ProcessInstance.objects.filter(next_timer_at__lte=now, state=ProcessInstance.State.RUNNING)
        .order_by("next_timer_at")
        .values_list("pk", flat=True)[:limit]
    )
    for instance_id in ids:
        with transaction.atomic():
            instance = (
                ProcessInstance.objects.select_for_update()
                .select_related("definition", "unit")
                .get(pk=instance_id)
            )
            if instance.state != ProcessInstance.State.RUNNING:
                continue
            workflow = engine.load(instance.workflow)
            entries: list = []
            for timer in engine.pending_timers(workflow):
                due = engine.timer_due(timer)
                if due is None or datetime.datetime.fromisoformat(due) > now:
                    continue
                attached = timer.attached_engine_id
                engine.fire_timer(workflow, timer)
                fired += 1
                InstanceEvent.objects.create(
                    instance=instance,
                    kind=InstanceEvent.Kind.TIMER,
                    text=timer.task.task_spec.bpmn_name or timer.task.task_spec.bpmn_id,
                    at=now,
                )
                step = instance.steps.filter(engine_task_id=attached).first() if attached else None
                if step is not None:
                    _escalate(
                        actor=actor,
                        step=step,
                        instance=instance,
                        now=now,
                        reason=_("The timer of the step has run out."),
                        entries=entries,
                    )
            _sync(actor=actor, instance=instance, workflow=workflow, now=now, entries=entries)
            instance.save()
            entries.append(
                AuditEntry(
                    action="timers",
                    object_type="processes.processinstance",
                    object_id=str(instance.pk),
                    object_repr=str(instance)[:255],
                    unit_id=instance.unit_id,
                )
            )
            audit_write(actor=actor, entries=entries)
    return fired


def overdue_escalate(*, actor, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Tell the heads of the performer units about open steps past their time limit, once per step."""
    now = now or timezone.now()
    steps = list(
        ProcessStep.objects.filter(state=ProcessStep.State.OPEN, due_at__lt=now, escalated_at__isnull=True)
        .exclude(instance__state=ProcessInstance.State.PAUSED)
        .select_related("instance", "instance__unit", "assignee")
        .order_by("due_at", "id")[:limit]
    )
    for step in steps:
        with transaction.atomic():
            entries: list = []
            _escalate(
                actor=actor,
                step=step,
                instance=step.instance,
                now=now,
                reason=_("The step is overdue."),
                entries=entries,
            )
            audit_write(actor=actor, entries=entries)
    return len(steps)
