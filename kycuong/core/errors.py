"""Error pages in the user's language; API paths answer problem+json instead."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .api_support import problem


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
    if _is_api(request):
        return problem(request, 500, _("Internal error."))
    return _error_page(
        request, 500, _("Something went wrong"), _("The error has been logged. Please try again later.")
    )
