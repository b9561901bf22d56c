from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit-tree"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit-detail"),
    path("units/<int:unit_id>/children/", views.unit_children, name="unit-children"),
    path("units/<int:unit_id>/comparable/", views.unit_comparable, name="unit-comparable"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff-detail"),
    path("reorganisations/", views.event_list, name="events"),
    path("reorganisations/new/", views.event_create, name="event-create"),
    path("reorganisations/<int:event_id>/", views.event_detail, name="event-detail"),
    path("reorganisations/<int:event_id>/choose/", views.event_choose, name="event-choose"),
    path("reorganisations/<int:event_id>/apply/", views.event_apply, name="event-apply"),
    path("reorganisations/<int:event_id>/undo/", views.event_undo, name="event-undo"),
    path("reorganisations/grants/", views.grant_proposals, name="grant-proposals"),
    path(
        "reorganisations/grants/<int:proposal_id>/decide/", views.grant_proposal_decide, name="grant-decide"
    ),
]
