from django.urls import path

from . import views

app_name = "targets"
urlpatterns = [
    path("targets/", views.dashboard, name="dashboard"),
    path("targets/projects/", views.project_list, name="projects"),
    path("targets/projects/export.xlsx", views.export_projects, name="export"),
    path("targets/projects/<int:project_id>/", views.project_detail, name="project"),
    path("targets/projects/<int:project_id>/<slug:action>/", views.project_action, name="project-action"),
    path("targets/import/<slug:kind>/", views.import_file, name="import"),
    path("targets/import/<slug:kind>/template.xlsx", views.import_template, name="import-template"),
    path("targets/indicators/", views.indicator_list, name="indicators"),
    path("targets/indicators/<int:indicator_id>/", views.indicator_detail, name="indicator"),
    path(
        "targets/indicators/<int:indicator_id>/<slug:action>/",
        views.indicator_action,
        name="indicator-action",
    ),
]
