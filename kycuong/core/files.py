"""Files users upload (attachments, evidence, source documents): one abstract model that keeps each file's
size, type and SHA-256, one way to accept an upload, one way to serve a file back.

Files are never served by the web server directly: a view checks the scope of the record the file belongs to,
then calls `verified_response`, which refuses a file whose content no longer matches its checksum.
"""

import hashlib
import mimetypes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
NAME_MAX_LENGTH = 255


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    """<owner directory>/<2 hex>/<sha256>-<name>: the checksum keeps names unique and directories small."""
    return f"{instance.file_directory()}/{instance.sha256[:2]}/{instance.sha256}-{filename[-80:]}"


class StoredFile(models.Model):
    file = models.FileField(upload_to=stored_file_path)
    name = models.CharField(gettext_lazy("file name"), max_length=NAME_MAX_LENGTH)
    size = models.PositiveBigIntegerField(gettext_lazy("size"))
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def file_directory(self) -> str:
        raise NotImplementedError("Each kind of stored file says where its files go.")


def check_upload(upload: UploadedFile, field: str = "files") -> None:
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({field: _("“%(name)s” is larger than 20 MB.") % {"name": upload.name}})
    if upload.size == 0:
        raise ValidationError({field: _("“%(name)s” is empty.") % {"name": upload.name}})


def store_upload(stored: StoredFile, upload: UploadedFile, *, actor) -> StoredFile:
    """Fill `stored` from the upload and save it with its file. The caller has set the owner's fields and
    writes the audit record."""
    check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored.name = upload.name[-NAME_MAX_LENGTH:]
    stored.size = upload.size
    stored.content_type = (
        upload.content_type or mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
    )
    stored.sha256 = digest.hexdigest()
    stored.uploaded_by = actor
    stored.file.save(upload.name, upload, save=False)
    stored.save()
    return stored


def verified_response(stored: StoredFile) -> FileResponse:
    digest = hashlib.sha256()
    with stored.file.open("rb") as content:
        for chunk in iter(lambda: content.read(65536), b""):
            digest.update(chunk)
    if digest.hexdigest() != stored.sha256:
        raise Http404(_("This file is damaged; tell your administrator."))
    return FileResponse(
        stored.file.open("rb"), as_attachment=True, filename=stored.name, content_type=stored.content_type
    )
