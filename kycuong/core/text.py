"""Text folding for search that ignores Vietnamese diacritics and case."""

import unicodedata

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """'Quận Hoàng Mai' -> 'quan hoang mai'. Stored beside searchable names and applied to queries."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def search_q(query: str | None, field: str = "search_text") -> Q:
    """Every word of the query must appear in the folded field (an empty query matches everything)."""
    condition = Q()
    for word in fold(query).split():
        condition &= Q(**{f"{field}__contains": word})
    return condition


def search(queryset: QuerySet, query: str | None, field: str = "search_text") -> QuerySet:
    """Filter by every word of the query and annotate `search_rank`: names that start with the phrase
    first, then the phrase at the start of a word, then the words anywhere."""
    phrase = fold(query)
    if not phrase:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField()))
    return queryset.filter(search_q(phrase, field)).annotate(
        search_rank=Case(
            When(**{f"{field}__startswith": phrase}, then=Value(0)),
            When(**{f"{field}__contains": f" {phrase}"}, then=Value(1)),
            When(**{f"{field}__contains": phrase}, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    )
