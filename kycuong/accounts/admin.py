from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from kycuong.core.admin import AuditedModelAdmin
from kycuong.core.audit import audit_write, entry_for

from .models import ApiToken, Grant, Role, User


class GrantInline(admin.TabularInline):
    model = Grant
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["role", "unit", "include_descendants", "valid_from", "valid_to"]

    def has_add_permission(self, request, obj=None):
        return False  # grants are given on their own page, so that each is audited

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "is_active", "is_superuser", "last_login"]
    autocomplete_fields = ["staff"]
    inlines = [GrantInline]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Kỷ Cương", {"fields": ["staff"]}))

    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the form itself; record the change (never the hash) in the same transaction.
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if user is not None and before is not None and user.password != before:
                audit_write(actor=request.user, entries=[entry_for(user, "password_change")])
        return response


@admin.register(Role)
class RoleAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en"]
    filter_horizontal = ["permissions"]

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            before = sorted(form.instance.permissions.values_list("pk", flat=True)) if change else []
            super().save_related(request, form, formsets, change)
            after = sorted(form.instance.permissions.values_list("pk", flat=True))
            if before != after:
                entry = entry_for(
                    form.instance, "permissions", before={"permissions": before}, after={"permissions": after}
                )
                audit_write(actor=request.user, entries=[entry])


@admin.register(Grant)
class GrantAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "unit", "include_descendants", "valid_from", "valid_to"]
    list_filter = ["role", "include_descendants"]
    search_fields = ["user__username", "unit__search_text"]
    autocomplete_fields = ["user", "unit"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "key_id", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "key_id", "created_at", "expires_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False  # tokens are created by their owner only

    def has_change_permission(self, request, obj=None):
        return False
