"""Builds the webhook side of Procura from configuration (one place)."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import WebhookTuning
from app.webhooks.endpoints import Endpoints
from app.webhooks.guard import Resolver, system_resolver
from projections.store import ReadStore

#: How long the API waits for a name to resolve when an endpoint is created.
CREATE_RESOLVE_SECONDS = 2.0


@dataclass
class WebhookServices:
    tuning: WebhookTuning
    store: ReadStore
    endpoints: Endpoints
    #: How the API resolves an endpoint's host when it is created or changed.
    resolve: Resolver


def build_webhook_services(tuning: WebhookTuning, store: ReadStore) -> WebhookServices:
    return WebhookServices(tuning, store, Endpoints(store), system_resolver(CREATE_RESOLVE_SECONDS))
