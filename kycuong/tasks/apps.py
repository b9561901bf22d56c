from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "kycuong.tasks"
    label = "tasks"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        from kycuong.core import response_cache
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        from . import tally  # noqa: F401 - connects the tally to moves in the unit tree
        from .models import Task, TaskTally

        register_module("tasks", "kycuong.tasks.dashboard.summary", order=10)
        register_handover("kycuong.tasks.handover")
        # A task's save names its units (Task.save): the API answers of other units are kept.
        response_cache.BY_UNIT_TABLES.update({Task._meta.db_table, TaskTally._meta.db_table})
