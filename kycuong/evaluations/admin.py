"""Methods are edited in the admin (superusers): a new version with a validity period, or the default
scorecard's contents and weights. Cycles and evaluations change only through the pages and the API."""

from django.contrib import admin

from kycuong.core.admin import AuditedModelAdmin

from .models import Cycle, Evaluation, Method


@admin.register(Method)
class MethodAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "subject", "valid_from", "valid_to")
    list_filter = ("code", "subject")

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.cycles.exists()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ("name", "unit", "method", "period_start", "state")
    list_filter = ("state", "frequency")
    raw_id_fields = ("unit", "created_by")


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("id", "cycle", "unit", "staff", "total", "level", "state")
    list_filter = ("level", "state")
    raw_id_fields = ("cycle", "unit", "staff", "reviewed_by")
