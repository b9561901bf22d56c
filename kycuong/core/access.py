"""How every page declares who may reach it. A test walks all URLs and fails on any view without a mark."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required


def public_view(view):
    """Reachable without logging in (log-in page, health checks, the language switch)."""
    view.kycuong_access = "public"
    return view


def scoped_view(view):
    """Needs a logged-in user; the view reads only through scoped selectors."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    wrapper.kycuong_access = "scoped"
    return wrapper


def is_htmx(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def client_address(request, *, behind_proxy: bool | None = None) -> str:
    """The client's address: REMOTE_ADDR, or behind a reverse proxy (BEHIND_PROXY) the last address of
    X-Forwarded-For, the one the proxy saw (earlier entries are the client's to forge)."""
    if behind_proxy is None:
        behind_proxy = settings.BEHIND_PROXY
    if behind_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
