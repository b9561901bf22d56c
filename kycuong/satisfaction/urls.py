from django.urls import path

from . import views, views_excel, views_public

app_name = "satisfaction"
urlpatterns = [
    # Public: the rating form behind each service point's unguessable link.
    path("r/<str:slug>/", views_public.rate, name="rate"),
    path("r/<str:slug>/thanks/", views_public.thanks, name="thanks"),
    # Staff pages, scoped.
    path("satisfaction/", views.index, name="index"),
    path("satisfaction/index.xlsx", views_excel.export_index, name="index-export"),
    path("satisfaction/points/", views.point_list, name="points"),
    path("satisfaction/points/new/", views.point_new, name="point-new"),
    path("satisfaction/points/<int:point_id>/", views.point_detail, name="point"),
    path("satisfaction/points/<int:point_id>/edit/", views.point_edit, name="point-edit"),
    path("satisfaction/points/<int:point_id>/renew-link/", views.point_renew_link, name="point-renew"),
    path("satisfaction/points/<int:point_id>/qr.png", views.point_qr, name="point-qr"),
    path("satisfaction/points/<int:point_id>/poster.pdf", views.point_poster, name="point-poster"),
    path("satisfaction/ratings/", views.rating_list, name="ratings"),
    path("satisfaction/ratings/export.xlsx", views_excel.export_ratings, name="ratings-export"),
    path("satisfaction/ratings/import/", views_excel.import_ratings, name="import"),
    path("satisfaction/ratings/import/template.xlsx", views_excel.import_template, name="import-template"),
    path("satisfaction/ratings/<int:rating_id>/", views.rating_detail, name="rating"),
    path(
        "satisfaction/ratings/<int:rating_id>/erase-contact/", views.rating_erase_contact, name="rating-erase"
    ),
    path("satisfaction/ratings/<int:rating_id>/tag/", views.rating_tag, name="rating-tag"),
    path("satisfaction/feedback/", views.feedback_list, name="feedback"),
    path("satisfaction/feedback/<int:feedback_id>/", views.feedback_detail, name="feedback-detail"),
]
