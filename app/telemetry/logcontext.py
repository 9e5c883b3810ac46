"""Fields that every log line written inside a block carries.

Background workers (the projection supervisor, the placement executor) act on
behalf of an operation or a batch of events; `log_fields(...)` puts the ids
they act under (operation id, correlation id, projection, position) on every
log record written in the block, in this thread or task only (a ContextVar),
so `JsonFormatter` can add them to each JSON line. No Flask, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_fields: ContextVar[dict[str, Any]] = ContextVar("procura_log_fields", default={})  # noqa: B039 - never mutated


@contextmanager
def log_fields(**fields: Any) -> Iterator[None]:
    """Add `fields` (over any enclosing ones) to log lines written in this block."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def current_log_fields() -> dict[str, Any]:
    """The fields in force here (a copy; empty outside any block)."""
    return dict(_fields.get())
