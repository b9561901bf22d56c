from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = ["evaluations.view_cycle", "evaluations.view_evaluation"]
RUN = [*VIEW, "evaluations.manage_cycle", "evaluations.review_evaluation"]
APPROVE = [*RUN, "evaluations.approve_cycle"]


class EvaluationsConfig(AppConfig):
    name = "kycuong.evaluations"
    label = "evaluations"
    verbose_name = _("Evaluations")
    # Staff see their own evaluations through their staff record, without any of these permissions.
    role_permissions = {
        "system_admin": [*APPROVE, "evaluations.view_method", "evaluations.change_method"],
        "city_leader": APPROVE,
        "unit_head": APPROVE,
        "inspector": VIEW,
        "observer": VIEW,
    }

    def ready(self) -> None:
        from kycuong.core.defaults import restore_after_flush

        from .shipped import ship_methods

        restore_after_flush(self, ship_methods)
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        register_module("evaluations", "kycuong.evaluations.dashboard.summary", order=40)
        register_handover("kycuong.evaluations.handover")

    def home_section(self, request):
        from .selectors import due_steps

        steps = due_steps(actor=request.user)
        if not steps:
            return None
        return {"template": "evaluations/home_section.html", "steps": steps}
