"""The composition root.

`build_services` and `create_app` are the only place that builds the event store, the services and
the Flask application; nothing is built at import time, so every process
(server worker, CLI, test) gets its own connections.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from flask import Flask, g, request

from app.bus import sinks
from app.config import PEER_TIMEOUTS, Settings, load_settings
from app.persistence.pooler import check_session_timeouts
from app.persistence.replicas import ReadRouting
from app.schema import SchemaStatus, prepare_schema
from app.service.application import Procura
from app.service.command_service import CommandService
from app.service.errors import lost_connection_as_unavailable
from app.service.metadata import traceparent_of
from app.suppliers.wiring import SupplierServices, build_supplier_services
from app.telemetry import tracing
from app.webhooks.wiring import WebhookServices, build_webhook_services
from projections import read_models
from projections.runner import Follower, Processor, Supervisor
from projections.store import ReadStore
from projections.wakeups import Notifications

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass
class Services:
    """What the HTTP layer and the CLI use, built once per process."""

    settings: Settings
    event_store: Procura  # the event-sourced application: commands saved as events, and read back
    commands: CommandService
    read_store: ReadStore
    #: Where the read-model routes read: replicas when configured, else read_store.
    reads: ReadRouting
    processors: list[Processor]
    schema: SchemaStatus
    suppliers: SupplierServices | None = None
    webhooks: WebhookServices | None = None
    #: What else `close` stops first: what an app built on these services started (the feed's LISTEN).
    closing: list[Callable[[], None]] = field(default_factory=list)

    def followers(self) -> list[Follower]:
        """One follower per processor, reading this process's event store."""
        return [Follower(self.event_store, self.read_store, p) for p in self.processors]

    def supervisor(self) -> Supervisor:
        return Supervisor(self.followers(), notifications=self.notifications(),
                          gather_wait=self.settings.projection_gather_ms / 1000,
                          trace=tracing.batch_span if tracing.enabled() else None)

    def notifications(self, channel: str | None = None, who: str = "projection worker") -> Notifications | None:
        """What wakes the followers when events are saved: a LISTEN on the
        events' channel (or on `channel`: the feed's) on PostgreSQL, except
        behind a transaction pooler (LISTEN needs a session of its own);
        None there and on SQLite, where the followers only poll."""
        settings = self.settings
        channel = channel or getattr(self.event_store.recorder, "channel_name", None)
        if settings.database_url is None or settings.db_pooler == "transaction" or channel is None:
            return None
        url = settings.database_url
        return Notifications(lambda: psycopg.connect(url, autocommit=True, connect_timeout=5, **PEER_TIMEOUTS),
                             channel, who=who)

    def check_database(self) -> None:
        """Raise DependencyUnavailable unless the event store answers."""
        with lost_connection_as_unavailable("database"):
            self.event_store.head_position()

    def close(self) -> None:
        for close in self.closing:
            close()
        self.reads.close()
        self.read_store.close()
        self.event_store.close()


def prepare_database(settings: Settings) -> SchemaStatus:
    """What a process (the server's main process for its workers) does once at start:
    prepare the schema (`app.schema.prepare_schema`), and behind a transaction
    pooler warn when the server's session defaults miss Procura's timeouts
    (`app.persistence.pooler`)."""
    schema = prepare_schema(settings)
    check_session_timeouts(settings)
    return schema


def build_services(settings: Settings | None = None, *, schema: SchemaStatus | None = None) -> Services:
    """Everything a process needs. The database is prepared first
    (`prepare_database`) unless the caller already did and passes its
    `schema` status (the server's workers, after its main process)."""
    settings = settings or load_settings()
    tracing.configure()  # before the stores: their connection pools are traced when on
    if schema is None and not settings.in_memory:
        schema = prepare_database(settings)
    procura = Procura(settings)
    read_store = ReadStore.for_application(procura)
    if settings.in_memory:  # the read models live in a private in-memory database
        schema = prepare_schema(settings, datastore=read_store.datastore)
    suppliers = build_supplier_services(settings, procura, read_store)
    webhooks = build_webhook_services(settings.webhooks, read_store)
    if tracing.enabled():
        webhooks.trace_context = functools.partial(_stored_traceparent, procura)
    # The deliveries come after the public events model: they read its rows in the same transaction.
    processors = [*read_models(), suppliers.processor, webhooks.processor, *sinks(settings, procura)]
    read_store.create_tracking([p.name for p in processors])
    return Services(settings=settings, event_store=procura, commands=CommandService(procura),
                    read_store=read_store, reads=ReadRouting.from_settings(settings, read_store),
                    processors=processors, schema=schema, suppliers=suppliers, webhooks=webhooks)


def _stored_traceparent(procura: Procura, position: int) -> str | None:
    """The traceparent in the metadata of the event at `position`."""
    rows = procura.recorder.select_at([position])
    return traceparent_of(procura.mapper.to_domain_event(rows[0])) if rows else None


def _identify_request() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else str(uuid.uuid4())
    correlation = request.headers.get("X-Correlation-Id", "")
    g.correlation_id = correlation if _SAFE_ID.match(correlation) else g.request_id


def _stamp_request_id(response):
    response.headers["X-Request-Id"] = g.get("request_id") or str(uuid.uuid4())
    return response


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the Procura WSGI application (tests may pass their own services)."""
    from app import console
    from app.http import (
        access,
        callbacks,
        console_session,
        docs,
        events,
        meta,
        observability,
        operations,
        purchase_orders,
        ratelimits,
        read_models,
        request_tracing,
        support,
        webhook_endpoints,
    )
    from app.http.declarations import check_declarations, check_public_events
    from app.http.fair_share import ExpensiveReads
    from app.http.problems import problem_response
    from app.http.requests import MAX_BODY_BYTES, refuse_unknown_query_parameters
    from app.http.security_headers import add_security_headers

    check_declarations()  # an incompletely declared command stops here, not in a request
    check_public_events()  # so does an event nobody decided to publish or keep internal
    flask_app = Flask("procura", static_folder=None)
    flask_app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    flask_app.json.sort_keys = False
    flask_app.extensions["procura"] = services = services or build_services(settings)
    limits = ratelimits.RateLimits.from_settings(services.settings)
    flask_app.extensions["procura.ratelimits"] = limits
    flask_app.extensions["procura.expensive_reads"] = ExpensiveReads(
        services.settings.expensive_reads_per_caller)
    flask_app.extensions["procura.feed_wakeups"] = wakeups = events.feed_wakeups(services)
    services.closing.append(wakeups.close)
    console_session.install(flask_app, services.settings.console_sign_in)
    request_tracing.install(flask_app)  # first: the request's span covers every other hook
    observability.install(flask_app, services.settings.log_level)
    flask_app.before_request(_identify_request)
    flask_app.before_request(access.authenticate_request)
    if limits.enforced:  # with every limit off there is nothing to count per request
        flask_app.before_request(ratelimits.limit_request)  # before any other work for the caller
        flask_app.after_request(ratelimits.add_rate_limit_headers)
    flask_app.before_request(refuse_unknown_query_parameters)
    flask_app.after_request(_stamp_request_id)
    flask_app.after_request(add_security_headers)
    flask_app.register_error_handler(Exception, problem_response)
    for blueprint in (purchase_orders.bp, operations.bp, meta.bp, callbacks.bp, docs.bp, read_models.bp,
                      events.bp, support.bp, webhook_endpoints.bp, console.bp):
        flask_app.register_blueprint(blueprint)
    return flask_app
