from django.contrib import admin

from kycuong.core.admin import AuditedModelAdmin

from . import services
from .models import Post, Staff, Unit


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["kind", "depth"]
    search_fields = ["search_text", "code"]
    autocomplete_fields = ["parent"]
    fields = ["parent", "kind", "code", "name", "name_en", "valid_from", "valid_to", "latitude", "longitude"]

    def save_model(self, request, obj, form, change):
        # The tree (closure rows, depths) is kept by the services, so the admin goes through them too.
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.UNIT_EDITABLE}
        if change:
            unit = Unit.objects.get(pk=obj.pk)
            services.unit_update(actor=request.user, unit=unit, **data)
        else:
            unit = services.unit_create(
                actor=request.user,
                parent=obj.parent,
                kind=obj.kind,
                code=obj.code,
                name=obj.name,
                name_en=obj.name_en,
                valid_from=obj.valid_from,
                valid_to=obj.valid_to,
            )
        obj.pk = unit.pk

    def has_delete_permission(self, request, obj=None):
        return False  # units end with valid_to; they are never deleted


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["unit", "title", "role", "start_date", "end_date", "is_concurrent"]

    def has_add_permission(self, request, obj=None):
        return False  # posts are added on their own page, so that each is audited

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Staff)
class StaffAdmin(AuditedModelAdmin):
    list_display = ["full_name", "unit", "category", "is_party_member", "is_active"]
    list_filter = ["category", "is_party_member", "is_active"]
    search_fields = ["search_text"]
    autocomplete_fields = ["unit", "party_unit"]
    inlines = [PostInline]


@admin.register(Post)
class PostAdmin(AuditedModelAdmin):
    list_display = ["staff", "title", "unit", "role", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["staff__search_text", "title"]
    autocomplete_fields = ["staff", "unit"]
