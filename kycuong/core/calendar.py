"""Working days, for the time limits that the law counts in them (DESIGN.md, convention 9).

A day is a working day by the default rule (Monday to Friday, less Vietnam's public holidays and the
announced swaps that the `holidays` package knows, plus the make-up Saturdays it knows) unless a
CalendarDay row says otherwise: a row always wins. Days are Vietnamese local dates.

The non-working days of each year are computed once per process and kept as a set, so that counting 200
working days costs at most a query per calendar year touched, not one per day. The cache is emptied when
a CalendarDay is saved or deleted in this process (signals, so admin edits count too), and every few
seconds each process compares a fingerprint of the CalendarDay table, so that a change made by another
web or worker process is seen shortly after it commits.
"""

import datetime
import functools
import threading
import time
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from . import response_cache
from .models import CalendarDay

LEGAL_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ONE_DAY = datetime.timedelta(days=1)


def local_day(moment: datetime.date) -> datetime.date:
    """The Vietnamese date of a moment (an aware datetime), or the date itself."""
    if isinstance(moment, datetime.datetime):
        if timezone.is_naive(moment):
            raise ValueError("A naive datetime has no date in Vietnam: pass an aware datetime or a date.")
        return moment.astimezone(LEGAL_TIME_ZONE).date()
    return moment


def today() -> datetime.date:
    """Today's date in Vietnam."""
    return timezone.now().astimezone(LEGAL_TIME_ZONE).date()


@functools.lru_cache(maxsize=256)
def default_days_off(year: int) -> frozenset[datetime.date]:
    """The days of `year` that are not working days by the default rule, before any CalendarDay row."""
    # A swap may straddle New Year (a day off on 2 January made up on 27 December), and the package
    # lists it under the year of the day off: look at the neighbouring years too.
    known = holidays.country_holidays("VN", years=[year - 1, year, year + 1])
    days_off = set()
    day = datetime.date(year, 1, 1)
    while day.year == year:
        if day.weekday() >= 5:
            if day not in known.weekend_workdays:
                days_off.add(day)
        elif day in known:
            days_off.add(day)
        day += ONE_DAY
    return frozenset(days_off)


class _DaysOffCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._years: dict[int, frozenset[datetime.date]] = {}
        self._fingerprint: tuple | None = None
        self._checked_at = float("-inf")

    def clear(self) -> None:
        with self._lock:
            self._years = {}
            self._fingerprint = None
            self._checked_at = float("-inf")

    def refresh_if_stale(self) -> None:
        # How long a process trusts its cache before it looks whether another process (on this machine or
        # another web node) changed the calendar.
        fresh = time.monotonic() - self._checked_at < settings.CALENDAR_RECHECK_SECONDS
        if fresh and not response_cache.recheck_once("calendar"):
            return
        fingerprint = tuple(
            CalendarDay.objects.aggregate(
                rows=Count("id"), last_id=Max("id"), last_change=Max("updated_at")
            ).values()
        )
        with self._lock:
            if fingerprint != self._fingerprint:
                self._years = {}
                self._fingerprint = fingerprint
            self._checked_at = time.monotonic()

    def days_off(self, year: int) -> frozenset[datetime.date]:
        years = self._years
        found = years.get(year)
        if found is None:
            found = self._load(year)
            with self._lock:
                if self._years is years:  # not emptied meanwhile: what was read is still current
                    self._years[year] = found
        return found

    @staticmethod
    def _load(year: int) -> frozenset[datetime.date]:
        days_off = set(default_days_off(year))
        exceptions = CalendarDay.objects.filter(
            day__gte=datetime.date(year, 1, 1), day__lte=datetime.date(year, 12, 31)
        ).values_list("day", "is_working_day")
        for day, is_working in exceptions:
            if is_working:
                days_off.discard(day)
            else:
                days_off.add(day)
        return frozenset(days_off)


_cache = _DaysOffCache()


def calendar_cache_clear() -> None:
    """Forget what this process knows of the calendar."""
    _cache.clear()


def calendar_changed(sender, using=None, **kwargs) -> None:
    """Receiver of CalendarDay's post_save and post_delete, wherever the change comes from (admin too).

    Emptied now, for the rest of this transaction, and again once it commits, in case another thread of
    this process read the calendar in between and cached what is no longer true.
    """
    calendar_cache_clear()
    transaction.on_commit(calendar_cache_clear, using=using)


def _days_off(year: int) -> frozenset[datetime.date]:
    return _cache.days_off(year)


def is_working_day(day: datetime.date) -> bool:
    day = local_day(day)
    _cache.refresh_if_stale()
    return day not in _days_off(day.year)


def next_working_day(day: datetime.date) -> datetime.date:
    """The first working day strictly after `day`."""
    return add_working_days(day, 1)


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The day `n` working days after `start` (which does not count); before it if `n` is negative.

    `n` = 0 gives `start` if it is a working day, else the next working day. `n` = -1 gives the last
    working day before `start`.
    """
    day = local_day(start)
    _cache.refresh_if_stale()
    if n == 0:
        n, day = 1, day - ONE_DAY
    step = ONE_DAY if n > 0 else -ONE_DAY
    remaining = abs(n)
    year, days_off = day.year, _days_off(day.year)
    while remaining:
        day += step
        if day.year != year:
            year, days_off = day.year, _days_off(day.year)
        if day not in days_off:
            remaining -= 1
    return day


def _days_off_between(after: datetime.date, until: datetime.date) -> int:
    """How many days d with after < d <= until are not working days."""
    return sum(
        1 for year in range(after.year, until.year + 1) for day in _days_off(year) if after < day <= until
    )


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """How many working days d there are with start < d <= end; the negative count if end is before start."""
    start, end = local_day(start), local_day(end)
    if end < start:
        return -working_days_between(end, start)
    _cache.refresh_if_stale()
    return (end - start).days - _days_off_between(start, end)


def working_days_in(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The working days from `start` to `end`, both included, in order (empty if `end` is before `start`)."""
    start, end = local_day(start), local_day(end)
    _cache.refresh_if_stale()
    found = []
    day = start
    while day <= end:
        if day not in _days_off(day.year):
            found.append(day)
        day += ONE_DAY
    return found
