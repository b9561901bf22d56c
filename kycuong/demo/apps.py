from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "kycuong.demo"
    label = "demo"
    verbose_name = _("Demo data")

    def ready(self) -> None:
        # Each domain's demo data registers its loader, in order, after the organisation's.
        from . import tasks_data  # noqa: F401, I001 - loaders register in import order
        from . import satisfaction_data  # noqa: F401
        from . import targets_data  # noqa: F401
        from . import inspections_data  # noqa: F401
        from . import processes_data  # noqa: F401
        from . import evaluations_data  # noqa: F401
        from . import reports_data  # noqa: F401

    def demo_logins(self) -> list[tuple[str, str, str]]:
        """(username, role, unit code) of the demo users, when the demo data is loaded; else empty."""
        from .loader import DEMO_USERS, demo_loaded

        if not demo_loaded():
            return []
        return [("admin", "system_admin", "01")] + [(u, role, code) for u, role, code, *_ in DEMO_USERS]
