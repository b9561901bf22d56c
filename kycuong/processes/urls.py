from django.urls import path

from . import views, views_excel

app_name = "processes"
urlpatterns = [
    path("processes/", views.index, name="index"),
    path("processes/catalogue/", views.catalogue, name="catalogue"),
    path("processes/catalogue/import/", views.definition_import, name="import"),
    path("processes/catalogue/builder/", views.definition_builder, name="builder"),
    path("processes/catalogue/<int:definition_id>/", views.definition_detail, name="definition"),
    path("processes/catalogue/<int:definition_id>/diagram.bpmn", views.definition_bpmn, name="bpmn"),
    path("processes/catalogue/<int:definition_id>/modeler/", views.definition_modeler, name="modeler"),
    path("processes/catalogue/<int:definition_id>/retire/", views.definition_retire, name="retire"),
    path("processes/catalogue/<int:definition_id>/start/", views.instance_start, name="start"),
    path("processes/cases/", views.instance_list, name="instances"),
    path("processes/cases/export.xlsx", views_excel.export_instances, name="export"),
    path("processes/cases/<int:instance_id>/", views.instance_detail, name="instance"),
    path("processes/cases/<int:instance_id>/<slug:action>/", views.instance_action, name="instance-action"),
    path("processes/steps/<int:step_id>/<slug:action>/", views.step_action, name="step-action"),
    path("processes/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("processes/statistics/", views.statistics, name="statistics"),
]
