"""`procura projections status|rebuild NAME|verify`: operating the read models."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from projections.maintenance import REBUILD_BATCH, rebuild, status, verify
from projections.tables import ReadModel


def _services():
    from app.bootstrap import build_services

    return build_services()  # the environment's settings; a bad one ends the command with one line


def _models(services) -> list[ReadModel]:
    return [p for p in services.processors if isinstance(p, ReadModel)]


@click.group()
def projections() -> None:
    """Inspect, rebuild and verify the read models."""


@projections.command("status")
def status_command() -> None:
    """Each read model's position, the store's head, lag and last update."""
    services = _services()
    try:
        table = Table("read model", "position", "head", "lag", "updated at")
        for s in status(services.event_store, services.read_store, _models(services)):
            table.add_row(s.name, str(s.position), str(s.head), str(s.lag), s.updated_at or "-")
        Console().print(table)
    finally:
        services.close()


class _EventsPerSecond(ProgressColumn):
    """Events applied per second since the rebuild began."""

    def render(self, task) -> Text:
        elapsed = task.elapsed or 0
        rate = task.fields.get("events", 0) / elapsed if elapsed > 0 else 0
        return Text(f"{rate:,.0f} events/s", style="cyan")


def _select(models: list[ReadModel], name: str) -> list[ReadModel]:
    if name == "all":
        return models
    chosen = [m for m in models if m.name == name]
    if not chosen:
        raise click.BadParameter(f"one of: all, {', '.join(m.name for m in models)}", param_hint="NAME")
    return chosen


@projections.command("rebuild")
@click.argument("name")
@click.option("--batch-size", default=REBUILD_BATCH, show_default=True, type=click.IntRange(1, 100_000))
def rebuild_command(name: str, batch_size: int) -> None:
    """Rebuild NAME (or `all`) under new tables, then switch atomically.

    The API keeps answering from the old tables until the switch.
    """
    services = _services()
    try:
        for model in _select(_models(services), name):
            _rebuild_one(services, model, batch_size)
    finally:
        services.close()


def _rebuild_one(services, model: ReadModel, batch_size: int) -> None:
    head = services.event_store.head_position()
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[events]:,} events"), _EventsPerSecond(), TimeRemainingColumn())
    started = time.perf_counter()
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task(model.name, total=max(head, 1), events=0)

        def advance(count: int) -> None:
            events = progress.tasks[task].fields["events"] + count
            progress.update(task, advance=count, events=events)

        position = rebuild(services.event_store, services.read_store, model, batch_size=batch_size, on_batch=advance)
        progress.update(task, completed=max(head, 1))
    click.echo(f"{model.name}: rebuilt to position {position} in {time.perf_counter() - started:.1f} s")


@projections.command("verify")
@click.argument("name", default="all")
def verify_command(name: str) -> None:
    """Rebuild into scratch tables and diff with the live ones (exit 1 on any difference)."""
    services = _services()
    differing = 0
    try:
        for model in _select(_models(services), name):
            differences = verify(services.event_store, services.read_store, model)
            differing += len(differences)
            click.echo(f"{model.name}: {'OK' if not differences else f'{len(differences)} differing rows'}")
            for d in differences:
                click.echo(f"  {d.table} {d.key}:\n    live:    {d.live}\n    rebuilt: {d.rebuilt}")
    finally:
        services.close()
    sys.exit(1 if differing else 0)
