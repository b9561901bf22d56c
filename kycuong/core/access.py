"""How every page declares who may reach it. A test walks all URLs and fails on any view without a mark."""

from functools import wraps

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
