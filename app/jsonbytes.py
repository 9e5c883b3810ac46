"""Compact JSON as UTF-8 bytes, for response bodies, log lines and jsonb
parameters: orjson is several times faster than the json module, which
writes what orjson refuses (lone surrogates, integers beyond 64 bits,
non-string keys)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson


def json_bytes(value: Any, *, default: Callable[[Any], Any] | None = None) -> bytes:
    """`value` as compact JSON; `default` converts what JSON cannot hold (as
    in json.dumps), otherwise such values raise TypeError."""
    try:
        return orjson.dumps(value, default=default)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), default=default).encode()
