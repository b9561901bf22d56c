"""Reorganisation events: prepare, preview, apply, undo; grants carried over once an administrator confirms
them.

Every write goes through these services, checks the actor's right (`org.apply_reorganisation` on every unit
the event touches) and writes its audit records in the same transaction. The rules (see docs/architecture.md,
"Reorganisation of units"):

- a predecessor that is not also a successor is closed on the day before the effective date, together with
  every sub-unit of it still in force; closed units keep their place in the tree, so history keeps counting;
- open records of a closed unit go to its heir: the successor of its only link, or of its `part_default` link
  for a split; a sub-unit closed with its parent inherits the parent's heir; a choice per record (one of the
  unit's successors) overrides the rule;
- managing units of active staff follow the heir; current posts in closed units end; members' posts are
  opened again at the heir (heads and deputies of a new unit are appointed anew);
- grants on closed units are proposed for the successors (links that carry grants) and created only when an
  administrator confirms each proposal.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import AuditEntry, audit_write, entry_for, snapshot
from kycuong.core.scoping import require

from . import handover
from .models import (
    EventKind,
    EventLink,
    EventState,
    EventSuccessor,
    GrantProposal,
    HandoverMove,
    Post,
    PostRole,
    ProposalState,
    ReorganisationEvent,
    ShareKind,
    Staff,
    Unit,
    UnitClosure,
)
from .signals import unit_tree_changed

APPLY = "org.apply_reorganisation"
CONFIRM_GRANTS = "org.confirm_grant_carryover"
DAY = datetime.timedelta(days=1)


@dataclass
class LinkSpec:
    """One predecessor → successor pair; `successor` is an existing unit or the code of a new one."""

    predecessor: Unit
    successor: Unit | str
    share: str = ShareKind.WHOLE
    weight: Decimal | None = None
    carries_grants: bool = True


@dataclass
class NewUnitSpec:
    code: str
    name: str
    kind: str
    parent: Unit | None
    name_en: str = ""


# -- preparing -------------------------------------------------------------------------------------------


def _lowest_common_ancestor(unit_ids: set[int]) -> Unit:
    common = (
        UnitClosure.objects.filter(descendant_id__in=list(unit_ids))
        .values("ancestor_id")
        .annotate(below=Count("descendant_id"))
        .filter(below=len(unit_ids))
        .values("ancestor_id")
    )
    unit = Unit.objects.filter(pk__in=common).order_by("-depth").first()
    if unit is None:
        raise ValidationError(_("The units of an event must belong to one organisation tree."))
    return unit


def _check_shares(links: list[LinkSpec]) -> None:
    by_predecessor: dict[int, list[LinkSpec]] = defaultdict(list)
    for link in links:
        by_predecessor[link.predecessor.pk].append(link)
    for predecessor_links in by_predecessor.values():
        name = predecessor_links[0].predecessor.name
        if len(predecessor_links) == 1:
            continue
        if any(link.share == ShareKind.WHOLE for link in predecessor_links):
            raise ValidationError(
                {
                    "links": _("%(unit)s goes to several units: each of them takes a part, not the whole.")
                    % {"unit": name}
                }
            )
        defaults = [link for link in predecessor_links if link.share == ShareKind.PART_DEFAULT]
        if len(defaults) != 1:
            raise ValidationError(
                {
                    "links": _(
                        "%(unit)s is split: mark exactly one successor as receiving its open work by default."
                    )
                    % {"unit": name}
                }
            )
        weights = [link.weight for link in predecessor_links]
        if any(weight is not None for weight in weights) and (
            any(weight is None or weight <= 0 for weight in weights) or sum(weights) != 1
        ):
            raise ValidationError(
                {
                    "links": _("The weights of the parts of %(unit)s must be positive and add up to 1.")
                    % {"unit": name}
                }
            )


def _check_kind(kind: str, links: list[LinkSpec], unit: Unit | None, new_name: str, new_parent) -> None:
    predecessors = {link.predecessor.pk for link in links}
    successors = {link.successor.pk if isinstance(link.successor, Unit) else link.successor for link in links}
    problems = {
        # merging A into an existing B needs only A's link: B counts as one of the merged units
        EventKind.MERGE: (
            len(predecessors | {s for s in successors if isinstance(s, int)}) < 2 or len(successors) != 1
        )
        and _("A merge joins two or more units into one."),
        EventKind.SPLIT: (len(predecessors) != 1 or len(successors) < 2)
        and _("A split divides one unit into two or more."),
        EventKind.DISSOLVE: (unit is None or predecessors - {unit.pk} or len(successors) > 1)
        and _("A dissolution closes one unit, with at most one unit taking over its open work."),
        EventKind.REORGANISE: not links and _("List the predecessor and successor units."),
    }
    if kind in (EventKind.RENAME, EventKind.MOVE):
        if unit is None:
            raise ValidationError({"unit": _("Choose the unit.")})
        if links:
            raise ValidationError({"links": _("A rename or a move has no predecessor links.")})
        if kind == EventKind.RENAME and not new_name.strip():
            raise ValidationError({"new_name": _("Enter the new name.")})
        if kind == EventKind.MOVE:
            if new_parent is None:
                raise ValidationError({"new_parent": _("Choose the new parent unit.")})
            if UnitClosure.objects.filter(ancestor_id=unit.pk, descendant_id=new_parent.pk).exists():
                raise ValidationError(
                    {"new_parent": _("A unit cannot be moved under itself or its own sub-unit.")}
                )
        return
    if problems.get(kind):
        raise ValidationError({"links": problems[kind]})


def event_create(
    *,
    actor,
    kind: str,
    title: str,
    effective_date: datetime.date,
    legal_basis: str,
    note: str = "",
    links: list[LinkSpec] = (),
    new_units: list[NewUnitSpec] = (),
    unit: Unit | None = None,
    new_name: str = "",
    new_name_en: str = "",
    new_parent: Unit | None = None,
) -> ReorganisationEvent:
    """Record a reorganisation as a draft, checked and ready for its preview; the tree does not change yet."""
    links, new_units = list(links), list(new_units)
    if kind not in EventKind.values:
        raise ValidationError({"kind": _("Choose a kind of reorganisation.")})
    if not title.strip():
        raise ValidationError({"title": _("Enter a title.")})
    if not legal_basis.strip():
        raise ValidationError({"legal_basis": _("Enter the legal basis (the decision or resolution).")})
    new_by_code = {spec.code.strip(): spec for spec in new_units}
    if len(new_by_code) != len(new_units):
        raise ValidationError({"new_units": _("Two new units have the same code.")})
    taken = set(Unit.objects.filter(code__in=list(new_by_code)).values_list("code", flat=True))
    if taken:
        raise ValidationError(
            {
                "new_units": _("These codes are used by other units already: %(codes)s.")
                % {"codes": ", ".join(sorted(taken))}
            }
        )
    for link in links:
        if isinstance(link.successor, str) and link.successor not in new_by_code:
            raise ValidationError({"links": _("Unknown new unit %(code)s.") % {"code": link.successor}})
        if link.share not in ShareKind.values:
            raise ValidationError({"links": _("Unknown share %(share)s.") % {"share": link.share}})
        if not link.predecessor.is_valid_on(effective_date - DAY):
            raise ValidationError(
                {
                    "links": _("%(unit)s is not in force on the day before the effective date.")
                    % {"unit": link.predecessor.name}
                }
            )
    if kind == EventKind.DISSOLVE and unit is None and links:
        unit = links[0].predecessor
    _check_kind(kind, links, unit, new_name, new_parent)
    _check_shares(links)
    involved = {link.predecessor.pk for link in links}
    involved |= {link.successor.pk for link in links if isinstance(link.successor, Unit)}
    involved |= {spec.parent.pk for spec in new_units if spec.parent is not None}
    involved |= {u.pk for u in (unit, new_parent) if u is not None}
    if not involved:
        raise ValidationError({"links": _("List the predecessor and successor units.")})
    for unit_id in sorted(involved):
        require(actor, APPLY, unit_id)
    with transaction.atomic():
        event = ReorganisationEvent(
            kind=kind,
            title=" ".join(title.split()),
            effective_date=effective_date,
            legal_basis=legal_basis.strip(),
            note=note.strip(),
            scope_unit=_lowest_common_ancestor(involved),
            unit=unit,
            new_name=new_name.strip(),
            new_name_en=new_name_en.strip(),
            new_parent=new_parent,
            created_by=actor if getattr(actor, "_meta", None) else None,
        )
        event.full_clean()
        event.save()
        successors: dict[object, EventSuccessor] = {}
        for spec in new_units:
            successors[spec.code.strip()] = EventSuccessor(
                event=event,
                is_new=True,
                code=spec.code.strip(),
                name=spec.name.strip(),
                name_en=spec.name_en.strip(),
                kind=spec.kind,
                parent=spec.parent,
            )
        for link in links:
            if isinstance(link.successor, Unit) and link.successor.pk not in successors:
                successors[link.successor.pk] = EventSuccessor(event=event, unit=link.successor)
        for successor in successors.values():
            successor.full_clean(exclude=["event"])
        EventSuccessor.objects.bulk_create(list(successors.values()))
        rows = [
            EventLink(
                event=event,
                predecessor=link.predecessor,
                successor=successors[
                    link.successor.pk if isinstance(link.successor, Unit) else link.successor
                ],
                share=link.share,
                weight=link.weight,
                carries_grants=link.carries_grants,
            )
            for link in links
        ]
        EventLink.objects.bulk_create(rows, batch_size=500)
        details = {"successors": len(successors), "links": len(rows)}
        audit_write(actor=actor, entries=[entry_for(event, "create", after={**snapshot(event), **details})])
    return event


def event_set_choice(
    *, actor, event: ReorganisationEvent, handler_key: str, record_id: int, successor_unit_id: int | None
) -> ReorganisationEvent:
    """Choose (or, with None, forget) the successor one open record of a split unit goes to."""
    require(actor, APPLY, event.scope_unit_id)
    if event.state != EventState.DRAFT:
        raise ValidationError(_("Only a draft event can be changed."))
    if handover.handler_for(handler_key) is None:
        raise ValidationError({"handler": _("Unknown kind of record.")})
    plan = _plan(event)
    records = {r.id: r for r in handover.handler_for(handler_key).open_records(plan.closing_ids, None)}
    record = records.get(record_id)
    if record is None:
        raise ValidationError({"record_id": _("This record is not open in a unit the event closes.")})
    if successor_unit_id is not None and successor_unit_id not in plan.candidates.get(record.unit_id, set()):
        raise ValidationError({"successor": _("Choose one of the successors of the record's unit.")})
    with transaction.atomic():
        event = ReorganisationEvent.objects.select_for_update().get(pk=event.pk)
        before = {"record_choices": event.record_choices}
        choices = {key: dict(value) for key, value in event.record_choices.items()}
        if successor_unit_id is None:
            choices.get(handler_key, {}).pop(str(record_id), None)
        else:
            choices.setdefault(handler_key, {})[str(record_id)] = successor_unit_id
        event.record_choices = choices
        event.save(update_fields=["record_choices", "updated_at"])
        audit_write(
            actor=actor,
            entries=[entry_for(event, "choose_successor", before=before, after={"record_choices": choices})],
        )
    return event


# -- the plan: what applying would do ---------------------------------------------------------------------


@dataclass
class Plan:
    """What applying an event does, computed the same way for the preview and for applying."""

    closing_ids: list[int] = field(default_factory=list)
    # unit id → heir unit id (None: no successor) for every closing unit; unit id → possible successors
    heirs: dict[int, int | None] = field(default_factory=dict)
    candidates: dict[int, set[int]] = field(default_factory=dict)
    # successor unit ids of the links that carry grants, by predecessor
    grant_targets: dict[int, set[int]] = field(default_factory=dict)


def _successor_unit_id(successor: EventSuccessor) -> int | None:
    return successor.unit_id


def _plan(event: ReorganisationEvent) -> Plan:
    plan = Plan()
    if event.kind in (EventKind.RENAME, EventKind.MOVE):
        return plan
    links = list(event.links.select_related("successor"))
    successor_units = {link.successor.unit_id for link in links if link.successor.unit_id}
    linked: dict[int, list[EventLink]] = defaultdict(list)
    for link in links:
        linked[link.predecessor_id].append(link)
    closing_roots = [unit_id for unit_id in linked if unit_id not in successor_units]
    if event.kind == EventKind.DISSOLVE and event.unit_id not in linked:
        closing_roots.append(event.unit_id)
    day = event.effective_date
    subtree = (
        UnitClosure.objects.filter(ancestor_id__in=closing_roots)
        .filter(Q(descendant__valid_to__isnull=True) | Q(descendant__valid_to__gte=day))
        .exclude(descendant_id__in=successor_units)
        .values_list("descendant_id", flat=True)
        .distinct()
    )
    closing = set(subtree) | set(closing_roots)
    parents = dict(Unit.objects.filter(pk__in=closing).values_list("pk", "parent_id"))
    own: dict[int, tuple[int | None, set[int]]] = {}
    for unit_id, unit_links in linked.items():
        targets = {link.successor.unit_id or -link.successor_id for link in unit_links}
        default = next(
            (link for link in unit_links if len(unit_links) == 1 or link.share == ShareKind.PART_DEFAULT),
            None,
        )
        heir = (default.successor.unit_id or -default.successor_id) if default else None
        own[unit_id] = (heir, targets)
        plan.grant_targets[unit_id] = {
            link.successor.unit_id or -link.successor_id for link in unit_links if link.carries_grants
        }
    for unit_id in closing:
        node = unit_id
        while node is not None and node not in own:
            node = parents.get(node)
        heir, targets = own.get(node, (None, set())) if node is not None else (None, set())
        plan.heirs[unit_id] = heir
        plan.candidates[unit_id] = set(targets)
    plan.closing_ids = sorted(closing)
    return plan


@dataclass
class PreviewRow:
    unit: Unit
    heir: Unit | None
    counts: dict[str, int]
    successors: list[Unit]

    @property
    def open_total(self) -> int:
        return sum(self.counts.values())

    @property
    def needs_decision(self) -> bool:
        return self.open_total > 0 and (self.heir is None or len(self.successors) > 1)


@dataclass
class Preview:
    event: ReorganisationEvent
    closing: list[PreviewRow]
    new_units: list[EventSuccessor]
    handler_labels: dict[str, str]
    totals: dict[str, int]
    staff: int
    posts: int
    grants: list
    blocking: list[str]
    choices: dict[str, list]

    @property
    def can_apply(self) -> bool:
        return self.event.state == EventState.DRAFT and not self.blocking


def event_preview(*, event: ReorganisationEvent, record_limit: int = 200) -> Preview:
    """Everything applying the event would close, create and move, and what still needs a decision."""
    plan = _plan(event)
    units = Unit.objects.in_bulk(plan.closing_ids + [u for u in plan.heirs.values() if u and u > 0])
    for targets in plan.candidates.values():
        units.update(Unit.objects.in_bulk([u for u in targets if u > 0 and u not in units]))
    new_units = list(event.successors.filter(is_new=True, unit__isnull=True).select_related("parent"))
    new_by_key = {-successor.pk: successor for successor in event.successors.filter(is_new=True)}

    def resolve(unit_id):
        if unit_id is None:
            return None
        return units.get(unit_id) if unit_id > 0 else new_by_key.get(unit_id)

    all_handlers = handover.handlers()
    counts = {h.key: h.open_counts(plan.closing_ids) for h in all_handlers}
    rows = []
    for unit_id in plan.closing_ids:
        row = PreviewRow(
            unit=units[unit_id],
            heir=resolve(plan.heirs.get(unit_id)),
            counts={key: by_unit.get(unit_id, 0) for key, by_unit in counts.items()},
            successors=[resolve(u) for u in sorted(plan.candidates.get(unit_id, ()))],
        )
        rows.append(row)
    rows.sort(key=lambda row: (-row.open_total, row.unit.depth, row.unit.name))
    blocking = [
        _("%(unit)s has open records but no successor to take them.") % {"unit": row.unit.name}
        for row in rows
        if row.open_total and row.heir is None
    ]
    choices = {}
    split_units = [row.unit.pk for row in rows if row.needs_decision and row.heir is not None]
    for handler in all_handlers:
        if split_units:
            chosen = event.record_choices.get(handler.key, {})
            choices[handler.key] = [
                (
                    record,
                    chosen.get(str(record.id)),
                    [(u, str(resolve(u))) for u in sorted(plan.candidates[record.unit_id])],
                )
                for record in handler.open_records(split_units, record_limit)
            ]
    carrier = handover.grant_carrier()
    grants = carrier.grants_on(plan.closing_ids) if carrier else []
    return Preview(
        event=event,
        closing=rows,
        new_units=new_units,
        handler_labels={h.key: str(h.label) for h in all_handlers},
        totals={key: sum(by_unit.values()) for key, by_unit in counts.items()},
        staff=Staff.objects.filter(unit_id__in=plan.closing_ids, is_active=True).count(),
        posts=Post.objects.current(event.effective_date).filter(unit_id__in=plan.closing_ids).count(),
        grants=grants,
        blocking=blocking,
        choices=choices,
    )


# -- applying ----------------------------------------------------------------------------------------------


def _create_units(actor, event: ReorganisationEvent) -> dict[int, int]:
    """The event's new units, in force from the effective date; returns {-successor id: unit id}."""
    created: dict[int, int] = {}
    successors = list(event.successors.filter(is_new=True).select_related("parent"))
    units = []
    for successor in successors:
        parent = successor.parent
        unit = Unit(
            parent=parent,
            kind=successor.kind,
            code=successor.code,
            name=successor.name,
            name_en=successor.name_en,
            valid_from=event.effective_date,
            depth=(parent.depth + 1) if parent else 0,
        )
        unit.full_clean()
        unit.refresh_search_text()
        units.append(unit)
    Unit.objects.bulk_create(units, batch_size=500)
    parent_ids = {unit.parent_id for unit in units if unit.parent_id}
    ancestors: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for ancestor_id, descendant_id, depth in UnitClosure.objects.filter(
        descendant_id__in=parent_ids
    ).values_list("ancestor_id", "descendant_id", "depth"):
        ancestors[descendant_id].append((ancestor_id, depth))
    links = []
    for unit in units:
        links.append(UnitClosure(ancestor_id=unit.pk, descendant_id=unit.pk, depth=0))
        links += [
            UnitClosure(ancestor_id=a, descendant_id=unit.pk, depth=d + 1)
            for a, d in ancestors.get(unit.parent_id, [])
        ]
    UnitClosure.objects.bulk_create(links, batch_size=1000)
    for successor, unit in zip(successors, units, strict=True):
        successor.unit = unit
        created[-successor.pk] = unit.pk
    EventSuccessor.objects.bulk_update(successors, ["unit"], batch_size=500)
    audit_write(actor=actor, entries=[entry_for(unit, "create", after=snapshot(unit)) for unit in units])
    if units:
        unit_tree_changed.send(sender=Unit, units=[unit.pk for unit in units])
        _forget_scope(actor)
    return created


