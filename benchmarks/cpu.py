"""CPU time of processes, from /proc (Linux): what the benchmarks divide by
the requests a run answered, which moves less with the machine's load than
throughput does."""

from __future__ import annotations

import os

TICK_SECONDS = 1 / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str] | None:
    """/proc/<pid>/stat after pid and comm (field 3 of proc(5) first); None once it has exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _ticks(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of proc(5)


def process_ticks(pid: int) -> int | None:
    """utime + stime of `pid` in clock ticks; None once it has exited."""
    fields = _stat_fields(pid)
    return None if fields is None else _ticks(fields)


def tree_ticks(pid: int) -> int:
    """utime + stime, in clock ticks, of `pid` and every live descendant
    (a server's master, its workers and its HAProxy), each /proc entry read once."""
    stats = {int(entry): fields for entry in os.listdir("/proc")
             if entry.isdigit() and (fields := _stat_fields(entry)) is not None}
    tree, grew = {pid}, True
    while grew:
        children = {child for child, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(_ticks(stats[p]) for p in tree if p in stats)
