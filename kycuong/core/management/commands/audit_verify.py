from django.core.management.base import BaseCommand, CommandError

from kycuong.core.audit import audit_verify_chain


class Command(BaseCommand):
    help = "Recompute the audit hash chain and report the first broken link (exit code 1 if broken)."

    def handle(self, *args, **options):
        report = audit_verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at record {report.broken_at}: {report.reason} "
                f"({report.checked} records before it are intact)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} records verified."))
