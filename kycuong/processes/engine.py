"""The SpiffWorkflow side: parse a checked diagram, run a workflow, keep its state as JSON.

Parsed specifications are cached per process version in each process (a version's diagram never changes),
so starting an instance or completing a step costs one deserialisation and one serialisation.
"""

import datetime
import threading
from collections import OrderedDict
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition
from SpiffWorkflow.util.task import TaskState

_serializer = BpmnWorkflowSerializer()
# No functions or modules are offered to expressions: conditions are checked to be plain comparisons.
_script_engine = PythonScriptEngine(environment=TaskDataEnvironment({"__builtins__": {}}))
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 256
FAR_FUTURE = "2999-01-01T00:00:00+00:00"
FIRED = "2000-01-01T00:00:00+00:00"


def parse_specs(data: bytes, process_id: str):
    parser = BpmnParser()
    safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    parser.add_bpmn_xml(etree.fromstring(data, safe), filename=f"{process_id}.bpmn")
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def specs_for(definition):
    key = (definition.pk, definition.version, hash(definition.bpmn_xml))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = parse_specs(definition.bpmn_xml.encode("utf-8"), definition.bpmn_process_id)
    with _lock:
        _cache[key] = found
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def cached(key, load):
    """A value kept per process (least recently used out first), for what never changes once saved."""
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = load()
    with _lock:
        _cache[key] = found
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def new_workflow(definition) -> BpmnWorkflow:
    spec, subprocesses = specs_for(definition)
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=_script_engine)
    workflow.do_engine_steps()
    return workflow


def load(text: str) -> BpmnWorkflow:
    workflow = _serializer.deserialize_json(text)
    workflow.script_engine = _script_engine
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    return _serializer.serialize_json(workflow)


def ready_user_tasks(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


@dataclass
class PendingTimer:
    task: object
    duration: str
    attached_engine_id: str | None


def pending_timers(workflow: BpmnWorkflow) -> list[PendingTimer]:
    """Timer events waiting to fire, with the user task each boundary timer is attached to."""
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, DurationTimerEventDefinition):
            continue
        attached = None
        if task.parent is not None:
            for sibling in task.parent.children:
                if sibling is not task and getattr(sibling.task_spec, "manual", False):
                    attached = str(sibling.id)
        found.append(
            PendingTimer(
                task=task, duration=definition.expression.strip().strip("\"'"), attached_engine_id=attached
            )
        )
    return found


def timer_due(timer: PendingTimer) -> str | None:
    return timer.task._get_internal_data("kc_due")


def set_timer_due(timer: PendingTimer, due: datetime.datetime) -> None:
    """Our own deadline, in working time; the engine's wall-clock value is held back until we fire it."""
    timer.task._set_internal_data(kc_due=due.isoformat(), event_value=FAR_FUTURE)


def fire_timer(workflow: BpmnWorkflow, timer: PendingTimer) -> None:
    timer.task._set_internal_data(event_value=FIRED)
    workflow.refresh_timers()
    workflow.do_engine_steps()


def reset_to(workflow: BpmnWorkflow, task) -> None:
    """Reopen a completed user task; timers of the steps that are undone stop waiting too."""
    workflow.reset_from_task_id(task.id)
    manager = workflow.event_manager
    for task_id in [key for key, waiting in manager.tasks.items() if waiting.id not in workflow.tasks]:
        manager.tasks.pop(task_id, None)
    workflow.do_engine_steps()


def completed_task_of(workflow: BpmnWorkflow, bpmn_id: str):
    """The most recent completed run of a user task, to return the case to it."""
    matches = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if task.task_spec.bpmn_id == bpmn_id and getattr(task.task_spec, "manual", False)
    ]
    return matches[-1] if matches else None
