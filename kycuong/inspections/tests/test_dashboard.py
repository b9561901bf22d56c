"""The dashboard providers of inspections and discipline: exact figures for the unit's subtree and period,
the previous period, drill-down links that open the records, the headline per direct sub-unit."""

import datetime

import pytest

from kycuong.core.dashboard import Period, registered_modules
from kycuong.discipline import services as discipline_services
from kycuong.discipline.dashboard import summary as discipline_summary
from kycuong.discipline.models import DisciplineForm
from kycuong.inspections import services
from kycuong.inspections.dashboard import summary as inspections_summary

pytestmark = pytest.mark.django_db
YEAR = Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))


def test_both_modules_are_registered():
    modules = dict(registered_modules())
    assert modules["inspections"] == "kycuong.inspections.dashboard.summary"
    assert modules["discipline"] == "kycuong.discipline.dashboard.summary"


def test_inspection_summary(insp, make_inspection, login):
    actor = insp.user("hoangmai_inspector")
    for day in (datetime.date(2025, 2, 3), datetime.date(2025, 6, 3)):
        inspection = services.inspection_start(actor=actor, inspection=make_inspection(decision_date=day))
        for subject in inspection.subjects.all():
            services.finding_record(actor=actor, subject=subject, result="violation", description="Vi phạm")
    make_inspection(decision_date=datetime.date(2024, 5, 5))  # the previous year
    result = inspections_summary(actor=insp.user("city_leader"), unit=insp.city, period=YEAR)
    figures = {figure.key: figure for figure in result.figures}
    assert figures["inspections.count"].value == 2 and figures["inspections.count"].previous == 1
    assert figures["inspections.organisations"].value == 1 and figures["inspections.individuals"].value == 1
    assert figures["inspections.violating"].value == 2
    assert result.by_subunit == {insp.hoangmai.pk: 2}
    assert figures["inspections.count"].series == [("02/2025", 1.0), ("06/2025", 1.0)]
    assert "2" in result.sentences[0]
    page = login(insp.user("city_leader")).get(figures["inspections.organisations"].drill_url)
    assert page.status_code == 200 and "Phường Hoàng Liệt" in page.content.decode()


def test_discipline_summary(insp, login):
    actor = insp.user("hoangmai_inspector")
    form = DisciplineForm.objects.get(code="nd172-cs-reprimand")
    for regime, code in (("civil_servant", "nd172-cs-reprimand"), ("party_member", "qd69-member-reprimand")):
        case = discipline_services.case_open(
            actor=actor,
            regime=regime,
            competent_unit=insp.hoangmai,
            staff=insp.colleague,
            violation="Vi phạm",
            committed_on=datetime.date(2025, 7, 1),
            severity="less_serious",
            opened_on=datetime.date(2025, 8, 1),
        )
        form = DisciplineForm.objects.get(code=code)
        discipline_services.case_decide(
            actor=actor, case=case, form=form, number=f"{regime}/QĐ", signed_on=datetime.date(2025, 9, 1)
        )
    result = discipline_summary(actor=insp.user("city_leader"), unit=insp.city, period=YEAR)
    figures = {figure.key: figure for figure in result.figures}
    assert figures["discipline.individuals"].value == 1 and figures["discipline.disciplined"].value == 1
    assert result.by_subunit == {insp.hoangmai.pk: 1}
    assert len(result.tables[0]["rows"]) == 2
    page = login(insp.user("city_leader")).get(figures["discipline.individuals"].drill_url)
    assert "Lê Văn Minh" in page.content.decode()
