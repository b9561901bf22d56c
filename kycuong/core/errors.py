"""Error pages in the user's language; API paths answer problem+json instead."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _

from .api_support import problem
from .context import current_request_id


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _error_page(request, status: int, title: str, message: str) -> HttpResponse:
    return render(
        request, "errors/error.html", {"status": status, "title": title, "message": message}, status=status
    )


def page_not_found(request, exception=None) -> HttpResponse:
    if _is_api(request):
        return problem(request, 404, _("Not found."))
    return _error_page(
        request, 404, _("Page not found"), _("This page does not exist, or you do not have access to it.")
    )


def permission_denied(request, exception=None) -> HttpResponse:
    if _is_api(request):
        return problem(request, 403, _("Forbidden."))
    return _error_page(request, 403, _("Access denied"), _("You do not have permission to do this."))


def server_error(request) -> HttpResponse:
    """Rendered without the database (it may be what failed): a standalone page, no user menu, and plain
    text if even that cannot be rendered."""
    if _is_api(request):
        return problem(request, 500, _("Internal error."))
    title, message = (
        _("Something went wrong"),
        _("The error has been logged. Check whether your last change was saved, then try again in a moment."),
    )
    try:
        page = render_to_string(
            "errors/server_error.html",
            {"title": title, "message": message, "request_id": current_request_id()},
        )
    except Exception:  # noqa: BLE001 - the last resort must not fail
        page = (
            f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        )
    return HttpResponse(page, status=500)
