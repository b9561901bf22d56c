"""Task counts kept per unit subtree, due date and outcome, so that the summary of a city or district reads a
few hundred rows instead of every task due in the period.

Every task counts once for its lead unit and once for each unit above it (the closure table), under its due
date and its outcome category. `Task.save` moves the count in the same transaction as the task itself, so
the tally is never behind; `tally_rebuild` recomputes it from the tasks (after bulk loads, or when units move
in the tree), and `tally_differences` proves it equal to the tasks.

Categories mirror the summary's outcomes (selectors.OUTCOMES) exactly: "overdue" and "in progress" depend on
today, so they are told apart at read time by comparing the due date with the day.
"""

import datetime
from collections import Counter

from django.db import connection, transaction
from django.db.models import Case, Sum, Value, When
from django.dispatch import receiver

from kycuong.org.signals import unit_tree_changed

from .models import TallyCategory, Task, TaskState, TaskTally


def category_of(state: str, late_working_days: int | None, submitted_on, due_date) -> str:
    if state == TaskState.APPROVED:
        if late_working_days == 0:
            return TallyCategory.ON_TIME
        if late_working_days is not None and late_working_days > 0:
            return TallyCategory.LATE
        return TallyCategory.APPROVED_UNJUDGED
    if state == TaskState.CANCELLED:
        return TallyCategory.CANCELLED
    if state == TaskState.SUBMITTED and submitted_on and submitted_on <= due_date:
        return TallyCategory.HANDED_IN
    return TallyCategory.OPEN


# The same rule as category_of, in SQL, for tally_rebuild (the states are fixed codes, not user input).
_CATEGORY_SQL = f"""CASE
    WHEN t.state = '{TaskState.APPROVED}' AND t.late_working_days = 0 THEN '{TallyCategory.ON_TIME}'
    WHEN t.state = '{TaskState.APPROVED}' AND t.late_working_days > 0 THEN '{TallyCategory.LATE}'
    WHEN t.state = '{TaskState.APPROVED}' THEN '{TallyCategory.APPROVED_UNJUDGED}'
    WHEN t.state = '{TaskState.CANCELLED}' THEN '{TallyCategory.CANCELLED}'
    WHEN t.state = '{TaskState.SUBMITTED}' AND t.submitted_on <= t.due_date THEN '{TallyCategory.HANDED_IN}'
    ELSE '{TallyCategory.OPEN}' END"""

# Fixed codes and table names only: nothing from input goes into these statements.
_EXPECTED = f"""
SELECT c.ancestor_id, c.depth = 0, t.due_date, {_CATEGORY_SQL}, COUNT(*)
FROM {{task}} t JOIN {{closure}} c ON c.descendant_id = t.lead_unit_id
GROUP BY 1, 2, 3, 4
"""  # noqa: S608

_ADD = """
INSERT INTO {tally} (unit_id, own, due_date, category, count)
SELECT ancestor_id, depth = 0, %s, %s, %s FROM {closure} WHERE descendant_id = %s
ON CONFLICT (unit_id, own, due_date, category) DO UPDATE SET count = {tally}.count + excluded.count
"""


def tally_add(unit_id: int, due_date: datetime.date, category: str, amount: int) -> None:
    """Add `amount` (±1) to the row of the lead unit and of every unit above it: one statement."""
    from kycuong.org.models import UnitClosure

    sql = _ADD.format(tally=TaskTally._meta.db_table, closure=UnitClosure._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [due_date, category, amount, unit_id])


def tally_move(old: tuple | None, new: tuple | None) -> None:
    """Move one task's count from where its old values put it to where its new ones do. The values are
    Task.tally_source(): (lead unit id, due date, state, working days late, submitted on)."""
    old_key = _key(old) if old else None
    new_key = _key(new) if new else None
    if old_key == new_key:
        return
    if old_key is not None:
        tally_add(*old_key, -1)
    if new_key is not None:
        tally_add(*new_key, 1)


