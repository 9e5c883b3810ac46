"""The floor for scripts/bench_commands: the bare baseline plus the database
work a Procura create cannot avoid, and nothing else.

Per POST it looks the Idempotency-Key up (a prepared SELECT on Procura's
commands table), then saves one event and its command record through
Procura's save-one function (the same tables, lock and NOTIFY a create
uses). No token, validation, domain, metrics or log line. Its req/s against
the baseline's is what the design costs at the database; Procura's against
the floor's is what its Python layers cost. Run against a database that
`procura serve` has prepared.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, request
from psycopg.types.json import Jsonb

from app.persistence.command_records import commands_table_name_for
from benchmarks.pools import worker_pool

#: The library names the events table after the application ("Procura").
EVENTS = "procura_events"
LOOKUP = (f"SELECT status, body FROM {commands_table_name_for(EVENTS)} "
          "WHERE org = %s AND principal = %s AND key = %s").encode()
SAVE = f"SELECT {EVENTS}_save_one_v3(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)".encode()
TOPIC = "benchmarks.floor_app:Item.Created"  # never loaded: no class behind it

app = Flask("floor")


@app.post("/items")
def create() -> Response:
    body = request.get_json()
    key = request.headers.get("Idempotency-Key") or str(uuid.uuid4())
    with worker_pool().connection() as conn:
        found = conn.execute(LOOKUP, ("floor", "floor", key), prepare=True).fetchone()
    if found is not None:
        return Response(bytes(found[1]), status=found[0], mimetype="application/json")
    item_id = uuid.uuid4()
    document = json.dumps({"id": str(item_id), **body}).encode()
    state = json.dumps({"org": "floor", "requester": "floor", **body}).encode()
    with worker_pool().connection() as conn:
        conn.execute(SAVE, (item_id, 1, TOPIC, state, "floor", "floor", key, "-", 201,
                            Jsonb({"Location": f"/items/{item_id}"}), document, datetime.now(UTC), None),
                     prepare=True)
    return Response(document, status=201, mimetype="application/json")
