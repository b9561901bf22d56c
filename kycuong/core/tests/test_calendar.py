"""The working-day calendar. Expected dates are counted by hand on a wall calendar, not from the code."""

import datetime
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kycuong.accounts.models import Role
from kycuong.accounts.roles import DEFAULT_ROLES
from kycuong.core.audit import audit_verify_chain
from kycuong.core.calendar import (
    add_working_days,
    is_working_day,
    local_day,
    next_working_day,
    working_days_between,
    working_days_in,
)
from kycuong.core.models import AuditRecord, CalendarDay
from kycuong.core.services import calendar_day_remove, calendar_day_set

pytestmark = pytest.mark.django_db


# --- the default rule ---------------------------------------------------------------------------------


def test_weekends_are_not_working_days():
    # 14–21/03/2025: no holiday that week or the next.
    assert is_working_day(date(2025, 3, 14))  # Friday
    assert not is_working_day(date(2025, 3, 15))  # Saturday
    assert not is_working_day(date(2025, 3, 16))  # Sunday
    assert next_working_day(date(2025, 3, 14)) == date(2025, 3, 17)
    assert next_working_day(date(2025, 3, 15)) == date(2025, 3, 17)
    assert add_working_days(date(2025, 3, 14), 5) == date(2025, 3, 21)
    assert working_days_between(date(2025, 3, 14), date(2025, 3, 17)) == 1
    assert working_days_between(date(2025, 3, 15), date(2025, 3, 16)) == 0
    assert working_days_in(date(2025, 3, 14), date(2025, 3, 18)) == [
        date(2025, 3, 14),
        date(2025, 3, 17),
        date(2025, 3, 18),
    ]


def test_n_zero_is_the_day_itself_or_the_next_working_day():
    assert add_working_days(date(2025, 3, 14), 0) == date(2025, 3, 14)
    assert add_working_days(date(2025, 3, 15), 0) == date(2025, 3, 17)


def test_national_day():
    # 2024: 2/9 is a Monday, the day next to it Tuesday 3/9.
    assert not is_working_day(date(2024, 9, 2))
    assert not is_working_day(date(2024, 9, 3))
    assert is_working_day(date(2024, 9, 4))
    # 2025: off from Saturday 30/8 to Tuesday 2/9.
    assert not is_working_day(date(2025, 9, 1))
    assert not is_working_day(date(2025, 9, 2))
    assert add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 3)
    assert working_days_between(date(2025, 8, 29), date(2025, 9, 5)) == 3
    # 2027 has no announced data yet: 2/9 (a Thursday) is off by the holiday rule alone.
    assert not is_working_day(date(2027, 9, 2))


def test_lunar_holidays_follow_the_lunar_calendar():
    # Hùng Kings' day, 10th of the 3rd lunar month: Monday 07/04/2025; Sunday 26/04/2026, made up Monday.
    assert not is_working_day(date(2025, 4, 7))
    assert is_working_day(date(2025, 4, 8))
    assert not is_working_day(date(2026, 4, 27))
    # Tết Bính Ngọ: the lunar new year is Tuesday 17/02/2026, off from the eve (Monday 16) to Friday 20.
    assert working_days_in(date(2026, 2, 13), date(2026, 2, 23)) == [date(2026, 2, 13), date(2026, 2, 23)]


def test_tet_2025():
    # Civil servants were off from Saturday 25/01 to Sunday 02/02/2025.
    assert add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert next_working_day(date(2025, 1, 24)) == date(2025, 2, 3)
    assert working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    assert working_days_in(date(2025, 1, 25), date(2025, 2, 2)) == []


def test_announced_swap_of_2025():
    # Friday 02/05/2025 off, made up on Saturday 26/04/2025.
    assert is_working_day(date(2025, 4, 26))
    assert not is_working_day(date(2025, 5, 2))
    assert working_days_in(date(2025, 4, 25), date(2025, 5, 5)) == [
        date(2025, 4, 25),
        date(2025, 4, 26),
        date(2025, 4, 28),
        date(2025, 4, 29),
        date(2025, 5, 5),
    ]
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_make_up_saturday_that_only_the_holidays_package_knows():
    # 2024 was not loaded as data; the package knows that Saturday 04/05/2024 was worked for Monday 29/04.
    assert not CalendarDay.objects.filter(day__year=2024).exists()
    assert is_working_day(date(2024, 5, 4))
    assert not is_working_day(date(2024, 4, 29))


def test_shipped_exceptions_are_loaded_and_audited():
    rows = dict(CalendarDay.objects.values_list("day", "is_working_day"))
    assert rows[date(2025, 1, 27)] is False
    assert rows[date(2025, 4, 26)] is True
    assert rows[date(2025, 5, 2)] is False
    assert rows[date(2025, 9, 1)] is False
    assert rows[date(2026, 8, 22)] is True
    records = AuditRecord.objects.filter(object_type="core.calendarday", action="create")
    assert records.count() == len(rows)
    assert audit_verify_chain().ok


