"""Builds the webhook side of Procura from configuration (one place)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.config import WebhookTuning
from app.webhooks.endpoints import Endpoints
from app.webhooks.guard import Resolver, system_resolver
from app.webhooks.outbox import Deliveries, DeliveryRequests
from app.webhooks.sender import WebhookSender
from projections.store import ReadStore

#: How long the API waits for a name to resolve when an endpoint is created.
CREATE_RESOLVE_SECONDS = 2.0


@dataclass
class WebhookServices:
    tuning: WebhookTuning
    store: ReadStore
    endpoints: Endpoints
    deliveries: Deliveries
    #: How the API resolves an endpoint's host when it is created or changed.
    resolve: Resolver
    processor: DeliveryRequests
    #: The traceparent the event at a position was stored under (when tracing is on).
    trace_context: Callable[[int], str | None] | None = None

    def sender(self) -> WebhookSender:
        """A new (not started) sender; call `start()` to run its threads."""
        return WebhookSender(self.deliveries, self.endpoints, self.tuning, trace_context=self.trace_context)


def build_webhook_services(tuning: WebhookTuning, store: ReadStore) -> WebhookServices:
    return WebhookServices(tuning, store, Endpoints(store), Deliveries(store), system_resolver(CREATE_RESOLVE_SECONDS),
                           DeliveryRequests())
