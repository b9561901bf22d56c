"""What may be uploaded: accepted kinds by name, content that matches the name, no zip bomb; the type kept is
the product's own, not the one the browser claimed."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kycuong.core import files


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def office(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("bao-cao.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("anh.JPG", b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        ("so-do.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("du-thao.docx", office({"[Content_Types].xml": b"<Types/>"}), files.ACCEPTED[".docx"].content_type),
        ("bang.xls", files.OLE + b"rest", "application/vnd.ms-excel"),
        ("ghi-chu.txt", "Biên bản họp ngày 26/11".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_accepted_files_keep_the_products_own_type(name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type="text/html")  # what the browser claims
    assert files.check_upload(upload).content_type == content_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("trang.html", b"<script>alert(1)</script>", "not a kind of file"),
        ("cai-dat.exe", b"MZ\x90\x00", "not a kind of file"),
        ("khong-phai.pdf", b"MZ\x90\x00 renamed program", "does not match its name"),
        ("gia.docx", b"%PDF-1.4 not a zip", "does not match its name"),
        ("hong.docx", files.ZIP + b"truncated", "does not match its name"),
        ("nhi-phan.txt", b"text\x00with a NUL byte", "does not match its name"),
        ("trong.pdf", b"", "is empty"),
    ],
)
def test_other_files_are_refused_with_a_reason(name, content, message):
    with pytest.raises(ValidationError, match=message):
        files.check_upload(SimpleUploadedFile(name, content))


def test_an_office_file_that_unpacks_to_far_more_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"0" * (3 * 1024 * 1024)})
    assert len(bomb) < 50 * 1024  # small on disk
    with pytest.raises(ValidationError, match="too large once unpacked"):
        files.check_upload(SimpleUploadedFile("bom.docx", bomb))
