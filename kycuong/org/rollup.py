"""Figures per unit rolled up to the direct sub-units of a unit: each sub-unit's subtree summed.

Dashboards and statistics rank a unit's direct sub-units by what their whole subtrees did. Joining the records
to the closure and grouping by ancestor makes the database probe the records once per unit of the subtree
(about 3,000 probes for the city); grouping the records by unit first and joining those few rows to the
closure reads each record once. The figures must be additive (counts and sums, not distinct counts).
"""

from decimal import Decimal

from django.db import connections
from django.db.models import QuerySet

from .models import Unit, UnitClosure


def totals_by_child(per_unit: QuerySet, *, unit_field: str, parent_id: int) -> dict[int, dict[str, int]]:
    """{direct sub-unit of `parent_id`: {figure: sum over its subtree}} from `per_unit`, a queryset of
    `.values(unit_field).annotate(figure=Count/Sum…)` rows; a sub-unit with no rows is left out. Sums of
    whole numbers come back as int, others as Decimal."""
    figures = [name for name in per_unit.query.annotation_select if name != unit_field]
    sql, params = per_unit.order_by().query.sql_with_params()
    quote = connections[per_unit.db].ops.quote_name
    sums = ", ".join(f"SUM(per_unit.{quote(name)})" for name in figures)
    closure, unit = quote(UnitClosure._meta.db_table), quote(Unit._meta.db_table)
    # Table and column names come from the models, quoted; every value is a parameter.
    query = (
        f"SELECT link.ancestor_id, {sums} FROM ({sql}) per_unit "  # noqa: S608
        f"JOIN {closure} link ON link.descendant_id = per_unit.{quote(unit_field)} "
        f"JOIN {unit} child ON child.id = link.ancestor_id "
        "WHERE child.parent_id = %s GROUP BY link.ancestor_id"
    )
    with connections[per_unit.db].cursor() as cursor:
        cursor.execute(query, (*params, parent_id))
        return {
            row[0]: {name: _number(value) for name, value in zip(figures, row[1:], strict=True)}
            for row in cursor.fetchall()
        }


def _number(value) -> int | Decimal:
    """A sum as the figure's own kind: PostgreSQL sums integers as numeric, so a whole number comes back an
    int; a sum of decimals keeps its fraction (SQLite sums them as a float: read back by its shortest
    decimal form, as Django's own converter would)."""
    if value is None:
        return 0
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return value
    return int(value)
