"""Administration (superusers only): the forms of discipline, which are data with a validity period (a new
regulation adds forms and closes the old ones; cases keep the forms of their time)."""

from django.contrib import admin

from kycuong.core.admin import AuditedModelAdmin

from .models import DisciplineForm


@admin.register(DisciplineForm)
class DisciplineFormAdmin(AuditedModelAdmin):
    list_display = (
        "code",
        "name",
        "regime",
        "legal_basis",
        "level",
        "limitation_years",
        "valid_from",
        "valid_to",
    )
    list_filter = ("regime", "legal_basis")