def _forget_scope(actor) -> None:
    """New or removed units change what an actor's grants cover: drop the scope read for this actor."""
    if hasattr(actor, "__dict__"):
        actor.__dict__.pop("_kycuong_scope_cache", None)
        actor.__dict__.pop("_kycuong_scope_sets", None)


def _unit_entry(unit_id: int, label: str, action: str, before: dict, after: dict) -> AuditEntry:
    return AuditEntry(
        action=action,
        object_type="org.unit",
        object_id=str(unit_id),
        object_repr=label[:255],
        unit_id=unit_id,
        before=before,
        after=after,
    )


def _hand_over(actor, event, plan: Plan, created: dict[int, int]) -> int:
    def real(unit_id):
        return created.get(unit_id, unit_id) if unit_id is not None and unit_id < 0 else unit_id

    moved = 0
    rows = []
    for handler in handover.handlers():
        chosen = event.record_choices.get(handler.key, {})
        moves = []
        for record in handler.open_records(plan.closing_ids, None):
            target = chosen.get(str(record.id))
            if target is not None and target < 0:
                target = created.get(target, target)
            if target is None or target not in plan.candidates.get(record.unit_id, set()):
                target = plan.heirs.get(record.unit_id)
            target = real(target)
            if target is None:
                raise ValidationError(
                    _("A unit the event closes has open records but no successor to take them.")
                )
            moves.append((record.id, record.unit_id, target))
        if moves:
            handler.move(actor=actor, moves=moves, note=event.title)
            rows += [
                HandoverMove(event=event, handler=handler.key, record_id=r, from_unit_id=f, to_unit_id=t)
                for r, f, t in moves
            ]
            moved += len(moves)
    HandoverMove.objects.bulk_create(rows, batch_size=1000)
    return moved


