import datetime
import logging

from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
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


def _parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@scoped_view
def audit_log(request):
    params = request.GET
    errors = []
    dates: dict[str, datetime.date | None] = {}
    for name in ("date_from", "date_to"):
        raw = params.get(name, "").strip()
        parsed = None
        if raw:
            parsed = parse_date(raw)
            if parsed is None:
                try:
                    parsed = datetime.datetime.strptime(raw, "%d/%m/%Y").date()
                except ValueError:
                    errors.append(_("“%(value)s” is not a date (dd/mm/yyyy).") % {"value": raw})
        dates[name] = parsed
    unit_id = _parse_int(params.get("unit"))
    unit = None
    if unit_id:
        # A unit outside the scope filters to nothing, exactly like a unit that does not exist.
        unit = restrict(
            apps.get_model("org", "Unit").objects.filter(pk=unit_id), request.user, "org.view_unit"
        ).first()
    records = audit_list(
        actor=request.user,
        unit_id=unit.pk if unit else (-1 if unit_id else None),
        actor_id=_parse_int(params.get("user")),
        object_type=params.get("object_type") or None,
        date_from=dates["date_from"],
        date_to=dates["date_to"],
    )
    page = page_of(records, params.get("page"))
    context = {
        "page": page,
        "filters": params,
        "unit": unit,
        "errors": errors,
        "object_types": audit_object_types(),
        "can_view": has_any_grant(request.user, "core.view_auditrecord"),
    }
    template = "core/audit_log.html#records" if is_htmx(request) else "core/audit_log.html"
    return render(request, template, context)
