import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kycuong.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write a consistent backup (database + uploaded files + manifest with checksums) to one .tar file."

    def add_arguments(self, parser):
        default = f"kycuong-backup-{datetime.datetime.now():%Y%m%d-%H%M%S}.tar"
        parser.add_argument("--output", "-o", type=Path, default=Path(default), help=f"default: {default}")

    def handle(self, *args, output: Path, **options):
        try:
            report = backup_create(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {report.path}: {report.tables} tables, {report.rows} rows, "
                f"{report.files} uploaded files."
            )
        )
