"""Read models: one module per read model, each a `Processor` (see runner)."""

from __future__ import annotations

from projections.approval_queue import ApprovalQueue
from projections.cycle_times import CycleTimes
from projections.po_search import PurchaseOrderSearch
from projections.po_summary import PurchaseOrderSummary
from projections.public_events import PublicEvents
from projections.runner import Processor
from projections.spend import Spend
from projections.support_index import SupportIndex


def read_models() -> list[Processor]:
    """Every read model, in the order `GET /projections` lists them."""
    return [PurchaseOrderSummary(), ApprovalQueue(), Spend(), CycleTimes(), PublicEvents(), SupportIndex(),
            PurchaseOrderSearch()]