def _move_staff_and_posts(actor, event, plan: Plan, created: dict[int, int]) -> dict:
    heirs = {
        unit_id: (created.get(heir, heir) if heir is not None and heir < 0 else heir)
        for unit_id, heir in plan.heirs.items()
    }
    close_day = event.effective_date - DAY
    entries: list[AuditEntry] = []
    staff_moves = []
    staff = list(Staff.objects.filter(unit_id__in=plan.closing_ids, is_active=True).select_related("unit"))
    for person in staff:
        heir = heirs.get(person.unit_id)
        if heir is None:
            continue
        staff_moves.append([person.pk, person.unit_id, heir])
        before = {"unit_id": person.unit_id}
        person.unit_id = heir
        entries.append(entry_for(person, "update", before=before, after={"unit_id": heir}))
    moved_ids = {person_id for person_id, _from, _to in staff_moves}
    Staff.objects.bulk_update([p for p in staff if p.pk in moved_ids], ["unit"], batch_size=500)
    posts = list(
        Post.objects.filter(unit_id__in=plan.closing_ids)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=close_day))
        .select_related("unit")
    )
    # the heirs themselves, so that the new posts' audit records name their unit without a query each
    heir_units = Unit.objects.in_bulk({heir for heir in heirs.values() if heir is not None})
    ended, new_posts = [], []
    moved_staff = {person_id: heir for person_id, _from, heir in staff_moves}
    for post in posts:
        if post.start_date > close_day:
            raise ValidationError(
                _("The post %(post)s starts after the unit closes; end or move it first.")
                % {"post": str(post)}
            )
        ended.append([post.pk, post.end_date.isoformat() if post.end_date else None])
        entries.append(
            entry_for(post, "update", before={"end_date": post.end_date}, after={"end_date": close_day})
        )
        post.end_date = close_day
        heir = heirs.get(post.unit_id)
        if post.role == PostRole.MEMBER and heir is not None and moved_staff.get(post.staff_id) == heir:
            new_posts.append(
                Post(
                    staff_id=post.staff_id,
                    unit=heir_units[heir],
                    title=post.title,
                    role=PostRole.MEMBER,
                    start_date=event.effective_date,
                    is_concurrent=post.is_concurrent,
                )
            )
    Post.objects.bulk_update(posts, ["end_date"], batch_size=500)
    Post.objects.bulk_create(new_posts, batch_size=500)
    entries += [entry_for(post, "create", after=snapshot(post)) for post in new_posts]
    audit_write(actor=actor, entries=entries)
    return {"staff": staff_moves, "posts_ended": ended, "posts_created": [post.pk for post in new_posts]}


