"""Webhook endpoints: where an org's events are sent, stored in
`procura_webhook_endpoints` (schema step 0007).

An endpoint's signing secret is generated here and shown once. After a
rotation the previous secret keeps signing beside the new one for
ROTATION_GRACE, so a receiver can switch secrets without missing a delivery.
An endpoint receives the events committed after it was created
(`after_position`); older ones only through a replay.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.store import Cursor, ReadStore, utc_text

ROTATION_GRACE = timedelta(hours=24)
_COLUMNS = ("id, org, url, event_types, description, enabled, disabled_reason, secret, previous_secret, "
            "previous_secret_until, after_position, failing_since, created_at, updated_at")

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Endpoint:
    id: str
    org: str
    url: str
    event_types: tuple[str, ...]  # empty: every type
    description: str
    enabled: bool
    disabled_reason: str | None
    secret: str
    previous_secret: str | None
    previous_secret_until: str | None
    after_position: int
    failing_since: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Endpoint:
        return cls(row["id"], row["org"], row["url"], tuple(json.loads(row["event_types"])), row["description"],
                   bool(row["enabled"]), row["disabled_reason"], row["secret"], row["previous_secret"],
                   row["previous_secret_until"], int(row["after_position"]), row["failing_since"],
                   row["created_at"], row["updated_at"])

    def wants(self, type_: str) -> bool:
        return not self.event_types or type_ in self.event_types

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery at `now` is signed with: the current one,
        and the previous one during its grace after a rotation."""
        if self.previous_secret and self.previous_secret_until and utc_text(now) < self.previous_secret_until:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def document(self) -> dict[str, Any]:
        """What the API shows (never the secret)."""
        return {"id": self.id, "url": self.url, "event_types": list(self.event_types),
                "description": self.description, "enabled": self.enabled,
                "disabled_reason": self.disabled_reason, "failing_since": self.failing_since,
                "previous_secret_expires_at": self.previous_secret_until,
                "created_at": self.created_at, "updated_at": self.updated_at}


