"""Who is acting and for which request: read by the audit service."""

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("kycuong_request_id", default="")


@dataclass(frozen=True)
class SystemActor:
    """A named background job or command acting with the system's authority."""

    name: str
    kind: str = "job"

    pk = None
    is_authenticated = True
    is_active = True
    is_superuser = True

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    token = _request_id.set(request_id or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


def actor_label(actor) -> str:
    if isinstance(actor, SystemActor):
        return actor.label
    return getattr(actor, "username", "") or "anonymous"
