"""Files users upload (attachments, evidence, source documents): one abstract model that keeps each file's
size, type and SHA-256, one way to accept an upload, one way to serve a file back.

Files are never served by the web server directly: a view checks the scope of the record the file belongs to,
then calls `verified_response`, which refuses a file whose content no longer matches its checksum.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
NAME_MAX_LENGTH = 255
# An Office or OpenDocument file is a zip archive: refuse one that unpacks to more than this (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word, Excel and PowerPoint before 2007


@dataclass(frozen=True)
class Kind:
    content_type: str
    signature: bytes | None  # how the content starts; None: plain text


# What may be attached, by extension; the content must match the extension, and the type served back is ours,
# never the one the browser claimed.
ACCEPTED: dict[str, Kind] = {
    ".pdf": Kind("application/pdf", b"%PDF-"),
    ".png": Kind("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": Kind("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": Kind("image/jpeg", b"\xff\xd8\xff"),
    ".docx": Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".odt": Kind("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": Kind("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".odp": Kind("application/vnd.oasis.opendocument.presentation", ZIP),
    ".doc": Kind("application/msword", OLE),
    ".xls": Kind("application/vnd.ms-excel", OLE),
    ".ppt": Kind("application/vnd.ms-powerpoint", OLE),
    ".txt": Kind("text/plain; charset=utf-8", None),
    ".csv": Kind("text/csv; charset=utf-8", None),
}


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    """<owner directory>/<2 hex>/<sha256>-<name>: the checksum keeps names unique and directories small."""
    return f"{instance.file_directory()}/{instance.sha256[:2]}/{instance.sha256}-{filename[-80:]}"


class StoredFile(models.Model):
    file = models.FileField(upload_to=stored_file_path, max_length=300)
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


def check_upload(upload: UploadedFile, field: str = "files") -> Kind:
    """Size, an accepted extension, content that matches it, and no zip bomb; returns the kind."""
    name = upload.name
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({field: _("“%(name)s” is larger than 20 MB.") % {"name": name}})
    if upload.size == 0:
        raise ValidationError({field: _("“%(name)s” is empty.") % {"name": name}})
    kind = ACCEPTED.get(PurePath(name.lower()).suffix)
    if kind is None:
        raise ValidationError(
            {
                field: _(
                    "“%(name)s” is not a kind of file that can be attached. Attach PDF, Word, Excel, "
                    "PowerPoint or OpenDocument files, PNG or JPEG images, or text files."
                )
                % {"name": name}
            }
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if kind.signature is None:
        matches = b"\x00" not in head and _is_text(head)
    else:
        matches = head.startswith(kind.signature)
    if matches and kind.signature == ZIP:
        unpacked = _unpacked_size(upload)
        matches = unpacked is not None
        if matches and unpacked > MAX_UNPACKED_BYTES:
            raise ValidationError({field: _("“%(name)s” is too large once unpacked.") % {"name": name}})
    if not matches:
        raise ValidationError(
            {
                field: _("The content of “%(name)s” does not match its name: it may be damaged or renamed.")
                % {"name": name}
            }
        )
    return kind


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut at the end of the sample
    return True


def _unpacked_size(upload) -> int | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def store_upload(stored: StoredFile, upload: UploadedFile, *, actor) -> StoredFile:
    """Fill `stored` from the upload and save it with its file. The caller has set the owner's fields and
    writes the audit record."""
    kind = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored.name = upload.name[-NAME_MAX_LENGTH:]
    stored.size = upload.size
    stored.content_type = kind.content_type
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
