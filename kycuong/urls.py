from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from kycuong import views as portal_views
from kycuong.api import api
from kycuong.core import views as core_views
from kycuong.core.access import public_view

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/setlang/", public_view(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("kycuong.accounts.urls")),
    path("", include("kycuong.org.urls")),
    path("", include("kycuong.notifications.urls")),
    path("", include("kycuong.tasks.urls")),
    path("", include("kycuong.satisfaction.urls")),
    path("", include("kycuong.targets.urls")),
    path("", include("kycuong.inspections.urls")),
    path("", include("kycuong.discipline.urls")),
    path("", include("kycuong.processes.urls")),
    path("", include("kycuong.evaluations.urls")),
    path("", include("kycuong.reports.urls")),
    path("", include("kycuong.core.urls")),
    path("", portal_views.home, name="home"),
    path("search/", portal_views.search, name="search"),
    path("staff/<int:staff_id>/personal-data.json", portal_views.personal_data, name="personal-data"),
]

handler404 = "kycuong.core.errors.page_not_found"
handler403 = "kycuong.core.errors.permission_denied"
handler500 = "kycuong.core.errors.server_error"
