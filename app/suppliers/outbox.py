"""The placement outbox: one row per requested placement, claimed with a lease.

Rows are inserted by the `placement_requests` processor in the same
transaction that advances its tracking position, so every PlacementRequested
event becomes exactly one row. Executors claim due rows with a short lease
(PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite serialises writers anyway),
call the supplier outside any transaction, then release the row. A row whose
lease ran out was abandoned mid-call (a crashed worker): the next claim marks
it `uncertain`, so the order is looked up before anything is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from projections.store import ReadStore, utc_text

PENDING, QUEUED, DONE = "pending", "queued", "done"


@dataclass(frozen=True)
class Placement:
    operation_id: UUID
    po_id: UUID
    requested_version: int
    state: str
    attempts: int
    uncertain: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict) -> Placement:
        return cls(UUID(row["operation_id"]), UUID(row["po_id"]), int(row["requested_version"]), row["state"],
                   int(row["attempts"]), bool(row["uncertain"]),
                   datetime.strptime(row["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


def _at(seconds_from_now: float = 0.0) -> str:
    return utc_text(datetime.now(UTC) + timedelta(seconds=seconds_from_now))


def record_request(cur, operation_id: UUID, po_id: UUID, version: int) -> None:
    """Insert the row for one PlacementRequested event (idempotent).

    A PO placed before (a retry after placement_failed) starts `uncertain`:
    an earlier placement may have left a live order to adopt instead."""
    earlier = cur.execute("SELECT 1 AS x FROM procura_placements WHERE po_id = %(po)s", {"po": str(po_id)}).fetchone()
    now = _at()
    cur.execute(
        "INSERT INTO procura_placements (operation_id, po_id, requested_version, state, attempts, uncertain, "
        "next_attempt_at, lease_until, last_error, created_at, updated_at) VALUES (%(op)s, %(po)s, %(version)s, "
        "%(state)s, 0, %(uncertain)s, %(now)s, NULL, NULL, %(now)s, %(now)s) ON CONFLICT (operation_id) DO NOTHING",
        {"op": str(operation_id), "po": str(po_id), "version": version, "state": PENDING,
         "uncertain": 1 if earlier else 0, "now": now},
    )


class Outbox:
    def __init__(self, store: ReadStore):
        self.store = store

    def claim(self, lease: float) -> Placement | None:
        """Lease the most overdue row that nobody holds, or None."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgres" else ""
        params = {"now": _at(), "lease": _at(lease), "done": DONE}
        with self.store.transaction() as cur:
            row = cur.execute(
                "UPDATE procura_placements SET lease_until = %(lease)s, updated_at = %(now)s, "
                # A lease still set here ran out: its holder died mid-call.
                "uncertain = CASE WHEN lease_until IS NULL THEN uncertain ELSE 1 END "
                "WHERE operation_id = (SELECT operation_id FROM procura_placements WHERE state <> %(done)s "
                "AND next_attempt_at <= %(now)s AND (lease_until IS NULL OR lease_until < %(now)s) "
                f"ORDER BY next_attempt_at LIMIT 1{skip_locked}) RETURNING *",
                params,
            ).fetchone()
        return None if row is None else Placement.from_row(row)

    def _release(self, placement: Placement, **changes) -> None:
        sets = ", ".join(f"{name} = %({name})s" for name in changes)
        with self.store.transaction() as cur:
            cur.execute(
                f"UPDATE procura_placements SET {sets}, lease_until = NULL, updated_at = %(now_)s "
                "WHERE operation_id = %(op_)s",
                {**changes, "now_": _at(), "op_": str(placement.operation_id)},
            )

    def finish(self, placement: Placement) -> None:
        self._release(placement, state=DONE)

    def retry(self, placement: Placement, *, attempts: int, delay: float, uncertain: bool, error: str) -> None:
        self._release(placement, attempts=attempts, next_attempt_at=_at(delay), uncertain=int(uncertain),
                      last_error=error[:500])

    def defer(self, placement: Placement, delay: float) -> None:
        """Try again later without counting an attempt (an open circuit, a lost race)."""
        self._release(placement, next_attempt_at=_at(delay))

    def await_decision(self, placement: Placement, recheck: float) -> None:
        """The supplier queued the order: wait for its callback, look it up now and then."""
        self._release(placement, state=QUEUED, next_attempt_at=_at(recheck))

    def rows(self) -> list[dict]:
        """Every row (for operators and tests)."""
        return self.store.query("SELECT * FROM procura_placements ORDER BY created_at")
