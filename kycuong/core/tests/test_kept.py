"""Values a process keeps for a few seconds: read once, read again when they expire or change."""

import pytest

from kycuong.core import kept
from kycuong.core.kept import KeptValues


def test_a_value_is_loaded_once_until_it_expires(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    values = KeptValues("test-expiry", seconds=30)
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    assert values.get("a", load) == 1
    clock[0] += 29
    assert values.get("a", load) == 1
    clock[0] += 2
    assert values.get("a", load) == 2
    values.forget()
    assert values.get("a", load) == 3


def test_a_flood_of_keys_does_not_grow_without_bound():
    values = KeptValues("test-bound", seconds=30, max_entries=10)
    for key in range(25):
        values.get(key, lambda key=key: key)
    assert len(values._values) <= 10


@pytest.mark.django_db(transaction=True)
def test_a_saved_row_is_forgotten_at_once():
    from kycuong.org.models import Unit, UnitKind

    values = KeptValues("test-units", seconds=3600)
    values.forget_on_change(Unit)
    unit = Unit.objects.create(code="K1", name="Phường Kiểm Tra", kind=UnitKind.WARD)
    name = lambda: Unit.objects.get(pk=unit.pk).name  # noqa: E731
    assert values.get(unit.pk, name) == "Phường Kiểm Tra"
    unit.name = "Phường Mới"
    unit.save()
    assert values.get(unit.pk, name) == "Phường Mới"
