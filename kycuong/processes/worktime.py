"""Working time for step limits: working days from the calendar in core, and office hours within them.

A limit in working days ends at the close of office hours on the n-th working day after the day the step
reaches its performer; a limit in working hours counts only office hours of working days. Moments are
aware datetimes; office hours are Vietnamese local time.
"""

import datetime

from kycuong.core.calendar import LEGAL_TIME_ZONE, add_working_days, is_working_day, local_day

# Office hours of Vietnamese public bodies: morning and afternoon, eight working hours a day.
OFFICE_WINDOWS = ((datetime.time(8, 0), datetime.time(12, 0)), (datetime.time(13, 0), datetime.time(17, 0)))
MINUTES_PER_DAY = 480
DAYS = "days"
HOURS = "hours"


def _windows(day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
    return [
        (
            datetime.datetime.combine(day, start, LEGAL_TIME_ZONE),
            datetime.datetime.combine(day, end, LEGAL_TIME_ZONE),
        )
        for start, end in OFFICE_WINDOWS
    ]


def close_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, OFFICE_WINDOWS[-1][1], LEGAL_TIME_ZONE)


def working_minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Office minutes of working days between two moments; negative when `end` is before `start`."""
    if end < start:
        return -working_minutes_between(end, start)
    total = 0.0
    day, last = local_day(start), local_day(end)
    while day <= last:
        if is_working_day(day):
            for window_start, window_end in _windows(day):
                overlap = (min(end, window_end) - max(start, window_start)).total_seconds()
                if overlap > 0:
                    total += overlap
        day += datetime.timedelta(days=1)
    return int(total // 60)


def add_working_minutes(start: datetime.datetime, minutes: int) -> datetime.datetime:
    """The moment `minutes` office minutes after `start` (counting starts at the next office window)."""
    if minutes <= 0:
        return start
    remaining = datetime.timedelta(minutes=minutes)
    day = local_day(start)
    while True:
        if is_working_day(day):
            for window_start, window_end in _windows(day):
                begin = max(start, window_start)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += datetime.timedelta(days=1)


def deadline(start: datetime.datetime, value: int, unit: str) -> datetime.datetime:
    """When a limit of `value` working days or hours that starts at `start` runs out."""
    if unit == HOURS:
        return add_working_minutes(start, value * 60)
    return close_of_day(add_working_days(local_day(start), value))


def outcome(completed_at: datetime.datetime, due_at: datetime.datetime) -> str:
    """Early (finished on a working day before the due day), on time, or late (after the due moment)."""
    if completed_at > due_at:
        return "late"
    if local_day(completed_at) < local_day(due_at):
        return "early"
    return "on_time"


def is_office_day(day: datetime.date) -> bool:
    return is_working_day(day)
