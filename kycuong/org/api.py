"""API for units, staff and posts, under the same scope as the pages."""

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    Problem,
    paginate,
    patch_data,
)

from . import reorganisation, selectors, services
from .models import (
    EventKind,
    EventState,
    Gender,
    PostRole,
    ProposalState,
    ShareKind,
    StaffCategory,
    UnitKind,
)

router = Router(tags=["organisation"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]


class UnitOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: UnitKind
    kind_label: str
    parent_id: int | None
    depth: int
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    child_count: int | None = None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class UnitDetail(UnitOut):
    parent_name: str | None = Field(None, description="Empty when the parent lies outside your scope")
    head_name: str | None = None


class UnitPage(Page):
    items: list[UnitOut]


class UnitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    parent_id: int | None = None
    kind: UnitKind
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=255)
    name_en: str = Field("", max_length=255)
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


class UnitPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    parent_id: int | None = None
    kind: UnitKind | None = None
    code: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=255)
    name_en: str | None = Field(None, max_length=255)
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


class UnitFilters(Schema):
    q: str | None = Field(None, description="Search that ignores diacritics and case")
    kind: UnitKind | None = None
    parent_id: int | None = None
    under_id: int | None = Field(None, description="Only units below this unit, at any depth")
    code: str | None = None
    valid_on: datetime.date | None = Field(None, description="Units valid on this day (default today)")
    include_expired: bool = False
    limit: Limit = 50
    offset: Offset = 0


def _units_from_ids(request: HttpRequest, data: dict) -> dict:
    if "parent_id" in data:
        parent_id = data.pop("parent_id")
        data["parent"] = selectors.unit_get(actor=request.user, unit_id=parent_id) if parent_id else None
    return data


@router.get("/units", response={200: UnitPage, **LIST_ERRORS}, summary="List and search units")
def list_units(request, filters: Query[UnitFilters]):
    units = selectors.unit_list(
        actor=request.user,
        q=filters.q,
        kind=filters.kind,
        parent_id=filters.parent_id,
        under_id=filters.under_id,
        code=filters.code,
        valid_on=filters.valid_on,
        include_expired=filters.include_expired,
    )
    items, page = paginate(units, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.get(
    "/units/tree", response={200: list[UnitOut], **LIST_ERRORS}, summary="The top of the tree you can see"
)
def unit_tree_roots(request):
    return list(selectors.unit_roots(actor=request.user).order_by("name"))


@router.get(
    "/units/by-code/{code}", response={200: UnitDetail, **READ_ERRORS}, summary="A unit by official code"
)
def get_unit_by_code(request, code: str):
    unit = selectors.unit_list(actor=request.user, code=code, include_expired=True).first()
    if unit is None:
        from django.http import Http404

        raise Http404
    return selectors.unit_get(actor=request.user, unit_id=unit.pk)


@router.get("/units/{unit_id}", response={200: UnitDetail, **READ_ERRORS}, summary="One unit")
def get_unit(request, unit_id: int):
    return selectors.unit_get(actor=request.user, unit_id=unit_id)


@router.get("/units/{unit_id}/children", response={200: list[UnitOut], **READ_ERRORS}, summary="Sub-units")
def unit_children(request, unit_id: int):
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    return list(selectors.unit_list(actor=request.user, parent_id=unit.pk).order_by("name"))


@router.post("/units", response={201: UnitDetail, **WRITE_ERRORS}, summary="Create a unit")
def create_unit(request, payload: UnitIn):
    data = _units_from_ids(request, payload.dict())
    unit = services.unit_create(actor=request.user, **data)
    return Status(201, selectors.unit_get(actor=request.user, unit_id=unit.pk))


@router.patch("/units/{unit_id}", response={200: UnitDetail, **WRITE_ERRORS}, summary="Change a unit")
def update_unit(request, unit_id: int, payload: UnitPatch):
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    data = patch_data(payload, required=("kind", "code", "name", "name_en"))
    services.unit_update(actor=request.user, unit=unit, **_units_from_ids(request, data))
    return selectors.unit_get(actor=request.user, unit_id=unit.pk)


class StaffOut(Schema):
    id: int
    full_name: str
    birth_year: int | None
    gender: str
    category: StaffCategory
    unit_id: int
    unit_name: str
    is_party_member: bool
    party_unit_id: int | None
    party_joined_on: datetime.date | None
    email: str
    phone: str
    is_active: bool

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class PostOut(Schema):
    id: int
    staff_id: int
    staff_name: str
    unit_id: int
    unit_name: str
    title: str
    role: PostRole
    start_date: datetime.date
    end_date: datetime.date | None
    is_concurrent: bool

    @staticmethod
    def resolve_staff_name(obj) -> str:
        return obj.staff.full_name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class StaffDetail(StaffOut):
    party_unit_name: str | None = Field(
        None, description="Empty when the Party organisation is outside your scope"
    )
    posts: list[PostOut]

    @staticmethod
    def resolve_posts(obj) -> list:
        return list(obj.posts.all())


class StaffPage(Page):
    items: list[StaffOut]


class StaffIn(Schema):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(..., min_length=1, max_length=200)
    unit_id: int
    birth_year: int | None = Field(None, ge=1900, le=2100)
    gender: Gender | None = None
    category: StaffCategory = StaffCategory.CIVIL_SERVANT
    is_party_member: bool = False
    party_unit_id: int | None = None
    party_joined_on: datetime.date | None = None
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)


class StaffPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    full_name: str | None = Field(None, min_length=1, max_length=200)
    unit_id: int | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    gender: Gender | None = None
    category: StaffCategory | None = None
    is_party_member: bool | None = None
    party_unit_id: int | None = None
    party_joined_on: datetime.date | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    is_active: bool | None = None


class StaffFilters(Schema):
    q: str | None = Field(None, description="Search that ignores diacritics and case")
    unit_id: int | None = None
    with_descendants: bool = False
    party_member: bool | None = None
    limit: Limit = 50
    offset: Offset = 0


STAFF_REQUIRED = ("full_name", "unit_id", "category", "is_party_member", "email", "phone", "is_active")


def _staff_relations(request: HttpRequest, data: dict) -> dict:
    for key, target in (("unit_id", "unit"), ("party_unit_id", "party_unit")):
        if key in data:
            unit_id = data.pop(key)
            data[target] = (
                selectors.unit_get(actor=request.user, unit_id=unit_id) if unit_id is not None else None
            )
    if data.get("gender") is None and "gender" in data:
        data["gender"] = ""
    return data


@router.get("/staff", response={200: StaffPage, **LIST_ERRORS}, summary="List and search staff")
def list_staff(request, filters: Query[StaffFilters]):
    staff = selectors.staff_list(
        actor=request.user,
        q=filters.q,
        unit_id=filters.unit_id,
        with_descendants=filters.with_descendants,
        party_member=filters.party_member,
    )
    items, page = paginate(staff, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.get("/staff/{staff_id}", response={200: StaffDetail, **READ_ERRORS}, summary="One staff member")
def get_staff(request, staff_id: int):
    return selectors.staff_get(actor=request.user, staff_id=staff_id)


@router.post("/staff", response={201: StaffDetail, **WRITE_ERRORS}, summary="Add a staff member")
def create_staff(request, payload: StaffIn):
    data = _staff_relations(request, payload.dict())
    staff = services.staff_create(actor=request.user, **data)
    return Status(201, selectors.staff_get(actor=request.user, staff_id=staff.pk))


@router.patch(
    "/staff/{staff_id}", response={200: StaffDetail, **WRITE_ERRORS}, summary="Change a staff member"
)
def update_staff(request, staff_id: int, payload: StaffPatch):
    staff = selectors.staff_get(actor=request.user, staff_id=staff_id)
    services.staff_update(
        actor=request.user,
        staff=staff,
        **_staff_relations(request, patch_data(payload, required=STAFF_REQUIRED)),
    )
    return selectors.staff_get(actor=request.user, staff_id=staff.pk)


class PostPage(Page):
    items: list[PostOut]


class PostFilters(Schema):
    unit_id: int | None = None
    staff_id: int | None = None
    current_only: bool = False
    limit: Limit = 50
    offset: Offset = 0


class PostIn(Schema):
    model_config = ConfigDict(extra="forbid")
    staff_id: int
    unit_id: int
    title: str = Field(..., min_length=1, max_length=200)
    role: PostRole = PostRole.MEMBER
    start_date: datetime.date
    end_date: datetime.date | None = None
    is_concurrent: bool = False


class PostPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=200)
    role: PostRole | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    is_concurrent: bool | None = None


