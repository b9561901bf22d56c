"""The dashboard providers of inspections and discipline: exact figures for the unit's subtree and period,
the previous period, drill-down links that open the records, the headline per direct sub-unit."""

import datetime
import functools

import pytest

from conftest import SYSTEM
from kycuong.core.dashboard import Period, registered_modules
from kycuong.discipline import services as discipline_services
from kycuong.discipline.dashboard import summary as discipline_summary
from kycuong.discipline.models import DisciplineForm
from kycuong.inspections import services
from kycuong.inspections.dashboard import summary as inspections_summary
from kycuong.org.models import Unit
from kycuong.org.services import staff_create
from kycuong.reports.tests.module_statistics import assert_figures_equal, statistics_page

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


# The dashboard equals the module's own statistics page ---------------------------------------------------

QUARTER_2 = Period(datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))  # previous: the first quarter
QUARTER_3 = Period(datetime.date(2025, 7, 1), datetime.date(2025, 9, 30))  # previous: the second quarter


def _statistics_page(client, unit, period: Period) -> dict:
    """The context of the statistics page of inspection, supervision and discipline for a unit and period."""
    query = {"unit": unit.pk, "start": period.start.isoformat(), "end": period.end.isoformat()}
    return statistics_page(client, "discipline:statistics", query, unit, period)


def _held_inspection(insp, make_inspection, *, deciding_unit, day, units=(), staff=(), violating=(), **extra):
    """An inspection decided on `day`; when some subjects are found violating, it is started to record it."""
    actor = insp.user("hoangmai_inspector")
    inspection = make_inspection(
        deciding_unit=deciding_unit,
        decision_date=day,
        decision_number=f"{deciding_unit.code}-{day:%m%d}/QĐ",
        subject_units=list(units),
        subject_staff=list(staff),
        **extra,
    )
    if violating:
        inspection = services.inspection_start(actor=actor, inspection=inspection, started_on=day)
        for subject in inspection.subjects.all():
            if subject.unit in violating or subject.staff in violating:
                services.finding_record(
                    actor=actor, subject=subject, result="violation", description="Vi phạm"
                )
    return inspection


def _planned_inspection(insp, *, unit, day, units=(), staff=()):
    actor = insp.user("hoangmai_inspector")
    plan = services.plan_create(
        actor=actor,
        unit=unit,
        year=day.year,
        number=f"{unit.code}/KH-{day:%m%d}",
        title="Kế hoạch kiểm tra",
        approved_on=datetime.date(day.year, 1, 5),
    )
    item = services.plan_item_add(
        actor=actor,
        plan=plan,
        kind=insp.kinds["public-service-inspection"],
        topic="Kiểm tra theo kế hoạch",
        starts_on=day,
        ends_on=day + datetime.timedelta(days=20),
        subject_units=list(units),
        subject_staff=list(staff),
    )
    inspection = services.inspection_create(actor=actor, plan_item=item)
    return services.inspection_decide(
        actor=actor, inspection=inspection, decision_number=f"{unit.code}-{day:%m%d}/QĐ", decision_date=day
    )


