"""Reads of the organisation, always through the actor's scope."""

import datetime

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kycuong.core.scoping import get_scoped_or_404, restrict
from kycuong.core.text import search

from .models import Post, PostRole, Staff, Unit, UnitClosure


def _current_head_name(day: datetime.date) -> Subquery:
    heads = (
        Post.objects.current(day)
        .filter(unit_id=OuterRef("pk"), role=PostRole.HEAD)
        .order_by("-start_date")
        .values("staff__full_name")[:1]
    )
    return Subquery(heads)


def _visible_child_count(actor, day: datetime.date | None) -> Coalesce:
    """Sub-units in force that the actor may see: the tree never hints at what lies outside the scope."""
    children = (
        restrict(Unit.objects.valid_on(day).filter(parent_id=OuterRef("pk")), actor, "org.view_unit")
        .order_by()
        .values("parent_id")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(children), 0)


def unit_list(
    *,
    actor,
    q: str | None = None,
    kind: str | None = None,
    parent_id: int | None = None,
    under_id: int | None = None,
    code: str | None = None,
    valid_on: datetime.date | None = None,
    include_expired: bool = False,
) -> QuerySet[Unit]:
    units = restrict(Unit.objects.all(), actor, "org.view_unit")
    if not include_expired:
        units = units.valid_on(valid_on)
    units = search(units, q)
    if kind:
        units = units.filter(kind=kind)
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    if under_id is not None:
        units = units.filter(id__in=UnitClosure.objects.filter(ancestor_id=under_id).values("descendant_id"))
    if code:
        units = units.filter(code=code)
    return (
        units.select_related("parent")
        .annotate(child_count=_visible_child_count(actor, valid_on))
        .order_by("search_rank", "depth", "name", "id")
    )


def unit_roots(*, actor) -> QuerySet[Unit]:
    """The top units the actor can see: those whose parent lies outside their scope (or that have none)."""
    visible = restrict(Unit.objects.valid_on(), actor, "org.view_unit")
    return (
        visible.exclude(parent_id__in=visible.values("id"))
        .select_related("parent")
        .annotate(child_count=_visible_child_count(actor, None))
    )


def unit_get(*, actor, unit_id: int) -> Unit:
    """One unit with its current head, and its parent's name only where the actor may see the parent."""
    visible_parent = restrict(Unit.objects.filter(pk=OuterRef("parent_id")), actor, "org.view_unit")
    return get_scoped_or_404(
        Unit.objects.annotate(
            head_name=_current_head_name(timezone.localdate()),
            parent_name=Subquery(visible_parent.values("name")[:1]),
        ),
        actor,
        "org.view_unit",
        pk=unit_id,
    )


def unit_ancestors(*, actor, unit: Unit) -> list[Unit]:
    """The path from the actor's highest visible ancestor down to the unit's parent, for breadcrumbs."""
    ancestors = restrict(
        Unit.objects.filter(descendant_links__descendant_id=unit.pk).exclude(pk=unit.pk),
        actor,
        "org.view_unit",
    )
    return list(ancestors.order_by("depth"))


def staff_list(
    *,
    actor,
    q: str | None = None,
    unit_id: int | None = None,
    with_descendants: bool = False,
    party_member: bool | None = None,
) -> QuerySet[Staff]:
    staff = restrict(Staff.objects.all(), actor, "org.view_staff")
    staff = search(staff, q)
    if unit_id is not None:
        if with_descendants:
            staff = staff.filter(
                unit_id__in=UnitClosure.objects.filter(ancestor_id=unit_id).values("descendant_id")
            )
        else:
            staff = staff.filter(unit_id=unit_id)
    if party_member is not None:
        staff = staff.filter(is_party_member=party_member)
    return staff.select_related("unit", "party_unit").order_by("search_rank", "full_name", "id")


def staff_get(*, actor, staff_id: int) -> Staff:
    """One person, with only those of their posts (and that Party organisation) the actor may see."""
    visible_posts = restrict(Post.objects.select_related("unit"), actor, "org.view_post").order_by(
        "-start_date"
    )
    visible_party_unit = restrict(Unit.objects.filter(pk=OuterRef("party_unit_id")), actor, "org.view_unit")
    return get_scoped_or_404(
        Staff.objects.select_related("unit")
        .annotate(party_unit_name=Subquery(visible_party_unit.values("name")[:1]))
        .prefetch_related(Prefetch("posts", queryset=visible_posts)),
        actor,
        "org.view_staff",
        pk=staff_id,
    )


def post_list(
    *, actor, unit_id: int | None = None, staff_id: int | None = None, current_only: bool = False
) -> QuerySet[Post]:
    posts = restrict(Post.objects.all(), actor, "org.view_post")
    if unit_id is not None:
        posts = posts.filter(unit_id=unit_id)
    if staff_id is not None:
        posts = posts.filter(staff_id=staff_id)
    if current_only:
        posts = posts.current()
    return posts.select_related("staff", "unit").order_by("unit__name", "role", "staff__full_name", "id")


def post_get(*, actor, post_id: int) -> Post:
    return get_scoped_or_404(Post.objects.select_related("staff", "unit"), actor, "org.view_post", pk=post_id)


def unit_summary_counts(*, actor, unit: Unit) -> dict[str, int]:
    """Sub-units and staff of a unit, directly and with all descendants, within the actor's scope."""
    subtree = UnitClosure.objects.filter(ancestor_id=unit.pk).values("descendant_id")
    staff = restrict(Staff.objects.filter(is_active=True), actor, "org.view_staff")
    return {
        "children": restrict(
            Unit.objects.valid_on().filter(parent_id=unit.pk), actor, "org.view_unit"
        ).count(),
        "descendants": restrict(
            Unit.objects.valid_on().filter(id__in=subtree).exclude(pk=unit.pk), actor, "org.view_unit"
        ).count(),
        "staff": staff.filter(unit_id=unit.pk).count(),
        "staff_with_descendants": staff.filter(unit_id__in=subtree).count(),
        "party_members": staff.filter(unit_id__in=subtree, is_party_member=True).count(),
    }
