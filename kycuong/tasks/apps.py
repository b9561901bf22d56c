from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "kycuong.tasks"
    label = "tasks"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        from . import tally  # noqa: F401 - connects the tally to moves in the unit tree

        register_module("tasks", "kycuong.tasks.dashboard.summary", order=10)
        register_handover("kycuong.tasks.handover")
