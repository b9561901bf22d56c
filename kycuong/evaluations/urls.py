from django.urls import path

from . import views, views_pdf

app_name = "evaluations"
urlpatterns = [
    path("evaluations/", views.index, name="index"),
    path("evaluations/list/", views.evaluation_list, name="list"),
    path("evaluations/results/", views.results, name="results"),
    path("evaluations/methods/", views.method_list, name="methods"),
    path("evaluations/methods/<int:method_id>/", views.method_detail, name="method"),
    path("evaluations/cycles/new/", views.cycle_new, name="cycle-new"),
    path("evaluations/cycles/<int:cycle_id>/", views.cycle_detail, name="cycle"),
    path("evaluations/cycles/<int:cycle_id>/export.xlsx", views.cycle_export, name="cycle-export"),
    path("evaluations/cycles/<int:cycle_id>/summary.pdf", views_pdf.cycle_pdf, name="cycle-pdf"),
    path("evaluations/cycles/<int:cycle_id>/<slug:action>/", views.cycle_action, name="cycle-action"),
    path("evaluations/staff/<int:staff_id>/", views.staff_history, name="staff"),
    path("evaluations/<int:evaluation_id>/", views.evaluation_detail, name="evaluation"),
    path("evaluations/<int:evaluation_id>/<slug:action>/", views.evaluation_action, name="evaluation-action"),
]
