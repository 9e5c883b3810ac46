"""The support index: every id a person may hold, mapped to the events written
under it, backing `GET /trace` and the console's Find (docs/operators/support.md).

One row per (org, id, position): the ids an event was written under (its
aggregate's id, and the Idempotency-Key or callback webhook-id, request,
correlation and causation ids its metadata carries), and those it names (the
operation a placement request started, a supplier's reference and tracking
number, the public event id of GET /events). The key leads with the org and
the id, so a trace reads one org's rows of one id, in position order, and
nothing else: its cost follows the answer, not the store.

Each aggregate's org (and PO) is kept in a small table of its own, read when
an event's aggregate was created in an earlier batch. Operation events are
indexed too: they name their PO's org when they are created.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.utils import get_topic

from aggregates.operation import Operation
from aggregates.public_events import BY_EVENT
from aggregates.purchase_order import PurchaseOrder
from projections.public_events import public_id
from projections.runner import Positioned
from projections.store import Cursor
from projections.tables import PO_TOPIC, ReadModel, Table, select_by_ids, upsert

#: The longest id a trace may ask for (GET /trace's `id`): a longer one is never indexed.
MAX_REF_LENGTH = 200

REFS = Table(
    "rm_support_index",
    "org TEXT NOT NULL, ref TEXT NOT NULL, position BIGINT NOT NULL, po_id TEXT NOT NULL",
    key=("org", "ref", "position"),
)
OWNERS = Table(
    "rm_support_owners",
    "aggregate_id TEXT NOT NULL, org TEXT NOT NULL, po_id TEXT NOT NULL",
    key=("aggregate_id",),
)

#: The metadata members an event was written under.
_METADATA = ("command_id", "correlation_id", "causation_id")
#: Event fields that name an id a person may hold (a supplier's reference, a tracking number, an operation).
_NAMED = ("operation_id", "supplier_reference", "tracking_number")
_OPERATION_TOPIC = get_topic(Operation) + "."


def indexable(value: Any) -> bool:
    """Whether `value` is an id a trace can ask for and both databases can hold."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REF_LENGTH or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def refs_of(event: Any) -> set[str]:
    """Every id `event` was written under or names."""
    meta = getattr(event, "meta", None)
    meta = meta if isinstance(meta, dict) else {}
    found = {str(event.originator_id), *(meta.get(m) for m in _METADATA)}
    found.update(str(v) if v is not None else None for v in (getattr(event, n, None) for n in _NAMED))
    if isinstance(event, PurchaseOrder.Event) and ("PurchaseOrder", type(event).__name__) in BY_EVENT:
        found.add(public_id(str(event.originator_id), event.originator_version))
    return {ref for ref in found if indexable(ref)}


class SupportIndex(ReadModel):
    name = "support_index"
    tables = (REFS, OWNERS)

    def wants(self, topic: str) -> bool:
        return topic.startswith(PO_TOPIC) or topic.startswith(_OPERATION_TOPIC)

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        if not batch:
            return
        owners = self._owners(cur, batch)
        rows = []
        for item in batch:
            owner = owners.get(str(item.event.originator_id))
            if owner is None:
                continue  # its creation is not in the store: nothing says whose it is
            org, po = owner
            rows += [{"org": org, "ref": ref, "position": item.position, "po_id": po} for ref in refs_of(item.event)]
        upsert(cur, self.t(REFS.name), REFS.key, rows)

    def _owners(self, cur: Cursor, batch: Sequence[Positioned]) -> dict[str, tuple[str, str]]:
        """Each aggregate's (org, PO): from its creation in this batch (which is
        recorded), else from the owners table."""
        created = dict(_created(batch))
        upsert(cur, self.t(OWNERS.name), OWNERS.key,
               [{"aggregate_id": a, "org": org, "po_id": po} for a, (org, po) in sorted(created.items())])
        unknown = {str(i.event.originator_id) for i in batch} - set(created)
        found = select_by_ids(cur, self.t(OWNERS.name), "aggregate_id", unknown) if unknown else []
        return {**{r["aggregate_id"]: (r["org"], r["po_id"]) for r in found}, **created}


def _created(batch: Sequence[Positioned]) -> Iterator[tuple[str, tuple[str, str]]]:
    for item in batch:
        event = item.event
        if isinstance(event, PurchaseOrder.Created):
            yield str(event.originator_id), (event.org, str(event.originator_id))
        elif isinstance(event, Operation.Requested):
            yield str(event.originator_id), (event.org, str(event.purchase_order_id))


# --- queries ------------------------------------------------------------------


def page_statement(org: str, ref: str, after: int, limit: int) -> tuple[str, dict[str, Any]]:
    """SQL and parameters selecting the positions (and POs) of up to `limit + 1`
    of `org`'s events written under `ref` after position `after`, in order:
    one range of the table's key."""
    sql = (f"SELECT position, po_id FROM {REFS.name} WHERE org = %(org)s AND ref = %(ref)s "
           f"AND position > %(after)s ORDER BY position LIMIT {int(limit) + 1:d}")
    return sql, {"org": org, "ref": ref, "after": after}
