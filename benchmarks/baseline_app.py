"""The baseline for scripts/bench_commands: Flask + psycopg-pool, one INSERT
per POST, no domain, no idempotency. What the machine can do at best."""

from __future__ import annotations

import json
import uuid

from flask import Flask, Response, request

from benchmarks.pools import worker_pool

app = Flask("baseline")
_table_ready = False


def _pool():
    global _table_ready
    pool = worker_pool()
    if not _table_ready:
        with pool.connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS items (id uuid PRIMARY KEY, key text, body jsonb)")
        _table_ready = True
    return pool


@app.post("/items")
def create() -> Response:
    body = request.get_json()
    item_id = uuid.uuid4()
    with _pool().connection() as conn:
        conn.execute("INSERT INTO items (id, key, body) VALUES (%s, %s, %s)",
                     (item_id, request.headers.get("Idempotency-Key"), json.dumps(body)))
    return Response(json.dumps({"id": str(item_id), **body}), status=201, mimetype="application/json")
