"""Reads of the organisation, always through the actor's scope."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format

from kycuong.core.scoping import get_scoped_or_404, restrict
from kycuong.core.text import search

from .models import (
    EventLink,
    EventState,
    GrantProposal,
    Post,
    PostRole,
    ProposalState,
    ReorganisationEvent,
    ShareKind,
    Staff,
    Unit,
    UnitClosure,
)


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


# -- structure by period and reorganisations ---------------------------------------------------------------


def units_in_period(
    *, actor, parent_id: int, date_from: datetime.date, date_to: datetime.date
) -> QuerySet[Unit]:
    """The sub-units of a unit in force at some day of the period: a 2024 report of a district lists its
    2024 wards, even after they closed; a 2026 report lists the units of 2026 only."""
    units = Unit.objects.filter(parent_id=parent_id).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=date_to),
        Q(valid_to__isnull=True) | Q(valid_to__gte=date_from),
    )
    return restrict(units, actor, "org.view_unit").order_by("name", "id")


def _count_of(rows: QuerySet):
    """How many of `rows` belong to the outer event, as a subquery."""
    counted = rows.filter(event_id=OuterRef("pk")).order_by().values("event_id").annotate(n=Count("id"))
    return Coalesce(Subquery(counted.values("n")), 0)


def event_list(
    *, actor, state: str | None = None, unit_id: int | None = None
) -> QuerySet[ReorganisationEvent]:
    events = restrict(ReorganisationEvent.objects.all(), actor, "org.view_reorganisationevent")
    if state:
        events = events.filter(state=state)
    if unit_id is not None:
        events = events.filter(
            Q(links__predecessor_id=unit_id) | Q(successors__unit_id=unit_id) | Q(unit_id=unit_id)
        ).distinct()
    return (
        events.select_related("scope_unit", "unit", "new_parent")
        .annotate(
            # counted in subqueries: joining both relations multiplies the rows (824 × proposals for Hanoi)
            link_count=_count_of(EventLink.objects.all()),
            pending_grants=_count_of(GrantProposal.objects.filter(state=ProposalState.PROPOSED)),
        )
        .order_by("-effective_date", "-id")
    )


def event_get(*, actor, event_id: int) -> ReorganisationEvent:
    return get_scoped_or_404(
        ReorganisationEvent.objects.select_related("scope_unit", "unit", "new_parent"),
        actor,
        "org.view_reorganisationevent",
        pk=event_id,
    )


def event_links(*, event: ReorganisationEvent) -> QuerySet[EventLink]:
    return event.links.select_related("predecessor", "successor__unit", "successor__parent").order_by(
        "successor_id", "predecessor__name", "id"
    )


def grant_proposal_list(
    *, actor, event_id: int | None = None, state: str | None = None
) -> QuerySet[GrantProposal]:
    proposals = restrict(GrantProposal.objects.all(), actor, "org.confirm_grant_carryover")
    if event_id is not None:
        proposals = proposals.filter(event_id=event_id)
    if state:
        proposals = proposals.filter(state=state)
    return proposals.select_related("user", "from_unit", "to_unit", "event").order_by(
        "to_unit__name", "user__username", "id"
    )


def grant_proposal_get(*, actor, proposal_id: int) -> GrantProposal:
    return get_scoped_or_404(
        GrantProposal.objects.select_related("user", "from_unit", "to_unit", "event"),
        actor,
        "org.confirm_grant_carryover",
        pk=proposal_id,
    )


@dataclass(frozen=True)
class Predecessor:
    """A unit whose earlier figures count for today's unit, with the fraction that counts."""

    unit: Unit
    weight: Fraction
    share: str
    event: ReorganisationEvent


def comparable_predecessors(*, unit: Unit) -> list[Predecessor]:
    """The units that applied reorganisations merged or split into `unit`, each with its weight: a whole
    unit counts 1; a part counts its stated weight, or 1/n when the unit was split into n parts without
    weights. Predecessors that lie under `unit` in the tree already count through the tree and are left out.
    """
    links = list(
        EventLink.objects.filter(successor__unit_id=unit.pk, event__state=EventState.APPLIED)
        .exclude(predecessor_id__in=UnitClosure.objects.filter(ancestor_id=unit.pk).values("descendant_id"))
        .select_related("predecessor", "event")
        .order_by("predecessor__name", "id")
    )
    parts = dict(
        EventLink.objects.filter(
            event_id__in={link.event_id for link in links},
            predecessor_id__in={link.predecessor_id for link in links},
        )
        .values_list("event_id", "predecessor_id")
        .annotate(n=Count("id"))
        .values_list("predecessor_id", "n")
    )
    found = []
    for link in links:
        if link.share == ShareKind.WHOLE:
            weight = Fraction(1)
        elif link.weight is not None:
            weight = Fraction(link.weight)
        else:
            weight = Fraction(1, parts[link.predecessor_id])
        found.append(Predecessor(link.predecessor, weight, link.share, link.event))
    return found


@dataclass(frozen=True)
class ComparableLine:
    label: str
    own: dict[str, int]
    weight: Fraction
    unit: Unit | None


@dataclass(frozen=True)
class Comparable:
    """Figures of a period mapped onto today's unit: its own, plus each predecessor's times its weight."""

    lines: list[ComparableLine]
    totals: dict[str, Fraction]


def comparable_figures(*, unit: Unit, figures_of, keys: list[str]) -> Comparable:
    """`figures_of(unit_id)` gives a unit's figures (its subtree) for the period; the totals are exact
    fractions: Σ weight × figure, rounded only when shown."""
    lines = [ComparableLine(label=unit.name, own=figures_of(unit.pk), weight=Fraction(1), unit=unit)]
    lines += [
        ComparableLine(label=p.unit.name, own=figures_of(p.unit.pk), weight=p.weight, unit=p.unit)
        for p in comparable_predecessors(unit=unit)
    ]
    totals = {key: sum((line.weight * line.own.get(key, 0) for line in lines), Fraction(0)) for key in keys}
    return Comparable(lines=lines, totals=totals)


def shown(value: Fraction) -> str:
    """An exact figure as people read it: whole numbers as they are, others rounded to two decimals with the
    exact fraction beside them (15,5 = 31/2)."""
    if value.denominator == 1:
        return number_format(value.numerator, force_grouping=True)
    rounded = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{number_format(rounded.quantize(Decimal('0.01')), 2, force_grouping=True)} (= {value})"


@dataclass(frozen=True)
class ComparableResult:
    source: object
    comparable: Comparable

    @property
    def totals_shown(self) -> dict[str, str]:
        return {key: shown(value) for key, value in self.comparable.totals.items()}


def unit_comparable(*, actor, unit: Unit, date_from: datetime.date, date_to: datetime.date) -> list:
    """Every registered module's figures of the period for `unit`, mapped through the reorganisations."""
    from .handover import comparable_sources

    results = []
    for source in comparable_sources():

        def figures_of(unit_id: int, source=source) -> dict[str, int]:
            return source.figures(actor=actor, unit_id=unit_id, date_from=date_from, date_to=date_to)

        keys = [key for key, _label in source.columns]
        results.append(
            ComparableResult(source, comparable_figures(unit=unit, figures_of=figures_of, keys=keys))
        )
    return results
