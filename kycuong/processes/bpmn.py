"""Reading, checking and writing BPMN 2.0 files.

A BPMN file is untrusted input: it is parsed without a DTD, entities or network access, within a size limit,
and only the elements that the engine runs safely are admitted. SpiffWorkflow evaluates gateway conditions
and timer expressions as Python, so they are checked to be plain comparisons and literal durations before
the engine ever sees them. Performers and time limits live in attributes of our own namespace on each user
task, which bpmn-js and other BPMN tools keep when they open and save the file.
"""

import ast
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from .worktime import DAYS, HOURS

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
KC_NS = "https://kycuong.vn/schema/bpmn/1.0"
MAX_BPMN_BYTES = 1024 * 1024
MAX_ELEMENTS = 2000
MAX_DAYS = 365
MAX_HOURS = 2000
UNIT_OWN = ""  # the unit that runs the instance
UNIT_PARENT = "parent"  # the unit above it

# Elements a process may contain, and those allowed inside them.
FLOW_ELEMENTS = {
    "startEvent",
    "endEvent",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "sequenceFlow",
    "boundaryEvent",
    "intermediateCatchEvent",
    "laneSet",
    "textAnnotation",
    "association",
    "documentation",
    "extensionElements",
}
INNER_ELEMENTS = {
    "incoming",
    "outgoing",
    "documentation",
    "extensionElements",
    "conditionExpression",
    "timerEventDefinition",
    "timeDuration",
    "lane",
    "flowNodeRef",
    "text",
    "childLaneSet",
}
ROOT_ELEMENTS = {"process", "collaboration", "documentation", "extensionElements"}
COLLABORATION_ELEMENTS = {
    "participant",
    "documentation",
    "textAnnotation",
    "association",
    "extensionElements",
}
ISO_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")


@dataclass
class StepSpec:
    bpmn_id: str
    name: str
    role: str = ""
    unit_ref: str = UNIT_OWN
    limit_value: int | None = None
    limit_unit: str = DAYS
    decisions: list[str] = field(default_factory=list)
    timers: list[str] = field(default_factory=list)  # ISO durations of the timers attached to the step


@dataclass
class ParsedBpmn:
    process_id: str
    process_name: str
    steps: list[StepSpec]
    limit_value: int | None
    limit_unit: str
    root: etree._Element


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _ns(element) -> str:
    return etree.QName(element).namespace if isinstance(element.tag, str) else ""


def refuse(message: str) -> ValidationError:
    return ValidationError({"bpmn": [message]})


