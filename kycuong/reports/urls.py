from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.index, name="index"),
    path("reports/", views.report_list, name="list"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("reports/files/<int:file_id>/", views.report_file, name="file"),
    path("reports/thresholds/", views.thresholds, name="thresholds"),
    path("reports/subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "reports/subscriptions/<int:subscription_id>/cancel/",
        views.subscription_cancel,
        name="subscription-cancel",
    ),
]
