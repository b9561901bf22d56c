"""Targets pages: the authorization matrix, drill-down from a lagging unit, forms that refuse bad input and
change nothing, constant query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kycuong.core.models import AuditRecord
from kycuong.targets import services
from kycuong.targets.models import Disbursement, IndicatorActual

pytestmark = pytest.mark.django_db
BILLION = 1_000_000_000

PAGE = {
    "no_grant": 404,
    "badinh_head": 404,
    "phucxa_staff": 404,
    "hoangmai_observer": 200,
    "hoangmai_inspector": 200,
    "hoangmai_head": 200,
    "city_leader": 200,
}


@pytest.mark.parametrize("actor,expected", PAGE.items(), ids=list(PAGE))
def test_project_page_matrix(world, planned, login, actor, expected):
    client = login(world.user(actor))
    response = client.get(reverse("targets:project", args=[planned.pk]) + "?year=2024")
    assert response.status_code == expected
    listing = client.get(reverse("targets:projects") + "?year=2024").content.decode()
    assert ("DA-HM-001" in listing) == (expected == 200)


@pytest.mark.parametrize("actor", ["no_grant", "badinh_head", "hoangmai_observer", "hoangmai_inspector"])
def test_refused_disbursement_from_the_page_changes_nothing(world, planned, login, actor):
    client = login(world.user(actor))
    before = AuditRecord.objects.count()
    response = client.post(
        reverse("targets:project-action", args=[planned.pk, "disburse"]) + "?year=2024",
        {"plan_year": "2024", "paid_on": "2024-03-01", "amount": "1000"},
    )
    assert response.status_code in (404, 422)
    assert not Disbursement.objects.exists() and AuditRecord.objects.count() == before


def test_disbursement_from_the_page_and_the_window_error(world, planned, login):
    client = login(world.user("hoangmai_head"))
    url = reverse("targets:project-action", args=[planned.pk, "disburse"]) + "?year=2024"
    refused = client.post(url, {"plan_year": "2024", "paid_on": "2025-02-01", "amount": "1000"})
    assert refused.status_code == 422 and "31/01/2025" in refused.content.decode()
    assert not Disbursement.objects.exists()
    done = client.post(url, {"plan_year": "2024", "paid_on": "2025-01-15", "amount": "1000"})
    assert done.status_code == 302 and Disbursement.objects.get().plan_year == 2024


def test_dashboard_drill_down_from_a_lagging_unit(world, planned, login):
    services.disbursement_record(
        actor=world.user("hoangmai_head"),
        project=planned,
        plan_year=2024,
        paid_on=datetime.date(2024, 3, 1),
        amount=BILLION,
    )
    client = login(world.user("city_leader"))
    page = client.get(reverse("targets:dashboard") + "?year=2024").content.decode()
    assert (
        'data-lagging="1"' in page
        and "disbursement-data" in page
        and "vendor/chartjs/chart.umd.min.js" in page
    )
    drill = f"?year=2024&amp;unit={world.hoangmai.pk}&amp;lagging=on"
    assert drill in page
    projects = client.get(reverse("targets:projects") + f"?year=2024&unit={world.hoangmai.pk}&lagging=on")
    assert "DA-HM-001" in projects.content.decode()
    htmx = client.get(reverse("targets:projects") + "?year=2024", headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode() and "DA-HM-001" in htmx.content.decode()


def test_follow_up_from_the_page(world, planned, login):
    client = login(world.user("hoangmai_head"))
    response = client.post(
        reverse("targets:project-action", args=[planned.pk, "follow-up"]) + "?year=2024",
        {"due_working_days": "10"},
    )
    assert response.status_code == 302
    assert planned.follow_up_tasks.count() == 1


def test_indicator_pages(world, login):
    leader = world.user("city_leader")
    grdp = services.indicator_create(
        actor=leader, owner_unit=world.city, code="GRDP", name="Tăng trưởng GRDP", unit_of_measure="%"
    )
    services.target_set(
        actor=leader,
        indicator=grdp,
        unit=world.city,
        year=2024,
        target_min=Decimal("6.5"),
        target_max=Decimal("7"),
    )
    client = login(leader)
    board = client.get(reverse("targets:indicators") + "?year=2024").content.decode()
    assert "Tăng trưởng GRDP" in board
    url = reverse("targets:indicator-action", args=[grdp.pk, "record"]) + f"?unit={world.city.pk}&year=2024"
    bad = client.post(url, {"year": "2024", "month": "13", "value": "6.52"})
    assert bad.status_code == 422 and not IndicatorActual.objects.exists()
    ok = client.post(url, {"year": "2024", "month": "12", "value": "6.52", "source": "Cục Thống kê"})
    assert ok.status_code == 302
    detail = client.get(reverse("targets:indicator", args=[grdp.pk]) + f"?unit={world.city.pk}&year=2024")
    assert 'data-status="on_track"' in detail.content.decode()
    outsider = login(world.user("badinh_head"))
    assert outsider.get(reverse("targets:indicator", args=[grdp.pk])).status_code == 404


def _pages_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["targets:projects", "targets:dashboard"])
def test_page_query_count_is_constant(world, login, name):
    head = world.user("hoangmai_head")
    client = login(world.user("city_leader"))

    def add(count, prefix):
        for index in range(count):
            project = services.project_create(
                actor=head,
                code=f"{prefix}{index}",
                name="Dự án",
                investor_unit=world.hoangliet,
                responsible_unit=world.dinhcong if index % 2 else world.hoangliet,
            )
            services.plan_revise(
                actor=head,
                project=project,
                year=2024,
                assigned_amount=BILLION,
                effective_on=datetime.date(2024, 1, 1),
            )

    add(2, "A")
    url = reverse(name) + "?year=2024"
    few = _pages_queries(client, url)
    add(7, "B")
    assert _pages_queries(client, url) == few
