"""The packing every cursor shares: a little JSON, base64url without
padding, opaque to clients. What a cursor holds, and which list it belongs
to, is each list's own (app.http.read_models, step_cursors, events)."""

from __future__ import annotations

import base64
import json
from typing import Any

from app.http.problems import Problem


def pack(data: dict[str, Any]) -> str:
    """`data` as a cursor (key order kept, so a cursor reads the same every time)."""
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def unpack(text: str) -> dict[str, Any] | None:
    """The JSON object a cursor holds; None when `text` holds none."""
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):  # binascii.Error and JSON errors are ValueErrors
        return None
    return data if isinstance(data, dict) else None


def refused(pointer: str, detail: str) -> Problem:
    """The 422 for a cursor that is not one this list gave."""
    return Problem("validation-error", "Some query parameters are invalid.", {"errors": [
        {"pointer": pointer, "detail": detail, "code": "invalid"}]})
