"""Error pages in the user's language; API paths answer problem+json instead."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .api_support import problem


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None) -> HttpResponse:
    if _is_api(request):
        return problem(request, 404, _("Not found."))
    return render(
        request,
        "errors/error.html",
        {
            "status": 404,
            "title": _("Page not found"),
            "message": _("This page does not exist, or you do not have access to it."),
        },
        status=404,
    )


def permission_denied(request, exception=None) -> HttpResponse:
    if _is_api(request):
        return problem(request, 403, _("Forbidden."))
    return render(
        request,
        "errors/error.html",
        {"status": 403, "title": _("Access denied"), "message": _("You do not have permission to do this.")},
        status=403,
    )


def server_error(request) -> HttpResponse:
    if _is_api(request):
        return problem(request, 500, _("Internal error."))
    return render(
        request,
        "errors/error.html",
        {
            "status": 500,
            "title": _("Something went wrong"),
            "message": _("The error has been logged. Please try again later."),
        },
        status=500,
    )
