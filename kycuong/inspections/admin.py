"""Administration (superusers only): the kinds of inspection, which are data with a validity period, and a
read-only view of the access log."""

from django.contrib import admin

from kycuong.core.admin import AuditedModelAdmin

from .models import ConfidentialAccess, InspectionKind


@admin.register(InspectionKind)
class InspectionKindAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "category", "is_party", "legal_basis", "valid_from", "valid_to")
    list_filter = ("category", "is_party")


@admin.register(ConfidentialAccess)
class ConfidentialAccessAdmin(admin.ModelAdmin):
    list_display = ("at", "user_label", "action", "object_type", "object_id", "object_repr")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
