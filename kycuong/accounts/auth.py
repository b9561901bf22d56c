"""API authentication: personal bearer tokens, or the page session (with CSRF) for the docs page."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .services import api_token_authenticate


def _already_authenticated(request: HttpRequest):
    """The user a cached read authenticated before running the operation (core.response_cache)."""
    return getattr(request, "kycuong_api_user", None)


class BearerTokenAuth(HttpBearer):
    openapi_description = "Personal API token: Authorization: Bearer kc_…"

    def authenticate(self, request: HttpRequest, token: str):
        if known := _already_authenticated(request):
            return known
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class VerifiedSessionAuth(SessionAuth):
    """The page session, once it has passed the second sign-in step where one is owed."""

    def authenticate(self, request: HttpRequest, key):
        from .two_factor import needs_second_step

        if known := _already_authenticated(request):
            return known
        user = super().authenticate(request, key)
        if user is not None and needs_second_step(request):
            return None
        return user


API_AUTH = [BearerTokenAuth(), VerifiedSessionAuth()]
