from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kycuong.core.dashboard import format_number, format_percent

register = template.Library()

# The badge of each signal: a filter rather than an included template, as a city's dashboard shows
# hundreds of them (every sub-unit of every module's ranking).
_BADGES = {
    "red": ("danger", _("Needs action")),
    "amber": ("warning", _("Needs watching")),
    "green": ("success", _("Good")),
}


@register.filter
def figure(value, unit: str = "") -> str:
    """A dashboard figure in the active language: 86,5 % for rates, 1.520 for counts."""
    if value is None:
        return "—"
    if unit == "%":
        return format_percent(value, 1)
    if float(value).is_integer():
        return format_number(value)
    return format_number(value, 1)


@register.filter
def signal_badge(signal: str | None) -> str:
    """The red/amber/green badge of a signal, in the active language; nothing when there is no signal."""
    if signal not in _BADGES:
        return ""
    colour, label = _BADGES[signal]
    return format_html('<span class="badge text-bg-{}" data-signal="{}">{}</span>', colour, signal, label)
