"""`procura migrate [--dry-run]` and `procura migrate status`: the schema's steps."""

from __future__ import annotations

import click

from app.config import load_settings
from app.schema import SchemaStatus, migrator_for, release


@click.group(invoke_without_command=True)
@click.option("--dry-run", is_flag=True, help="print the pending steps' SQL; change nothing")
@click.pass_context
def migrate(ctx: click.Context, dry_run: bool) -> None:
    """Apply the pending schema steps (safe to run from many processes at once)."""
    if ctx.invoked_subcommand is not None:
        return
    from app.telemetry.logs import configure_logging

    settings = load_settings(needs_token_secret=False)  # a bad setting ends as one line (app.cli)
    configure_logging(settings.log_level)  # the line saying it waits for another migrating process
    migrator = migrator_for(settings)  # schema errors end as one line (app.cli)
    if dry_run:
        _print_plan(migrator.status())
        return
    for step in migrator.migrate():
        click.echo(f"applied {step.name}")
    status = migrator.status()
    click.echo(f"schema at version {status.version} (release {release()})")


def _print_plan(status: SchemaStatus) -> None:
    if not status.pending:
        click.echo(f"-- nothing to apply: the schema is at version {status.version}")
        return
    for step in status.pending:
        click.echo(f"-- step {step.name} (would run in one transaction)\n{step.sql.rstrip()}\n")


@migrate.command("status")
def status_command() -> None:
    """The database's schema version, and each step: applied (when, by which release) or pending."""
    status = migrator_for(load_settings(needs_token_secret=False)).status()
    applied = {a.number: a for a in status.applied}
    modified = {s.number for s in status.modified}
    click.echo(f"schema version {status.version}; release {release()} knows {len(status.known)} steps, "
               f"{len(status.pending)} pending")
    for step in status.known:
        done = applied.get(step.number)
        state = (f"applied {done.applied_at} by release {done.release}" if done else "pending")
        click.echo(f"{step.name:<48} {state}{'  CHANGED SINCE APPLIED' if step.number in modified else ''}")
    for newer in status.newer:
        click.echo(f"{newer.name:<48} applied {newer.applied_at} by release {newer.release} (newer release)")
