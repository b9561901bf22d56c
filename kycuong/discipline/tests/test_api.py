"""The discipline API: the authorization matrix (cases are confidential: observers and ward staff get 404,
city leaders read but may not handle), nothing changed on refusal, the access log, statistics."""

import datetime
import json

import pytest

from kycuong.core.models import AuditRecord
from kycuong.discipline import services
from kycuong.discipline.models import Appeal, Case, Decision, PartyNotice
from kycuong.inspections.models import ConfidentialAccess

pytestmark = pytest.mark.django_db
ACTORS = [
    None,
    "no_grant",
    "hoangliet_staff",
    "hoangmai_observer",
    "badinh_head",
    "city_leader",
    "hoangmai_inspector",
]


def call(client, method, path, body=None):
    if method == "get":
        return client.get(f"/api/v1{path}")
    return client.post(f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def scene(insp, make_case, forms):
    actor = insp.user("hoangmai_inspector")
    insp.open_case = make_case()
    decided_case = make_case(violation="Sử dụng xe công sai quy định")
    insp.decision = services.case_decide(
        actor=actor,
        case=decided_case,
        form=forms["nd172-cs-reprimand"],
        number="5/QĐ-UBND",
        signed_on=datetime.date(2025, 8, 20),
    )
    appealed_case = make_case(violation="Vắng mặt không lý do")
    appealed = services.case_decide(
        actor=actor,
        case=appealed_case,
        form=forms["nd172-cs-warning"],
        number="6/QĐ-UBND",
        signed_on=datetime.date(2025, 8, 21),
    )
    insp.appeal = services.appeal_lodge(
        actor=actor, decision=appealed, lodged_on=datetime.date(2025, 8, 25), grounds="Chưa đúng mức độ"
    )
    insp.notice = PartyNotice.objects.get(decision=insp.decision)
    insp.forms = forms
    return insp


def state():
    return (
        list(Case.objects.order_by("id").values_list("status", "deadline")),
        Decision.objects.count(),
        list(Appeal.objects.values_list("outcome", flat=True)),
        list(PartyNotice.objects.values_list("notified_on", flat=True)),
        AuditRecord.objects.exclude(object_type="accounts.apitoken").count(),
    )


def operations(s):
    case = s.open_case.pk
    return {
        "get case": ("get", f"/discipline/cases/{case}", None, 200),
        "propose": (
            "post",
            f"/discipline/cases/{case}/propose",
            {"form_id": s.forms["nd172-cs-reprimand"].pk},
            200,
        ),
        "extend": ("post", f"/discipline/cases/{case}/extend", {"reason": "Phức tạp"}, 200),
        "drop": ("post", f"/discipline/cases/{case}/drop", {"reason": "Không vi phạm"}, 200),
        "decide": (
            "post",
            f"/discipline/cases/{case}/decide",
            {"form_id": s.forms["nd172-cs-reprimand"].pk, "number": "9/QĐ", "signed_on": "2025-09-01"},
            200,
        ),
        "appeal": (
            "post",
            f"/discipline/decisions/{s.decision.pk}/appeals",
            {"lodged_on": "2025-09-01", "grounds": "Không đồng ý"},
            201,
        ),
        "decide appeal": (
            "post",
            f"/discipline/appeals/{s.appeal.pk}/decide",
            {"upheld": True, "decided_on": "2025-09-10"},
            200,
        ),
        "notified": (
            "post",
            f"/discipline/notices/{s.notice.pk}/notified",
            {"notified_on": "2025-08-22"},
            200,
        ),
    }


EXPECTED = {None: 401, "no_grant": 404, "hoangliet_staff": 404, "hoangmai_observer": 404, "badinh_head": 404}


@pytest.mark.parametrize(
    "operation", ["get case", "propose", "extend", "drop", "decide", "appeal", "decide appeal", "notified"]
)
@pytest.mark.parametrize("actor", ACTORS)
def test_authorization_matrix(scene, api_client, operation, actor):
    method, path, body, success = operations(scene)[operation]
    client = api_client(scene.user(actor) if actor else None)
    before = state()
    response = call(client, method, path, body)
    if actor == "hoangmai_inspector":
        assert response.status_code == success, response.content
        return
    expected = EXPECTED.get(actor) or (
        200 if method == "get" else 403
    )  # the city leader reads, never handles
    assert response.status_code == expected, response.content
    if method != "get" or expected != 200:
        assert state() == before


def test_every_opening_of_a_case_is_logged(scene, api_client):
    path = f"/discipline/cases/{scene.open_case.pk}"
    call(api_client(scene.user("hoangliet_staff")), "get", path)  # refused: not logged as a view
    assert not ConfidentialAccess.objects.exists()
    call(api_client(scene.user("city_leader")), "get", path)
    call(api_client(scene.user("hoangmai_head")), "get", path)
    assert list(ConfidentialAccess.objects.order_by("id").values_list("user_label", "object_type")) == [
        ("leader", "discipline.case"),
        ("head.hm", "discipline.case"),
    ]


def test_open_a_case_and_statistics(scene, api_client):
    client = api_client(scene.user("hoangmai_inspector"))
    response = call(
        client,
        "post",
        "/discipline/cases",
        {
            "regime": "civil_servant",
            "competent_unit_id": scene.hoangmai.pk,
            "staff_id": scene.colleague.pk,
            "violation": "Vi phạm quy chế",
            "committed_on": "2018-01-10",
            "severity": "serious",
            "opened_on": "2025-09-01",
        },
    )
    assert response.status_code == 201, response.content
    assert "10/01/2023" in response.json()["limitation_warning"]
    before = state()
    bad = call(
        client,
        "post",
        "/discipline/cases",
        {
            "regime": "party_organisation",
            "competent_unit_id": scene.hoangmai.pk,
            "staff_id": scene.colleague.pk,
            "violation": "X",
            "committed_on": "2025-01-10",
            "severity": "serious",
        },
    )
    assert bad.status_code == 422 and state() == before
    outsider = call(
        api_client(scene.user("badinh_head")),
        "post",
        "/discipline/cases",
        {
            "regime": "civil_servant",
            "competent_unit_id": scene.hoangmai.pk,
            "staff_id": scene.colleague.pk,
            "violation": "X",
            "committed_on": "2025-01-10",
            "severity": "serious",
        },
    )
    assert outsider.status_code == 404 and state() == before
    stats = call(
        api_client(scene.user("hoangmai_observer")),
        "get",
        f"/discipline/statistics?unit_id={scene.hoangmai.pk}&start=2025-01-01&end=2025-12-31",
    ).json()
    assert (stats["individuals_disciplined"], stats["organisations_disciplined"]) == (1, 0)
    assert {row["form"] for row in stats["by_form"]} == {"Khiển trách", "Cảnh cáo"}
    cases = call(api_client(scene.user("hoangmai_observer")), "get", "/discipline/cases").json()
    assert cases["items"] == []
