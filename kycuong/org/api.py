"""API for units, staff and posts, under the same scope as the pages."""

import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, paginate, patch_data

from . import selectors, services
from .models import Gender, PostRole, StaffCategory, UnitKind

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
            data[target] = selectors.unit_get(actor=request.user, unit_id=unit_id) if unit_id else None
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