def _close_units(actor, event, plan: Plan) -> list:
    close_day = event.effective_date - DAY
    units = list(Unit.objects.filter(pk__in=plan.closing_ids))
    closed, entries = [], []
    for unit in units:
        if unit.valid_from and unit.valid_from > close_day:
            raise ValidationError(_("%(unit)s starts after the day it would close.") % {"unit": unit.name})
        closed.append([unit.pk, unit.valid_to.isoformat() if unit.valid_to else None])
        entries.append(
            _unit_entry(
                unit.pk,
                unit.name,
                "close",
                {"valid_to": unit.valid_to},
                {"valid_to": close_day, "event_id": event.pk},
            )
        )
    Unit.objects.filter(pk__in=plan.closing_ids).update(valid_to=close_day, updated_at=timezone.now())
    audit_write(actor=actor, entries=entries)
    return closed


def _propose_grants(actor, event, plan: Plan, created: dict[int, int]) -> int:
    carrier = handover.grant_carrier()
    if carrier is None or not plan.closing_ids:
        return 0

    def real(unit_id):
        return created.get(unit_id, unit_id) if unit_id < 0 else unit_id

    closing = set(plan.closing_ids)
    below: dict[int, set[int]] = defaultdict(set)
    for ancestor_id, descendant_id in UnitClosure.objects.filter(
        ancestor_id__in=plan.closing_ids, descendant_id__in=list(plan.grant_targets)
    ).values_list("ancestor_id", "descendant_id"):
        below[ancestor_id].add(descendant_id)
    proposals: dict[tuple, GrantProposal] = {}
    for grant in carrier.grants_on(plan.closing_ids):
        if grant.unit_id not in closing:
            continue
        sources = below[grant.unit_id] if grant.include_descendants else {grant.unit_id}
        targets = set()
        for source in sources:
            targets |= {real(t) for t in plan.grant_targets.get(source, set())}
        for target in sorted(targets - closing):
            key = (grant.user_id, grant.role_code, target)
            proposals.setdefault(
                key,
                GrantProposal(
                    event=event,
                    user_id=grant.user_id,
                    role_code=grant.role_code,
                    source_grant_id=grant.id,
                    from_unit_id=grant.unit_id,
                    to_unit_id=target,
                    include_descendants=grant.include_descendants,
                ),
            )
    rows = GrantProposal.objects.bulk_create(list(proposals.values()), batch_size=500)
    audit_write(actor=actor, entries=[entry_for(row, "propose", after=snapshot(row)) for row in rows])
    return len(rows)


