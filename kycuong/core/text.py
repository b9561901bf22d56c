"""Text folding for search that ignores Vietnamese diacritics and case."""

import unicodedata

from django.db.models import Q

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
