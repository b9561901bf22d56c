import datetime

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from kycuong.processes import services
from kycuong.processes.models import ProcessDefinition

from .helpers import at, open_step, start

pytestmark = pytest.mark.django_db

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/'
    'MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/'
    'DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:kc="https://kycuong.vn/schema/bpmn/1.0" '
    'id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">'
)
GATEWAY = (
    HEAD
    + """
  <bpmn:process id="Leave" name="Duyệt nghỉ phép" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="Xem xét đơn" kc:role="unit_staff" kc:limitDays="2"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="gate"/>
    <bpmn:exclusiveGateway id="gate" default="f4"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gate" targetRef="approve_task">
      <bpmn:conditionExpression>decision == "approve"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gate" targetRef="end">
      <bpmn:conditionExpression>decision == "reject"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="approve_task" name="Ký quyết định" kc:role="unit_head" kc:unit="parent"
                   kc:limitHours="8"/>
    <bpmn:sequenceFlow id="f5" sourceRef="approve_task" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="Leave">
    <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="200" y="80" width="100" height="80"/>
    </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
)


def _import(world, data, code="X-1"):
    return services.definition_import(
        actor=world.user("hoangmai_head"),
        owner_unit=world.hoangliet,
        code=code,
        name="Thử",
        data=data if isinstance(data, bytes) else data.encode(),
        valid_from=datetime.date(2020, 1, 1),
    )


def test_round_trip_keeps_the_diagram(world, client, login):
    definition = _import(world, GATEWAY)
    steps = list(
        definition.step_specs.values_list("bpmn_id", "role", "unit_ref", "limit_value", "limit_unit")
    )
    assert steps == [
        ("review", "unit_staff", "", 2, "days"),
        ("approve_task", "unit_head", "parent", 8, "hours"),
    ]
    assert definition.step_specs.get(bpmn_id="review").decisions == ["approve", "reject"]
    instance = start(world, definition, now=at(2026, 3, 2, 9))
    services.step_complete(
        actor=world.user("hoangliet_staff"),
        step=open_step(instance),
        result="Đồng ý",
        decision="approve",
        now=at(2026, 3, 2, 10),
    )
    step = open_step(instance)
    assert step.unit_id == world.hoangmai.pk  # kc:unit="parent"
    services.step_complete(
        actor=world.user("hoangmai_head"), step=step, result="Đã ký", now=at(2026, 3, 2, 11)
    )
    instance.refresh_from_db()
    assert instance.state == "completed"
    response = login(world.user("hoangliet_staff")).get(f"/processes/catalogue/{definition.pk}/diagram.bpmn")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    exported = b"".join(response.streaming_content) if response.streaming else response.content
    assert exported == GATEWAY.encode()
    # The exported file parses as BPMN again, with the same elements and drawing.
    root = etree.fromstring(exported)
    assert root.find(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape").get("bpmnElement") == "review"
    again = _import(world, exported, code="X-2")
    assert again.bpmn_xml == definition.bpmn_xml


def test_builder_generates_a_diagram_that_bpmn_tools_open(world):
    from .helpers import two_unit_process

    definition = two_unit_process(world)
    root = etree.fromstring(definition.bpmn_xml.encode())
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    }
    assert len(root.findall(".//bpmn:userTask", ns)) == 3
    assert len(root.findall(".//bpmn:boundaryEvent", ns)) == 3
    shapes = {shape.get("bpmnElement") for shape in root.findall(".//bpmndi:BPMNShape", ns)}
    assert {"StartEvent_1", "Step_1", "Step_2", "Step_3", "EndEvent_1"} <= shapes


MALFORMED = [
    (b"", "empty"),
    (b"<bpmn:definitions", "not well-formed"),
    (
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
        "document type",
    ),
    (b"<html><body>hi</body></html>", "bpmn:definitions"),
    (
        (
            HEAD + '<bpmn:process id="P"><bpmn:startEvent id="s"/><bpmn:scriptTask id="t"><bpmn:script>'
            "import os</bpmn:script></bpmn:scriptTask><bpmn:endEvent id='e'/></bpmn:process>"
            "</bpmn:definitions>"
        ).encode(),
        "scriptTask",
    ),
    (GATEWAY.replace('decision == "approve"', "__import__('os').system('id')").encode(), "condition"),
    (GATEWAY.replace('kc:limitDays="2"', 'kc:limitDays="two"').encode(), "whole number"),
    (GATEWAY.replace('kc:unit="parent"', 'kc:unit="NO-SUCH"').encode(), "NO-SUCH"),
    (GATEWAY.replace('kc:role="unit_staff"', 'kc:role="king"').encode(), "king"),
    (GATEWAY.replace('<bpmn:startEvent id="start"/>', "").encode(), "start event"),
    (GATEWAY.replace("Xem xét đơn", "").encode(), "needs a name"),
    (b"<x>" + b"a" * (1024 * 1024 + 1) + b"</x>", "too large"),
]


@pytest.mark.parametrize(("data", "expected"), MALFORMED)
def test_malformed_bpmn_is_refused_and_nothing_saved(world, data, expected, audit_count):
    from django.utils import translation

    before = audit_count()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        _import(world, data)
    message = " ".join(error.value.message_dict["bpmn"])
    assert expected in message
    assert ProcessDefinition.objects.count() == 0
    assert audit_count() == before


def test_malformed_bpmn_message_is_in_vietnamese(world, login):
    from django.utils import translation

    with translation.override("vi"), pytest.raises(ValidationError) as error:
        _import(world, b"<html/>")
    assert "BPMN" in error.value.message_dict["bpmn"][0]
    assert "không" in error.value.message_dict["bpmn"][0].lower()


def test_new_version_retires_the_old_one(world):
    first = _import(world, GATEWAY, code="DON")
    second = _import(world, GATEWAY, code="DON")
    first.refresh_from_db()
    assert (first.version, first.state, second.version, second.state) == (1, "retired", 2, "active")