@router.get("/posts", response={200: PostPage, **LIST_ERRORS}, summary="List posts")
def list_posts(request, filters: Query[PostFilters]):
    posts = selectors.post_list(
        actor=request.user,
        unit_id=filters.unit_id,
        staff_id=filters.staff_id,
        current_only=filters.current_only,
    )
    items, page = paginate(posts, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.get("/posts/{post_id}", response={200: PostOut, **READ_ERRORS}, summary="One post")
def get_post(request, post_id: int):
    return selectors.post_get(actor=request.user, post_id=post_id)


@router.post("/posts", response={201: PostOut, **WRITE_ERRORS}, summary="Appoint someone to a post")
def create_post(request, payload: PostIn):
    staff = selectors.staff_get(actor=request.user, staff_id=payload.staff_id)
    unit = selectors.unit_get(actor=request.user, unit_id=payload.unit_id)
    data = payload.dict(exclude={"staff_id", "unit_id"})
    post = services.post_create(actor=request.user, staff=staff, unit=unit, **data)
    return Status(201, selectors.post_get(actor=request.user, post_id=post.pk))


@router.patch("/posts/{post_id}", response={200: PostOut, **WRITE_ERRORS}, summary="Change or end a post")
def update_post(request, post_id: int, payload: PostPatch):
    post = selectors.post_get(actor=request.user, post_id=post_id)
    data = patch_data(payload, required=("title", "role", "start_date", "is_concurrent"))
    services.post_update(actor=request.user, post=post, **data)
    return selectors.post_get(actor=request.user, post_id=post.pk)


# -- reorganisation ----------------------------------------------------------------------------------------


class NewUnitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=255)
    name_en: str = Field("", max_length=255)
    kind: UnitKind
    parent_id: int | None = None


class LinkIn(Schema):
    model_config = ConfigDict(extra="forbid")
    predecessor_id: int
    successor_id: int | None = Field(None, description="An existing unit")
    successor_code: str | None = Field(None, description="The code of one of `new_units`")
    share: ShareKind = ShareKind.WHOLE
    weight: Decimal | None = Field(None, gt=0, le=1, description="Fraction counted in the comparable view")
    carries_grants: bool = True


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: EventKind
    title: str = Field(..., min_length=1, max_length=300)
    effective_date: datetime.date
    legal_basis: str = Field(..., min_length=1, max_length=300)
    note: str = ""
    new_units: list[NewUnitIn] = Field(default_factory=list, max_length=1000)
    links: list[LinkIn] = Field(default_factory=list, max_length=5000)
    unit_id: int | None = Field(None, description="Renamed, moved or dissolved unit")
    new_name: str = Field("", max_length=255)
    new_name_en: str = Field("", max_length=255)
    new_parent_id: int | None = None


class EventOut(Schema):
    id: int
    kind: EventKind
    title: str
    effective_date: datetime.date
    legal_basis: str
    note: str
    state: EventState
    scope_unit_id: int
    unit_id: int | None
    new_name: str
    new_parent_id: int | None
    applied_at: datetime.datetime | None
    undone_at: datetime.datetime | None


class LinkOut(Schema):
    predecessor_id: int
    predecessor_name: str
    successor_unit_id: int | None = Field(None, description="Empty for a new unit until the event is applied")
    successor_name: str
    successor_is_new: bool
    share: ShareKind
    weight: Decimal | None
    carries_grants: bool

    @staticmethod
    def resolve_predecessor_name(obj) -> str:
        return obj.predecessor.name

    @staticmethod
    def resolve_successor_unit_id(obj) -> int | None:
        return obj.successor.unit_id

    @staticmethod
    def resolve_successor_name(obj) -> str:
        return str(obj.successor)

    @staticmethod
    def resolve_successor_is_new(obj) -> bool:
        return obj.successor.is_new


class EventDetail(EventOut):
    links: list[LinkOut]
    record_choices: dict[str, dict[str, int]]
    applied_changes: dict[str, Any]
    can_undo: bool


class EventPage(Page):
    items: list[EventOut]


class EventFilters(Schema):
    state: EventState | None = None
    unit_id: int | None = Field(None, description="Events that touch this unit")
    limit: Limit = 50
    offset: Offset = 0


class ClosingOut(Schema):
    unit_id: int
    unit_name: str
    heir_name: str | None = Field(None, description="Where its open records go by default")
    open_records: dict[str, int]
    needs_decision: bool


