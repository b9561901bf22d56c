"""Writes to the organisation: units, staff and posts. Each checks scope and writes its audit record."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_updated, snapshot
from kycuong.core.scoping import require
from kycuong.core.services import create_audited, reject_unknown_fields, update_audited

from .models import Post, Staff, Unit, UnitClosure
from .signals import unit_tree_changed

UNIT_EDITABLE = {
    "name",
    "name_en",
    "kind",
    "code",
    "valid_from",
    "valid_to",
    "latitude",
    "longitude",
    "parent",
}
STAFF_EDITABLE = {
    "full_name",
    "birth_year",
    "gender",
    "category",
    "unit",
    "is_party_member",
    "party_unit",
    "party_joined_on",
    "email",
    "phone",
    "is_active",
}
POST_EDITABLE = {"title", "role", "start_date", "end_date", "is_concurrent"}


def _link_into_tree(unit: Unit) -> None:
    links = [UnitClosure(ancestor_id=unit.pk, descendant_id=unit.pk, depth=0)]
    if unit.parent_id:
        links += [
            UnitClosure(ancestor_id=ancestor_id, descendant_id=unit.pk, depth=depth + 1)
            for ancestor_id, depth in UnitClosure.objects.filter(descendant_id=unit.parent_id).values_list(
                "ancestor_id", "depth"
            )
        ]
    UnitClosure.objects.bulk_create(links)


def unit_create(
    *,
    actor,
    parent: Unit | None,
    kind: str,
    code: str,
    name: str,
    name_en: str = "",
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> Unit:
    require(actor, "org.add_unit", parent.pk if parent else None)
    unit = Unit(
        parent=parent,
        kind=kind,
        code=code.strip(),
        name=name.strip(),
        name_en=name_en.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        depth=(parent.depth + 1) if parent else 0,
    )
    with transaction.atomic():
        create_audited(actor=actor, instance=unit)
        _link_into_tree(unit)
    return unit


def _move_subtree(unit: Unit, new_parent: Unit | None) -> None:
    subtree = list(UnitClosure.objects.filter(ancestor_id=unit.pk).values_list("descendant_id", "depth"))
    subtree_ids = [descendant_id for descendant_id, _depth in subtree]
    # Cut every link from an outside ancestor into the subtree, then link the subtree under its new parent.
    UnitClosure.objects.filter(descendant_id__in=subtree_ids).exclude(ancestor_id__in=subtree_ids).delete()
    if new_parent is not None:
        ancestors = list(
            UnitClosure.objects.filter(descendant_id=new_parent.pk).values_list("ancestor_id", "depth")
        )
        UnitClosure.objects.bulk_create(
            UnitClosure(ancestor_id=ancestor_id, descendant_id=descendant_id, depth=up + down + 1)
            for ancestor_id, up in ancestors
            for descendant_id, down in subtree
        )
    base_depth = (new_parent.depth + 1) if new_parent else 0
    for descendant_id, down in subtree:
        Unit.objects.filter(pk=descendant_id).update(depth=base_depth + down)
    unit_tree_changed.send(sender=Unit, units=subtree_ids)


def unit_update(*, actor, unit: Unit, **changes) -> Unit:
    """Edit a unit; a new parent moves the whole subtree (the actor needs the right at both places)."""
    reject_unknown_fields(changes, UNIT_EDITABLE)
    require(actor, "org.change_unit", unit.pk)
    new_parent = changes.get("parent", unit.parent)
    moving = "parent" in changes and (new_parent.pk if new_parent else None) != unit.parent_id
    if moving:
        if new_parent is None:
            require(actor, "org.add_unit", None)
        else:
            require(actor, "org.add_unit", new_parent.pk)
            if UnitClosure.objects.filter(ancestor_id=unit.pk, descendant_id=new_parent.pk).exists():
                raise ValidationError(
                    {"parent": _("A unit cannot be moved under itself or its own sub-unit.")}
                )
    with transaction.atomic():
        before = snapshot(unit)
        for name, value in changes.items():
            setattr(unit, name, value)
        if moving:
            unit.depth = (new_parent.depth + 1) if new_parent else 0
        unit.full_clean()
        unit.save()
        if moving:
            _move_subtree(unit, new_parent)
        audit_updated(actor=actor, instance=unit, before=before)
    return unit


def _check_party_unit(party_unit: Unit | None, is_party_member: bool) -> None:
    from .models import PARTY_KINDS

    if party_unit is not None and party_unit.kind not in PARTY_KINDS:
        raise ValidationError({"party_unit": _("Choose a Party committee or Party cell.")})
    if party_unit is not None and not is_party_member:
        raise ValidationError({"party_unit": _("Only a Party member belongs to a Party organisation.")})


def staff_create(*, actor, unit: Unit, full_name: str, **fields) -> Staff:
    reject_unknown_fields(fields, STAFF_EDITABLE - {"unit", "full_name"})
    require(actor, "org.add_staff", unit.pk)
    staff = Staff(unit=unit, full_name=" ".join(full_name.split()), **fields)
    _check_party_unit(staff.party_unit, staff.is_party_member)
    return create_audited(actor=actor, instance=staff)


def staff_update(*, actor, staff: Staff, **changes) -> Staff:
    require(actor, "org.change_staff", staff.unit_id)
    if "unit" in changes and changes["unit"].pk != staff.unit_id:
        # Handing a person's records to another unit needs the right there too.
        require(actor, "org.add_staff", changes["unit"].pk)
    if changes.get("full_name") is not None:
        changes["full_name"] = " ".join(str(changes["full_name"]).split())
    _check_party_unit(
        changes.get("party_unit", staff.party_unit), changes.get("is_party_member", staff.is_party_member)
    )
    return update_audited(actor=actor, instance=staff, changes=changes, editable=STAFF_EDITABLE)


def post_create(
    *,
    actor,
    staff: Staff,
    unit: Unit,
    title: str,
    role: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    is_concurrent: bool = False,
) -> Post:
    require(actor, "org.add_post", unit.pk)
    post = Post(
        staff=staff,
        unit=unit,
        title=title.strip(),
        role=role,
        start_date=start_date,
        end_date=end_date,
        is_concurrent=is_concurrent,
    )
    return create_audited(actor=actor, instance=post)


def post_update(*, actor, post: Post, **changes) -> Post:
    require(actor, "org.change_post", post.unit_id)
    return update_audited(actor=actor, instance=post, changes=changes, editable=POST_EDITABLE)


def post_end(*, actor, post: Post, end_date: datetime.date) -> Post:
    return post_update(actor=actor, post=post, end_date=end_date)
