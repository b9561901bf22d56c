"""Values a process keeps for a few seconds: rows read on every public request that change only by an
administrator's hand (the survey template in force, the service point behind a public link).

A change saved in this process forgets them at once and again when its transaction commits (another thread
may have read the old row meanwhile); other processes see it within the cache's lifetime. Tests forget them
between tests, since a rolled-back transaction sends no signal.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import response_cache

_ALL: list["KeptValues"] = []


class KeptValues:
    def __init__(self, name: str, seconds: float, max_entries: int = 10_000):
        self.name = name
        self.seconds = seconds
        self.max_entries = max_entries
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        kept = self._values.get(key)
        now = time.monotonic()
        if kept is not None and now - kept[0] < self.seconds:
            response_cache.not_exact()  # other processes' changes reach this copy only when it expires
            return kept[1]
        value = load()
        with self._lock:
            if len(self._values) >= self.max_entries:
                self._values.clear()  # a flood of distinct keys must not grow the process without bound
            self._values[key] = (now, value)
        return value

    def forget(self, *_args, **_kwargs) -> None:
        with self._lock:
            self._values.clear()

    def _changed(self, sender, using=None, **kwargs) -> None:
        self.forget()
        transaction.on_commit(self.forget, using=using)

    def forget_on_change(self, *models, m2m=()) -> None:
        """Forget everything whenever a row of these models (or of these many-to-many tables) changes."""
        for model in models:
            uid = f"kept-{self.name}-{model._meta.label}"
            post_save.connect(self._changed, sender=model, dispatch_uid=f"{uid}-save", weak=False)
            post_delete.connect(self._changed, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
        for through in m2m:
            uid = f"kept-{self.name}-{through._meta.label}-m2m"
            m2m_changed.connect(self._changed, sender=through, dispatch_uid=uid, weak=False)


def forget_all() -> None:
    for kept in _ALL:
        kept.forget()