def event_apply(*, actor, event: ReorganisationEvent) -> ReorganisationEvent:
    """Apply a draft event in one transaction: all of it, or nothing if anything is refused."""
    with transaction.atomic():
        event = ReorganisationEvent.objects.select_for_update().get(pk=event.pk)
        if event.state != EventState.DRAFT:
            raise ValidationError(_("This event has been applied or undone already."))
        involved = set(event.links.values_list("predecessor_id", flat=True))
        involved |= set(event.successors.exclude(unit=None).values_list("unit_id", flat=True))
        involved |= set(event.successors.exclude(parent=None).values_list("parent_id", flat=True))
        involved |= {u for u in (event.unit_id, event.new_parent_id) if u}
        if (
            event.kind == EventKind.DISSOLVE
            and not Unit.objects.valid_on(event.effective_date - DAY).filter(pk=event.unit_id).exists()
        ):
            raise ValidationError(_("This unit is not in force on the day before the effective date."))
        for unit_id in sorted(involved):
            require(actor, APPLY, unit_id)
        closed_already = list(
            Unit.objects.filter(
                pk__in=event.links.values("predecessor_id"), valid_to__lt=event.effective_date
            )
            .exclude(pk__in=event.successors.exclude(unit=None).values("unit_id"))
            .values_list("name", flat=True)[:5]
        )
        if closed_already:
            raise ValidationError(
                _("These units are closed already: %(units)s.") % {"units": ", ".join(closed_already)}
            )
        changes: dict = {}
        if event.kind == EventKind.RENAME:
            unit = Unit.objects.select_for_update().get(pk=event.unit_id)
            before = {"name": unit.name, "name_en": unit.name_en}
            unit.name = event.new_name
            unit.name_en = event.new_name_en or unit.name_en
            unit.full_clean()
            unit.save()
            changes["renamed"] = before
            audit_write(
                actor=actor,
                entries=[
                    _unit_entry(
                        unit.pk, unit.name, "rename", before, {"name": unit.name, "name_en": unit.name_en}
                    )
                ],
            )
        elif event.kind == EventKind.MOVE:
            from .services import _move_subtree

            unit = Unit.objects.select_for_update().get(pk=event.unit_id)
            changes["moved_from"] = unit.parent_id
            new_parent = event.new_parent
            Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
            _move_subtree(unit, new_parent)
            audit_write(
                actor=actor,
                entries=[
                    _unit_entry(
                        unit.pk,
                        unit.name,
                        "move",
                        {"parent_id": changes["moved_from"]},
                        {"parent_id": new_parent.pk},
                    )
                ],
            )
        else:
            created = _create_units(actor, event)
            plan = _plan(event)
            changes["created_units"] = sorted(created.values())
            changes["handed_over"] = _hand_over(actor, event, plan, created)
            changes.update(_move_staff_and_posts(actor, event, plan, created))
            changes["units_closed"] = _close_units(actor, event, plan)
            changes["grant_proposals"] = _propose_grants(actor, event, plan, created)
        event.applied_changes = changes
        event.state = EventState.APPLIED
        event.applied_at = timezone.now()
        event.save(update_fields=["applied_changes", "state", "applied_at", "updated_at"])
        summary = {
            key: (len(value) if isinstance(value, list) else value)
            for key, value in changes.items()
            if key not in ("renamed", "moved_from")
        }
        audit_write(actor=actor, entries=[entry_for(event, "apply", after=summary)])
    return event


