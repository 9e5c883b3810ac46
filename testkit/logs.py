"""Reading what a Procura process wrote to a file: its JSON log lines, or
everything so far while it runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import IO


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


def written_so_far(file: IO[str]) -> str:
    """All a running child process has written to `file` (its stdout or
    stderr) so far. Read through a fresh open of the file: seeking the open
    file the child shares would move the child's write offset too, and its
    next line would overwrite the file from the start (a server's first
    lines, saying which schema steps it applied, were lost that way)."""
    with open(f"/proc/self/fd/{file.fileno()}", encoding="utf-8", errors="replace") as fresh:
        return fresh.read()
