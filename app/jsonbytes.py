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


#: How deeply objects and arrays may nest in a body Procura reads: enough for
#: any request it accepts, far below what recursion (in parsing, validation,
#: str()) could fail on.
MAX_DEPTH = 32


def nesting_exceeds(data: bytes, document: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether the parsed `document` (from `data`) nests deeper than `max_depth`.
    Bodies with fewer brackets than that are answered without walking them."""
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    level, depth = [document], 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        level = [child for node in level if isinstance(node, dict | list)
                 for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, dict | list)]
    return False
