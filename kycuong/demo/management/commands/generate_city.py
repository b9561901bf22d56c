import datetime
import os
import time

from django.core.management.base import BaseCommand, CommandError

from kycuong.demo.citygen import SCALES, Progress, generate_city


class Command(BaseCommand):
    help = (
        "Generate a synthetic city into an empty, migrated database: the Hanoi structure with city-scale "
        "volumes of tasks, inspections, discipline cases, process instances, ratings and projects "
        "(--scale hanoi), or one district with small volumes (--scale district). Progress goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="district")
        parser.add_argument("--seed", type=int, default=2024, help="the same seed gives the same data")
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the records' states are consistent with (default: today)",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="processes generating the modules' records at once (PostgreSQL; SQLite uses one)",
        )
        parser.add_argument(
            "--database-url",
            default=None,
            help="generate into this database instead of DATABASE_URL (it must be migrated and empty)",
        )

    def handle(self, *args, **options):
        if options["database_url"] and os.environ.get("DATABASE_URL") != options["database_url"]:
            # The console command sets DATABASE_URL from this option before the settings are read.
            raise CommandError("--database-url works with the `kycuong` console command; set DATABASE_URL.")
        started = time.perf_counter()
        try:
            counts = generate_city(
                scale=options["scale"],
                seed=options["seed"],
                as_of=options["as_of"],
                progress=Progress(),
                jobs=options["jobs"],
            )
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for name, count in counts.items():
            self.stdout.write(f"{name:<18} {count:>12,}")
        self.stdout.write(f"generated in {time.perf_counter() - started:.0f} s")
