"""`kycuong backup` and `kycuong restore`: a round trip into another database loses nothing, and a damaged
or mismatched archive is refused before anything is touched."""

import datetime
import io
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from kycuong.core.audit import audit_verify_chain
from kycuong.core.backup import BackupError, backup_create, backup_restore
from kycuong.tasks.models import DocumentKind
from kycuong.tasks.services import document_create

ROOT = Path(__file__).resolve().parents[3]
SCAN = b"%PDF-1.4 quyet dinh so 12/QD-UBND"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    document_create(
        actor=world.user("hoangmai_head"),
        issuing_unit=world.hoangmai,
        number="12/QĐ-UBND",
        kind=DocumentKind.PLAN,
        title="Quyết định ban hành quy chế",
        issued_on=datetime.date(2025, 3, 1),
        files=[SimpleUploadedFile("quyet-dinh.pdf", SCAN)],
    )
    return world


def _counts(cursor, tables) -> dict[str, int]:
    result = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
        result[table] = cursor.fetchone()[0]
    return result


def _source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _counts(cursor, connection.introspection.table_names(cursor))


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the same kind as the suite's, and its DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}", None
        return
    import psycopg

    options = connection.settings_dict
    name = f"kycuong_restore_{uuid.uuid4().hex[:8]}"
    server = {
        "host": options["HOST"] or "127.0.0.1",
        "port": options["PORT"] or 5432,
        "user": options["USER"],
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}", (server, name)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _kycuong(*arguments, database_url: str, media: Path) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kycuong.settings",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
    }
    return subprocess.run(
        [sys.executable, "-m", "django", *arguments],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_backup_restored_into_an_empty_database_loses_nothing(data, tmp_path, empty_database):
    database_url, postgres = empty_database
    archive = tmp_path / "backup.tar"
    report = backup_create(archive)
    source = _source_counts()
    assert report.rows == sum(source.values()) and report.files == 1

    restored_media = tmp_path / "restored-media"
    result = _kycuong("restore", str(archive), database_url=database_url, media=restored_media)
    assert result.returncode == 0, result.stderr
    assert "audit chain is intact" in result.stdout

    if postgres is None:
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as restored:
            counts = _counts(restored.cursor(), source)
    else:
        import psycopg

        server, name = postgres
        with psycopg.connect(dbname=name, **server) as restored:
            counts = _counts(restored.cursor(), source)
    assert counts == source
    (stored,) = (path for path in restored_media.rglob("*") if path.is_file())
    assert stored.read_bytes() == SCAN
    assert audit_verify_chain().ok


def test_a_damaged_archive_is_refused_and_nothing_is_touched(data, tmp_path):
    archive = tmp_path / "backup.tar"
    backup_create(archive)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w") as copy:
        for member in original.getmembers():
            content = original.extractfile(member).read()
            if member.name.startswith("media/"):
                content = content.replace(b"12/QD", b"99/QD")
            member.size = len(content)
            copy.addfile(member, io.BytesIO(content))
    before = _source_counts()
    with pytest.raises(BackupError, match="checksum differs"):
        backup_restore(damaged, replace=True)
    assert _source_counts() == before
    assert any(path.is_file() for path in Path(settings.MEDIA_ROOT).rglob("*"))


def test_restoring_over_data_needs_an_explicit_replace(data, tmp_path):
    archive = tmp_path / "backup.tar"
    backup_create(archive)
    with pytest.raises(BackupError, match="holds data"):
        backup_restore(archive)


def test_a_file_that_is_not_a_backup_is_refused(data, tmp_path):
    bogus = tmp_path / "notes.tar"
    bogus.write_bytes(b"not an archive at all")
    with pytest.raises(BackupError, match="not a readable backup archive"):
        backup_restore(bogus, replace=True)
