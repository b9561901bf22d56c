"""API for signing in with a token, the current user's profile, grants and tokens."""

import datetime

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import READ_ERRORS, WRITE_ERRORS, Problem, problem

from . import selectors, services

router = Router(tags=["accounts"])


class TokenOut(Schema):
    id: int
    name: str
    key_id: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class TokenCreated(Schema):
    token: str = Field(..., description="Shown once; send it as Authorization: Bearer <token>")
    details: TokenOut


class LoginIn(Schema):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=1024)
    name: str = Field("API", max_length=100)
    days: int | None = Field(None, ge=1, le=services.MAX_TOKEN_DAYS)


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=services.MAX_TOKEN_DAYS)


class GrantOut(Schema):
    id: int
    role: str
    role_name: str
    unit_id: int
    unit_name: str
    include_descendants: bool
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    @staticmethod
    def resolve_role(obj) -> str:
        return obj.role.code

    @staticmethod
    def resolve_role_name(obj) -> str:
        return obj.role.display_name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    staff_id: int | None
    is_superuser: bool
    grants: list[GrantOut]

    @staticmethod
    def resolve_full_name(obj) -> str:
        return obj.get_full_name()

    @staticmethod
    def resolve_grants(obj) -> list:
        return list(selectors.my_grants(actor=obj))


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenCreated, 400: Problem, 401: Problem, 422: Problem},
    summary="Exchange a username and password for an API token",
)
def obtain_token(request, payload: LoginIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        return problem(request, 401, _("The username or password is not correct."))
    token, plain = services.api_token_create(actor=user, name=payload.name, days=payload.days)
    return Status(201, {"token": plain, "details": token})


@router.get("/me", response={200: MeOut, **READ_ERRORS}, summary="The current user with their grants")
def me(request):
    return request.user


@router.get("/me/tokens", response={200: list[TokenOut], **READ_ERRORS}, summary="My API tokens")
def list_my_tokens(request):
    return list(selectors.my_tokens(actor=request.user))


@router.post("/me/tokens", response={201: TokenCreated, **WRITE_ERRORS}, summary="Create an API token")
def create_my_token(request, payload: TokenIn):
    token, plain = services.api_token_create(actor=request.user, name=payload.name, days=payload.days)
    return Status(201, {"token": plain, "details": token})


@router.delete(
    "/me/tokens/{token_id}", response={200: TokenOut, **WRITE_ERRORS}, summary="Revoke an API token"
)
def revoke_my_token(request, token_id: int):
    token = selectors.my_token_get(actor=request.user, token_id=token_id)
    return services.api_token_revoke(actor=request.user, token=token)
