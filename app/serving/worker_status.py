"""`procura worker`'s own HTTP port (`--status-port`): `/metrics` (its
Prometheus samples: placements, circuits, webhook attempts, its pool) and
`/healthz`, 200 while every processor completes its passes, 503 naming
those that have not for `failing_after` seconds (the database failing them,
or a dead thread), so a supervisor or a liveness probe can tell a stuck worker."""

from __future__ import annotations

import json
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer


class _Quiet(WSGIRequestHandler):
    def log_message(self, *_: Any) -> None:  # probes every few seconds: no line each
        pass


def status_app(supervisor: Any, failing_after: float):
    metrics = make_wsgi_app()

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz":
            return metrics(environ, start_response)
        failing = supervisor.failing(failing_after)
        body = json.dumps({"status": "failing", "failing": failing} if failing else {"status": "ok"}).encode()
        start_response("503 Service Unavailable" if failing else "200 OK",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve_status(port: int, supervisor: Any, failing_after: float, host: str = "127.0.0.1") -> None:
    """Serve the worker's status on `host:port` from a daemon thread."""
    server = make_server(host, port, status_app(supervisor, failing_after), ThreadingWSGIServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="procura-worker-status", daemon=True).start()
