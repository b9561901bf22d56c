from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = [
    "processes.view_processdefinition",
    "processes.view_processinstance",
]
WORK = [*VIEW, "processes.start_process", "processes.work_step"]
MANAGE = [*WORK, "processes.manage_process"]


class ProcessesConfig(AppConfig):
    name = "kycuong.processes"
    label = "processes"
    verbose_name = _("Work processes")
    role_permissions = {
        "system_admin": MANAGE,
        "city_leader": VIEW,
        "unit_head": MANAGE,
        "unit_staff": WORK,
        "inspector": VIEW,
        "observer": VIEW,
    }

    def ready(self) -> None:
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        register_module("processes", "kycuong.processes.dashboard.summary", order=50)
        register_handover("kycuong.processes.handover")

    def home_section(self, request):
        from .selectors import home_counts

        return home_counts(request.user)
