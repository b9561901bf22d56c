"""The contract between the leadership dashboard and periodic reports (the reports app) and the modules that
feed them. Each module registers one provider from its AppConfig.ready():

    from kycuong.core.dashboard import register_module
    register_module("tasks", "kycuong.tasks.dashboard.summary", order=10)

A provider is called as `summary(actor=..., unit=..., period=...)` for a unit the actor may see, and returns a
`ModuleSummary` for the unit with its descendants, over the period: exact figures, each with the previous
period's value, a link to the records behind it, an optional chart series, the headline figure per direct
sub-unit (for rankings), and ready-made Vietnamese-or-English sentences for the written reports.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.module_loading import import_string

Number = int | Decimal | None


@dataclass(frozen=True)
class Period:
    """Inclusive dates. `previous()` is the period of the same shape just before: the previous month, quarter
    or year when the period is one, otherwise the same number of days."""

    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        months = _whole_months(self)
        if months:
            start = _add_months(self.start, -months)
            return Period(start, self.start - datetime.timedelta(days=1))
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def _whole_months(period: Period) -> int:
    """The number of calendar months the period spans exactly (0 when it is not whole months)."""
    if period.start.day != 1:
        return 0
    next_day = period.end + datetime.timedelta(days=1)
    if next_day.day != 1:
        return 0
    return (next_day.year - period.start.year) * 12 + next_day.month - period.start.month


@dataclass
class Figure:
    key: str  # stable, e.g. "tasks.on_time_rate": thresholds for the red/amber/green signal are set per key
    label: str
    value: Number
    previous: Number = None
    unit: str = ""  # "%" for rates; "" for counts; a currency or other unit otherwise
    higher_is_better: bool = True
    drill_url: str = ""  # the records behind the figure, already filtered to the unit and period
    series: list[tuple[str, float]] = field(default_factory=list)  # chart points (label, value)


@dataclass
class ModuleSummary:
    module: str
    title: str
    figures: list[Figure]
    headline: str = ""  # key of the figure the sub-units are ranked by
    by_subunit: dict[int, Number] = field(default_factory=dict)  # direct sub-unit id → headline value
    sentences: list[str] = field(default_factory=list)  # for the written reports, in the active language
    tables: list[dict] = field(default_factory=list)  # {"title": str, "columns": [...], "rows": [[...]]}


def format_number(value: Number | float, decimals: int = 0) -> str:
    """A figure for a sentence or table in the active language's format: 1.520 and 86,5 in Vietnamese.

    Grouped by threes and rounded half up, with the active language's separators; written here rather
    than with number_format because a dashboard page formats hundreds of figures."""
    from decimal import ROUND_HALF_UP

    from django.utils.formats import get_format

    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)  # -0,4 rounds to 0, not "-0"
    grouped = f"{rounded:,.{decimals}f}"
    return (
        grouped.replace(",", "\x00")
        .replace(".", get_format("DECIMAL_SEPARATOR"))
        .replace("\x00", get_format("THOUSAND_SEPARATOR"))
    )


def format_percent(value: Number | float, decimals: int = 1) -> str:
    """'86,5 %' in Vietnamese, '86.5 %' in English; '—' when there is nothing to divide."""
    return "—" if value is None else f"{format_number(value, decimals)} %"


Provider = Callable[..., ModuleSummary]
_MODULES: dict[str, tuple[int, str]] = {}


def register_module(module: str, provider_path: str, *, order: int) -> None:
    _MODULES[module] = (order, provider_path)


def registered_modules() -> list[tuple[str, str]]:
    """(module, provider path) in their order, without importing the providers: the dashboard imports each one
    on its own, so that a module whose provider is missing or broken does not take the others down."""
    ordered = sorted(_MODULES.items(), key=lambda item: item[1])
    return [(module, path) for module, (_, path) in ordered]


def module_providers() -> list[tuple[str, Provider]]:
    return [(module, import_string(path)) for module, path in registered_modules()]
