"""The methods shipped with the product: created by migration 0002 and, after every `migrate` (and every
database flush, which the test suite's transactional tests run), created again if missing. Existing rows are
never changed, so versions edited by an administrator stay as they are."""

import importlib


def shipped_methods() -> list[dict]:
    return importlib.import_module("kycuong.evaluations.migrations.0002_shipped_methods").METHODS


def ship_methods(sender=None, using: str = "default", **kwargs) -> int:
    from .models import Method

    created = 0
    for spec in shipped_methods():
        if not Method.objects.using(using).filter(code=spec["code"], valid_from=spec["valid_from"]).exists():
            Method.objects.using(using).create(**spec)
            created += 1
    return created
