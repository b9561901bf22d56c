import os
import signal
import subprocess
import sys
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Kỷ Cương (gunicorn) with the background worker beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args, host, port, workers, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        children = []
        if not no_worker:
            children.append(subprocess.Popen([os.path.join(bin_dir, "kycuong"), "worker", "-v", "0"]))
        children.append(
            subprocess.Popen(
                [
                    os.path.join(bin_dir, "gunicorn"),
                    "kycuong.wsgi:application",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                    "--log-level",
                    "warning",
                ]
            )
        )
        self.stdout.write(self.style.SUCCESS(f"\nKỷ Cương is running at http://{host}:{port}/"))
        self.stdout.write(f"API docs: http://{host}:{port}/api/v1/docs")
        # The demo app sits above core; it is reached through the app registry, never imported.
        logins = apps.get_app_config("demo").demo_logins() if apps.is_installed("kycuong.demo") else []
        if logins:
            self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
            for username, role, unit_code in logins:
                self.stdout.write(f"  {username:<19} {role:<13} unit {unit_code}")
        self.stdout.write("Press Ctrl-C to stop the server and the worker.\n")

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # One child ending stops the other, so the product never half-runs.
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        stop(None, None)
        for child in children:
            child.wait()