# -- undoing -----------------------------------------------------------------------------------------------


def _touched_units(event: ReorganisationEvent) -> set[int]:
    changes = event.applied_changes
    units = {unit_id for unit_id, _before in changes.get("units_closed", [])}
    units |= set(changes.get("created_units", []))
    units |= set(event.successors.exclude(unit=None).values_list("unit_id", flat=True))
    units |= {u for u in (event.unit_id, event.new_parent_id) if u}
    return units


def _followed_by(event: ReorganisationEvent) -> ReorganisationEvent | None:
    touched = _touched_units(event)
    later = ReorganisationEvent.objects.filter(state=EventState.APPLIED, applied_at__gt=event.applied_at)
    return (
        later.filter(
            Q(links__predecessor_id__in=touched)
            | Q(successors__unit_id__in=touched)
            | Q(successors__parent_id__in=touched)
            | Q(unit_id__in=touched)
            | Q(new_parent_id__in=touched)
        )
        .distinct()
        .first()
    )


def event_can_undo(event: ReorganisationEvent) -> bool:
    return event.state == EventState.APPLIED and _followed_by(event) is None


def event_undo(*, actor, event: ReorganisationEvent) -> ReorganisationEvent:
    """Revert an applied event that no later event touched: records, staff, posts, units, grants."""
    followed = None
    with transaction.atomic():
        event = ReorganisationEvent.objects.select_for_update().get(pk=event.pk)
        if event.state != EventState.APPLIED:
            raise ValidationError(_("Only an applied event can be undone."))
        for unit_id in sorted(_touched_units(event)):
            require(actor, APPLY, unit_id)
        followed = _followed_by(event)
        if followed is not None:
            raise ValidationError(
                _("A later reorganisation (%(title)s) changed the same units: undo that one first.")
                % {"title": followed.title}
            )
        changes = event.applied_changes
        entries: list[AuditEntry] = []
        # Grants created from the proposals go first: they may refer to units created by the event.
        carrier = handover.grant_carrier()
        for proposal in event.grant_proposals.all():
            if proposal.state == ProposalState.CONFIRMED and proposal.created_grant_id and carrier:
                carrier.remove(actor=actor, grant_id=proposal.created_grant_id)
            entries.append(entry_for(proposal, "delete", before=snapshot(proposal)))
        event.grant_proposals.all().delete()
        for handler in handover.handlers():
            moves = list(
                event.moves.filter(handler=handler.key).values_list("record_id", "to_unit_id", "from_unit_id")
            )
            if moves:
                handler.move(actor=actor, moves=moves, note=_("Undo: %(title)s") % {"title": event.title})
        event.moves.all().delete()
        staff_moves = changes.get("staff", [])
        staff_by_id = Staff.objects.in_bulk([s for s, _f, _t in staff_moves])
        for staff_id, from_unit, to_unit in staff_moves:
            person = staff_by_id[staff_id]
            if person.unit_id != to_unit:
                raise ValidationError(
                    _("%(name)s changed unit after the reorganisation: it cannot be undone.")
                    % {"name": person.full_name}
                )
            person.unit_id = from_unit
            entries.append(
                entry_for(person, "update", before={"unit_id": to_unit}, after={"unit_id": from_unit})
            )
        Staff.objects.bulk_update(list(staff_by_id.values()), ["unit"], batch_size=500)
        created_posts = list(
            Post.objects.filter(pk__in=changes.get("posts_created", [])).select_related("unit")
        )
        entries += [entry_for(post, "delete", before=snapshot(post)) for post in created_posts]
        Post.objects.filter(pk__in=[post.pk for post in created_posts]).delete()
        ended = dict(changes.get("posts_ended", []))
        posts = list(Post.objects.filter(pk__in=list(ended)).select_related("unit"))
        for post in posts:
            old = datetime.date.fromisoformat(ended[post.pk]) if ended[post.pk] else None
            entries.append(
                entry_for(post, "update", before={"end_date": post.end_date}, after={"end_date": old})
            )
            post.end_date = old
        Post.objects.bulk_update(posts, ["end_date"], batch_size=500)
        # one statement per earlier end of validity (nearly always: none)
        reopened: dict[str | None, list[int]] = defaultdict(list)
        for unit_id, old in changes.get("units_closed", []):
            reopened[old].append(unit_id)
        for old, unit_ids in reopened.items():
            old_day = datetime.date.fromisoformat(old) if old else None
            for start in range(0, len(unit_ids), 500):
                Unit.objects.filter(pk__in=unit_ids[start : start + 500]).update(
                    valid_to=old_day, updated_at=timezone.now()
                )
        for unit_id, old in changes.get("units_closed", []):
            old_day = datetime.date.fromisoformat(old) if old else None
            entries.append(
                _unit_entry(
                    unit_id, "", "reopen", {"valid_to": event.effective_date - DAY}, {"valid_to": old_day}
                )
            )
        if "renamed" in changes:
            unit = Unit.objects.get(pk=event.unit_id)
            before = {"name": unit.name, "name_en": unit.name_en}
            unit.name, unit.name_en = changes["renamed"]["name"], changes["renamed"]["name_en"]
            unit.save()
            entries.append(_unit_entry(unit.pk, unit.name, "rename", before, changes["renamed"]))
        if "moved_from" in changes:
            from .services import _move_subtree

            unit = Unit.objects.get(pk=event.unit_id)
            old_parent = Unit.objects.filter(pk=changes["moved_from"]).first()
            Unit.objects.filter(pk=unit.pk).update(parent=old_parent)
            _move_subtree(unit, old_parent)
            entries.append(
                _unit_entry(
                    unit.pk,
                    unit.name,
                    "move",
                    {"parent_id": unit.parent_id},
                    {"parent_id": changes["moved_from"]},
                )
            )
        created = list(Unit.objects.filter(pk__in=changes.get("created_units", [])))
        EventSuccessor.objects.filter(event=event, is_new=True).update(unit=None)
        entries += [entry_for(unit, "delete", before=snapshot(unit)) for unit in created]
        _delete_created_units(created)
        if created:
            unit_tree_changed.send(sender=Unit, units=[unit.pk for unit in created])
            _forget_scope(actor)
        event.state = EventState.UNDONE
        event.undone_at = timezone.now()
        event.save(update_fields=["state", "undone_at", "updated_at"])
        entries.append(
            entry_for(event, "undo", after={"units_reopened": len(changes.get("units_closed", []))})
        )
        audit_write(actor=actor, entries=entries)
    return event


