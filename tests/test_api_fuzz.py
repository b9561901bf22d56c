"""The API fuzzed against its own OpenAPI document (schemathesis): for every operation, generated requests
with a signed-in administrator's token never get a server error, and every answer has a documented status,
content type and shape. Bounded: a few examples per operation, so the suite stays quick."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kycuong.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


ROOT = Path(__file__).resolve().parents[1]
# The committed document, which kycuong/core/tests/test_openapi.py proves equal to the live one; calls go to
# the WSGI application in this process, against the test database.
schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")
schema.app = application


@pytest.fixture
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the test's
    transaction; Django's test client does the same as this while it calls the application."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(world, keep_the_test_connection):
    from kycuong.accounts.services import api_token_create

    _token, plain = api_token_create(actor=world.user("superuser"), name="fuzz")
    return {"Authorization": f"Bearer {plain}"}


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.django_db
def test_no_operation_fails_or_breaks_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
