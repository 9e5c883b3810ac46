"""Reading the JSON log lines a Procura process wrote to a file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


def json_log_entries(log: Path, keep: Callable[[dict], bool]) -> list[dict]:
    """The log's JSON entries for which `keep` is true, in order; lines that
    are not JSON (a traceback, a server banner) are ignored."""
    entries = []
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and keep(entry):
            entries.append(entry)
    return entries
