"""CPU time of processes, from /proc (Linux): what the benchmarks divide by
the requests a run answered, which moves less with the machine's load than
throughput does."""

from __future__ import annotations

import os

TICK_SECONDS = 1 / os.sysconf("SC_CLK_TCK")


def process_ticks(pid: int) -> int | None:
    """utime + stime of `pid` in clock ticks; None once it has exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), after pid and comm


def _parents() -> dict[int, int]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    found[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def tree_ticks(pid: int) -> int:
    """utime + stime, in clock ticks, of `pid` and every live descendant
    (a server's master, its workers and its HAProxy)."""
    parents = _parents()
    tree, grew = {pid}, True
    while grew:
        children = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(ticks for p in tree if (ticks := process_ticks(p)) is not None)
