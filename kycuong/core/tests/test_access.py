"""Every URL and API route is either explicitly public or behind the scoping mechanism."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kycuong.api import api

PUBLIC_API_OPERATIONS = {("POST", "/api/v1/auth/token")}
# Django's own admin and the API's docs/schema views are guarded by their own mechanisms, checked below.
DELEGATED_PREFIXES = ("admin/", "api/v1/")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_page_declares_its_access():
    unmarked = [
        route
        for route, view in _walk(get_resolver().url_patterns)
        if not route.startswith(DELEGATED_PREFIXES)
        and getattr(view, "kycuong_access", None) not in {"public", "scoped"}
    ]
    assert unmarked == []


def _api_operations():
    # The routers as bound to the API (django-ninja clones operations when a router is mounted).
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, f"/api/v1{bound.prefix}{path}", operation


def test_every_api_operation_requires_authentication_unless_listed_public():
    seen = set()
    for method, path, operation in _api_operations():
        seen.add((method, path))
        if (method, path) in PUBLIC_API_OPERATIONS:
            continue
        assert operation.auth_callbacks, f"{method} {path} has no authentication"
    assert seen >= PUBLIC_API_OPERATIONS


@pytest.mark.django_db
def test_anonymous_gets_login_redirect_or_401_everywhere(client, world):
    from django.urls import reverse

    pages = [
        reverse("home"),
        reverse("search"),
        reverse("core:audit"),
        reverse("org:unit-tree"),
        reverse("org:unit-detail", args=[world.city.pk]),
        reverse("org:unit-children", args=[world.city.pk]),
        reverse("org:staff-detail", args=[world.hoangliet_staff.pk]),
        reverse("accounts:tokens"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login")), url
    known = {"unit_id": world.city.pk, "code": "T01"}
    for method, path, _operation in _api_operations():
        if (method, path) in PUBLIC_API_OPERATIONS:
            continue
        concrete = re.sub(r"\{(?:\w+:)?(\w+)\}", lambda match: str(known.get(match.group(1), 1)), path)
        response = client.generic(method, concrete, content_type="application/json", data="{}")
        assert response.status_code == 401, f"{method} {concrete}"
        assert response["Content-Type"] == "application/problem+json"
    assert client.get("/admin/").status_code == 302
