from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Discipline cases are confidential: inspectors and leaders only, never plain unit staff or observers.
VIEW = ["discipline.view_case", "discipline.view_decision", "discipline.view_disciplineform"]
HANDLE = [*VIEW, "discipline.handle_case"]


class DisciplineConfig(AppConfig):
    name = "kycuong.discipline"
    label = "discipline"
    verbose_name = _("Discipline")
    role_permissions = {
        "system_admin": HANDLE,
        "city_leader": VIEW,
        "unit_head": HANDLE,
        "inspector": HANDLE,
    }

    def ready(self) -> None:
        from kycuong.evaluations.grounds import register_ground

        from .selectors import disciplined_in_period

        # A discipline decision in the period makes an evaluation "not completed" whatever the score, for
        # the methods that list the "discipline" ground.
        register_ground(
            "discipline", _("A discipline decision taking effect in the period"), disciplined_in_period
        )
        from kycuong.core.defaults import restore_after_flush

        from .defaults import forms_sync

        restore_after_flush(self, forms_sync)
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        register_module("discipline", "kycuong.discipline.dashboard.summary", order=50)
        register_handover("kycuong.discipline.handover")

    def home_section(self, request):
        from kycuong.core.scoping import has_any_grant

        from .selectors import notice_list, open_case_counts

        if not request.user.is_authenticated or not has_any_grant(request.user, "discipline.view_case"):
            return None
        counts = open_case_counts(actor=request.user)
        notices = list(notice_list(actor=request.user)[:5])
        if not counts["open"] and not notices:
            return None
        return {"template": "discipline/home_section.html", "counts": counts, "notices": notices}
