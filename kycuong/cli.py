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
    # `--database-url` (generate-city) must choose the database before the settings are read.
    for index, argument in enumerate(argv):
        if argument == "--database-url" and index + 1 < len(argv):
            os.environ["DATABASE_URL"] = argv[index + 1]
        elif argument.startswith("--database-url="):
            os.environ["DATABASE_URL"] = argument.split("=", 1)[1]
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
