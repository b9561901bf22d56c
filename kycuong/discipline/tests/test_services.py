"""Discipline: limitation periods, handling time, decisions and forms in force, the Party notice, appeals,
distinct counting, confidentiality and the reasons handed to evaluations."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import PASSWORD, SYSTEM
from kycuong.core.models import AuditRecord
from kycuong.discipline import selectors, services
from kycuong.discipline.models import Case, CaseStatus, Decision, PartyNotice

pytestmark = pytest.mark.django_db
INSPECTOR = "hoangmai_inspector"


def test_limitation_is_checked_when_a_case_opens(make_case, forms, insp):
    fresh = make_case()
    assert fresh.limitation_warning == ""
    # Committed 6 years before: the 5-year period for reprimand-level violations has ended.
    old = make_case(committed_on=datetime.date(2019, 7, 1))
    assert "5" in old.limitation_warning and "01/07/2024" in old.limitation_warning
    # 11 years: nothing is left for a civil servant.
    ancient = make_case(committed_on=datetime.date(2014, 7, 1))
    assert "10" in ancient.limitation_warning and "01/07/2024" in ancient.limitation_warning
    # For a Party member, expulsion has no limitation: the warning says so.
    party = make_case(regime="party_member", committed_on=datetime.date(2014, 7, 1))
    assert "01/07/2024" in party.limitation_warning and party.limitation_warning != ancient.limitation_warning
    # With a proposed form, the warning is that form's.
    proposed = make_case(committed_on=datetime.date(2019, 7, 1), proposed_form=forms["nd172-cs-warning"])
    assert proposed.limitation_warning == ""
    # A reprimand past its period is refused at the decision; a warning is still possible.
    with pytest.raises(ValidationError) as error:
        services.case_decide(
            actor=insp.user(INSPECTOR),
            case=old,
            form=forms["nd172-cs-reprimand"],
            number="1/QĐ",
            signed_on=datetime.date(2025, 8, 20),
        )
    assert "01/07/2024" in str(error.value)
    decision = services.case_decide(
        actor=insp.user(INSPECTOR),
        case=old,
        form=forms["nd172-cs-warning"],
        number="1/QĐ",
        signed_on=datetime.date(2025, 8, 20),
    )
    assert decision.effective_to == datetime.date(2026, 8, 19)


def test_handling_time_is_90_days_extendable_once_to_150(make_case, insp):
    case = make_case(opened_on=datetime.date(2025, 8, 1))
    assert case.deadline == datetime.date(2025, 10, 30)  # 1 Aug + 90 days
    overdue = selectors.case_list(
        actor=insp.user(INSPECTOR),
        filters=selectors.CaseFilters(overdue=True),
        day=datetime.date(2025, 10, 31),
    )
    assert list(overdue) == [case]
    case = services.case_extend(actor=insp.user(INSPECTOR), case=case, reason="Vụ việc phức tạp")
    assert case.deadline == datetime.date(2025, 12, 29)  # 1 Aug + 150 days
    with pytest.raises(ValidationError):
        services.case_extend(actor=insp.user(INSPECTOR), case=case, reason="Lần nữa")
    with pytest.raises(ValidationError):
        services.case_extend(actor=insp.user(INSPECTOR), case=case, reason="  ")
    assert not selectors.case_list(
        actor=insp.user(INSPECTOR),
        filters=selectors.CaseFilters(overdue=True),
        day=datetime.date(2025, 10, 31),
    ).exists()


def test_forms_follow_the_rules_in_force(make_case, forms, insp):
    actor = insp.user(INSPECTOR)
    case = make_case(opened_on=datetime.date(2025, 8, 1))
    with pytest.raises(ValidationError):  # Decree 112's salary-step reduction no longer exists
        services.case_decide(
            actor=actor,
            case=case,
            form=forms["nd112-cs-salary"],
            number="2/QĐ",
            signed_on=datetime.date(2025, 8, 20),
        )
    with pytest.raises(ValidationError):  # a Party form for an administrative case
        services.case_decide(
            actor=actor,
            case=case,
            form=forms["qd69-member-warning"],
            number="2/QĐ",
            signed_on=datetime.date(2025, 8, 20),
        )
    # A case opened under Decree 112 may still be decided with its forms.
    earlier = make_case(opened_on=datetime.date(2025, 3, 1))
    decision = services.case_decide(
        actor=actor,
        case=earlier,
        form=forms["nd112-cs-salary"],
        number="3/QĐ",
        signed_on=datetime.date(2025, 7, 10),
    )
    assert decision.form.legal_basis == "112/2020/NĐ-CP"
    # Dismissal only for someone holding a post: the ward's staff member holds none.
    from kycuong.org.services import staff_create

    clerk = staff_create(actor=SYSTEM, unit=insp.hoangliet, full_name="Phạm Thu Hà")
    clerk_case = make_case(staff=clerk)
    with pytest.raises(ValidationError):
        services.case_decide(
            actor=actor,
            case=clerk_case,
            form=forms["nd172-cs-dismissal"],
            number="4/QĐ",
            signed_on=datetime.date(2025, 8, 20),
        )
    with pytest.raises(ValidationError):  # not a Party member
        make_case(staff=clerk, regime="party_member")


def test_administrative_discipline_of_a_party_member_owes_a_notice_in_5_working_days(make_case, forms, insp):
    case = make_case()
    decision = services.case_decide(
        actor=insp.user(INSPECTOR),
        case=case,
        form=forms["nd172-cs-reprimand"],
        number="10/QĐ-UBND",
        signed_on=datetime.date(2025, 8, 29),  # a Friday before the National Day holidays (1-2 Sep 2025)
    )
    notice = PartyNotice.objects.get(decision=decision)
    assert notice.party_unit == insp.cell
    # Mon 1 and Tue 2 Sep are days off; the five working days are 3, 4, 5, 8 and 9 Sep.
    assert notice.due_on == datetime.date(2025, 9, 9)
    assert list(selectors.notice_list(actor=insp.user(INSPECTOR))) == [notice]
    services.notice_record(actor=insp.user(INSPECTOR), notice=notice, notified_on=datetime.date(2025, 9, 3))
    assert not selectors.notice_list(actor=insp.user(INSPECTOR)).exists()
    # A Party decision owes no such notice.
    party_case = make_case(regime="party_member")
    party_decision = services.case_decide(
        actor=insp.user(INSPECTOR),
        case=party_case,
        form=forms["qd69-member-reprimand"],
        number="11/QĐ-UBKT",
        signed_on=datetime.date(2025, 8, 29),
    )
    assert not PartyNotice.objects.filter(decision=party_decision).exists()


def test_one_person_with_a_party_and_an_administrative_decision_counts_once(make_case, forms, insp):
    actor = insp.user(INSPECTOR)
    for regime, form, number in (
        ("party_member", "qd69-member-warning", "1/QĐ-UBKT"),
        ("civil_servant", "nd172-cs-warning", "2/QĐ-UBND"),
    ):
        case = make_case(regime=regime)
        services.case_decide(
            actor=actor, case=case, form=forms[form], number=number, signed_on=datetime.date(2025, 9, 10)
        )
    org_case = make_case(regime="party_organisation", staff=None, unit=insp.cell)
    services.case_decide(
        actor=actor,
        case=org_case,
        form=forms["qd69-org-reprimand"],
        number="3/QĐ-UBKT",
        signed_on=datetime.date(2025, 9, 12),
    )
    figures = selectors.discipline_figures(
        unit_id=insp.hoangmai.pk, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
    )
    assert (figures.people, figures.orgs, figures.decisions) == (1, 1, 3)
    assert figures.party_people == 1 and figures.people_by_party == 1 and figures.people_administratively == 1
    assert {(row.form.code, row.people, row.orgs) for row in figures.by_form} == {
        ("qd69-member-warning", 1, 0),
        ("nd172-cs-warning", 1, 0),
        ("qd69-org-reprimand", 0, 1),
    }
    people = selectors.distinct_disciplined(
        actor=actor,
        filters=selectors.DisciplinedFilters(
            unit_id=insp.hoangmai.pk, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
        ),
    )
    assert len(people) == 1 and len(people[0]["decisions"]) == 2
    reasons = selectors.disciplined_in_period(
        staff_ids=[insp.colleague.pk, insp.hoangliet_staff.pk],
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
    )
    assert list(reasons) == [("staff", insp.colleague.pk)]
    # The same answer reaches the evaluations through their grounds registry.
    from kycuong.evaluations.grounds import registered_grounds

    ground = registered_grounds()["discipline"]
    assert ground.function(
        staff_ids=[insp.colleague.pk],
        unit_ids=[],
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
    ) == {("staff", insp.colleague.pk): reasons[("staff", insp.colleague.pk)]}
    assert (
        "1/QĐ-UBKT" in reasons[("staff", insp.colleague.pk)]
        and "10/09/2025" in reasons[("staff", insp.colleague.pk)]
    )
    units = selectors.disciplined_in_period(
        unit_ids=[insp.cell.pk], start=datetime.date(2025, 9, 12), end=datetime.date(2025, 9, 12)
    )
    assert list(units) == [("unit", insp.cell.pk)]
    # An annulled decision no longer counts.
    decision = Decision.objects.get(number="2/QĐ-UBND")
    appeal = services.appeal_lodge(
        actor=actor, decision=decision, lodged_on=datetime.date(2025, 9, 20), grounds="Không đúng thẩm quyền"
    )
    services.appeal_decide(actor=actor, appeal=appeal, upheld=False, decided_on=datetime.date(2025, 10, 1))
    figures = selectors.discipline_figures(
        unit_id=insp.hoangmai.pk, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
    )
    assert (figures.people, figures.decisions, figures.people_administratively) == (1, 2, 0)


def test_a_ward_colleague_cannot_open_the_case(make_case, insp):
    case = make_case()
    for name in ("hoangmai_inspector", "hoangmai_head", "city_leader"):
        assert selectors.case_get(actor=insp.user(name), case_id=case.pk) == case
    for name in ("hoangliet_staff", "hoangmai_observer", "badinh_head", "no_grant"):
        with pytest.raises(Http404):
            selectors.case_get(actor=insp.user(name), case_id=case.pk)
        assert not selectors.case_list(actor=insp.user(name)).exists()
    # The person the case is about sees it.
    from kycuong.accounts.services import user_create

    own = user_create(actor=SYSTEM, username="minh", password=PASSWORD, staff=insp.colleague)
    assert selectors.case_get(actor=own, case_id=case.pk) == case


def test_refused_writes_change_nothing(make_case, forms, insp):
    case = make_case()
    before = AuditRecord.objects.count()
    for name in ("hoangliet_staff", "hoangmai_observer", "badinh_head", "city_leader"):
        with pytest.raises(PermissionDenied):
            services.case_decide(
                actor=insp.user(name),
                case=case,
                form=forms["nd172-cs-warning"],
                number="9/QĐ",
                signed_on=datetime.date(2025, 9, 1),
            )
        with pytest.raises(PermissionDenied):
            make_case(actor=insp.user(name))
    assert AuditRecord.objects.count() == before
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REVIEW and not Decision.objects.exists()


def test_a_change_made_from_a_stale_copy_of_the_case_is_refused(make_case, forms, insp):
    from kycuong.core.concurrency import EditConflict

    case = make_case()
    seen = Case.objects.get(pk=case.pk)
    seen.expected_version = seen.version
    services.case_extend(actor=insp.user(INSPECTOR), case=Case.objects.get(pk=case.pk), reason="Phức tạp")
    with pytest.raises(EditConflict):
        services.case_propose(
            actor=insp.user(INSPECTOR), case=seen, form=next(iter(forms.values())), note="Đề xuất khiển trách"
        )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == seen.version + 1 and fresh.extended
    assert not fresh.steps.filter(kind="proposal").exists()


def test_the_second_of_two_case_pages_gets_a_conflict(make_case, forms, insp, client, settings):
    settings.LANGUAGE_CODE = "en"
    case = make_case()
    client.force_login(insp.user(INSPECTOR))
    url = f"/discipline/cases/{case.pk}/extend/"
    first = client.post(url, {"reason": "Cần xác minh thêm", "version": case.version})
    assert first.status_code == 302
    # The second person, on a page showing the case before the extension, closes it without discipline.
    second = client.post(
        f"/discipline/cases/{case.pk}/drop/", {"reason": "Từ trang cũ", "version": case.version}, follow=True
    )
    assert "Someone else changed this record" in second.content.decode()
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.closed_on) == (case.version + 1, None)


def test_a_persons_data_export_holds_the_cases_about_them(make_case, forms, insp):
    from kycuong.discipline.personal_data import collect

    make_case()
    (case,) = collect(insp.colleague)["discipline_cases"]
    assert (case["violation"], case["severity"], case["decision"]) == (
        "Chậm giải quyết hồ sơ của công dân",
        "less_serious",
        None,
    )
