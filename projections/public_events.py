"""Public events: each client-visible event in its public form, one row per
event with its org, PO and type, backing `GET /events` (docs/integrators/events.md).

`public_form` builds the document from a domain event and its position, as
aggregates/public_events.py declares it; whatever sends events out reads the
rows of this table (or calls `public_form`), so every way out says the same.
The table is indexed by org first: the feed reads one org's page, never the
store. On PostgreSQL each batch that adds rows NOTIFYs `FEED_CHANNEL` at its
commit, which wakes the servers' long polls (app/http/events.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from aggregates.public_events import BY_EVENT, PublicEvent
from projections.runner import Positioned
from projections.store import Cursor
from projections.tables import ReadModel, Table, kind, po_events, po_id, upsert

#: The channel a batch of new public events is announced on (PostgreSQL).
FEED_CHANNEL = "procura_public_events"
#: Names the public ids: uuid5 of "<po id>/<version>" in this namespace.
_ID_NAMESPACE = uuid.UUID("6f1d4c2e-9a57-4f0e-8b1e-0c5d2a3b7e41")

PUBLIC = Table(
    "rm_public_events",
    "position BIGINT NOT NULL, org TEXT NOT NULL, po_id TEXT NOT NULL, type TEXT NOT NULL, document TEXT NOT NULL",
    key=("position",),
    indexes=(("org", "org, position"), ("org_type", "org, type, position"), ("po", "po_id, position")),
)


def public_id(po: str, version: int) -> str:
    """The event's public id: the same for the same (PO, version) in every
    replay, rebuild or copy of the store (a webhook-id and a dedupe key)."""
    return "evt_" + uuid.uuid5(_ID_NAMESPACE, f"{po}/{version}").hex


def _rfc3339(moment: Any) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _value(value: Any) -> Any:
    """A field as JSON shows it: ids as text, lists and maps as they are."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value


def _correlation(event: Any) -> str | None:
    meta = getattr(event, "meta", None)
    return meta.get("correlation_id") if isinstance(meta, dict) else None


def public_form(declared: PublicEvent, event: Any, position: int, org: str) -> dict[str, Any]:
    """The public document of `event` (declared as `declared`) at `position`
    of the store, for `org`: only the declared fields, no internal metadata
    but the correlation id the client's request carried."""
    po, version = str(event.originator_id), event.originator_version
    return {"id": public_id(po, version), "type": declared.type, "occurred_at": _rfc3339(event.timestamp),
            "org": org, "po_id": po, "po_version": version, "position": position,
            "correlation_id": _correlation(event),
            "data": {name: _value(getattr(event, name)) for name in declared.fields}}


def declared_for(item: Positioned) -> PublicEvent | None:
    return BY_EVENT.get(("PurchaseOrder", kind(item)))


class PublicEvents(ReadModel):
    name = "public_events"
    tables = (PUBLIC,)

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = [i for i in po_events(batch) if declared_for(i) is not None]
        if not items:
            return
        table = self.t(PUBLIC.name)
        orgs = orgs_of(cur, table, items)
        rows = []
        for item in items:
            org = orgs.get(po_id(item))
            if org is None:
                continue  # an event of a PO whose creation is not in the store: nothing to say whose it is
            document = public_form(declared_for(item), item.event, item.position, org)
            rows.append({"position": item.position, "org": org, "po_id": po_id(item), "type": document["type"],
                         "document": json.dumps(document, separators=(",", ":"), ensure_ascii=False)})
        upsert(cur, table, PUBLIC.key, rows)
        if rows and cur.dialect == "postgres":
            cur.execute(f"NOTIFY {FEED_CHANNEL}")  # delivered at commit: long polls wake then


def orgs_of(cur: Cursor, table: str, items: Sequence[Positioned]) -> dict[str, str]:
    """Each PO's org: from its creation among `items`, else from its earlier rows in `table`."""
    orgs = {po_id(i): i.event.org for i in items if kind(i) == "Created"}
    unknown = {po_id(i) for i in items} - set(orgs)
    for start in range(0, len(unknown), 500):
        chunk = {f"p{n}": value for n, value in enumerate(sorted(unknown)[start:start + 500])}
        found = cur.execute(f"SELECT DISTINCT po_id, org FROM {table} "
                            f"WHERE po_id IN ({', '.join(f'%({k})s' for k in chunk)})", chunk).fetchall()
        orgs.update({row["po_id"]: row["org"] for row in found})
    return orgs


# --- queries ------------------------------------------------------------------


def page_statement(org: str, after: int, limit: int, types: Sequence[str] = (),
                   po: str | None = None) -> tuple[str, dict[str, Any]]:
    """SQL and parameters selecting (position, document) of up to `limit + 1`
    of `org`'s public events after `after`, in position order."""
    params: dict[str, Any] = {"org": org, "after": after}
    clauses = ["org = %(org)s", "position > %(after)s"]
    if types:
        names = {f"t{n}": t for n, t in enumerate(types)}
        params.update(names)
        clauses.append(f"type IN ({', '.join(f'%({k})s' for k in names)})")
    if po is not None:
        params["po_id"] = po
        clauses.append("po_id = %(po_id)s")
    sql = (f"SELECT position, document FROM {PUBLIC.name} WHERE {' AND '.join(clauses)} "
           f"ORDER BY position LIMIT {int(limit) + 1:d}")
    return sql, params