@pytest.fixture
def inspections_in_two_quarters(insp, make_inspection):
    """Inspections decided by both wards of Hoàng Mai (one through its Party cell), by the district itself
    and by another district, planned and unannounced, with subjects seen more than once and some violations,
    over the first and second quarters of 2025; and some that count nowhere (not decided, decided later)."""
    hoangliet, dinhcong, hoangmai, cell = insp.hoangliet, insp.dinhcong, insp.hoangmai, insp.cell
    person, other = insp.colleague, insp.hoangliet_staff
    held = functools.partial(_held_inspection, insp, make_inspection)
    # Second quarter.
    held(
        deciding_unit=hoangliet,
        day=datetime.date(2025, 4, 10),
        units=[cell],
        staff=[person],
        violating=[person],
    )
    held(
        deciding_unit=hoangliet, day=datetime.date(2025, 5, 12), units=[cell], staff=[other], violating=[cell]
    )
    held(
        deciding_unit=cell,
        day=datetime.date(2025, 6, 20),
        units=[cell],
        staff=[person],
        kind=insp.kinds["party-supervision-thematic"],
    )
    held(
        deciding_unit=dinhcong,
        day=datetime.date(2025, 5, 5),
        units=[hoangliet],
        staff=[other],
        violating=[other],
    )
    _planned_inspection(insp, unit=dinhcong, day=datetime.date(2025, 6, 2), units=[dinhcong], staff=[person])
    held(deciding_unit=hoangmai, day=datetime.date(2025, 6, 3), units=[hoangliet], staff=[person])
    # First quarter.
    held(
        deciding_unit=hoangliet,
        day=datetime.date(2025, 2, 3),
        units=[hoangliet],
        staff=[person],
        violating=[person],
    )
    _planned_inspection(insp, unit=hoangliet, day=datetime.date(2025, 3, 3), units=[cell], staff=[other])
    held(deciding_unit=dinhcong, day=datetime.date(2025, 1, 20), units=[dinhcong], violating=[dinhcong])
    # Counted nowhere here: not decided yet, decided after the period, decided by another district.
    make_inspection(deciding_unit=hoangliet, decision_number="", decision_date=None)
    held(deciding_unit=dinhcong, day=datetime.date(2025, 7, 1), units=[dinhcong])
    services.inspection_create(
        actor=insp.user("superuser"),
        kind=insp.kinds["public-service-inspection"],
        deciding_unit=insp.badinh,
        topic="Kiểm tra công vụ",
        decision_number="9/QĐ-UBND",
        decision_date=datetime.date(2025, 5, 5),
        subject_units=[insp.phucxa],
        subject_staff=[insp.phucxa_staff],
    )
    return insp


# Each dashboard figure and the statistics page's figure it must equal.
INSPECTION_COUNTERPARTS = {
    "inspections.count": lambda i: i.inspections,
    "inspections.unannounced": lambda i: i.unannounced,
    "inspections.organisations": lambda i: i.orgs,
    "inspections.individuals": lambda i: i.people,
    "inspections.violating": lambda i: i.orgs_violating + i.people_violating,
}


def test_inspection_figures_equal_the_statistics_page(inspections_in_two_quarters, login):
    insp = inspections_in_two_quarters
    leader = insp.user("city_leader")
    client = login(leader)
    result = inspections_summary(actor=leader, unit=insp.hoangmai, period=QUARTER_2)
    now = _statistics_page(client, insp.hoangmai, QUARTER_2)["i"]
    before = _statistics_page(client, insp.hoangmai, QUARTER_2.previous())["i"]
    assert_figures_equal(result.figures, INSPECTION_COUNTERPARTS, now, before)
    # Hand count: 6 held in the second quarter (1 planned), 3 in the first (1 planned).
    assert (now.inspections, now.planned, before.inspections, before.planned) == (6, 1, 3, 1)
    # Subjects counted once each: the cell, Hoàng Liệt and Định Công, two people; violating now the cell and
    # both people, before Định Công and one person.
    assert (now.unannounced, now.orgs, now.people, now.orgs_violating, now.people_violating) == (
        5,
        3,
        2,
        1,
        2,
    )
    assert (
        before.unannounced,
        before.orgs,
        before.people,
        before.orgs_violating,
        before.people_violating,
    ) == (
        2,
        3,
        2,
        1,
        1,
    )
    # Per direct sub-unit, that sub-unit's page (Hoàng Liệt's counts its Party cell's inspection).
    children = Unit.objects.filter(parent=insp.hoangmai)
    per_child = {child.pk: _statistics_page(client, child, QUARTER_2)["i"].inspections for child in children}
    assert result.by_subunit == per_child == {insp.hoangliet.pk: 3, insp.dinhcong.pk: 2}


def _discipline(insp, *, competent_unit, signed_on, staff=None, unit=None, regime="civil_servant", **extra):
    """A case decided on `signed_on` with the reprimand of the regime's rules in force that day."""
    actor = insp.user("hoangmai_inspector")
    case = discipline_services.case_open(
        actor=actor,
        regime=regime,
        competent_unit=competent_unit,
        staff=staff,
        unit=unit,
        violation="Vi phạm",
        committed_on=signed_on - datetime.timedelta(days=60),
        severity="less_serious",
        opened_on=signed_on - datetime.timedelta(days=30),
    )
    code = {
        "party_member": "qd69-member-reprimand",
        "party_organisation": "qd69-org-reprimand",
        "civil_servant": "nd112-cs-reprimand"
        if signed_on < datetime.date(2025, 7, 1)
        else "nd172-cs-reprimand",
    }[regime]
    return discipline_services.case_decide(
        actor=actor,
        case=case,
        form=DisciplineForm.objects.get(code=code),
        number=f"{competent_unit.code}-{signed_on:%m%d}/QĐ",
        signed_on=signed_on,
        **extra,
    )


