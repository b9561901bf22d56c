"""Source documents with their files, and the progress of the tasks broken out of them."""

import datetime
import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kycuong.core.files import MAX_UPLOAD_BYTES
from kycuong.core.models import AuditRecord
from kycuong.tasks.models import DocumentAttachment, DocumentKind, TaskState
from kycuong.tasks.services import document_attach, document_create, task_cancel

SCAN = b"%PDF-1.4 Chi thi 24-CT/TU ban ky"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


DOCX = _docx()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def directive(people):
    return document_create(
        actor=people.user("hoangmai_head"),
        issuing_unit=people.hoangmai,
        number="24-CT/QU",
        kind=DocumentKind.DIRECTIVE,
        title="Về tăng cường kỷ luật, kỷ cương",
        issued_on=datetime.date(2025, 1, 2),
        files=[SimpleUploadedFile("chi-thi.pdf", SCAN, content_type="application/pdf")],
    )


def test_a_document_is_registered_with_its_files_and_every_file_is_audited(directive):
    (stored,) = directive.attachments.all()
    assert stored.name == "chi-thi.pdf"
    assert stored.size == len(SCAN)
    assert stored.sha256 == hashlib.sha256(SCAN).hexdigest()
    assert stored.file.read() == SCAN
    assert AuditRecord.objects.filter(
        object_type="tasks.documentattachment", object_id=str(stored.pk)
    ).exists()


def test_out_of_scope_and_bad_files_change_nothing(people, directive):
    before = DocumentAttachment.objects.count(), AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        document_attach(
            actor=people.user("badinh_head"), document=directive, files=[SimpleUploadedFile("x.pdf", b"x")]
        )
    with pytest.raises(ValidationError, match="20 MB"):
        document_attach(
            actor=people.user("hoangmai_head"),
            document=directive,
            files=[
                SimpleUploadedFile("ok.pdf", b"%PDF-1.4 fine"),
                SimpleUploadedFile("big.pdf", b"0" * (MAX_UPLOAD_BYTES + 1)),
            ],
        )
    with pytest.raises(ValidationError):
        document_attach(
            actor=people.user("hoangmai_head"), document=directive, files=[SimpleUploadedFile("e.pdf", b"")]
        )
    assert (DocumentAttachment.objects.count(), AuditRecord.objects.count()) == before


def test_the_document_page_shows_its_files_and_the_progress_of_its_tasks(people, directive, make_task, login):
    make_task(document=directive, title="Rà soát quy chế")
    make_task(document=directive, title="Tổ chức hội nghị", due_date=datetime.date(2025, 1, 10))
    cancelled = make_task(document=directive, title="Việc đã hủy")
    task_cancel(actor=people.user("hoangmai_head"), task=cancelled, reason="Trùng lặp")
    page = login(people.user("hoangmai_head")).get(f"/documents/{directive.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "chi-thi.pdf" in body
    cards = body[body.index('data-testid="summary"') :]
    # Two tasks still count as assigned (the cancelled one does not), and both are past their due date today.
    assert f"document={directive.pk}&amp;outcome=due" in cards
    assigned = cards.split("outcome=due")[1].split('class="fs-4">')[1].split("<")[0]
    overdue = cards.split("outcome=overdue")[1].split('class="fs-4 text-danger">')[1].split("<")[0]
    assert (assigned, overdue) == ("2", "2")
    cancelled.refresh_from_db()
    assert cancelled.state == TaskState.CANCELLED


def test_files_are_downloaded_only_in_scope_and_only_when_intact(people, directive, login):
    stored = directive.attachments.get()
    url = f"/documents/files/{stored.pk}/"
    response = login(people.user("hoangmai_head")).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SCAN
    assert "chi-thi.pdf" in response["Content-Disposition"]
    assert login(people.user("badinh_head")).get(url).status_code == 404
    assert login(people.user("badinh_head")).get(f"/documents/{directive.pk}/").status_code == 404
    with open(stored.file.path, "wb") as damaged:
        damaged.write(b"tampered")
    assert login(people.user("hoangmai_head")).get(url).status_code == 404


def test_uploading_on_the_page(people, directive, login):
    client = login(people.user("hoangmai_head"))
    response = client.post(
        f"/documents/{directive.pk}/", {"files": [SimpleUploadedFile("phu-luc.docx", DOCX)]}
    )
    assert response.status_code == 302
    assert sorted(directive.attachments.values_list("name", flat=True)) == ["chi-thi.pdf", "phu-luc.docx"]
    refused = client.post(f"/documents/{directive.pk}/", {})
    assert refused.status_code == 422
    assert directive.attachments.count() == 2
    # A ward's staff member sees the document through no task of theirs: not found, and nothing added.
    outsider = login(people.user("phucxa_staff"))
    assert (
        outsider.post(f"/documents/{directive.pk}/", {"files": [SimpleUploadedFile("x", b"x")]}).status_code
        == 404
    )
    assert directive.attachments.count() == 2


def test_api_lists_adds_and_downloads_files(people, directive, api_client):
    head = api_client(people.user("hoangmai_head"))
    listed = head.get(f"/api/v1/documents/{directive.pk}/files")
    assert [item["name"] for item in listed.json()] == ["chi-thi.pdf"]
    added = head.post(
        f"/api/v1/documents/{directive.pk}/files", {"files": [SimpleUploadedFile("bao-cao.docx", DOCX)]}
    )
    assert added.status_code == 201, added.content
    (new,) = added.json()
    assert new["sha256"] == hashlib.sha256(DOCX).hexdigest()
    assert new["content_type"].endswith("wordprocessingml.document")
    download = head.get(f"/api/v1/documents/files/{new['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == DOCX

    outsider = api_client(people.user("badinh_head"))
    assert outsider.get(f"/api/v1/documents/{directive.pk}/files").status_code == 404
    assert outsider.get(f"/api/v1/documents/files/{new['id']}").status_code == 404
    refused = outsider.post(
        f"/api/v1/documents/{directive.pk}/files", {"files": [SimpleUploadedFile("x", b"x")]}
    )
    assert refused.status_code == 404
    assert api_client(None).get(f"/api/v1/documents/{directive.pk}/files").status_code == 401
    assert directive.attachments.count() == 2
