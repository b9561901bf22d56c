from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kycuong.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `kycuong backup`: checks every checksum first, then loads the database and "
        "the uploaded files and verifies the row counts and the audit chain. Stop the server and the worker "
        "first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="replace the data the database and media folder hold now"
        )

    def handle(self, *args, archive: Path, replace: bool, **options):
        try:
            report = backup_restore(archive, replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {report.tables} tables ({report.rows} rows, counts match the backup) and "
                f"{report.files} uploaded files; the audit chain is intact."
            )
        )