def test_negative_n_counts_backwards():
    assert add_working_days(date(2025, 3, 17), -1) == date(2025, 3, 14)  # Monday → Friday
    assert add_working_days(date(2025, 3, 16), -1) == date(2025, 3, 14)  # Sunday → Friday
    assert add_working_days(date(2025, 3, 19), -3) == date(2025, 3, 14)  # Wednesday → Friday before
    assert add_working_days(date(2025, 2, 3), -1) == date(2025, 1, 24)  # across Tết
    assert working_days_between(date(2025, 2, 3), date(2025, 1, 24)) == -1
    assert working_days_between(date(2025, 3, 21), date(2025, 3, 14)) == -5


def test_across_new_year():
    # Wednesday 31/12/2025 + 1: Thursday 01/01/2026 is New Year's Day.
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)
    assert add_working_days(date(2026, 1, 2), -1) == date(2025, 12, 31)
    assert working_days_between(date(2025, 12, 30), date(2026, 1, 5)) == 3  # 31/12, 2/1, 5/1


def test_two_hundred_working_days_in_2026():
    # 40 weeks after Friday 02/01/2026 is Friday 09/10/2026: 200 weekdays, less 11 on holidays (Tết 16–20/2,
    # 27/4, 30/4, 1/5, 31/8–2/9), plus Saturday 22/08: 190. Ten more: Friday 23/10/2026.
    assert add_working_days(date(2026, 1, 2), 200) == date(2026, 10, 23)
    assert working_days_between(date(2026, 1, 2), date(2026, 10, 23)) == 200


def test_dates_are_vietnamese_dates():
    # 17:30 UTC on Friday 24/01/2025 is already 00:30 on Saturday 25/01 in Hà Nội.
    moment = datetime.datetime(2025, 1, 24, 17, 30, tzinfo=datetime.UTC)
    assert local_day(moment) == date(2025, 1, 25)
    assert not is_working_day(moment)
    assert add_working_days(moment, 0) == date(2025, 2, 3)
    with pytest.raises(ValueError):
        local_day(datetime.datetime(2025, 1, 24, 17, 30))


# --- exceptions kept by administrators --------------------------------------------------------------


@pytest.fixture
def admin_user(world):
    return world.user("superuser")


