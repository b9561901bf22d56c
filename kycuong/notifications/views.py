from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.pagination import page_of

from . import selectors, services


@scoped_view
def bell(request):
    """The unread count in the header, refreshed by htmx."""
    return render(
        request, "notifications/bell.html", {"unread": selectors.my_unread_count(actor=request.user)}
    )


@scoped_view
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = page_of(
        selectors.my_notifications(actor=request.user, unread_only=unread_only), request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@scoped_view
@require_POST
def mark_read(request):
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    services.notification_mark_read(actor=request.user, notification_ids=ids or None)
    if is_htmx(request):
        return bell(request)
    target = request.POST.get("next", "")
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else "notifications:inbox"
    )
