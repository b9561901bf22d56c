"""Pages of a list without counting the table: fetch one row more than shown to know whether more follow."""

from dataclasses import dataclass

from django.db.models import QuerySet

# Deeper than this, a list is browsed with filters, not by paging; it also keeps OFFSET within bigint.
MAX_OFFSET = 1_000_000


def paginate(queryset: QuerySet, *, limit: int, offset: int) -> tuple[list, dict]:
    offset = min(max(offset, 0), MAX_OFFSET)
    rows = list(queryset[offset : offset + limit + 1])
    return rows[:limit], {"limit": limit, "offset": offset, "has_more": len(rows) > limit}


@dataclass
class PageSlice:
    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_of(queryset: QuerySet, page: str | None, per_page: int = 50) -> PageSlice:
    try:
        number = max(1, int(page or 1))
    except ValueError:
        number = 1
    number = min(number, MAX_OFFSET // per_page + 1)
    items, info = paginate(queryset, limit=per_page, offset=(number - 1) * per_page)
    return PageSlice(items=items, number=number, has_next=info["has_more"])
