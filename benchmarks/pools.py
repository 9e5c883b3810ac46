"""The connection pool of the bare benchmark servers (baseline, floor)."""

from __future__ import annotations

import os

from psycopg_pool import ConnectionPool

_pools: dict[str, ConnectionPool] = {}


def worker_pool() -> ConnectionPool:
    """This process's pool on DATABASE_URL, built on first use: in each
    gunicorn worker, after the fork, like Procura's. Autocommit, as the
    library's connections are: one statement is one round trip (psycopg's
    default would add BEGIN and COMMIT round trips, flattering every ratio
    to the baseline)."""
    url = os.environ["DATABASE_URL"]
    if url not in _pools:  # a race only builds two
        _pools[url] = ConnectionPool(url, min_size=5, max_size=15, open=True, kwargs={"autocommit": True})
    return _pools[url]
