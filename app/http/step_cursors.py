"""Cursors of a PO's history and timeline pages: opaque to clients (base64
of a little JSON), bound to one PO and one of the two lists, and checked
when they come back (422 on /cursor otherwise), as the lists' cursors are
(app.http.read_models)."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from app.http import cursors
from app.http.problems import Problem
from app.http.read_schemas import STEP_CURSOR_INVALID
from app.http.schemas import storable_text
from app.service.support import TimelineBound

#: The longest tiebreak a timeline cursor may carry (the server writes 32 hex digits).
_MAX_TEXT = 64


def _scope(kind: str, po_id: UUID) -> str:
    return hashlib.sha256(f"{kind}:{po_id}".encode()).hexdigest()[:16]


def _decode(text: str, kind: str, po_id: UUID) -> dict[str, Any] | None:
    data = cursors.unpack(text)
    return data if data is not None and data.get("f") == _scope(kind, po_id) else None


def _refused() -> Problem:
    return cursors.refused("/cursor", STEP_CURSOR_INVALID)


def _version(value: Any, current: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= current


def history_cursor(version: int, po_id: UUID) -> str:
    return cursors.pack({"v": version, "f": _scope("history", po_id)})


def history_from(text: str, po_id: UUID, current: int) -> int:
    """The version a history page starts at (422 on /cursor if `text` is not
    one of this PO's history cursors)."""
    data = _decode(text, "history", po_id)
    if data is None or not _version(data.get("v"), current):
        raise _refused()
    return data["v"]


def timeline_cursor(bound: TimelineBound, po_id: UUID) -> str:
    return cursors.pack({"v": bound.version, "r": None if bound.refusal is None else list(bound.refusal),
                    "f": _scope("timeline", po_id)})


def _refusal_key(value: Any) -> bool:
    if value is None:
        return True
    if not (isinstance(value, list) and len(value) == 2):
        return False
    micros, tiebreak = value
    return (isinstance(micros, int) and not isinstance(micros, bool) and 0 <= micros <= 2**63
            and isinstance(tiebreak, str) and len(tiebreak) <= _MAX_TEXT and storable_text(tiebreak))


def timeline_from(text: str, po_id: UUID, current: int) -> TimelineBound:
    """Where a timeline page starts (422 on /cursor if `text` is not one of
    this PO's timeline cursors)."""
    data = _decode(text, "timeline", po_id)
    if data is None or not _version(data.get("v"), current) or not _refusal_key(data.get("r")):
        raise _refused()
    refusal = data["r"]
    return TimelineBound(data["v"], None if refusal is None else tuple(refusal))
