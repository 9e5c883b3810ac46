"""The baseline for scripts/bench_reads: Flask + psycopg-pool answering
`GET /purchase-orders?status=...&department=...&limit=N` with the same
indexed SELECT Procura's list runs (same table, rows, filters and order),
one prepared statement in autocommit, rows dumped with `json.dumps`.

It pays for what any authenticated list must: an HS256 bearer token
verified with PyJWT on every request (Procura keeps verified tokens, so this
is the baseline's larger share), the query string read and checked, the rows
turned into JSON, and a next-page cursor. It has none of Procura's query
schema, visibility rule, freshness position, allowed actions, metrics or log
line. Run against a database Procura's schema steps prepared.
"""

from __future__ import annotations

import base64
import json
import os

import jwt
from flask import Flask, Response, request

from benchmarks.pools import worker_pool

COLUMNS = ("id, org, title, status, total_cents, currency, supplier_id, department, requester, needed_by, "
           "version, created_at, updated_at, rejection_reason, cancellation_reason, supplier_reference, "
           "tracking_number, operation_id")
#: The LIMIT is a literal, as in Procura's statement: PostgreSQL re-plans a
#: prepared statement with a LIMIT parameter on every execution.
PAGE = (f"SELECT {COLUMNS} FROM rm_po_summary WHERE org = %s AND status = ANY(%s) AND department = %s "
        "ORDER BY created_at DESC, id DESC LIMIT {count:d}")
NAMES = tuple(c.strip() for c in COLUMNS.split(","))

app = Flask("read_baseline")
_SECRET = os.environ.get("BENCH_JWT_SECRET", "")


@app.get("/purchase-orders")
def list_orders() -> Response:
    try:
        claims = jwt.decode(request.headers.get("Authorization", "")[7:], _SECRET, algorithms=["HS256"])
        limit = int(request.args.get("limit", "50"))
    except (jwt.InvalidTokenError, ValueError):
        return Response('{"title":"bad request"}', status=400, mimetype="application/json")
    statuses = request.args.getlist("status") or ["draft"]
    with worker_pool().connection() as conn:
        rows = conn.execute(PAGE.format(count=limit + 1).encode(),
                            (claims["org"], statuses, request.args.get("department")), prepare=True).fetchall()
    items = [dict(zip(NAMES, row, strict=True)) for row in rows[:limit]]
    cursor = None
    if len(rows) > limit:
        last = items[-1]
        cursor = base64.urlsafe_b64encode(json.dumps([last["created_at"], last["id"]]).encode()).decode()
    return Response(json.dumps({"items": items, "next_cursor": cursor}), mimetype="application/json")
