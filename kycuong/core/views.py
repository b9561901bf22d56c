import datetime
import logging

from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kycuong.core.scoping import has_any_grant, restrict

from .access import is_htmx, public_view, scoped_view
from .pagination import page_of
from .selectors import audit_list, audit_object_types

logger = logging.getLogger("kycuong")


@public_view
def healthz(request):
    return JsonResponse({"status": "ok"})


@public_view
def readyz(request):
    """Ready when the database answers and every migration is applied (a load balancer's check)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:  # noqa: BLE001 - any database failure means "not ready"; details go to the log only
        logger.exception("Readiness check failed")
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    if pending:
        return JsonResponse(
            {"status": "unavailable", "database": "ok", "pending_migrations": len(pending)}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "pending_migrations": 0})


@scoped_view
def audit_log(request):
    """The audit log within the user's scope, filtered by unit (official code), user name, kind and period."""
    params = request.GET
    errors = []
    dates: dict[str, datetime.date | None] = {}
    for name in ("date_from", "date_to"):
        raw = params.get(name, "").strip()
        dates[name] = _parse_day(raw) if raw else None
        if raw and dates[name] is None:
            errors.append(_("“%(value)s” is not a date (dd/mm/yyyy).") % {"value": raw})
    unit_code = params.get("unit", "").strip()
    unit = None
    if unit_code:
        # A unit outside the scope filters to nothing, exactly like a unit that does not exist.
        units = apps.get_model("org", "Unit").objects.filter(code=unit_code)
        unit = restrict(units, request.user, "org.view_unit").first()
        if unit is None:
            errors.append(_("No unit with the code “%(code)s”.") % {"code": unit_code})
    username = params.get("user", "").strip()
    if errors:
        records = audit_list(actor=request.user).none()
    else:
        records = audit_list(
            actor=request.user,
            unit_id=unit.pk if unit else None,
            actor_label=username or None,
            object_type=params.get("object_type") or None,
            date_from=dates["date_from"],
            date_to=dates["date_to"],
        )
    context = {
        "page": page_of(records, params.get("page")),
        "filters": params,
        "unit": unit,
        "errors": errors,
        "object_types": audit_object_types(),
        "can_view": has_any_grant(request.user, "core.view_auditrecord"),
    }
    template = "core/audit_log.html#records" if is_htmx(request) else "core/audit_log.html"
    return render(request, template, context)


def _parse_day(raw: str) -> datetime.date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None
