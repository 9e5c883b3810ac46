"""`procura webhooks list|deliveries|redeliver|replay`: the webhook tools for
operators, as the API offers them to an org's admins (docs/integrators/webhooks.md).
Each prints JSON lines."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from aggregates.public_events import PUBLIC_TYPES
from app.webhooks import tools
from app.webhooks.endpoints import wall_clock
from app.webhooks.outbox import STATES


def _services():
    from app.bootstrap import build_services

    return build_services()  # the environment's settings; a bad one ends the command with one line


def _endpoint(services, endpoint_id: str):
    endpoint = services.webhooks.endpoints.by_id(endpoint_id)
    if endpoint is None:
        click.echo(f"procura: no webhook endpoint {endpoint_id}", err=True)
        sys.exit(1)
    return endpoint


@click.group()
def webhooks() -> None:
    """Webhook endpoints and their deliveries."""


@webhooks.command("list")
@click.option("--org", required=True)
def list_command(org: str) -> None:
    """The org's endpoints, oldest first."""
    services = _services()
    try:
        after = None
        while page := services.webhooks.endpoints.page(org, after, 200):
            for endpoint in page[:200]:
                click.echo(json.dumps(endpoint.document()))
            if len(page) <= 200:
                break
            after = (page[199].created_at, page[199].id)
    finally:
        services.close()


@webhooks.command("deliveries")
@click.argument("endpoint_id")
@click.option("--status", "states", multiple=True, type=click.Choice(STATES))
@click.option("--type", "types", multiple=True, type=click.Choice(PUBLIC_TYPES))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def deliveries_command(endpoint_id: str, states: tuple[str, ...], types: tuple[str, ...], limit: int) -> None:
    """The endpoint's latest deliveries, newest first."""
    services = _services()
    try:
        endpoint = _endpoint(services, endpoint_id)
        for delivery in tools.page(services.read_store, endpoint.id, states=states, types=types, limit=limit)[:limit]:
            click.echo(json.dumps(delivery.document()))
    finally:
        services.close()


@webhooks.command("redeliver")
@click.argument("endpoint_id")
@click.argument("delivery_id")
def redeliver_command(endpoint_id: str, delivery_id: str) -> None:
    """Send one delivery again (same webhook-id, a fresh retry schedule)."""
    services = _services()
    try:
        endpoint = _endpoint(services, endpoint_id)
        found = tools.redeliver(services.read_store, endpoint.id, delivery_id, wall_clock())
        if found is None:
            click.echo(f"procura: endpoint {endpoint_id} has no delivery {delivery_id}", err=True)
            sys.exit(1)
        click.echo(json.dumps(found.document()))
    finally:
        services.close()


def _since(text: str) -> int | datetime:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("a position or a time such as 2026-01-31T09:00:00Z") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time's offset (Z for UTC)")
    return moment


@webhooks.command("replay")
@click.argument("endpoint_id")
@click.option("--since", required=True, help="a position (the events after it) or a time (from it), e.g. 2026-01-31T09:00:00Z")
def replay_command(endpoint_id: str, since: str) -> None:
    """Send the endpoint's matching events since a time or a position again, with their webhook-ids."""
    after = _since(since)
    services = _services()
    try:
        endpoint = _endpoint(services, endpoint_id)
        store = services.read_store
        position = after if isinstance(after, int) else tools.position_at(store, endpoint.org, after)
        total, more = 0, True
        while more:
            queued, position, more = tools.replay(store, endpoint, position, wall_clock())
            total += queued
        click.echo(json.dumps({"queued": total, "until_position": position}))
    finally:
        services.close()


@webhooks.command("purge")
@click.option("--older-than-days", default=30, show_default=True, type=click.IntRange(1, None))
def purge_command(older_than_days: int) -> None:
    """Delete delivered and given-up deliveries (and their attempts) not changed for this many days."""
    from datetime import timedelta

    services = _services()
    try:
        deleted = tools.purge(services.read_store, wall_clock() - timedelta(days=older_than_days))
        click.echo(json.dumps({"deleted": deleted}))
    finally:
        services.close()
