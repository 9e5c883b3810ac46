"""The `procura` command line (docs/operators/configuration.md)."""

from __future__ import annotations

import sys

from app.serving.shutdown import stop_while_starting

if sys.argv[1:2] == ["serve"]:
    stop_while_starting()  # before anything slow: a stop during the start-up ends it at once, cleanly

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points

import click

from app.config import ConfigError, load_settings


def _settings():
    """The configuration; a bad value ends the command with one line (_ProcuraGroup)."""
    return load_settings()


class _ProcuraGroup(click.Group):
    """A bad setting, an incompletely declared command, or a schema problem
    (a failed step, pending steps, a database out of reach) ends any command
    with one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        from app.http.declarations import DeclarationError, check_declarations
        from app.schema import SchemaError
        from app.serving.edge import EdgeError

        try:
            check_declarations()
            return super().invoke(ctx)
        except ConfigError as error:
            click.echo(f"procura: configuration error: {error}", err=True)
            sys.exit(2)
        except (SchemaError, EdgeError, DeclarationError) as error:
            click.echo(f"procura: {error}", err=True)
            sys.exit(1)


@click.group(cls=_ProcuraGroup)
@click.version_option(package_name="procura", prog_name="procura", message="%(prog)s %(version)s")
def main() -> None:
    """Procura: event-sourced purchase orders."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="PROCURA_HOST", show_envvar=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="PROCURA_PORT",
              show_envvar=True)
@click.option("--workers", default=None, type=click.IntRange(1, 256), envvar="PROCURA_WORKERS", show_envvar=True,
              help="server worker processes (PostgreSQL only)  [default: 2]")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 1024), envvar="PROCURA_THREADS",
              show_envvar=True)
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the HTTP API: HAProxy in front of granian (PROCURA_EDGE=none: gunicorn alone)."""
    from app.serving.server import serve as run_server

    settings = _settings()

    run_server(settings, host=host, port=port, workers=workers, threads=threads)


@main.command()
@click.option("--batch-size", default=None, type=click.IntRange(1, 100_000), help="events per transaction [500]")
@click.option("--status-port", "--metrics-port", "status_port", default=None, type=click.IntRange(1, 65535),
              envvar="PROCURA_WORKER_STATUS_PORT", show_envvar=True,
              help="serve /healthz and Prometheus /metrics (placements, circuits, webhooks) on 127.0.0.1:PORT")
def worker(batch_size: int | None, status_port: int | None) -> None:
    """Run the projections (and other event processors) until interrupted."""
    import signal

    from app.bootstrap import build_services
    from app.telemetry.logs import configure_logging
    from app.webhooks.outbox import DELIVERIES_CHANNEL

    settings = _settings()
    configure_logging(settings.log_level)  # JSON lines, each carrying the operation or projection it concerns
    services = build_services(settings)  # prepares the schema (or ends with one line saying why not)
    supervisor = services.supervisor()
    if status_port:
        from app.serving.worker_status import serve_status
        from app.telemetry.pool_metrics import sample_pool

        sample_pool(services)
        serve_status(status_port, supervisor, settings.worker_failing_seconds)
    for follower in supervisor.followers if batch_size else ():
        follower.batch_size = batch_size
    placements = services.suppliers.executor().start()
    webhooks = services.webhooks.sender().start(services.notifications(DELIVERIES_CHANNEL, who="webhook sender"))
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stop(timeout=0))
    click.echo(f"procura worker: following {', '.join(p.name for p in services.processors) or 'nothing'}"
               f"; placing orders with {', '.join(services.suppliers.suppliers) or 'no supplier'}"
               f"; sending webhooks with {services.settings.webhooks.threads} threads")
    try:
        supervisor.run()
    except KeyboardInterrupt:
        pass
    finally:
        placements.stop()
        webhooks.stop()
        services.close()


@main.command()
@click.option("--sub", required=True)
@click.option("--org", required=True)
@click.option("--roles", required=True, help="comma-separated, e.g. requester,approver")
@click.option("--department", default=None)
@click.option("--approval-limit", default=None)
@click.option("--ttl-hours", default=12, show_default=True, type=int)
def token(sub, org, roles, department, approval_limit, ttl_hours) -> None:
    """Print a signed token (and nothing else) for local use."""
    from aggregates.policy import ROLES
    from app.http.auth import mint_token

    names = [r.strip() for r in roles.split(",") if r.strip()]
    unknown = set(names) - ROLES
    if unknown or not names:
        raise click.BadParameter(f"roles must be among {', '.join(sorted(ROLES))}", param_hint="--roles")
    settings = _settings()
    if settings.identity.uses_keys:  # on stderr: stdout stays the token alone
        click.echo("Note: this configuration trusts an identity provider, which refuses these HS256 "
                   "tokens; they work only against a server without one.", err=True)
    click.echo(mint_token(settings.jwt_secret, sub=sub, org=org, roles=names, department=department,
                          approval_limit=approval_limit, ttl=timedelta(hours=ttl_hours)))


@main.command("seed-demo")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
def seed_demo(base_url: str) -> None:
    """Create demo users' POs (idempotent) and print curl examples."""
    from app.bootstrap import build_services
    from app.console.demo_users import tokens
    from app.tools.demo import seed

    settings = _settings()
    services = build_services(settings)
    try:
        ids = seed(services)
    finally:
        services.close()
    click.echo(_curl_examples(base_url, tokens(settings.jwt_secret), ids))


