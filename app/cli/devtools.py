"""`procura events`, `procura state`, `procura trace`: replay and debugging.

Output uses rich tables on a terminal and plain tab-separated text otherwise,
so it can be piped into other tools; `--json` gives machine-readable output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from app.service import replay as devtools

EVENT_COLUMNS = ("version", "occurred_at", "type", "actor", "command_id", "correlation_id")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A rich table on a terminal; header plus tab-separated rows otherwise."""
    console = _console()
    if not console.is_terminal:
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join("" if v is None else str(v) for v in row))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a UUID") from None


def _services():
    from app.bootstrap import build_services

    return build_services()  # the environment's settings; a bad one ends the command with one line


@click.command()
@click.argument("po_id")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per event")
@click.option("--data", "with_data", is_flag=True, help="include each event's payload")
def events(po_id: str, as_json: bool, with_data: bool) -> None:
    """The event stream of one PO (or operation), oldest first."""
    services = _services()
    try:
        rows = devtools.stream(services.event_store, _uuid(po_id))
    finally:
        services.close()
    if not rows:
        raise click.ClickException(f"no events for {po_id}")
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.as_json()))
        return
    columns = (*EVENT_COLUMNS, "data") if with_data else EVENT_COLUMNS
    print_table(f"events of {po_id}", columns,
                [[*(getattr(r, c) for c in EVENT_COLUMNS), *([json.dumps(r.data)] if with_data else [])]
                 for r in rows])


@click.command()
@click.argument("po_id")
@click.option("--version", type=int, default=None, help="the PO as it stood at this version")
@click.option("--diff", "versions", type=int, nargs=2, default=None, metavar="A B",
              help="what changed between versions A and B")
def state(po_id: str, version: int | None, versions: tuple[int, int] | None) -> None:
    """A PO as it stood (now, at --version N), or --diff A B between two versions."""
    services = _services()
    try:
        po = _uuid(po_id)
        if versions:
            before, after = (devtools.state_at(services.event_store, po, v) for v in versions)
            if before is None or after is None:
                raise click.ClickException("no such PO or version")
            print_table(f"{po_id}: version {versions[0]} -> {versions[1]}", ("field", "before", "after"),
                        devtools.diff(before, after))
            return
        current = devtools.state_at(services.event_store, po, version)
    finally:
        services.close()
    if current is None:
        raise click.ClickException("no such PO or version")
    click.echo(json.dumps(current, indent=2))


@click.command()
@click.argument("some_id")
@click.option("--json", "as_json", is_flag=True)
def trace(some_id: str, as_json: bool) -> None:
    """Every event written under a request, correlation, command or operation id."""
    services = _services()
    try:
        rows = devtools.trace(services.event_store, some_id)
    finally:
        services.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.as_json()))
        return
    print_table(f"trace of {some_id}", ("position", "aggregate_id", *EVENT_COLUMNS),
                [[r.position, r.aggregate_id, *(getattr(r, c) for c in EVENT_COLUMNS)] for r in rows])
    if not rows:
        click.echo(f"nothing was written under {some_id}", err=True)
        sys.exit(1)


@click.group()
def docs() -> None:
    """Generate documentation from the code."""


@docs.command("behaviour")
@click.option("--output", type=click.Path(dir_okay=False), default="docs/integrators/behaviour.md", show_default=True)
def docs_behaviour(output: str) -> None:
    """Write the behaviour catalogue (status x command x caller -> answer)."""
    from pathlib import Path

    from app.http.behaviour import render_markdown

    Path(output).write_text(render_markdown() + "\n")
    click.echo(f"wrote {output}")


@docs.command("events")
@click.option("--output", type=click.Path(dir_okay=False), default="docs/integrators/events.md", show_default=True)
def docs_events(output: str) -> None:
    """Write the public event catalogue (every public type and its data)."""
    from pathlib import Path

    from app.tools.event_catalogue import render_markdown

    Path(output).write_text(render_markdown())
    click.echo(f"wrote {output}")


COMMANDS = (events, state, trace, docs)
