from django.core.management.base import BaseCommand, CommandError

from kycuong.core import response_cache


class Command(BaseCommand):
    help = (
        "Stop using every API answer kept in Redis so far: run it after changing the database by any other "
        "way than the application (psql, a script of your own)."
    )

    def handle(self, *args, **options):
        if not response_cache.is_enabled():
            self.stdout.write("The response cache is off (RESPONSE_CACHE, REDIS_URL): nothing is kept.")
            return
        if not response_cache.forget_everything():
            raise CommandError("Redis does not answer: the kept answers could not be dropped. Try again.")
        done = "Every kept API answer is dropped: the next reads are computed."
        self.stdout.write(self.style.SUCCESS(done))
