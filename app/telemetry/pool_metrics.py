"""The PostgreSQL connection pool, seen: `procura_db_pool_connections{state}`
(open, idle, in_use) and `procura_db_pool_waiting` (requests waiting for a
connection), summed over the live processes. Each server worker and each
`procura worker` samples its own pool every POLL_SECONDS in a thread, so
requests pay nothing for it."""

from __future__ import annotations

import threading
from typing import Any

from app.telemetry.metrics import made_once

POLL_SECONDS = 1.0


@made_once
def _gauges():
    from prometheus_client import Gauge  # here: the multiprocess directory is set by now

    connections = Gauge("procura_db_pool_connections", "PostgreSQL connections of the pool, by state", ["state"],
                        multiprocess_mode="livesum")
    waiting = Gauge("procura_db_pool_waiting", "Requests waiting for a pooled connection",
                    multiprocess_mode="livesum")
    return connections, waiting


def _pool(services: Any) -> Any:
    datastore = getattr(services.event_store.recorder, "datastore", None)
    return getattr(datastore, "pool", None) if not services.settings.is_embedded else None


def sample_pool(services: Any) -> None:
    """Start sampling `services`' event-store pool (PostgreSQL only)."""
    pool = _pool(services)
    if pool is None:
        return
    connections, waiting = _gauges()
    stopped = threading.Event()

    def run() -> None:
        while not pool.closed and not stopped.wait(POLL_SECONDS):
            stats = pool.get_stats()
            open_, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
            connections.labels("open").set(open_)
            connections.labels("idle").set(idle)
            connections.labels("in_use").set(open_ - idle)
            waiting.set(stats.get("requests_waiting", 0))

    threading.Thread(target=run, name="procura-pool-gauges", daemon=True).start()
