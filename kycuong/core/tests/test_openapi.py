"""Deliberate changes only: the committed API schema (docs/openapi.json) and the migrations match the code."""

import json
from pathlib import Path

import pytest

from kycuong.api import api

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = (
    "kycuong export_openapi_schema --api kycuong.api.api --indent 2 --sorted --output docs/openapi.json"
)


def generated() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), sort_keys=True, default=str))


def test_committed_schema_matches_the_code():
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert generated() == committed, f"The API changed; review it and regenerate the schema: {REGENERATE}"


def test_every_operation_declares_its_error_responses():
    schema = generated()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if path != "/api/v1/auth/token":
                assert {"401"} <= codes, f"{method} {path}"
                assert operation.get("security"), f"{method} {path} declares no security"
            if method in ("post", "patch") and path != "/api/v1/auth/token":
                assert {"401", "422"} <= codes, f"{method} {path}"
            if "{" in path:
                assert "404" in codes, f"{method} {path}"


def test_no_two_schemas_share_a_name():
    """The document names each schema by its class name: two classes of one name in different apps would
    be merged into one entry, and one operation would be documented with the other's shape."""
    from ninja import Schema

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names: dict[str, str] = {}
    for cls in subclasses(Schema):
        if not cls.__module__.startswith("kycuong."):
            continue
        where = f"{cls.__module__}.{cls.__qualname__}"
        assert names.setdefault(cls.__name__, where) == where, f"{where} and {names[cls.__name__]}"


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    from django.core.management import call_command

    # --check exits non-zero when a model change has no migration yet.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
