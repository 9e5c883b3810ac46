"""The baseline for scripts/bench_commands: Flask + psycopg-pool, one INSERT
per POST, no domain, no idempotency. What the machine can do at best."""

from __future__ import annotations

import json
import os
import uuid

from flask import Flask, Response, request
from psycopg_pool import ConnectionPool

app = Flask("baseline")
pool = None


def _pool() -> ConnectionPool:
    # Built lazily in each gunicorn worker (after the fork), like Procura's.
    global pool
    if pool is None:
        # Autocommit: one INSERT is one round trip (psycopg's default would
        # add BEGIN and COMMIT round trips, flattering every ratio to it).
        pool = ConnectionPool(os.environ["DATABASE_URL"], min_size=5, max_size=15, open=True,
                              kwargs={"autocommit": True})
        with pool.connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS items (id uuid PRIMARY KEY, key text, body jsonb)")
    return pool


@app.post("/items")
def create() -> Response:
    body = request.get_json()
    item_id = uuid.uuid4()
    with _pool().connection() as conn:
        conn.execute("INSERT INTO items (id, key, body) VALUES (%s, %s, %s)",
                     (item_id, request.headers.get("Idempotency-Key"), json.dumps(body)))
    return Response(json.dumps({"id": str(item_id), **body}), status=201, mimetype="application/json")
