from django.urls import path

from . import views

app_name = "discipline"
urlpatterns = [
    path("discipline/", views.index, name="index"),
    path("discipline/new/", views.case_new, name="new"),
    path("discipline/cases/<int:case_id>/", views.case_detail, name="case"),
    path("discipline/cases/<int:case_id>/<slug:action>/", views.case_action, name="case-action"),
    path("discipline/notices/<int:notice_id>/notified/", views.notice_done, name="notice-done"),
    path("discipline/forms/", views.form_list, name="forms"),
    path("discipline/statistics/", views.statistics, name="statistics"),
    path("discipline/statistics/export.xlsx", views.statistics_export, name="statistics-export"),
    path("discipline/statistics/disciplined/", views.disciplined, name="disciplined"),
]
