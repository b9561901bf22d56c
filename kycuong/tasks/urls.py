from django.urls import path

from . import views, views_excel

app_name = "tasks"
urlpatterns = [
    path("tasks/", views.task_list, name="list"),
    path("tasks/board/", views.board, name="board"),
    path("tasks/calendar/", views.due_calendar, name="calendar"),
    path("tasks/summary/", views.unit_summary, name="summary"),
    path("tasks/new/", views.task_new, name="new"),
    path("tasks/export.xlsx", views_excel.export_tasks, name="export"),
    path("tasks/import/", views_excel.import_tasks, name="import"),
    path("tasks/import/template.xlsx", views_excel.import_template, name="import-template"),
    path("tasks/<int:task_id>/", views.task_detail, name="detail"),
    path(
        "tasks/<int:task_id>/extensions/<int:extension_id>/", views.extension_decide, name="extension-decide"
    ),
    path("tasks/<int:task_id>/<slug:action>/", views.task_action, name="action"),
    path("tasks/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("documents/", views.document_list, name="documents"),
    path("documents/new/", views.document_new, name="document-new"),
    path("documents/<int:document_id>/", views.document_detail, name="document"),
    path("documents/files/<int:attachment_id>/", views.document_file_download, name="document-file"),
]
