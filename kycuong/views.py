"""Pages that gather several apps: the signed-in user's home page and the global search.

They live at the project level, above the apps, because they read from all of them.
"""

from django.apps import apps
from django.shortcuts import render

from kycuong.accounts.selectors import my_grants
from kycuong.core.access import is_htmx, scoped_view
from kycuong.org.selectors import staff_list, unit_list
from kycuong.tasks.selectors import TaskFilters, task_list, tasks_awaiting_decision

SEARCH_LIMIT = 25


HOME_LIST_LIMIT = 10


def home_sections(request) -> list[dict]:
    """What other apps put on the home page: each app config may define `home_section(request)`, returning
    None (nothing to show) or a dict with the `template` to include and the context it needs."""
    sections = []
    for config in apps.get_app_configs():
        provider = getattr(config, "home_section", None)
        if provider is not None and (section := provider(request)) is not None:
            sections.append(section)
    return sections


@scoped_view
def home(request):
    """The signed-in user's units and roles, their own open tasks, what waits for their decision, and the due
    items of the other apps (evaluation steps, process steps…)."""
    mine = task_list(actor=request.user, filters=TaskFilters(scope="mine", open_only=True))
    context = {
        "grants": list(my_grants(actor=request.user)),
        "my_tasks": list(mine[:HOME_LIST_LIMIT]),
        "awaiting": list(tasks_awaiting_decision(actor=request.user)[:HOME_LIST_LIMIT]),
        "sections": home_sections(request),
    }
    return render(request, "core/home.html", context)


@scoped_view
def search(request):
    query = request.GET.get("q", "").strip()
    units = staff = []
    if query:
        units = list(unit_list(actor=request.user, q=query)[:SEARCH_LIMIT])
        staff = list(staff_list(actor=request.user, q=query)[:SEARCH_LIMIT])
    template = "core/search.html#results" if is_htmx(request) else "core/search.html"
    return render(request, template, {"q": query, "units": units, "staff": staff})


@scoped_view
def personal_data(request, staff_id: int):
    """Everything the product holds about a person, as JSON, for those who manage the person's record."""
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from kycuong.core.personal_export import personal_data_export
    from kycuong.core.scoping import can
    from kycuong.org.selectors import staff_get

    staff = staff_get(actor=request.user, staff_id=staff_id)
    if not can(request.user, "org.change_staff", staff.unit_id):
        raise PermissionDenied
    response = HttpResponse(
        personal_data_export(actor=request.user, staff=staff), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="du-lieu-ca-nhan-{staff.pk}.json"'
    return response
