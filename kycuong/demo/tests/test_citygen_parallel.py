"""The city-scale generator with its modules' records written by two processes at once (PostgreSQL): the same
rows as one process writes, and pre-aggregates that still equal a recount."""

import datetime

import pytest
from django.db import connection, transaction

from kycuong.core.audit import audit_verify_chain
from kycuong.demo.citygen import Progress, generate_city
from kycuong.demo.tests.test_citygen import fingerprint
from kycuong.tasks.tally import tally_differences

AS_OF = datetime.date(2026, 6, 15)
VOLUME = 0.05


# The test process has helper threads (the hang watchdog); the generator forks only between its parts.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.django_db(transaction=True)
def test_two_processes_write_what_one_writes():
    if connection.vendor != "postgresql":
        pytest.skip("forked processes need a database they can share: the SQLite test one lives in memory")
    quiet = Progress(quiet=True)
    with transaction.atomic():
        one = generate_city(scale="district", seed=11, as_of=AS_OF, progress=quiet, volume=VOLUME, jobs=1)
        expected = fingerprint()
        transaction.set_rollback(True)
    two = generate_city(scale="district", seed=11, as_of=AS_OF, progress=quiet, volume=VOLUME, jobs=2)
    assert two == one
    assert fingerprint() == expected
    assert tally_differences() == []
    assert audit_verify_chain().ok
