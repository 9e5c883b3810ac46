"""Running the API: HAProxy (the edge, `app.serving.edge`) in front of
granian, or gunicorn alone behind a proxy of one's own (PROCURA_EDGE=none).

The schema is prepared once in the main process (migrated or checked, see
`app.schema`); each worker builds its own Application (and connection pool)
after the fork. With the edge, granian listens on a private unix socket and
HAProxy on the public address, started with granian and stopped after its
workers; if HAProxy dies, the server stops too, so a supervisor restarts
the pair instead of leaving a server nobody can reach.

Why two servers: behind HAProxy nothing slow or malformed reaches the
Python server, so the one that spends the least CPU per request serves
(granian parses HTTP in Rust; docs/developers/performance.md). Alone, gunicorn
answers malformed requests itself as problem+json (`app.http.protocol_errors`).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from app.config import Settings
from app.schema import SchemaStatus
from app.serving.edge import EdgePlan, EdgeProxy, die_with_parent
from app.serving.shutdown import Drain
from app.telemetry.pool_metrics import sample_pool

#: Seconds a gunicorn worker (PROCURA_EDGE=none) that stops answering its
#: master lives before it is killed; granian has no such watchdog.
WORKER_TIMEOUT = 30
#: After SIGTERM, workers stop accepting and finish the requests they hold for
#: at most this long (then they are killed). Longer than the database's
#: timeouts, so a request waiting on PostgreSQL ends on its own first.
GRACEFUL_TIMEOUT = 20
#: Threads each worker runs beyond its request slots, so a probe (/healthz,
#: /readyz: never queued) finds one even at full load.
PROBE_THREADS = 1
#: Behind the edge, granian keeps idle connections (ms) longer than HAProxy
#: does, so HAProxy never sends a request on one granian is closing.
UPSTREAM_KEEPALIVE_MS = 2 * 60 * 1000


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, schema: SchemaStatus, options: dict):
        self.settings = settings
        self.schema = schema
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return worker_app(self.settings, self.schema)


def worker_app(settings: Settings, schema: SchemaStatus):
    """The WSGI application of one server worker process (after the fork)."""
    from app.bootstrap import build_services, create_app

    services = build_services(settings, schema=schema)
    sample_pool(services)
    if settings.is_embedded:
        # One command gives a working system: the embedded default runs
        # the workers in this (single) server process.
        services.supervisor().start()
        services.suppliers.executor().start()
    return create_app(services=services)


def _metrics_directory() -> None:
    """Give prometheus-client's multiprocess mode a fresh directory (set
    before workers fork, so every worker writes its samples there)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="procura-metrics-")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


def serve(settings: Settings, *, host: str, port: int, workers: int | None, threads: int) -> None:
    """Prepare the database (raising SchemaError when the schema cannot be), then serve until
    stopped; EdgeError when the edge cannot start."""
    _metrics_directory()  # before anything imports prometheus-client (app.telemetry.metrics)
    from app.bootstrap import prepare_database
    from app.telemetry.logs import configure_logging

    configure_logging(settings.log_level)
    # Flask, prometheus-client and the request hooks, loaded before the fork:
    # the workers share them and start at once (a worker still importing when
    # asked to stop is killed after the timeout).
    importlib.import_module("app.http.observability")
    schema = prepare_database(settings)
    # SQLite is one file: one process with threads avoids writer contention.
    worker_count = 1 if settings.is_embedded else (workers or 2)
    database = "embedded SQLite " + str(settings.sqlite_path) if settings.is_embedded else "PostgreSQL"
    if settings.edge.proxy == "haproxy":
        _serve_behind_edge(settings, schema, host=host, port=port, workers=worker_count, threads=threads,
                           database=database)
    else:
        _serve_alone(settings, schema, host=host, port=port, workers=worker_count, threads=threads,
                     database=database)


def _granian_worker_app(settings: Settings, schema: SchemaStatus, main: int):
    """A granian worker's application; the worker ends with the server's main
    process `main`, even one killed outright (gunicorn's workers watch their parent)."""
    die_with_parent(main)
    # Its own session: a signal to the server's process group is the main
    # process's to handle (a drain, app.serving.shutdown), which stops the workers last.
    os.setsid()
    return reading_whole_bodies(worker_app(settings, schema))


def reading_whole_bodies(app):
    """`app`, reading what is left of each request body before answering.

    A refusal decided before the body is read (401, 415, ...) would otherwise
    be sent while HAProxy is still writing that body; granian then closes the
    connection with bytes unread, and HAProxy, its write refused, answers 502
    instead of the refusal. The edge has already buffered the body (at most
    1 MiB), so reading the rest costs a copy, never a wait."""

    def application(environ, start_response):
        answer = app(environ, start_response)
        body = environ["wsgi.input"]
        while body.read(64 * 1024):
            pass
        return answer

    return application


def _serve_alone(settings: Settings, schema: SchemaStatus, *, host: str, port: int, workers: int,
                 threads: int, database: str) -> None:
    """gunicorn on the public address, for a buffering proxy of one's own in front."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
    }
    print(f"Procura listening on http://{host}:{port} ({database})", flush=True)
    from app.http import protocol_errors

    protocol_errors.install()  # gunicorn's own 400s as problem+json, inherited by the workers
    _Gunicorn(settings, schema, options).run()


def _serve_behind_edge(settings: Settings, schema: SchemaStatus, *, host: str, port: int, workers: int,
                       threads: int, database: str) -> None:
    """HAProxy on the public address, granian's workers on a private unix socket behind it."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    from app.telemetry.logs import server_logging

    runtime = Path(tempfile.mkdtemp(prefix="procura-edge-"))
    slots = min(threads, settings.edge.max_in_flight)
    plan = EdgePlan(host=host, port=port, upstream=runtime / "granian.sock",
                    admitted=workers * slots, edge=settings.edge)
    edge = EdgeProxy(plan, runtime)
    edge.check()
    server = Granian(
        "procura", uds=plan.upstream, interface=Interfaces.WSGI, http=HTTPModes.http1, websockets=False,
        workers=workers, blocking_threads=slots + PROBE_THREADS,
        http1_settings=HTTP1Settings(keep_alive=True, header_read_timeout=UPSTREAM_KEEPALIVE_MS),
        respawn_failed_workers=True, workers_kill_timeout=GRACEFUL_TIMEOUT,
        log_level="info", log_dictconfig=server_logging(),
    )

    def failed(reason: str) -> None:
        logging.getLogger("procura.serve").error("the edge failed (%s): stopping, so the server is "
                                                 "restarted whole", reason)
        server.signal_handler_interrupt()

    drain = Drain(edge, settings.edge.drain_seconds, then=server.signal_handler_interrupt)

    def started() -> None:  # granian's socket is bound; its workers start next
        edge.start_when_upstream_answers(on_exit=lambda code: failed(f"haproxy exited ({code})"), on_failure=failed)
        drain.install()  # after granian's own handlers, which would stop at once

    server.on_startup(started)
    server.on_shutdown(edge.stop)  # after the workers finished their requests
    print(f"Procura listening on http://{host}:{port} ({database}, behind HAProxy)", flush=True)
    try:
        server.serve(target_loader=functools.partial(_granian_worker_app, settings, schema, os.getpid()), wrap_loader=False)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    if edge.lost:
        sys.exit(1)  # not a clean stop: let the supervisor see it