def _key(source: tuple) -> tuple[int, datetime.date, str]:
    unit_id, due_date, state, late_working_days, submitted_on = source
    return unit_id, due_date, category_of(state, late_working_days, submitted_on, due_date)


def _tables() -> dict[str, str]:
    from kycuong.org.models import UnitClosure

    return {
        "tally": TaskTally._meta.db_table,
        "task": Task._meta.db_table,
        "closure": UnitClosure._meta.db_table,
    }


def tally_rebuild() -> int:
    """Recompute the whole tally from the tasks in one transaction (a grouped INSERT … SELECT); returns the
    number of rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_tables()['tally']}")  # noqa: S608 - table names from the models
        insert = f"INSERT INTO {{tally}} (unit_id, own, due_date, category, count) {_EXPECTED}"
        cursor.execute(insert.format(**_tables()))
        return cursor.rowcount


def tally_differences() -> list[tuple]:
    """(key, kept, expected) wherever the tally and the tasks disagree: empty when the tally is exact."""
    with connection.cursor() as cursor:
        cursor.execute(_EXPECTED.format(**_tables()))
        expected = Counter(
            {(unit, bool(own), _as_date(due), category): n for unit, own, due, category, n in cursor}
        )
    kept = Counter(
        {
            (row.unit_id, row.own, row.due_date, row.category): row.count
            for row in TaskTally.objects.exclude(count=0)
        }
    )
    keys = set(expected) | set(kept)
    return sorted(((key, kept[key], expected[key]) for key in keys if kept[key] != expected[key]), key=str)


def _as_date(value) -> datetime.date:
    # SQLite hands dates back from raw SQL as ISO text.
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


@receiver(unit_tree_changed)
def _recount_after_units_moved(sender, units, **kwargs) -> None:
    # Ancestors changed: each moved task's count belongs under other units now. Moves are rare; recount all.
    tally_rebuild()


def tally_figures(rows) -> dict[str, int]:
    """The summary's figures from (category, past due, count) rows."""
    figures = dict.fromkeys(("assigned", "on_time", "late", "overdue", "in_progress", "cancelled"), 0)
    for category, past_due, count in rows:
        if category != TallyCategory.CANCELLED:
            figures["assigned"] += count
        if category == TallyCategory.ON_TIME:
            figures["on_time"] += count
        elif category == TallyCategory.LATE:
            figures["late"] += count
        elif category == TallyCategory.CANCELLED:
            figures["cancelled"] += count
        elif category == TallyCategory.OPEN and past_due:
            figures["overdue"] += count
        elif category in (TallyCategory.OPEN, TallyCategory.HANDED_IN) and not past_due:
            figures["in_progress"] += count
    return figures


def _grouped(rows, day: datetime.date, *group):
    past_due = Case(When(due_date__lt=day, then=Value(True)), default=Value(False))
    return rows.order_by().values(*group, "category", past_due=past_due).annotate(total=Sum("count"))


def subtree_figures(
    *,
    unit_id: int,
    with_descendants: bool,
    due_from: datetime.date,
    due_to: datetime.date,
    day: datetime.date,
) -> dict[str, int]:
    rows = TaskTally.objects.filter(unit_id=unit_id, due_date__gte=due_from, due_date__lte=due_to)
    if not with_descendants:
        rows = rows.filter(own=True)
    grouped = _grouped(rows, day)
    return tally_figures((r["category"], r["past_due"], r["total"]) for r in grouped)


def children_figures(
    *, unit_id: int, due_from: datetime.date, due_to: datetime.date, day: datetime.date
) -> dict[int, dict[str, int]]:
    rows = TaskTally.objects.filter(unit__parent_id=unit_id, due_date__gte=due_from, due_date__lte=due_to)
    by_unit: dict[int, list] = {}
    for row in _grouped(rows, day, "unit_id"):
        by_unit.setdefault(row["unit_id"], []).append((row["category"], row["past_due"], row["total"]))
    return {unit: tally_figures(unit_rows) for unit, unit_rows in by_unit.items()}
