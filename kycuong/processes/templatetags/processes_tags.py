from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def hours(minutes):
    """Working minutes shown as hours with one decimal."""
    if minutes is None:
        return "–"
    return number_format(round(minutes / 60, 1), 1)


@register.filter
def rate(value):
    return "–" if value is None else f"{number_format(value, 1)} %"
