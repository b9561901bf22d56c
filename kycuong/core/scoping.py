"""Deny by default; scope by unit subtree. The one place that decides what an actor may see or change.

A grant is (user, role, unit, with descendants or not); a role carries permissions ("org.view_unit").
Every scoped model declares SCOPE_UNIT_FIELD, the lookup from it to the unit it belongs to. Selectors call
`restrict`, services call `require`, views and API handlers use `get_scoped_or_404`. An object outside the
actor's scope is answered exactly like a missing one.
"""

from django.apps import apps
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db.models import Field, ForeignObject, Model, Q, QuerySet
from django.db.models.lookups import In
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .context import SystemActor


def _has_system_authority(actor) -> bool:
    return isinstance(actor, SystemActor) or bool(getattr(actor, "is_superuser", False) and actor.is_active)


def _grants_with_permissions(actor) -> list[tuple[int, bool, bool, frozenset[str]]]:
    """(unit, covers sub-units, unit is a root, permissions) of each grant in force today: one query per
    actor."""
    today = timezone.localdate()
    grant_model = apps.get_model("accounts", "Grant")
    rows = grant_model.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_to__isnull=True) | Q(valid_to__gte=today),
        user_id=actor.pk,
    ).values_list(
        "pk",
        "unit_id",
        "include_descendants",
        "unit__parent_id",
        "role__permissions__content_type__app_label",
        "role__permissions__codename",
    )
    grants: dict[int, tuple[int, bool, bool, set[str]]] = {}
    for grant_id, unit_id, descendants, parent_id, app_label, codename in rows:
        entry = grants.setdefault(grant_id, (unit_id, descendants, parent_id is None, set()))
        if codename:
            entry[3].add(f"{app_label}.{codename}")
    return [
        (unit_id, descendants, root, frozenset(names))
        for unit_id, descendants, root, names in grants.values()
    ]


def _units_of_grant(cache: dict, unit_id: int, descendants: bool) -> frozenset[int]:
    """The units one grant reaches, read once per actor even when many permissions share the grant."""
    key = (unit_id, descendants)
    expansions = cache.setdefault("expansions", {})
    if key not in expansions:
        if descendants:
            closure = apps.get_model("org", "UnitClosure")
            subtree = closure.objects.filter(ancestor_id=unit_id).values_list("descendant_id", flat=True)
            expansions[key] = frozenset(subtree) | {unit_id}
        else:
            expansions[key] = frozenset({unit_id})
    return expansions[key]


