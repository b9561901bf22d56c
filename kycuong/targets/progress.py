"""The rules that turn figures into a forecast, a status and a disbursement path. Pure functions on numbers,
so that each rule can be checked by hand; the pages quote these docstrings.

Forecast (the value expected at the end of the year, from the figures so far):

* An indicator whose figures are for their own month or quarter (a *flow*: budget revenue, new
  enterprises): the run rate. Year to date = the sum of the figures; forecast = year to date × 12 ÷ the
  number of months covered (the last month with a figure).
* An indicator whose figures are year-to-date values (GRDP growth, a rate): the linear trend. The
  least-squares line through (month, value) is extended to month 12; with a single figure the forecast is
  that figure.

Status, on the day of the latest figure, comparing the forecast with the goal: the lower bound of the
target for "higher is better", the upper bound for "lower is better". The shortfall is how far the forecast
falls short of the goal, as a share of the goal's size:

* on track: no shortfall (the forecast reaches the goal);
* at risk: a shortfall of at most the indicator's at-risk band (5 % of the goal unless set otherwise);
* off track: a larger shortfall.

Because the run rate scales the year to date by the time elapsed, a flow at 40 % of its target after six
months forecasts 80 % and is off track, while the same 40 % after four months forecasts 120 % and is on
track: the status weighs the actual against the target *and* the time elapsed.

Disbursement path: the share of the plan that should have been paid out by a day is the target rate (95 %
by default) × the rule's cumulative seasonal profile for that month, interpolated linearly by day within the
month; the window runs from 1 January of the plan year to 31 January of the next (month 13). A project or
unit is *lagging* when its rate against the total plan (assigned plus local additions) is below that path by
more than the rule's margin (10 percentage points by default).
"""

import calendar
import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

CARRY_OVER_MONTH = 13  # the January after the plan year
LINEAR_PROFILE = [Decimal(100 * month) / 13 for month in range(1, 14)]


class Status(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_DATA = "no_data", _("No figures yet")


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def forecast(series: Sequence[tuple[int, Decimal]], *, flow: bool) -> Decimal | None:
    """The value expected at the end of the year from (month, value) figures, by the rules above."""
    points = sorted((month, _decimal(value)) for month, value in series)
    if not points:
        return None
    if flow:
        last_month = points[-1][0]
        return sum((value for _m, value in points), Decimal(0)) * 12 / last_month
    if len(points) == 1:
        return points[0][1]
    count = Decimal(len(points))
    mean_x = sum(Decimal(month) for month, _v in points) / count
    mean_y = sum(value for _m, value in points) / count
    spread = sum((Decimal(month) - mean_x) ** 2 for month, _v in points)
    if spread == 0:
        return mean_y
    slope = sum((Decimal(month) - mean_x) * (value - mean_y) for month, value in points) / spread
    return mean_y + slope * (12 - mean_x)


def year_to_date(series: Sequence[tuple[int, Decimal]], *, flow: bool) -> Decimal | None:
    points = sorted((month, _decimal(value)) for month, value in series)
    if not points:
        return None
    if flow:
        return sum((value for _m, value in points), Decimal(0))
    return points[-1][1]


def goal(target_min: Decimal | None, target_max: Decimal | None, *, higher_is_better: bool) -> Decimal | None:
    """The bound that decides success: the lower bound when higher is better, else the upper bound."""
    if higher_is_better:
        return target_min if target_min is not None else target_max
    return target_max if target_max is not None else target_min


def status(
    projected: Decimal | None,
    goal_value: Decimal | None,
    *,
    higher_is_better: bool,
    tolerance_percent: Decimal = Decimal(5),
) -> str:
    """On track, at risk or off track, by the shortfall of `projected` against `goal_value` (see above)."""
    if projected is None or goal_value is None:
        return Status.NO_DATA
    projected, goal_value = _decimal(projected), _decimal(goal_value)
    gap = goal_value - projected if higher_is_better else projected - goal_value
    if gap <= 0:
        return Status.ON_TRACK
    size = abs(goal_value) or Decimal(1)
    if gap / size * 100 <= _decimal(tolerance_percent):
        return Status.AT_RISK
    return Status.OFF_TRACK


def window(plan_year: int) -> tuple[datetime.date, datetime.date]:
    """The days on which capital of `plan_year` may be disbursed (to 31 January of the next year)."""
    return datetime.date(plan_year, 1, 1), datetime.date(plan_year + 1, 1, 31)


def window_month(plan_year: int, day: datetime.date) -> int:
    """Month 1–12 of the plan year, or 13 for the January after it."""
    return CARRY_OVER_MONTH if day.year == plan_year + 1 else day.month


def path_percent(
    plan_year: int,
    day: datetime.date,
    *,
    target_percent: Decimal,
    profile: Sequence = LINEAR_PROFILE,
) -> Decimal:
    """The rate (% of the plan) the path asks for by the end of `day`."""
    start, end = window(plan_year)
    if day < start:
        return Decimal(0)
    if day >= end:
        return _decimal(target_percent)
    month = window_month(plan_year, day)
    previous = _decimal(profile[month - 2]) if month > 1 else Decimal(0)
    current = _decimal(profile[month - 1])
    days = calendar.monthrange(day.year, day.month)[1]
    share = previous + (current - previous) * Decimal(day.day) / Decimal(days)
    return _decimal(target_percent) * share / 100


def month_path(target_percent: Decimal, profile: Sequence = LINEAR_PROFILE) -> list[Decimal]:
    """The path at the end of each of the 13 months of the window."""
    return [_decimal(target_percent) * _decimal(share) / 100 for share in profile]


def rate(disbursed: int, plan: int) -> Decimal | None:
    """Disbursed ÷ plan × 100, to two decimals; None without a plan."""
    if not plan:
        return None
    return (Decimal(disbursed) * 100 / Decimal(plan)).quantize(Decimal("0.01"))
