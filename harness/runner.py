"""One harness run: stack up, hostile sweep, load, checks, summary."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from harness import checks
from harness.hostile import Sweep
from harness.load import Mix, run_load
from harness.stack import live_stack
from harness.wire import Journal


@dataclass
class Options:
    clients: int = 32
    commands: int = 10_000
    duration: float | None = None  # seconds; the load stops at whichever comes first
    seed: int = 8
    hostile: bool = True
    server_workers: int = 2
    server_threads: int = 16
    catch_up_timeout: float = 120.0


@dataclass
class Report:
    options: Options
    results: list[checks.Result] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(not r.failures for r in self.results)

    def table(self) -> Table:
        table = Table(title="Procura reliability harness")
        table.add_column("check")
        table.add_column("cases", justify="right")
        table.add_column("failures", justify="right")
        for r in self.results:
            table.add_row(r.name, f"{r.cases:,}", f"[red]{len(r.failures)}[/red]" if r.failures else "0")
        return table

    def print(self, console: Console | None = None, samples: int = 5) -> None:
        console = console or Console()
        console.print(self.table())
        for key, value in self.figures.items():
            console.print(f"  {key}: {value}")
        for r in self.results:
            for failure in r.failures[:samples]:
                console.print(f"[red]FAIL[/red] {r.name}: {failure}", markup=True, highlight=False)

    def failure_text(self, samples: int = 10) -> str:
        return "\n".join(f"{r.name}: {f}" for r in self.results for f in r.failures[:samples])


def run(options: Options, console: Console | None = None) -> Report:
    report = Report(options)
    say = (console or Console(stderr=True)).log
    with live_stack(workers=options.server_workers, threads=options.server_threads) as stack:
        if options.hostile:
            sweep = Sweep(stack)
            sweep.prepare()
            sweep.build()
            say(f"hostile sweep: {len(sweep.cases)} cases")
            report.results += sweep.run()
        journal = Journal()
        say(f"load: {options.clients} clients, {options.commands:,} commands")
        started = time.monotonic()
        run_load(stack.base, journal, clients=options.clients, commands=options.commands,
                 duration=options.duration, mix=Mix(), seed=options.seed)
        elapsed = time.monotonic() - started
        exchanges = journal.exchanges
        say(f"load done: {len(exchanges):,} requests in {elapsed:.1f} s; checking")
        events = checks.stored_events(stack.services.event_store)
        report.results += checks.check_store(exchanges, events)
        report.results += checks.check_replays(exchanges)
        report.results.append(checks.check_conflicts(exchanges, events, status_at(stack)))
        report.results += checks.check_statuses(exchanges)
        report.results.append(checks.check_read_models(stack.services, options.catch_up_timeout))
        kinds = Counter(e.kind for e in exchanges)
        statuses = Counter(e.status for e in exchanges if e.status is not None)
        report.figures = {
            "requests": f"{len(exchanges):,} in {elapsed:.1f} s ({len(exchanges) / elapsed:,.0f}/s)",
            "commands sent": f"{sum(v for k, v in kinds.items() if k != 'read'):,} "
                             f"({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))})",
            "statuses": ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())),
            "events in store": f"{len(events):,}",
        }
    return report


def status_at(stack):
    """The PO's status at a version, as the event stream folds it."""
    from uuid import UUID

    cache: dict[tuple[str, int], str] = {}

    def status_at(po_id: str, version: int) -> str:
        if (po_id, version) not in cache:
            cache[(po_id, version)] = stack.services.event_store.purchase_order(UUID(po_id), version).status
        return cache[(po_id, version)]

    return status_at
