from django.core.management.base import BaseCommand, CommandError

from kycuong.core.context import request_context
from kycuong.demo.loader import seed_demo


class Command(BaseCommand):
    help = "Load the Hanoi demo data set (once; a second run keeps what is there)."

    def handle(self, *args, **options):
        with request_context():
            try:
                loaded = seed_demo(log=self.stdout.write)
            except RuntimeError as error:
                raise CommandError(str(error)) from error
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present; kept as it is.")
