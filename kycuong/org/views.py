from django.shortcuts import render

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can

from . import selectors


@scoped_view
def unit_tree(request):
    roots = list(selectors.unit_roots(actor=request.user).order_by("name"))
    return render(request, "org/unit_tree.html", {"roots": roots})


@scoped_view
def unit_children(request, unit_id: int):
    """The branch under one unit, loaded by htmx when a tree node is opened."""
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    children = list(selectors.unit_list(actor=request.user, parent_id=unit.pk).order_by("name"))
    return render(request, "org/unit_tree.html#branch", {"units": children, "parent": unit})


@scoped_view
def unit_detail(request, unit_id: int):
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    q = request.GET.get("q", "").strip()
    staff_page = page_of(
        selectors.staff_list(actor=request.user, q=q, unit_id=unit.pk), request.GET.get("page")
    )
    context = {
        "unit": unit,
        "ancestors": selectors.unit_ancestors(actor=request.user, unit=unit),
        "children": list(selectors.unit_list(actor=request.user, parent_id=unit.pk).order_by("name")),
        "posts": list(selectors.post_list(actor=request.user, unit_id=unit.pk, current_only=True)),
        "staff_page": staff_page,
        "q": q,
        "counts": selectors.unit_summary_counts(actor=request.user, unit=unit),
    }
    if is_htmx(request):
        return render(request, "org/unit_detail.html#staff", context)
    return render(request, "org/unit_detail.html", context)


@scoped_view
def staff_detail(request, staff_id: int):
    staff = selectors.staff_get(actor=request.user, staff_id=staff_id)
    context = {
        "staff": staff,
        "posts": list(staff.posts.all()),
        "can_export": can(request.user, "org.change_staff", staff.unit_id),
    }
    return render(request, "org/staff_detail.html", context)
