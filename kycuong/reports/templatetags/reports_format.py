from django import template

from kycuong.core.dashboard import format_number, format_percent

register = template.Library()


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