def covered_units(actor, permission: str) -> list[int] | None:
    """The ids of the units where `actor` holds `permission`; None means every unit (system authority).

    The actor's grants are read once (one query), and each grant's units once (one query per grant that
    covers sub-units), whatever the number of permissions asked about; the ids are then used as constants: a
    list of ids lets the database pick index scans per unit, where a correlated subquery under an OR would be
    checked row by row.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    if _has_system_authority(actor):
        return None
    cache = actor.__dict__.setdefault("_kycuong_scope_cache", {})
    if permission not in cache:
        if "grants" not in cache:
            cache["grants"] = _grants_with_permissions(actor)
        units: set[int] = set()
        for unit_id, descendants, _root, permissions in cache["grants"]:
            if permission in permissions:
                units |= _units_of_grant(cache, unit_id, descendants)
        cache[permission] = sorted(units)
    return cache[permission]


def covers_every_unit(actor, permission: str) -> bool:
    units = covered_units(actor, permission)
    if units is None:
        return True
    if not units:
        return False
    cache = actor.__dict__.setdefault("_kycuong_scope_cache", {})
    # A unit without a parent is covered only by a grant at that very unit: without such a grant some root is
    # left out, and the units need not be counted (most actors, on every scoped request).
    if not any(root and permission in permissions for _u, _d, root, permissions in cache.get("grants", ())):
        return False
    if "unit_count" not in cache:
        cache["unit_count"] = apps.get_model("org", "Unit").objects.count()
    return len(units) == cache["unit_count"]


class InArray(In):
    """`x IN (subquery)`, written `x = ANY(ARRAY(subquery))` on PostgreSQL: under an OR, the planner can then
    combine index scans instead of testing a hashed subquery row by row.

    `x IN (list of ids)` is written `x = ANY(%s)` with the list as one array parameter on PostgreSQL: a
    city-wide scope is 3,000 ids, and one placeholder per id made the query text itself costly to build and
    to parse (90 ms per query at that size)."""

    lookup_name = "in_array"

    def as_sql(self, compiler, connection):
        if connection.vendor == "postgresql" and not self.rhs_is_direct_value():
            lhs, lhs_params = self.process_lhs(compiler, connection)
            rhs, rhs_params = self.process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        if connection.vendor == "postgresql" and all(isinstance(value, int) for value in self.rhs):
            values = sorted(set(self.rhs))
            if not values:
                raise EmptyResultSet
            lhs, lhs_params = self.process_lhs(compiler, connection)
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, values)
        return super().as_sql(compiler, connection)


Field.register_lookup(InArray)
ForeignObject.register_lookup(InArray)  # foreign keys have their own lookups


def _unit_condition(model, lookup: str, units: list[int], every_unit: bool = False) -> Q:
    """The rows whose unit (through `lookup`) is one of `units`. When `units` is every unit, the same rows
    are those that have a unit at all: said so, instead of sending thousands of ids with each query."""
    field = model._meta.get_field(lookup.split("__", 1)[0])
    if field.many_to_many:
        # A subquery on the link table keeps one row per object (a join would repeat it per unit).
        through = field.remote_field.through
        own, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = (
            through.objects.all() if every_unit else through.objects.filter(**{f"{target}__in_array": units})
        )
        return Q(pk__in_array=links.values(own))
    if every_unit:
        return Q(**{f"{lookup}__isnull": False})
    return Q(**{f"{lookup}__in_array": units})


def restrict(queryset: QuerySet, actor, permission: str) -> QuerySet:
    """Only the rows of `queryset` that lie in units where `actor` holds `permission`.

    A model names its unit in SCOPE_UNIT_FIELD; SCOPE_EXTRA_UNIT_FIELDS may name more units that also make
    an object visible (a task is seen by its lead unit, its assigning unit and its cooperating units).
    """
    model = queryset.model
    field = getattr(model, "SCOPE_UNIT_FIELD", None)
    if field is None:
        raise TypeError(f"{model.__name__} declares no SCOPE_UNIT_FIELD and cannot be scoped")
    units = covered_units(actor, permission)
    _note_limits(model, actor, permission, units)
    if units is None:
        return queryset
    every_unit = covers_every_unit(actor, permission)
    if "__" not in field and every_unit:
        model_field = model._meta.get_field(field)
        if model_field.primary_key or (model_field.is_relation and not model_field.null):
            return queryset  # every row has a unit, and every unit is covered: the condition is always true
    condition = _unit_condition(model, field, units, every_unit)
    for extra in getattr(model, "SCOPE_EXTRA_UNIT_FIELDS", ()):
        condition |= _unit_condition(model, extra, units, every_unit)
    return queryset.filter(condition)


def _note_limits(model, actor, permission: str, units: list[int] | None) -> None:
    """Tell a cached API read which units its rows of `model` come from: the actor's grants with the
    permission."""
    from . import response_cache

    table = [model._meta.db_table]
    if units is None:
        response_cache.note_reads_limited_to(table, (), unlimited=True)
        return
    grants = actor.__dict__.get("_kycuong_scope_cache", {}).get("grants", ())
    response_cache.note_reads_limited_to(
        table,
        [
            response_cache.unit_key(unit_id, descendants)
            for unit_id, descendants, _root, permissions in grants
            if permission in permissions
        ],
    )


def can(actor, permission: str, unit_id: int | None) -> bool:
    units = covered_units(actor, permission)
    if units is None:
        return True
    return unit_id is not None and unit_id in _as_set(actor, permission, units)


def covers_subtree(actor, permission: str, unit_id: int) -> bool:
    """Whether the actor's grants cover the unit and every unit under it: then counts kept per unit subtree
    (pre-aggregates) are exactly what the actor may see."""
    units = covered_units(actor, permission)
    if units is None:
        return True
    covered = _as_set(actor, permission, units)
    if unit_id not in covered:
        return False
    subtree = apps.get_model("org", "UnitClosure").objects.filter(ancestor_id=unit_id)
    return all(descendant in covered for descendant in subtree.values_list("descendant_id", flat=True))


def _as_set(actor, permission: str, units: list[int]) -> frozenset[int]:
    cache = actor.__dict__.setdefault("_kycuong_scope_sets", {})
    if permission not in cache:
        cache[permission] = frozenset(units)
    return cache[permission]


def has_any_grant(actor, permission: str) -> bool:
    units = covered_units(actor, permission)
    return units is None or bool(units)


def require(actor, permission: str, unit_id: int | None) -> None:
    """Raise PermissionDenied unless `actor` holds `permission` over the unit."""
    if not can(actor, permission, unit_id):
        raise PermissionDenied(_("You do not have permission to do this in this unit."))


def get_scoped_or_404(queryset: QuerySet, actor, permission: str, **lookup) -> Model:
    """Fetch one object the actor may see; out of scope and missing are the same 404."""
    try:
        return restrict(queryset, actor, permission).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise Http404(_("Not found.")) from error
