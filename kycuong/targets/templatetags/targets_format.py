from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def billions(amount) -> str:
    """Whole đồng shown in billions of đồng, with one decimal, in the page's number format."""
    if amount is None:
        return "—"
    return number_format(Decimal(amount) / Decimal(10**9), decimal_pos=1, force_grouping=True)


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return f"{number_format(value, decimal_pos=2, force_grouping=True)} %"


@register.filter
def grouped(value) -> str:
    """A count with thousands grouped in the page's format (the pages turn localisation off for ids)."""
    return number_format(value, force_grouping=True)
