"""Builds the supplier side of Procura from configuration (one place)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.config import Settings
from app.suppliers.callbacks import CallbackService
from app.suppliers.placement import PlacementExecutor, PlacementRequests
from app.suppliers.port import Supplier
from app.suppliers.registry import build_suppliers
from projections.store import ReadStore

log = logging.getLogger("procura.suppliers")


@dataclass
class SupplierServices:
    """The adapters, the placement processor and the callback service."""

    settings: Settings
    app: object
    store: ReadStore
    suppliers: dict[str, Supplier]
    processor: PlacementRequests
    callbacks: CallbackService

    def executor(self) -> PlacementExecutor:
        """A new (not started) executor; call `start()` to run its threads."""
        return PlacementExecutor(self.app, self.store, self.suppliers, self.settings.placement)


def build_supplier_services(settings: Settings, app, store: ReadStore) -> SupplierServices:
    suppliers = build_suppliers(settings)
    missing = [s for s in suppliers if s not in settings.webhook_secrets]
    if missing:
        log.warning("no webhook secret for %s: their callbacks will be refused (PROCURA_WEBHOOK_SECRETS)",
                    ", ".join(missing))
    return SupplierServices(settings, app, store, suppliers, PlacementRequests(),
                            CallbackService(app, suppliers, dict(settings.webhook_secrets)))
