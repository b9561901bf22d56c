from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("audit/", views.audit_log, name="audit"),
]
