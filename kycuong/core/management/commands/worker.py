import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules


class Command(BaseCommand):
    help = "Run the background worker: the scheduler of periodic jobs and the job queue (database or Redis)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule-interval",
            type=float,
            default=30.0,
            help="Seconds between checks for due periodic jobs (default 30).",
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Only run tasks; enqueue no periodic jobs."
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run the jobs that are due and queued, then exit."
        )

    def handle(self, *args, schedule_interval, no_scheduler, batch, verbosity, **options):
        from kycuong.core import jobs

        queue = jobs.redis_backend()
        if queue is not None:
            try:
                queue.check_connection()
            except RuntimeError as error:
                raise CommandError(str(error)) from error
        autodiscover_modules("jobs")
        for job_id in jobs.requeue_abandoned_jobs():
            self.stdout.write(f"Job {job_id} was left running by a worker that stopped: queued again")
        if batch:
            jobs.enqueue_due_jobs()
            if queue is not None:
                queue.work(jobs.worker_id(), batch=True)
                return
            call_command(
                "db_worker", batch=True, reload=False, verbosity=verbosity, worker_id=jobs.worker_id()
            )
            return
        if not no_scheduler:
            threading.Thread(target=self._schedule, args=(jobs, schedule_interval), daemon=True).start()
        if queue is not None:
            queue.work(jobs.worker_id())
            return
        call_command(
            "db_worker", reload=False, verbosity=verbosity, startup_delay=False, worker_id=jobs.worker_id()
        )

    def _schedule(self, jobs, interval: float) -> None:
        while True:
            close_old_connections()
            try:
                for name in jobs.enqueue_due_jobs():
                    self.stdout.write(f"Scheduled periodic job {name}")
                jobs.requeue_abandoned_jobs()
            except Exception as error:  # noqa: BLE001 - the scheduler must outlive a passing database error
                self.stderr.write(f"Scheduler: {error}")
            time.sleep(interval)