def parse_xml(data: bytes) -> etree._Element:
    """The root element of a BPMN file, parsed safely; ValidationError with a readable reason otherwise."""
    if not data or not data.strip():
        raise refuse(_("The file is empty."))
    if len(data) > MAX_BPMN_BYTES:
        raise refuse(
            _("The file is too large (%(size)s KB); a process diagram may be at most %(max)s KB.")
            % {"size": len(data) // 1024, "max": MAX_BPMN_BYTES // 1024}
        )
    head = data[:4096].lower()
    if b"<!doctype" in data.lower() or b"<!entity" in head:
        raise refuse(
            _("The file declares a document type or entities, which are not accepted in BPMN files.")
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise refuse(
            _("The file is not well-formed XML (line %(line)s: %(reason)s).")
            % {"line": error.lineno or "?", "reason": error.msg}
        ) from error
    if _ns(root) != BPMN_NS or _local(root) != "definitions":
        raise refuse(_("The file is not a BPMN 2.0 diagram: its root element must be bpmn:definitions."))
    return root


def _int_attribute(element, name: str, maximum: int) -> int | None:
    raw = element.get(f"{{{KC_NS}}}{name}")
    if raw is None or raw.strip() == "":
        return None
    if not raw.strip().isdigit() or not 1 <= int(raw) <= maximum:
        raise refuse(
            _("“%(element)s”: the time limit “%(value)s” must be a whole number from 1 to %(max)s.")
            % {"element": element.get("name") or element.get("id"), "value": raw, "max": maximum}
        )
    return int(raw)


def _limit(element) -> tuple[int | None, str]:
    days = _int_attribute(element, "limitDays", MAX_DAYS)
    hours = _int_attribute(element, "limitHours", MAX_HOURS)
    if days and hours:
        raise refuse(
            _("“%(element)s” has a time limit both in days and in hours; give only one.")
            % {"element": element.get("name") or element.get("id")}
        )
    if hours:
        return hours, HOURS
    return days, DAYS


class _ConditionChecker(ast.NodeVisitor):
    ALLOWED = (
        ast.Expression,
        ast.Compare,
        ast.BoolOp,
        ast.UnaryOp,
        ast.Name,
        ast.Constant,
        ast.Load,
        ast.And,
        ast.Or,
        ast.Not,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.In,
        ast.NotIn,
        ast.Tuple,
        ast.List,
        ast.USub,
    )

    def generic_visit(self, node):
        if not isinstance(node, self.ALLOWED):
            raise ValueError(type(node).__name__)
        if isinstance(node, ast.Name) and (node.id.startswith("_") or not NAME.match(node.id)):
            raise ValueError(node.id)
        if isinstance(node, ast.Constant) and not isinstance(node.value, (str, int, float, bool, type(None))):
            raise ValueError("constant")
        super().generic_visit(node)


def check_condition(expression: str, flow_id: str) -> list[str]:
    """A gateway condition must be a plain comparison of names and literals; returns the string literals."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        _ConditionChecker().visit(tree)
    except (SyntaxError, ValueError) as error:
        raise refuse(
            _(
                "The condition “%(condition)s” on flow %(flow)s is not accepted: use only comparisons "
                'such as decision == "approve", joined by and/or.'
            )
            % {"condition": expression.strip()[:200], "flow": flow_id}
        ) from error
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def duration_of(expression: str, element_id: str) -> str:
    """The ISO 8601 duration of a timer, which must be written as a quoted literal such as "P2D"."""
    text = (expression or "").strip()
    literal = text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else None
    if literal is None or not ISO_DURATION.match(literal):
        raise refuse(
            _(
                "The timer %(element)s must have a duration written as a quoted ISO 8601 value such as "
                '"P2D" or "PT4H" (found “%(value)s”).'
            )
            % {"element": element_id, "value": text[:100]}
        )
    return literal


def analyse(root: etree._Element, *, known_roles: set[str], known_unit_codes: set[str]) -> ParsedBpmn:
    """Check the diagram against what the engine supports and read its steps; refuse with the first fault."""
    count = sum(1 for _element in root.iter())
    if count > MAX_ELEMENTS:
        raise refuse(_("The diagram has too many elements (%(count)s).") % {"count": count})
    processes = []
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if _ns(child) == BPMNDI_NS or _ns(child) not in (BPMN_NS,):
            continue  # the drawing, and other tools' extensions
        if name not in ROOT_ELEMENTS:
            raise refuse(
                _("The element “%(element)s” is not supported in a process diagram here.") % {"element": name}
            )
        if name == "process":
            processes.append(child)
        if name == "collaboration":
            for inner in child:
                if isinstance(inner.tag, str) and _local(inner) not in COLLABORATION_ELEMENTS:
                    raise refuse(
                        _("The element “%(element)s” is not supported in a process diagram here.")
                        % {"element": _local(inner)}
                    )
    if len(processes) != 1:
        raise refuse(
            _("The diagram must contain exactly one process; it contains %(count)s.")
            % {"count": len(processes)}
        )
    process = processes[0]
    process_id = process.get("id") or ""
    if not NAME.match(process_id.replace("-", "_")):
        raise refuse(_("The process needs an id made of letters, digits, '-' and '_'."))
    ids = {}
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        if element is process:
            continue
        if _ns(element) != BPMN_NS:
            continue
        local = _local(element)
        parent_local = _local(element.getparent())
        allowed = FLOW_ELEMENTS if element.getparent() is process else INNER_ELEMENTS
        if local not in allowed or (local == "timerEventDefinition" and parent_local == "startEvent"):
            raise refuse(
                _(
                    "“%(element)s” (%(id)s) is not supported: use user tasks, exclusive or parallel "
                    "gateways, start and end events, and timer events."
                )
                % {"element": local, "id": element.get("id") or parent_local}
            )
        if element.get("id"):
            ids[element.get("id")] = element
    by_kind = {}
    for element in process:
        if isinstance(element.tag, str) and _ns(element) == BPMN_NS:
            by_kind.setdefault(_local(element), []).append(element)
    for kind in ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent"):
        for event in by_kind.get(kind, []):
            definitions = [
                _local(item) for item in event if isinstance(item.tag, str) and "Definition" in _local(item)
            ]
            if kind in ("boundaryEvent", "intermediateCatchEvent") and definitions != [
                "timerEventDefinition"
            ]:
                raise refuse(
                    _("The event %(id)s must be a timer event; other kinds of events are not supported.")
                    % {"id": event.get("id")}
                )
            if kind in ("startEvent", "endEvent") and definitions:
                raise refuse(
                    _("The event %(id)s must be a plain start or end event.") % {"id": event.get("id")}
                )
    if len(by_kind.get("startEvent", [])) != 1:
        raise refuse(_("The process must have exactly one start event."))
    if not by_kind.get("endEvent"):
        raise refuse(_("The process must have at least one end event."))
    if not by_kind.get("userTask"):
        raise refuse(_("The process must have at least one user task (a step that people perform)."))
    flows = by_kind.get("sequenceFlow", [])
    outgoing: dict[str, list] = {}
    for flow in flows:
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source not in ids or target not in ids:
            raise refuse(
                _("The sequence flow %(id)s connects elements that do not exist.") % {"id": flow.get("id")}
            )
        outgoing.setdefault(source, []).append(flow)
    timers_of: dict[str, list[str]] = {}
    for event in by_kind.get("boundaryEvent", []) + by_kind.get("intermediateCatchEvent", []):
        definition = next(item for item in event if _local(item) == "timerEventDefinition")
        durations = [item for item in definition if _local(item) == "timeDuration"]
        if len(durations) != 1:
            raise refuse(
                _("The timer %(id)s needs a duration (timeDuration); dates and cycles are not supported.")
                % {"id": event.get("id")}
            )
        duration = duration_of(durations[0].text or "", event.get("id"))
        if _local(event) == "boundaryEvent":
            attached = ids.get(event.get("attachedToRef") or "")
            if attached is None or _local(attached) != "userTask":
                raise refuse(_("The timer %(id)s must be attached to a user task.") % {"id": event.get("id")})
            timers_of.setdefault(attached.get("id"), []).append(duration)
    decisions_after: dict[str, list[str]] = {}
    for flow in flows:
        conditions = [item for item in flow if _local(item) == "conditionExpression"]
        if conditions:
            literals = check_condition(conditions[0].text or "", flow.get("id"))
            decisions_after.setdefault(flow.get("sourceRef"), []).extend(literals)
    steps = []
    for task in by_kind["userTask"]:
        name = " ".join((task.get("name") or "").split())
        if not name:
            raise refuse(_("The user task %(id)s needs a name.") % {"id": task.get("id")})
        role = (task.get(f"{{{KC_NS}}}role") or "").strip()
        if role and role not in known_roles:
            raise refuse(
                _("The step “%(step)s” names a role “%(role)s” that does not exist.")
                % {"step": name, "role": role}
            )
        unit_ref = (task.get(f"{{{KC_NS}}}unit") or "").strip()
        if unit_ref not in (UNIT_OWN, UNIT_PARENT) and unit_ref not in known_unit_codes:
            raise refuse(
                _(
                    "The step “%(step)s” is performed by a unit with code “%(code)s”, which does not exist "
                    "or which you cannot see."
                )
                % {"step": name, "code": unit_ref}
            )
        limit_value, limit_unit = _limit(task)
        decisions = []
        for flow in outgoing.get(task.get("id"), []):
            target = ids[flow.get("targetRef")]
            if _local(target) == "exclusiveGateway":
                for value in decisions_after.get(target.get("id"), []):
                    if value not in decisions:
                        decisions.append(value)
        steps.append(
            StepSpec(
                bpmn_id=task.get("id"),
                name=name[:200],
                role=role,
                unit_ref=unit_ref,
                limit_value=limit_value,
                limit_unit=limit_unit,
                decisions=decisions,
                timers=timers_of.get(task.get("id"), []),
            )
        )
    limit_value, limit_unit = _limit(process)
    if limit_value is None:
        days = sum(step.limit_value or 0 for step in steps if step.limit_unit == DAYS)
        hours = sum(step.limit_value or 0 for step in steps if step.limit_unit == HOURS)
        limit_value, limit_unit = (days + -(-hours // 8), DAYS) if days else (hours or None, HOURS)
    return ParsedBpmn(
        process_id=process_id,
        process_name=" ".join((process.get("name") or "").split()),
        steps=steps,
        limit_value=limit_value,
        limit_unit=limit_unit,
        root=root,
    )


def engine_check(data: bytes, process_id: str) -> None:
    """Let the engine parse the checked diagram, so that what it would refuse is refused now."""
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

    from .engine import parse_specs

    try:
        parse_specs(data, process_id)
    except ValidationException as error:
        raise refuse(
            _("The engine cannot run this diagram: %(reason)s") % {"reason": str(error)[:300]}
        ) from error


# --- generating BPMN for the step builder ---------------------------------------------------------------


@dataclass
class BuilderStep:
    name: str
    role: str = ""
    unit_ref: str = UNIT_OWN
    limit_value: int = 1
    limit_unit: str = DAYS
    escalate: bool = True


def build_linear(*, process_id: str, name: str, steps: list[BuilderStep]) -> bytes:
    """A BPMN 2.0 file, with its drawing, for a straight sequence of steps; each step can carry a
    non-interrupting timer that escalates when its time limit runs out."""
    if not steps:
        raise refuse(_("Give at least one step."))
    x0, y, width, height, gap = 160, 120, 120, 80, 70
    parts, shapes, edges = [], [], []
    previous, previous_right = "StartEvent_1", x0 + 36
    shapes.append(
        f'<bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="{x0}" y="{y + 22}" '
        'width="36" height="36"/></bpmndi:BPMNShape>'
    )
    parts.append('<bpmn:startEvent id="StartEvent_1" name="Bắt đầu"/>')
    total_days = 0
    total_hours = 0
    for index, step in enumerate(steps, start=1):
        task_id = f"Step_{index}"
        x = previous_right + gap
        attributes = {"id": task_id, "name": step.name}
        kc = f" kc:role={quoteattr(step.role)}" if step.role else ""
        if step.unit_ref:
            kc += f" kc:unit={quoteattr(step.unit_ref)}"
        unit_attribute = "limitHours" if step.limit_unit == HOURS else "limitDays"
        kc += f' kc:{unit_attribute}="{int(step.limit_value)}"'
        if step.limit_unit == HOURS:
            total_hours += int(step.limit_value)
        else:
            total_days += int(step.limit_value)
        parts.append(f"<bpmn:userTask id={quoteattr(attributes['id'])} name={quoteattr(step.name)}{kc}/>")
        flow_id = f"Flow_{index}"
        parts.append(f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{previous}" targetRef="{task_id}"/>')
        shapes.append(
            f'<bpmndi:BPMNShape id="{task_id}_di" bpmnElement="{task_id}"><dc:Bounds x="{x}" y="{y}" '
            f'width="{width}" height="{height}"/></bpmndi:BPMNShape>'
        )
        edges.append(
            f'<bpmndi:BPMNEdge id="{flow_id}_di" bpmnElement="{flow_id}"><di:waypoint x="{previous_right}" '
            f'y="{y + 40}"/><di:waypoint x="{x}" y="{y + 40}"/></bpmndi:BPMNEdge>'
        )
        if step.escalate:
            timer_id, end_id, timer_flow = f"Timer_{index}", f"Escalated_{index}", f"TimerFlow_{index}"
            duration = (
                f"PT{int(step.limit_value)}H" if step.limit_unit == HOURS else f"P{int(step.limit_value)}D"
            )
            parts.append(
                f'<bpmn:boundaryEvent id="{timer_id}" name="Quá hạn" attachedToRef="{task_id}" '
                f'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>"{duration}"'
                "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            )
            parts.append(f'<bpmn:endEvent id="{end_id}" name="Đã nhắc"/>')
            parts.append(
                f'<bpmn:sequenceFlow id="{timer_flow}" sourceRef="{timer_id}" targetRef="{end_id}"/>'
            )
            tx = x + width - 48
            shapes.append(
                f'<bpmndi:BPMNShape id="{timer_id}_di" bpmnElement="{timer_id}"><dc:Bounds x="{tx}" '
                f'y="{y + height - 18}" width="36" height="36"/></bpmndi:BPMNShape>'
            )
            shapes.append(
                f'<bpmndi:BPMNShape id="{end_id}_di" bpmnElement="{end_id}"><dc:Bounds x="{tx}" '
                f'y="{y + height + 60}" width="36" height="36"/></bpmndi:BPMNShape>'
            )
            edges.append(
                f'<bpmndi:BPMNEdge id="{timer_flow}_di" bpmnElement="{timer_flow}">'
                f'<di:waypoint x="{tx + 18}" y="{y + height + 18}"/>'
                f'<di:waypoint x="{tx + 18}" y="{y + height + 60}"/></bpmndi:BPMNEdge>'
            )
        previous, previous_right = task_id, x + width
    end_x = previous_right + gap
    parts.append('<bpmn:endEvent id="EndEvent_1" name="Kết thúc"/>')
    parts.append(f'<bpmn:sequenceFlow id="Flow_end" sourceRef="{previous}" targetRef="EndEvent_1"/>')
    shapes.append(
        f'<bpmndi:BPMNShape id="EndEvent_1_di" bpmnElement="EndEvent_1"><dc:Bounds x="{end_x}" y="{y + 22}" '
        'width="36" height="36"/></bpmndi:BPMNShape>'
    )
    edges.append(
        f'<bpmndi:BPMNEdge id="Flow_end_di" bpmnElement="Flow_end"><di:waypoint x="{previous_right}" '
        f'y="{y + 40}"/><di:waypoint x="{end_x}" y="{y + 40}"/></bpmndi:BPMNEdge>'
    )
    limit = (
        f' kc:limitDays="{total_days + -(-total_hours // 8)}"'
        if total_days
        else (f' kc:limitHours="{total_hours}"' if total_hours else "")
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:bpmndi="{BPMNDI_NS}" xmlns:dc="{DC_NS}" '
        f'xmlns:di="{DI_NS}" xmlns:kc="{KC_NS}" id="Definitions_{escape(process_id)}" '
        'targetNamespace="https://kycuong.vn/processes" exporter="Kỷ Cương" exporterVersion="1">\n'
        f'  <bpmn:process id={quoteattr(process_id)} name={quoteattr(name)} isExecutable="true"{limit}>\n    '
        + "\n    ".join(parts)
        + "\n  </bpmn:process>\n"
        '  <bpmndi:BPMNDiagram id="Diagram_1">'
        f'<bpmndi:BPMNPlane id="Plane_1" bpmnElement={quoteattr(process_id)}>'
        + "".join(shapes)
        + "".join(edges)
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n"
    )
    return xml.encode("utf-8")