class SuccessorOption(Schema):
    id: int = Field(..., description="A unit id, or minus the successor's id for a unit the event creates")
    name: str


class ChoiceOut(Schema):
    handler: str
    record_id: int
    unit_id: int
    label: str
    chosen: int | None
    successors: list[SuccessorOption]


class PreviewOut(Schema):
    can_apply: bool
    blocking: list[str]
    closing: list[ClosingOut]
    new_units: list[str]
    open_records: dict[str, int]
    staff_moving: int
    posts_ending: int
    grants_on_closing_units: int
    choices: list[ChoiceOut]


class ChoiceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    handler: str = Field(..., max_length=60)
    record_id: int
    successor_unit_id: int | None = Field(
        None, description="One of the record's successors (see the preview); empty: follow the default rule"
    )


class ProposalOut(Schema):
    id: int
    event_id: int
    user_id: int
    username: str
    role_code: str
    from_unit_id: int
    to_unit_id: int
    to_unit_name: str
    include_descendants: bool
    state: ProposalState
    created_grant_id: int | None

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_to_unit_name(obj) -> str:
        return obj.to_unit.name


class ProposalPage(Page):
    items: list[ProposalOut]


class ProposalFilters(Schema):
    event_id: int | None = None
    state: ProposalState | None = None
    limit: Limit = 50
    offset: Offset = 0


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    confirm: bool


class ComparableLineOut(Schema):
    unit_id: int
    unit_name: str
    weight: str = Field(..., description="Exact fraction, e.g. 1/2")
    figures: dict[str, int]


class ComparableOut(Schema):
    source: str
    label: str
    date_from: datetime.date
    date_to: datetime.date
    lines: list[ComparableLineOut]
    totals: dict[str, str] = Field(..., description="Exact fractions: Σ weight × figure")
    rounded: dict[str, float]


def _event_detail(event) -> dict:
    data = EventOut.from_orm(event).dict()
    data.update(
        links=list(selectors.event_links(event=event)),
        record_choices=event.record_choices,
        applied_changes={
            key: (len(value) if isinstance(value, list) else value)
            for key, value in event.applied_changes.items()
        },
        can_undo=reorganisation.event_can_undo(event),
    )
    return data


