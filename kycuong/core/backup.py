"""Backups: one .tar file with a consistent copy of the database, every uploaded file, and a manifest with
the row count of each table and the SHA-256 of each member, so that a restore can prove it is complete.

- PostgreSQL: `pg_dump --format=custom` of a snapshot exported from a REPEATABLE READ transaction; the row
  counts are taken in the same snapshot, so they describe exactly what the dump holds.
- SQLite: the online backup API copies the database page by page into a consistent file.

A restore first checks every checksum and the database kind, and refuses an archive that does not match
before it touches anything; it replaces an existing database only when asked to (`replace=True`); after
loading, it compares the row counts with the manifest and checks the audit chain.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction

from . import response_cache

FORMAT = 1
MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as content:
        for chunk in iter(lambda: content.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _table_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names from the schema
        counts[table] = cursor.fetchone()[0]
    return counts


def _postgres_environment() -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments and environment for the configured database (no password on the
    command line)."""
    options = connection.settings_dict
    arguments = ["--host", options.get("HOST") or "127.0.0.1", "--port", str(options.get("PORT") or 5432)]
    arguments += ["--username", options.get("USER") or "postgres"]
    environment = {**os.environ}
    if options.get("PASSWORD"):
        environment["PGPASSWORD"] = options["PASSWORD"]
    return arguments, environment


def _run_postgres_tool(program: str, arguments: list[str], environment: dict[str, str]) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed (Debian package postgresql-client).")
    try:
        subprocess.run([executable, *arguments], env=environment, check=True, capture_output=True, text=True)  # noqa: S603
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{program} failed: {error.stderr.strip()}") from error


def _dump_postgres(workdir: Path) -> dict[str, int]:
    arguments, environment = _postgres_environment()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _table_counts(cursor, connection.introspection.table_names(cursor))
        dump = [
            "--format=custom",
            "--no-owner",
            f"--snapshot={snapshot}",
            "--file",
            str(workdir / POSTGRES_DUMP),
        ]
        _run_postgres_tool("pg_dump", [*arguments, *dump, connection.settings_dict["NAME"]], environment)
    return counts


def _dump_sqlite(workdir: Path) -> dict[str, int]:
    connection.ensure_connection()
    target = sqlite3.connect(workdir / SQLITE_COPY)
    try:
        connection.connection.backup(target)
        tables = [row[0] for row in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = [name for name in tables if not name.startswith("sqlite_")]
        counts = _table_counts(target.cursor(), tables)
    finally:
        target.close()
    return counts


@dataclass
class BackupReport:
    path: Path
    tables: int
    rows: int
    files: int


def backup_create(output: Path) -> BackupReport:
    """Write the backup archive to `output` (written aside, then moved into place)."""
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="kycuong-backup-") as temporary:
        workdir = Path(temporary)
        if connection.vendor == "postgresql":
            counts, database_member = _dump_postgres(workdir), POSTGRES_DUMP
        elif connection.vendor == "sqlite":
            counts, database_member = _dump_sqlite(workdir), SQLITE_COPY
        else:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
        files = (
            sorted(path for path in media_root.rglob("*") if path.is_file()) if media_root.exists() else []
        )
        manifest = {
            "format": FORMAT,
            "created": datetime.datetime.now(datetime.UTC).isoformat(),
            "database": connection.vendor,
            "tables": counts,
            "members": {database_member: _sha256(workdir / database_member)}
            | {f"media/{path.relative_to(media_root).as_posix()}": _sha256(path) for path in files},
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            encoded = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(encoded)
            archive.addfile(info, io.BytesIO(encoded))
            archive.add(workdir / database_member, arcname=database_member)
            for path in files:
                archive.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}")
        os.replace(partial, output)
    return BackupReport(output, len(counts), sum(counts.values()), len(files))


def _read_checked(archive_path: Path, into: Path) -> dict:
    """Unpack into `into` after refusing anything unexpected: links, paths outside, unlisted members,
    wrong checksums."""
    try:
        return _unpack(archive_path, into)
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{archive_path} is not a readable backup archive: {error}") from error


def _unpack(archive_path: Path, into: Path) -> dict:
    with tarfile.open(archive_path, "r") as archive:
        try:
            manifest = json.loads(archive.extractfile(MANIFEST).read())
        except (KeyError, AttributeError, ValueError) as error:
            raise BackupError("The archive has no readable manifest.") from error
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
        expected = manifest["members"]
        for member in archive.getmembers():
            if member.name == MANIFEST:
                continue
            if member.name not in expected or not member.isfile():
                raise BackupError(f"Unexpected member in the archive: {member.name}")
        archive.extractall(
            into, members=[m for m in archive.getmembers() if m.name != MANIFEST], filter="data"
        )
    for name, checksum in expected.items():
        path = into / name
        if not path.is_file():
            raise BackupError(f"Missing from the archive: {name}")
        if _sha256(path) != checksum:
            raise BackupError(f"Damaged in the archive (checksum differs): {name}")
    return manifest


def _database_is_empty() -> bool:
    """No units and no audit records: nothing a restore would overwrite."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in ("org_unit", "core_auditrecord"):
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - fixed names
                if cursor.fetchone() is not None:
                    return False
    return True


def _restore_postgres(workdir: Path) -> None:
    arguments, environment = _postgres_environment()
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connection.close()
    restore = ["--no-owner", "--exit-on-error", "--dbname", connection.settings_dict["NAME"]]
    _run_postgres_tool("pg_restore", [*arguments, *restore, str(workdir / POSTGRES_DUMP)], environment)


def _restore_sqlite(workdir: Path) -> None:
    source = sqlite3.connect(workdir / SQLITE_COPY)
    connection.ensure_connection()
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


@dataclass
class RestoreReport:
    tables: int
    rows: int
    files: int


def backup_restore(archive_path: Path, *, replace: bool = False) -> RestoreReport:
    with tempfile.TemporaryDirectory(prefix="kycuong-restore-") as temporary:
        workdir = Path(temporary)
        manifest = _read_checked(archive_path, workdir)
        if manifest["database"] != connection.vendor:
            raise BackupError(
                f"This backup is of a {manifest['database']} database, "
                f"but the configured one is {connection.vendor}."
            )
        if not replace and not _database_is_empty():
            raise BackupError("The database holds data. Restore into an empty database, or pass --replace.")
        for alias in connections:
            connections[alias].close()
        if connection.vendor == "postgresql":
            _restore_postgres(workdir)
        else:
            _restore_sqlite(workdir)
        response_cache.forget_everything()  # the restore wrote through its own connection
        media_root = Path(settings.MEDIA_ROOT)
        restored_media = workdir / "media"
        if replace and media_root.exists():
            shutil.rmtree(media_root)
        files = 0
        if restored_media.exists():
            for path in restored_media.rglob("*"):
                if path.is_file():
                    target = media_root / path.relative_to(restored_media)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
                    files += 1
    with connection.cursor() as cursor:
        counts = _table_counts(cursor, list(manifest["tables"]))
    differing = {table: (counts[table], n) for table, n in manifest["tables"].items() if counts[table] != n}
    if differing:
        raise BackupError(f"Row counts differ after the restore: {differing}")
    from .audit import audit_verify_chain

    chain = audit_verify_chain()
    if not chain.ok:
        raise BackupError(f"The restored audit chain is broken at record {chain.broken_at}: {chain.reason}")
    return RestoreReport(len(counts), sum(counts.values()), files)
