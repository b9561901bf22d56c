"""Pages that gather several apps: the signed-in user's home page and the global search.

They live at the project level, above the apps, because they read from all of them.
"""

from django.shortcuts import render

from kycuong.accounts.selectors import my_grants
from kycuong.core.access import is_htmx, scoped_view
from kycuong.org.selectors import staff_list, unit_list

SEARCH_LIMIT = 25


@scoped_view
def home(request):
    return render(request, "core/home.html", {"grants": list(my_grants(actor=request.user))})


@scoped_view
def search(request):
    query = request.GET.get("q", "").strip()
    units = staff = []
    if query:
        units = list(unit_list(actor=request.user, q=query)[:SEARCH_LIMIT])
        staff = list(staff_list(actor=request.user, q=query)[:SEARCH_LIMIT])
    template = "core/search.html#results" if is_htmx(request) else "core/search.html"
    return render(request, template, {"q": query, "units": units, "staff": staff})
