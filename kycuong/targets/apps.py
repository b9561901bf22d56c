from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "kycuong.targets"
    label = "targets"
    verbose_name = _("Targets and public investment")

    def ready(self) -> None:
        from kycuong.core.defaults import from_migration, restore_after_flush

        restore_after_flush(
            self, from_migration("kycuong.targets.migrations.0002_default_disbursement_rule", "create_rule")
        )
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        register_module("targets", "kycuong.targets.dashboard.summary", order=70)
        register_handover("kycuong.targets.handover")
