from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("inspections/", views.index, name="index"),
    path("inspections/export.xlsx", views.export, name="export"),
    path("inspections/new/", views.inspection_new, name="new"),
    path("inspections/<int:inspection_id>/", views.detail, name="detail"),
    path("inspections/<int:inspection_id>/conclusion/", views.conclusion_download, name="conclusion"),
    path("inspections/<int:inspection_id>/<slug:action>/", views.action, name="action"),
    path(
        "inspections/recommendations/<int:recommendation_id>/<slug:action>/",
        views.recommendation_action,
        name="recommendation-action",
    ),
    path("inspections/subjects/", views.subjects, name="subjects"),
    path("inspections/subjects/<int:subject_id>/", views.subject_detail, name="subject"),
    path("inspections/subjects/<int:subject_id>/findings/", views.finding_add, name="finding-add"),
    path("inspections/evidence/<int:file_id>/", views.evidence_download, name="evidence"),
    path("inspections/plans/", views.plan_list, name="plans"),
    path("inspections/plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("inspections/plans/<int:plan_id>/items/", views.plan_item_add, name="plan-item-add"),
    path("inspections/plan-items/<int:item_id>/start/", views.plan_item_start, name="plan-item-start"),
    path("inspections/access-log/", views.access_log, name="access-log"),
]
