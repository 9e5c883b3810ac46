"""Which supplier ids have an adapter: adding a supplier means adding one
module to `app.suppliers` that defines `SUPPLIER_ID` and `build(settings)`."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import app.suppliers as package
from app.suppliers.port import Supplier

log = logging.getLogger("procura.suppliers")


def adapter_modules() -> dict[str, object]:
    """Supplier id -> adapter module, for every module declaring SUPPLIER_ID."""
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        supplier_id = getattr(module, "SUPPLIER_ID", None)
        if supplier_id and callable(getattr(module, "build", None)):
            found[supplier_id] = module
    return found


def build_suppliers(settings) -> dict[str, Supplier]:
    """An adapter for each configured supplier that has one.

    A configured supplier without an adapter is logged; placing with it fails
    with a reason the buyer can read (see placement)."""
    modules = adapter_modules()
    suppliers = {}
    for supplier_id in settings.suppliers:
        module = modules.get(supplier_id)
        if module is None:
            log.warning("supplier %s is configured but has no adapter module", supplier_id)
            continue
        suppliers[supplier_id] = module.build(settings)
    return suppliers