@router.get(
    "/reorganisations", response={200: EventPage, **LIST_ERRORS}, summary="Reorganisation events you can see"
)
def list_events(request, filters: Query[EventFilters]):
    events = selectors.event_list(actor=request.user, state=filters.state, unit_id=filters.unit_id)
    items, page = paginate(events, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.post(
    "/reorganisations",
    response={201: EventDetail, **WRITE_ERRORS},
    summary="Prepare a reorganisation (a draft; nothing changes until it is applied)",
)
def create_event(request, payload: EventIn):
    def unit(unit_id):
        return selectors.unit_get(actor=request.user, unit_id=unit_id) if unit_id else None

    event = reorganisation.event_create(
        actor=request.user,
        kind=payload.kind,
        title=payload.title,
        effective_date=payload.effective_date,
        legal_basis=payload.legal_basis,
        note=payload.note,
        new_units=[
            reorganisation.NewUnitSpec(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                kind=spec.kind,
                parent=unit(spec.parent_id),
            )
            for spec in payload.new_units
        ],
        links=[
            reorganisation.LinkSpec(
                predecessor=selectors.unit_get(actor=request.user, unit_id=link.predecessor_id),
                successor=unit(link.successor_id) if link.successor_id else (link.successor_code or ""),
                share=link.share,
                weight=link.weight,
                carries_grants=link.carries_grants,
            )
            for link in payload.links
        ],
        unit=unit(payload.unit_id),
        new_name=payload.new_name,
        new_name_en=payload.new_name_en,
        new_parent=unit(payload.new_parent_id),
    )
    return Status(201, _event_detail(selectors.event_get(actor=request.user, event_id=event.pk)))


@router.get("/reorganisations/{event_id}", response={200: EventDetail, **READ_ERRORS}, summary="One event")
def get_event(request, event_id: int):
    return _event_detail(selectors.event_get(actor=request.user, event_id=event_id))


@router.get(
    "/reorganisations/{event_id}/preview",
    response={200: PreviewOut, **READ_ERRORS},
    summary="What applying the event would close, create and move, and what needs a decision",
)
def preview_event(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    preview = reorganisation.event_preview(event=event)
    return {
        "can_apply": preview.can_apply,
        "blocking": preview.blocking,
        "closing": [
            {
                "unit_id": row.unit.pk,
                "unit_name": row.unit.name,
                "heir_name": str(row.heir) if row.heir else None,
                "open_records": row.counts,
                "needs_decision": row.needs_decision,
            }
            for row in preview.closing
        ],
        "new_units": [successor.name for successor in preview.new_units],
        "open_records": preview.totals,
        "staff_moving": preview.staff,
        "posts_ending": preview.posts,
        "grants_on_closing_units": len(preview.grants),
        "choices": [
            {
                "handler": key,
                "record_id": record.id,
                "unit_id": record.unit_id,
                "label": record.label,
                "chosen": chosen,
                "successors": [{"id": value, "name": name} for value, name in successors],
            }
            for key, rows in preview.choices.items()
            for record, chosen, successors in rows
        ],
    }


@router.post(
    "/reorganisations/{event_id}/choices",
    response={200: EventDetail, **WRITE_ERRORS},
    summary="Choose the successor an open record of a split unit goes to",
)
def choose_successor(request, event_id: int, payload: ChoiceIn):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    reorganisation.event_set_choice(
        actor=request.user,
        event=event,
        handler_key=payload.handler,
        record_id=payload.record_id,
        successor_unit_id=payload.successor_unit_id,
    )
    return _event_detail(selectors.event_get(actor=request.user, event_id=event_id))


@router.post(
    "/reorganisations/{event_id}/apply",
    response={200: EventDetail, **WRITE_ERRORS},
    summary="Apply the event",
)
def apply_event(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    reorganisation.event_apply(actor=request.user, event=event)
    return _event_detail(selectors.event_get(actor=request.user, event_id=event_id))


@router.post(
    "/reorganisations/{event_id}/undo",
    response={200: EventDetail, **WRITE_ERRORS},
    summary="Undo an applied event that no later change touched",
)
def undo_event(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    reorganisation.event_undo(actor=request.user, event=event)
    return _event_detail(selectors.event_get(actor=request.user, event_id=event_id))


@router.get(
    "/grant-proposals",
    response={200: ProposalPage, **LIST_ERRORS},
    summary="Grants proposed for successor units, awaiting an administrator",
)
def list_proposals(request, filters: Query[ProposalFilters]):
    proposals = selectors.grant_proposal_list(
        actor=request.user, event_id=filters.event_id, state=filters.state
    )
    items, page = paginate(proposals, limit=filters.limit, offset=filters.offset)
    return {"items": items, **page}


@router.post(
    "/grant-proposals/{proposal_id}/decide",
    response={200: ProposalOut, **WRITE_ERRORS},
    summary="Confirm (the grant is created) or reject a proposed grant",
)
def decide_proposal(request, proposal_id: int, payload: DecisionIn):
    proposal = selectors.grant_proposal_get(actor=request.user, proposal_id=proposal_id)
    reorganisation.grant_proposal_decide(actor=request.user, proposal=proposal, confirm=payload.confirm)
    return selectors.grant_proposal_get(actor=request.user, proposal_id=proposal_id)


class ComparableFilters(Schema):
    date_from: datetime.date
    date_to: datetime.date


@router.get(
    "/units/{unit_id}/comparable",
    response={200: list[ComparableOut], **READ_ERRORS, 422: Problem},
    summary="Figures of a period mapped onto today's unit through the reorganisations' shares",
)
def unit_comparable(request, unit_id: int, filters: Query[ComparableFilters]):
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    if filters.date_to < filters.date_from:
        from django.core.exceptions import ValidationError

        raise ValidationError({"date_to": _("The end of the period comes before its start.")})
    return [
        {
            "source": result.source.key,
            "label": str(result.source.label),
            "date_from": filters.date_from,
            "date_to": filters.date_to,
            "lines": [
                {
                    "unit_id": line.unit.pk,
                    "unit_name": line.unit.name,
                    "weight": str(line.weight),
                    "figures": line.own,
                }
                for line in result.comparable.lines
            ],
            "totals": {key: str(value) for key, value in result.comparable.totals.items()},
            "rounded": {key: round(float(value), 2) for key, value in result.comparable.totals.items()},
        }
        for result in selectors.unit_comparable(
            actor=request.user, unit=unit, date_from=filters.date_from, date_to=filters.date_to
        )
    ]
