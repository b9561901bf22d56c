"""The `kycuong` console command: every Django management command and the product's own."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycuong.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # Product commands are spelled with dashes (seed-demo); Django's modules use underscores.
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
