from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kycuong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_migrate, post_save

        from . import replica, response_cache  # noqa: F401 - replica connects its signal receivers
        from .calendar import calendar_changed
        from .models import CalendarDay

        post_save.connect(calendar_changed, sender=CalendarDay, dispatch_uid="core.calendar_changed.save")
        post_delete.connect(calendar_changed, sender=CalendarDay, dispatch_uid="core.calendar_changed.delete")
        connection_created.connect(response_cache.install_watch, dispatch_uid="core.response_cache.watch")
        post_migrate.connect(response_cache.migrated, dispatch_uid="core.response_cache.migrated")