def _curl_examples(base: str, tok: dict[str, str], ids: list[str]) -> str:
    """The demo users' tokens as shell exports, the seeded POs, and the
    walkthrough (app/tools/walkthrough.py, the README's too)."""
    from app.console.demo_users import USERS
    from app.tools.walkthrough import render

    exports = "\n".join(f"export {name.upper()}={tok[name]}   # {_described(user)}" for name, user in USERS.items())
    laptops, desks, scope = (f"{base}/purchase-orders/{po_id}" for po_id in ids)
    return f"""
Procura demo data is ready (org acme-corp). Tokens are valid for 12 hours.

export PROCURA={base}
{exports}

The seeded POs: a draft {laptops}
an approved one {desks}
and a submitted one above Bob's limit {scope}

{render()}

Every error is problem+json; GET its `type` (e.g. {base}/problems/version-conflict) for an explanation.
"""


def _described(user: dict) -> str:
    limit = f", limit {user['approval_limit']}" if user.get("approval_limit") else ""
    return f"{', '.join(user['roles'])}, {user['department']}{limit}"


@main.command("purge-commands")
@click.option("--older-than-hours", type=int, default=None,
              help="default: PROCURA_IDEMPOTENCY_TTL_HOURS; never under 72 (supplier webhook ids)")
def purge_commands(older_than_hours: int | None) -> None:
    """Delete idempotency records past their retention."""
    from app.bootstrap import build_services
    from app.suppliers.callbacks import RETENTION_HOURS

    settings = _settings()
    # Supplier webhook ids share the table and must be kept RETENTION_HOURS (3 days).
    hours = max(older_than_hours or settings.idempotency_ttl_hours, settings.idempotency_ttl_hours,
                RETENTION_HOURS)
    services = build_services(settings)
    try:
        cutoff = datetime.now(UTC) - timedelta(hours=hours)
        removed = services.event_store.recorder.purge_commands(cutoff)
    finally:
        services.close()
    click.echo(f"purged {removed} command records older than {hours} h")


def _register_command_modules() -> None:
    from app.cli import devtools as cli_devtools

    for command in cli_devtools.COMMANDS:
        main.add_command(command)


_register_command_modules()
from app.cli.projections import projections  # noqa: E402 - the group needs `main` defined first
from app.cli.schema import migrate  # noqa: E402
from app.cli.webhooks import webhooks  # noqa: E402

main.add_command(projections)
main.add_command(migrate)
main.add_command(webhooks)
# Commands other packages add (setup.cfg `procura.commands`): the fake
# partner's, so that app/ never imports partners/.
for _plugin in entry_points(group="procura.commands"):
    main.add_command(_plugin.load(), _plugin.name)

@main.command("supplier-callbacks")
@click.option("--supplier", default=None, help="only this supplier's callbacks")
def supplier_callbacks(supplier: str | None) -> None:
    """List supplier callbacks Procura could not match to a purchase order."""
    from app.bootstrap import build_services
    from app.suppliers.callbacks import unmatched_callbacks

    services = build_services(_settings())
    try:
        for entry in unmatched_callbacks(services.event_store, supplier):
            click.echo(json.dumps(entry))
    finally:
        services.close()


if __name__ == "__main__":
    main()