class Endpoints:
    """The endpoints table; every read and change is scoped to one org."""

    def __init__(self, store: ReadStore, clock: Clock = wall_clock):
        self.store = store
        self.clock = clock

    def create(self, org: str, *, url: str, event_types: Sequence[str], description: str, enabled: bool,
               after_position: int) -> Endpoint:
        now = utc_text(self.clock())
        row = {"id": str(uuid.uuid4()), "org": org, "url": url, "event_types": _types(event_types),
               "description": description, "enabled": int(enabled), "disabled_reason": None,
               "secret": new_secret(), "previous_secret": None, "previous_secret_until": None,
               "after_position": after_position, "failing_since": None, "created_at": now, "updated_at": now}
        with self.store.transaction() as cur:
            cur.execute(f"INSERT INTO procura_webhook_endpoints ({_COLUMNS}) VALUES "
                        f"({', '.join(f'%({c})s' for c in _COLUMNS.split(', '))})", row)
        return Endpoint.from_row(row)

    def get(self, org: str, endpoint_id: str) -> Endpoint | None:
        rows = self.store.query(f"SELECT {_COLUMNS} FROM procura_webhook_endpoints WHERE org = %(org)s AND id = %(id)s",
                                {"org": org, "id": endpoint_id})
        return Endpoint.from_row(rows[0]) if rows else None

    def by_id(self, endpoint_id: str) -> Endpoint | None:
        rows = self.store.query(f"SELECT {_COLUMNS} FROM procura_webhook_endpoints WHERE id = %(id)s",
                                {"id": endpoint_id})
        return Endpoint.from_row(rows[0]) if rows else None

    def page(self, org: str, after: tuple[str, str] | None, limit: int) -> list[Endpoint]:
        """Up to `limit + 1` of the org's endpoints in creation order, after `after` (created_at, id)."""
        params: dict[str, Any] = {"org": org}
        where = "org = %(org)s"
        if after is not None:
            params.update(at=after[0], id=after[1])
            where += " AND (created_at > %(at)s OR (created_at = %(at)s AND id > %(id)s))"
        rows = self.store.query(f"SELECT {_COLUMNS} FROM procura_webhook_endpoints WHERE {where} "
                                f"ORDER BY created_at, id LIMIT {int(limit) + 1:d}", params)
        return [Endpoint.from_row(r) for r in rows]

    def update(self, org: str, endpoint_id: str, changes: dict[str, Any]) -> Endpoint | None:
        """Apply `changes` (url, event_types, description, enabled). Enabling
        an endpoint forgets why it was disabled and since when it failed."""
        sets = dict(changes)
        if "event_types" in sets:
            sets["event_types"] = _types(sets["event_types"])
        if "enabled" in sets:
            sets["enabled"] = int(sets["enabled"])
            if sets["enabled"]:
                sets.update(disabled_reason=None, failing_since=None)
        sets["updated_at"] = utc_text(self.clock())
        assignments = ", ".join(f"{name} = %({name})s" for name in sets)
        with self.store.transaction() as cur:
            cur.execute(f"UPDATE procura_webhook_endpoints SET {assignments} WHERE org = %(org_)s AND id = %(id_)s",
                        {**sets, "org_": org, "id_": endpoint_id})
            if cur.rowcount != 1:
                return None
        return self.get(org, endpoint_id)

    def rotate(self, org: str, endpoint_id: str) -> Endpoint | None:
        """A new secret; the current one keeps signing for ROTATION_GRACE."""
        now = self.clock()
        with self.store.transaction() as cur:
            cur.execute("UPDATE procura_webhook_endpoints SET previous_secret = secret, secret = %(secret)s, "
                        "previous_secret_until = %(until)s, updated_at = %(now)s WHERE org = %(org)s AND id = %(id)s",
                        {"secret": new_secret(), "until": utc_text(now + ROTATION_GRACE), "now": utc_text(now),
                         "org": org, "id": endpoint_id})
            if cur.rowcount != 1:
                return None
        return self.get(org, endpoint_id)

    def delete(self, org: str, endpoint_id: str) -> bool:
        """Remove the endpoint with its deliveries and their attempts."""
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM procura_webhook_endpoints WHERE org = %(org)s AND id = %(id)s",
                        {"org": org, "id": endpoint_id})
            if cur.rowcount != 1:
                return False
            for table in ("procura_webhook_attempts", "procura_webhook_deliveries"):
                cur.execute(f"DELETE FROM {table} WHERE endpoint_id = %(id)s", {"id": endpoint_id})
        return True

    # --- what the worker records ---------------------------------------------

    @staticmethod
    def any_enabled(cur: Cursor) -> bool:
        return cur.execute("SELECT 1 AS x FROM procura_webhook_endpoints WHERE enabled = 1 LIMIT 1").fetchone() \
            is not None

    @staticmethod
    def enabled_in(cur: Cursor, orgs: Iterable[str]) -> list[Endpoint]:
        """The enabled endpoints of `orgs`, in the caller's transaction."""
        names = {f"o{n}": org for n, org in enumerate(sorted(set(orgs)))}
        if not names:
            return []
        rows = cur.execute(f"SELECT {_COLUMNS} FROM procura_webhook_endpoints WHERE enabled = 1 AND org IN "
                           f"({', '.join(f'%({k})s' for k in names)})", names).fetchall()
        return [Endpoint.from_row(r) for r in rows]

    @staticmethod
    def by_id_in(cur: Cursor, endpoint_id: str) -> Endpoint | None:
        row = cur.execute(f"SELECT {_COLUMNS} FROM procura_webhook_endpoints WHERE id = %(id)s",
                          {"id": endpoint_id}).fetchone()
        return Endpoint.from_row(row) if row else None

    def succeeded(self, endpoint_id: str) -> None:
        with self.store.transaction() as cur:
            cur.execute("UPDATE procura_webhook_endpoints SET failing_since = NULL "
                        "WHERE id = %(id)s AND failing_since IS NOT NULL", {"id": endpoint_id})

    def failed(self, endpoint_id: str, now: datetime, disable_after: float) -> str | None:
        """Note a failed attempt; disables the endpoint (and returns why) once
        every attempt has failed for `disable_after` seconds."""
        at = utc_text(now)
        with self.store.transaction() as cur:
            cur.execute("UPDATE procura_webhook_endpoints SET failing_since = %(at)s "
                        "WHERE id = %(id)s AND failing_since IS NULL", {"id": endpoint_id, "at": at})
            row = cur.execute("SELECT failing_since, enabled FROM procura_webhook_endpoints WHERE id = %(id)s",
                              {"id": endpoint_id}).fetchone()
            if row is None or not row["enabled"]:
                return None
            since = row["failing_since"]
            if since > utc_text(now - timedelta(seconds=disable_after)):
                return None
            reason = f"every delivery failed since {since}"
            self._disable(cur, endpoint_id, reason, at)
            return reason

    def disable(self, endpoint_id: str, reason: str) -> None:
        with self.store.transaction() as cur:
            self._disable(cur, endpoint_id, reason, utc_text(self.clock()))

    @staticmethod
    def _disable(cur: Cursor, endpoint_id: str, reason: str, at: str) -> None:
        cur.execute("UPDATE procura_webhook_endpoints SET enabled = 0, disabled_reason = %(reason)s, "
                    "updated_at = %(at)s WHERE id = %(id)s", {"id": endpoint_id, "reason": reason[:500], "at": at})


def _types(event_types: Sequence[str]) -> str:
    return json.dumps(sorted(set(event_types)))
