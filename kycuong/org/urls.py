from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit-tree"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit-detail"),
    path("units/<int:unit_id>/children/", views.unit_children, name="unit-children"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff-detail"),
]