def test_make_up_saturday_added_in_the_admin_counts_as_a_working_day(admin_user, login):
    friday, saturday, monday = date(2026, 1, 9), date(2026, 1, 10), date(2026, 1, 12)
    assert add_working_days(friday, 1) == monday  # cache warm with the old calendar
    response = login(admin_user).post(
        reverse("admin:core_calendarday_add"),
        {
            "day": "10/01/2026",
            "is_working_day": "on",
            "name": "Làm bù cho ngày 02/01/2026",
            "legal_basis": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert is_working_day(saturday)
    assert add_working_days(friday, 1) == saturday
    assert working_days_between(friday, monday) == 2
    row = CalendarDay.objects.get(day=saturday)
    record = AuditRecord.objects.get(object_type="core.calendarday", object_id=str(row.pk))
    assert record.action == "create" and record.actor_label == "root"


def test_admin_edit_and_delete_are_audited_and_seen_at_once(admin_user, login):
    client = login(admin_user)
    assert client.get(reverse("admin:core_calendarday_changelist")).status_code == 200
    row = calendar_day_set(
        actor=admin_user, day=date(2026, 1, 14), is_working_day=False, name="Nghỉ", legal_basis=""
    )
    assert not is_working_day(date(2026, 1, 14))
    response = client.post(
        reverse("admin:core_calendarday_change", args=[row.pk]),
        {"is_working_day": "on", "name": "Nghỉ", "legal_basis": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert is_working_day(date(2026, 1, 14))
    update = AuditRecord.objects.filter(object_type="core.calendarday", object_id=str(row.pk)).first()
    assert update.action == "update" and update.after == {"is_working_day": True}
    response = client.post(reverse("admin:core_calendarday_delete", args=[row.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(pk=row.pk).exists()
    assert AuditRecord.objects.filter(object_type="core.calendarday", action="delete").count() == 1


def test_extra_day_off_removes_a_working_day_and_removing_it_restores_the_default(admin_user):
    friday, next_friday, wednesday = date(2026, 1, 9), date(2026, 1, 16), date(2026, 1, 14)
    assert working_days_between(friday, next_friday) == 5
    row = calendar_day_set(actor=admin_user, day=wednesday, is_working_day=False, name="Nghỉ đột xuất")
    assert not is_working_day(wednesday)
    assert working_days_between(friday, next_friday) == 4
    assert add_working_days(friday, 3) == date(2026, 1, 15)
    calendar_day_remove(actor=admin_user, calendar_day=row)
    assert is_working_day(wednesday)
    assert working_days_between(friday, next_friday) == 5


def test_an_exception_wins_over_a_public_holiday(admin_user):
    national_day = date(2025, 9, 2)
    row = calendar_day_set(actor=admin_user, day=national_day, is_working_day=True, name="Thử nghiệm")
    assert is_working_day(national_day)
    calendar_day_remove(actor=admin_user, calendar_day=row)
    assert not is_working_day(national_day)


def test_setting_the_same_day_again_updates_the_row(admin_user):
    first = calendar_day_set(actor=admin_user, day=date(2026, 1, 14), is_working_day=False, name="Nghỉ")
    second = calendar_day_set(
        actor=admin_user, day=date(2026, 1, 14), is_working_day=False, name="Nghỉ", legal_basis="Văn bản X"
    )
    assert second.pk == first.pk and CalendarDay.objects.filter(day=date(2026, 1, 14)).count() == 1
    record = AuditRecord.objects.filter(object_type="core.calendarday", object_id=str(first.pk)).first()
    assert record.action == "update"
    assert record.before == {"legal_basis": ""} and record.after == {"legal_basis": "Văn bản X"}


def test_services_are_audited(admin_user, audit_count):
    before = audit_count()
    row = calendar_day_set(actor=admin_user, day=date(2026, 1, 14), is_working_day=False, name="Nghỉ")
    record = AuditRecord.objects.get(object_type="core.calendarday", object_id=str(row.pk))
    assert record.action == "create" and record.actor_label == "root"
    assert record.after["day"] == "2026-01-14" and record.after["is_working_day"] is False
    calendar_day_remove(actor=admin_user, calendar_day=row)
    deleted = AuditRecord.objects.filter(object_type="core.calendarday", object_id=str(row.pk)).first()
    assert deleted.action == "delete" and deleted.before["name"] == "Nghỉ"
    assert audit_count() == before + 2
    assert audit_verify_chain().ok


def test_services_are_refused_to_anyone_but_the_system(world, audit_count):
    leader = world.user("city_leader")
    before, rows = audit_count(), CalendarDay.objects.count()
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=leader, day=date(2026, 1, 14), is_working_day=False, name="Nghỉ")
    shipped = CalendarDay.objects.get(day=date(2025, 4, 26))
    with pytest.raises(PermissionDenied):
        calendar_day_remove(actor=leader, calendar_day=shipped)
    assert audit_count() == before and CalendarDay.objects.count() == rows
    assert is_working_day(date(2026, 1, 14)) and is_working_day(date(2025, 4, 26))


def test_roles_carry_the_calendar_permissions(world):
    for role in Role.objects.filter(code__in=DEFAULT_ROLES):
        codenames = set(role.permissions.values_list("codename", flat=True))
        assert "view_calendarday" in codenames
        manages = {"add_calendarday", "change_calendarday", "delete_calendarday"} <= codenames
        assert manages == (role.code == "system_admin")


# --- cache ------------------------------------------------------------------------------------------


def test_two_hundred_working_days_take_a_query_per_year_not_per_day(
    django_assert_max_num_queries, django_assert_num_queries
):
    with django_assert_max_num_queries(3):  # the table's fingerprint, then 2025 and 2026
        assert add_working_days(date(2025, 11, 3), 200) > date(2026, 8, 1)
    with django_assert_num_queries(0):
        add_working_days(date(2025, 11, 3), 200)
        working_days_between(date(2025, 1, 1), date(2026, 12, 31))
        working_days_in(date(2025, 1, 1), date(2026, 12, 31))


def test_a_change_from_another_process_is_seen_after_the_recheck_interval(monkeypatch):
    wednesday = date(2026, 1, 14)
    assert is_working_day(wednesday)
    # bulk_create sends no signal: as if another web worker had made the change.
    CalendarDay.objects.bulk_create([CalendarDay(day=wednesday, is_working_day=False, name="Nghỉ")])
    assert is_working_day(wednesday)  # this process still trusts its cache
    monkeypatch.setattr(django_settings, "CALENDAR_RECHECK_SECONDS", 0)
    assert not is_working_day(wednesday)


# --- properties -------------------------------------------------------------------------------------

starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=starts, n=st.integers(min_value=0, max_value=300))
def test_adding_then_counting_gives_back_n(start, n):
    result = add_working_days(start, n)
    assert is_working_day(result)
    assert result >= start
    if n > 0:
        assert working_days_between(start, result) == n
        assert len(working_days_in(start + datetime.timedelta(days=1), result)) == n
    else:
        assert result == (start if is_working_day(start) else next_working_day(start))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=starts, n=st.integers(min_value=1, max_value=300))
def test_counting_backwards_mirrors_counting_forwards(start, n):
    result = add_working_days(start, -n)
    assert is_working_day(result) and result < start
    assert working_days_between(start, result) == -(n if is_working_day(start) else n - 1)
