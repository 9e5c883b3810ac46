"""Reading the read models from streaming replicas (`PROCURA_READ_DATABASE_URL`).

`ReadRouting.read(work)` runs `work(store)` on a healthy replica, taking the
healthy ones in turn (round robin), else on the primary; a replica that fails
during the work is marked down and the work runs again on the primary, so a
replica never causes a 5xx. Only the read-model routes use it: commands and
single-PO reads stay on the primary. Replica connections are read-only
(`default_transaction_read_only`): the read path never writes there.

Health, per replica, checked by a monitor thread every CHECK_INTERVAL_SECONDS
(started by the first read, so only processes that serve reads run one):

1. read the primary's WAL flush position and remember when it was read;
2. read the replica's replay position (`pg_last_wal_replay_lsn()`).

The replica's lag is the age of the oldest remembered primary position it has
not replayed yet, 0 once it has replayed them all. Unlike `now() -
pg_last_xact_replay_timestamp()` this stays 0 on an idle primary, and it grows
second by second while replay is paused or the replica has lost its primary.
It is measured to within one check interval. A replica is skipped when it
cannot be reached (`down`), is behind by more than the limit (`lagging`), is
not in recovery (`not_standby`: not a streaming replica, or promoted), has no
recent verdict (`unchecked`), or failed during a read (`failed`). A
standby of another cluster (its system identifier differs) is `not_standby`
too: its WAL positions say nothing about the primary's. Each skip
counts in `procura_replica_skipped_total{replica, reason}` and is logged, at
most once per replica and reason every LOG_INTERVAL_SECONDS.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore

from app.config import PEER_TIMEOUTS, Settings, postgres_env_from_url
from app.persistence.library_compat import set_checkout_check
from app.persistence.postgres import PingWhenIdle
from app.telemetry.metrics import count_read, count_replica_skip
from projections.store import ReadStore

log = logging.getLogger("procura.replicas")
T = TypeVar("T")

CHECK_INTERVAL_SECONDS = 0.5
#: libpq's shortest connect timeout.
CHECK_TIMEOUT_SECONDS = 2
#: A healthy verdict older than this (a monitor stuck or dead) is not trusted.
STALE_AFTER_SECONDS = 5.0
#: How long the first read of a process waits for the first verdicts (a
#: replica that does not answer is found down within the connect timeout).
FIRST_CHECK_WAIT_SECONDS = CHECK_TIMEOUT_SECONDS + 0.5
LOG_INTERVAL_SECONDS = 10.0
#: What the read path catches from a replica before falling back to the primary.
REPLICA_FAILURES = (PersistenceError, psycopg.Error)

_SYSTEM = "(SELECT system_identifier FROM pg_control_system())"  # the same for a cluster and its replicas
_FLUSHED = f"SELECT {_SYSTEM}, pg_current_wal_flush_lsn() - '0/0'::pg_lsn"
_REPLAYED = f"SELECT {_SYSTEM}, pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn"


@dataclass(frozen=True)
class Verdict:
    """A replica's health as last checked: `reason` None means healthy."""

    reason: str | None
    detail: str
    at: float  # time.monotonic() of the check


class WalClock:
    """When the primary had flushed how much WAL: (time, position) samples,
    one per check at most, a new one only when the position moved."""

    def __init__(self, keep: int):
        self._samples: deque[tuple[float, int]] = deque(maxlen=keep)

    def record(self, at: float, position: int) -> None:
        if not self._samples or position > self._samples[-1][1]:
            self._samples.append((at, position))

    def lag(self, replayed: int, now: float) -> float:
        """Seconds since the primary had WAL that is still not replayed at `replayed`."""
        for at, position in self._samples:
            if position > replayed:
                return now - at
        return 0.0


class _Probe:
    """One autocommit connection for health queries, reopened after a failure."""

    def __init__(self, url: str):
        self.url = url
        self._conn: psycopg.Connection | None = None

    def fetch(self, sql: str) -> tuple:
        try:
            if self._conn is None or self._conn.closed:
                # No startup options: a pooler in front (PgBouncer) may refuse them.
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CHECK_TIMEOUT_SECONDS,
                                             **PEER_TIMEOUTS)
            return self._conn.execute(sql).fetchone()
        except psycopg.Error:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _replica_datastore(url: str, settings: Settings) -> PostgresDatastore:
    """A pool like the primary's, whose connections cannot write."""
    env = postgres_env_from_url(url)
    datastore = PostgresDatastore(
        env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"], connect_timeout=CHECK_TIMEOUT_SECONDS, pool_size=1,
        max_overflow=settings.db_pool_size + settings.db_max_overflow - 1)
    set_checkout_check(datastore.pool, PingWhenIdle())
    datastore.pool.kwargs.update(
        connect_timeout=CHECK_TIMEOUT_SECONDS, **PEER_TIMEOUTS,
        options=f"-c default_transaction_read_only=on -c statement_timeout={settings.statement_timeout_seconds * 1000}")
    return datastore


