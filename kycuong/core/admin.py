"""The Django admin, for system administrators only; every change it makes is audited."""

from django.contrib import admin
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .audit import audit_created, audit_deleted, audit_updated, snapshot
from .models import AuditRecord, CalendarDay
from .services import calendar_day_remove, calendar_day_set
from .text import fold

admin.site.site_header = _("Kỷ Cương administration")
admin.site.site_title = _("Kỷ Cương")


def _superusers_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only


class AuditedModelAdmin(admin.ModelAdmin):
    """Saves and deletions made in the admin write their audit record in the same transaction."""

    def get_search_results(self, request, queryset, search_term):
        # search_text columns hold folded text: fold the query the same way ("Hoàng" finds "hoang").
        return super().get_search_results(request, queryset, fold(search_term))

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if change:
                before = snapshot(type(obj).objects.get(pk=obj.pk))
                super().save_model(request, obj, form, change)
                audit_updated(actor=request.user, instance=obj, before=before)
            else:
                super().save_model(request, obj, form, change)
                audit_created(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        with transaction.atomic():
            before = snapshot(obj)
            pk = obj.pk
            super().delete_model(request, obj)
            obj.pk = pk
            audit_deleted(actor=request.user, instance=obj, before=before)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "actor_label", "action", "object_type", "object_id", "unit_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_label", "request_id"]
    ordering = ["-id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    list_display = ["day", "weekday", "is_working_day", "name", "legal_basis"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"
    ordering = ["-day"]
    fields = ["day", "is_working_day", "name", "legal_basis"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return formats.date_format(obj.day, "l")

    def get_readonly_fields(self, request, obj=None):
        # The service keys a row by its day: another day is another row.
        return ["day"] if obj else []

    def save_model(self, request, obj, form, change):
        saved = calendar_day_set(
            actor=request.user,
            day=obj.day,
            is_working_day=obj.is_working_day,
            name=obj.name,
            legal_basis=obj.legal_basis,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        calendar_day_remove(actor=request.user, calendar_day=obj)
