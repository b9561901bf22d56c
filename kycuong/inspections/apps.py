from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = ["inspections.view_inspection", "inspections.view_plan", "inspections.view_inspectionkind"]
MANAGE = [*VIEW, "inspections.manage_inspection"]
# Findings about individuals and the log of who read them: never for plain unit staff.
CONFIDENTIAL = ["inspections.view_finding"]
ACCESS_LOG = ["inspections.view_confidentialaccess"]


class InspectionsConfig(AppConfig):
    name = "kycuong.inspections"
    label = "inspections"
    verbose_name = _("Inspections and supervision")
    role_permissions = {
        "system_admin": MANAGE + CONFIDENTIAL + ACCESS_LOG,
        "city_leader": VIEW + CONFIDENTIAL,
        "unit_head": MANAGE + CONFIDENTIAL,
        "inspector": MANAGE + CONFIDENTIAL + ACCESS_LOG,
        "observer": VIEW,
        "unit_staff": VIEW,
    }

    def ready(self) -> None:
        from kycuong.core.defaults import restore_after_flush

        from .defaults import kinds_sync

        restore_after_flush(self, kinds_sync)
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        register_module("inspections", "kycuong.inspections.dashboard.summary", order=40)
        register_handover("kycuong.inspections.handover")

    def home_section(self, request):
        from .selectors import my_subjects

        return None if not request.user.is_authenticated else _home(request, my_subjects)


def _home(request, my_subjects):
    from kycuong.core.scoping import has_any_grant

    from .models import Status
    from .selectors import inspection_list

    if not has_any_grant(request.user, "inspections.view_inspection"):
        return None
    running = inspection_list(actor=request.user).filter(status__in=[Status.DECIDED, Status.IN_PROGRESS])[:5]
    if not running:
        return None
    return {"template": "inspections/home_section.html", "running": running}
