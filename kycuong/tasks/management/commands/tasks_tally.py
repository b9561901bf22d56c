"""Check the task tally against the tasks, or recount it after tasks were loaded in bulk."""

from django.core.management.base import BaseCommand, CommandError

from kycuong.tasks.tally import tally_differences, tally_rebuild


class Command(BaseCommand):
    help = "Check the task counts kept per unit and due date against the tasks (--rebuild recounts them)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recount the tally from the tasks")

    def handle(self, *args, rebuild: bool, **options):
        if rebuild:
            self.stdout.write(f"Task tally recounted: {tally_rebuild()} rows.")
            return
        differences = tally_differences()
        if differences:
            for key, kept, expected in differences[:20]:
                self.stderr.write(f"{key}: kept {kept}, tasks say {expected}")
            raise CommandError(f"The task tally differs from the tasks in {len(differences)} places.")
        self.stdout.write("The task tally matches the tasks.")