@pytest.fixture
def decisions_in_two_quarters(insp):
    """Discipline decided by both wards of Hoàng Mai and by the district, of people (one of them by two
    bodies, under two regimes) and of a Party cell, taking effect in the second and third quarters of 2025;
    one signed in June takes effect in July, one is annulled on appeal."""
    hoangliet, dinhcong, hoangmai = insp.hoangliet, insp.dinhcong, insp.hoangmai
    person, other = insp.colleague, insp.hoangliet_staff
    clerk = staff_create(actor=SYSTEM, unit=dinhcong, full_name="Phạm Thị Thu", birth_year=1990)
    decide = functools.partial(_discipline, insp)
    # Third quarter.
    decide(competent_unit=hoangliet, signed_on=datetime.date(2025, 8, 1), staff=person, regime="party_member")
    decide(competent_unit=hoangmai, signed_on=datetime.date(2025, 9, 1), staff=person)
    decide(
        competent_unit=hoangliet,
        signed_on=datetime.date(2025, 8, 20),
        unit=insp.cell,
        regime="party_organisation",
    )
    decide(competent_unit=dinhcong, signed_on=datetime.date(2025, 7, 15), staff=clerk)
    decide(
        competent_unit=dinhcong,
        signed_on=datetime.date(2025, 6, 25),
        effective_from=datetime.date(2025, 7, 2),
        staff=other,
    )
    annulled = decide(competent_unit=dinhcong, signed_on=datetime.date(2025, 8, 10), staff=other)
    appeal = discipline_services.appeal_lodge(
        actor=insp.user("hoangmai_inspector"),
        decision=annulled,
        lodged_on=datetime.date(2025, 8, 15),
        grounds="Không đúng người",
    )
    discipline_services.appeal_decide(
        actor=insp.user("hoangmai_inspector"),
        appeal=appeal,
        upheld=False,
        decided_on=datetime.date(2025, 9, 5),
    )
    # Second quarter.
    decide(competent_unit=hoangliet, signed_on=datetime.date(2025, 4, 10), staff=other)
    decide(competent_unit=dinhcong, signed_on=datetime.date(2025, 5, 20), staff=person, regime="party_member")
    decide(competent_unit=dinhcong, signed_on=datetime.date(2025, 6, 2), staff=clerk)
    return insp


# Each dashboard figure and the statistics page's figure it must equal. The cases past their deadline are a
# count of today's open cases, not a statistic of the period: the page has no counterpart.
DISCIPLINE_COUNTERPARTS = {
    "discipline.disciplined": lambda d: d.orgs + d.people,
    "discipline.individuals": lambda d: d.people,
    "discipline.organisations": lambda d: d.orgs,
}


def test_discipline_figures_equal_the_statistics_page(decisions_in_two_quarters, login):
    insp = decisions_in_two_quarters
    leader = insp.user("city_leader")
    client = login(leader)
    result = discipline_summary(actor=leader, unit=insp.hoangmai, period=QUARTER_3)
    now = _statistics_page(client, insp.hoangmai, QUARTER_3)["d"]
    before = _statistics_page(client, insp.hoangmai, QUARTER_3.previous())["d"]
    assert_figures_equal(
        result.figures, DISCIPLINE_COUNTERPARTS, now, before, not_compared=("discipline.overdue_cases",)
    )
    # Hand count: now 3 people (one of them decided twice) and the Party cell; before, 3 people.
    assert (now.people, now.orgs, before.people, before.orgs) == (3, 1, 3, 0)
    # Per direct sub-unit, that sub-unit's page.
    children = Unit.objects.filter(parent=insp.hoangmai)
    per_child = {}
    for child in children:
        figures = _statistics_page(client, child, QUARTER_3)["d"]
        per_child[child.pk] = figures.orgs + figures.people
    assert result.by_subunit == per_child == {insp.hoangliet.pk: 2, insp.dinhcong.pk: 2}