def replica_name(url: str) -> str:
    """host:port/db, without credentials (a metric label and a log field)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


class Replica:
    """One configured replica: its read store, and its health kept fresh by a monitor thread."""

    def __init__(self, url: str, primary_url: str, settings: Settings):
        self.name = replica_name(url)
        self.store = ReadStore(_replica_datastore(url, settings))
        self.max_lag = settings.replica_max_lag_seconds
        self.verdict = Verdict("unchecked", "not checked yet", time.monotonic())
        self.checked = threading.Event()
        self._probe, self._primary = _Probe(url), _Probe(primary_url)
        self._primary_system: int | None = None
        # Each sample is a check interval apart at least, so the oldest one
        # kept is always older than the lag limit.
        self._clock = WalClock(keep=int(self.max_lag / CHECK_INTERVAL_SECONDS) * 4 + 8)
        self._monitor: threading.Thread | None = None
        self._stopping = threading.Event()

    def check(self) -> Verdict:
        """Sample the primary, then judge the replica against what it had flushed."""
        try:
            self._primary_system, flushed = self._primary.fetch(_FLUSHED)
            self._clock.record(time.monotonic(), int(flushed))
        except psycopg.Error:
            pass  # the primary unreachable: judge by what it had flushed before
        try:
            system, in_recovery, replayed = self._probe.fetch(_REPLAYED)
        except psycopg.Error as error:
            return Verdict("down", _first_line(error), time.monotonic())
        if not in_recovery or replayed is None:
            return Verdict("not_standby", "it is not in recovery, so not a streaming replica", time.monotonic())
        if self._primary_system is not None and system != self._primary_system:
            return Verdict("not_standby", "it replicates another cluster than the primary", time.monotonic())
        now = time.monotonic()
        lag = self._clock.lag(int(replayed), now)
        if lag > self.max_lag:
            return Verdict("lagging", f"{lag:.1f} s behind the primary (limit {self.max_lag} s)", now)
        return Verdict(None, f"{lag:.1f} s behind the primary", now)

    def start_monitor(self) -> None:
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name=f"replica-monitor {self.name}", daemon=True)
            self._monitor.start()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self.verdict = self.check()
            except Exception as error:  # a monitor must outlive any surprise; the verdict says so
                self.verdict = Verdict("down", _first_line(error), time.monotonic())
            self.checked.set()
            self._stopping.wait(max(0.0, CHECK_INTERVAL_SECONDS - (time.monotonic() - started)))

    def current(self) -> Verdict:
        verdict = self.verdict
        if verdict.reason is None and time.monotonic() - verdict.at > STALE_AFTER_SECONDS:
            return Verdict("unchecked", f"no check for {STALE_AFTER_SECONDS:.0f} s", verdict.at)
        return verdict

    def mark_failed(self, error: BaseException) -> None:
        """Take the replica out of rotation until its monitor's next check."""
        self.verdict = Verdict("failed", _first_line(error), time.monotonic())

    def close(self) -> None:
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join(timeout=CHECK_TIMEOUT_SECONDS * 3)
        self._probe.close()
        self._primary.close()
        self.store.datastore.close()


class ReadRouting:
    """Where read-model queries go: healthy replicas in turn, else the primary."""

    def __init__(self, primary: ReadStore, replicas: Sequence[Replica] = ()):
        self.primary = primary
        self.replicas = list(replicas)
        self._turn = itertools.count()
        self._started = False
        self._start_lock = threading.Lock()
        self._logged_at: dict[tuple[str, str], float] = {}
        self._log_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, primary: ReadStore) -> ReadRouting:
        return cls(primary, [Replica(url, settings.database_url, settings) for url in settings.read_database_urls])

    def read(self, work: Callable[[ReadStore], T]) -> T:
        """`work(store)` on a healthy replica, else (or when it fails there) on
        the primary. Errors of the primary propagate; a replica's never do."""
        replica = self.choose()
        if replica is not None:
            try:
                result = work(replica.store)
            except REPLICA_FAILURES as error:
                replica.mark_failed(error)
                self._skipped(replica, replica.verdict, "the primary")
            else:
                count_read("replica")
                return result
        result = work(self.primary)
        count_read("primary")
        return result

    def choose(self) -> Replica | None:
        """A healthy replica (round robin), or None for the primary; every
        replica passed over is counted and logged."""
        if not self.replicas:
            return None
        self._start_monitors()
        verdicts = [(replica, replica.current()) for replica in self.replicas]
        healthy = [replica for replica, verdict in verdicts if verdict.reason is None]
        for replica, verdict in verdicts:
            if verdict.reason is not None:
                self._skipped(replica, verdict, "another replica" if healthy else "the primary")
        return healthy[next(self._turn) % len(healthy)] if healthy else None

    def _start_monitors(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if not self._started:
                for replica in self.replicas:
                    replica.start_monitor()
                deadline = time.monotonic() + FIRST_CHECK_WAIT_SECONDS
                for replica in self.replicas:
                    replica.checked.wait(max(0.0, deadline - time.monotonic()))
                self._started = True

    def _skipped(self, replica: Replica, verdict: Verdict, instead: str) -> None:
        reason = verdict.reason or "failed"
        count_replica_skip(replica.name, reason)
        key, now = (replica.name, reason), time.monotonic()
        with self._log_lock:
            if now - self._logged_at.get(key, -LOG_INTERVAL_SECONDS) < LOG_INTERVAL_SECONDS:
                return
            self._logged_at[key] = now
        log.warning("replica %s skipped, %s: %s; reading from %s", replica.name, reason, verdict.detail, instead,
                    extra={"fields": {"replica": replica.name, "reason": reason}})

    def close(self) -> None:
        for replica in self.replicas:
            replica.close()


__all__ = ["ReadRouting", "Replica", "Verdict", "WalClock", "replica_name"]
