"""Rows the product ships (evaluation methods, inspection kinds, discipline forms, signal thresholds, the
disbursement rule) come from data migrations. A database flush (the test suite's transactional tests, or
`kycuong flush`) removes them but then sends `post_migrate`: each app registers here how to put its rows
back, created if missing and never changed if present, so administrators' edits stay."""

import importlib
from collections.abc import Callable

from django.db.models.signals import post_migrate


def restore_after_flush(app_config, restore: Callable[[], object]) -> None:
    def receiver(sender, **kwargs):
        restore()

    post_migrate.connect(
        receiver, sender=app_config, weak=False, dispatch_uid=f"{app_config.label}-shipped-rows"
    )


def from_migration(module: str, function: str) -> Callable[[], object]:
    """A data migration's function, run with the current models (it reads them through the `apps` it gets)."""

    def run():
        from django.apps import apps

        return getattr(importlib.import_module(module), function)(apps, None)

    return run
