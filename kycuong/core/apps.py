from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kycuong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import replica  # noqa: F401 - connects its signal receivers
        from .calendar import calendar_changed
        from .models import CalendarDay

        post_save.connect(calendar_changed, sender=CalendarDay, dispatch_uid="core.calendar_changed.save")
        post_delete.connect(calendar_changed, sender=CalendarDay, dispatch_uid="core.calendar_changed.delete")
