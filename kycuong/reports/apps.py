from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

READ = ["reports.view_dashboard", "reports.view_report"]
MAKE = [*READ, "reports.add_report", "reports.view_subscription"]
SUBSCRIBE = [*MAKE, "reports.add_subscription"]


class ReportsConfig(AppConfig):
    name = "kycuong.reports"
    label = "reports"
    verbose_name = _("Dashboard and reports")
    role_permissions = {
        "city_leader": SUBSCRIBE,
        "unit_head": SUBSCRIBE,
        "inspector": MAKE,
        "observer": READ,
        "system_admin": [*SUBSCRIBE, "reports.view_signalthreshold", "reports.add_signalthreshold"],
    }

    def ready(self) -> None:
        from kycuong.core.defaults import from_migration, restore_after_flush

        restore_after_flush(
            self, from_migration("kycuong.reports.migrations.0002_default_thresholds", "create")
        )