def _delete_created_units(created: list[Unit]) -> None:
    """Remove the units an event created, all in one delete; if a record of its own protects one of them,
    find which one (one by one, only then) to name it."""
    try:
        with transaction.atomic():
            UnitClosure.objects.filter(descendant_id__in=[unit.pk for unit in created]).delete()
            Unit.objects.filter(pk__in=[unit.pk for unit in created]).delete()
        return
    except ProtectedError:
        pass
    for unit in created:
        try:
            with transaction.atomic():
                UnitClosure.objects.filter(descendant_id=unit.pk).delete()
                unit.delete()
        except ProtectedError as error:
            raise ValidationError(
                _("%(unit)s has records of its own since the reorganisation: it cannot be undone.")
                % {"unit": unit.name}
            ) from error


# -- grants carried over -----------------------------------------------------------------------------------


def grant_proposal_decide(*, actor, proposal: GrantProposal, confirm: bool) -> GrantProposal:
    """Confirm (the grant is created, audited) or reject a grant proposed for a successor unit."""
    require(actor, CONFIRM_GRANTS, proposal.to_unit_id)
    carrier = handover.grant_carrier()
    with transaction.atomic():
        proposal = GrantProposal.objects.select_for_update().select_related("event").get(pk=proposal.pk)
        if proposal.state != ProposalState.PROPOSED:
            raise ValidationError(_("This proposal has been decided already."))
        if proposal.event.state != EventState.APPLIED:
            raise ValidationError(_("The reorganisation is not in force."))
        before = snapshot(proposal)
        if confirm:
            if carrier is None:
                raise ValidationError(_("Grants cannot be created here."))
            proposal.created_grant_id = carrier.create(
                actor=actor,
                user_id=proposal.user_id,
                role_code=proposal.role_code,
                unit_id=proposal.to_unit_id,
                include_descendants=proposal.include_descendants,
                valid_from=proposal.event.effective_date,
            )
        proposal.state = ProposalState.CONFIRMED if confirm else ProposalState.REJECTED
        proposal.decided_by = actor if getattr(actor, "_meta", None) else None
        proposal.decided_at = timezone.now()
        proposal.save()
        after = snapshot(proposal)
        audit_write(
            actor=actor,
            entries=[entry_for(proposal, "confirm" if confirm else "reject", before=before, after=after)],
        )
    return proposal
