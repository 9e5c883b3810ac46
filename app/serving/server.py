"""Running the API: HAProxy (the edge, `app.serving.edge`) in front of gunicorn.

The schema is prepared once in the master (migrated or checked, see
`app.schema`); each worker builds its own Application (and connection pool)
after the fork. With the edge, gunicorn listens on a private unix socket and
HAProxy on the public address, started once gunicorn is ready and stopped
with it; if HAProxy dies, the server stops too, so a supervisor restarts
the pair instead of leaving a server nobody can reach.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from app.config import Settings
from app.schema import SchemaStatus
from app.serving.edge import EdgePlan, EdgeProxy

#: Seconds a worker that stops answering its master lives before it is killed.
WORKER_TIMEOUT = 30
#: After SIGTERM, workers stop accepting and finish the requests they hold for
#: at most this long (then they are killed). Longer than the database's
#: timeouts, so a request waiting on PostgreSQL ends on its own first.
GRACEFUL_TIMEOUT = 20
#: Threads each worker runs beyond its request slots, so a probe (/healthz,
#: /readyz: never queued) finds one even at full load.
PROBE_THREADS = 1
#: Behind the edge, gunicorn keeps idle connections longer than HAProxy
#: does, so HAProxy never sends a request on one gunicorn is closing.
UPSTREAM_KEEPALIVE = 2 * 60


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
        from app.bootstrap import build_services, create_app

        services = build_services(self.settings, schema=self.schema)
        if self.settings.is_embedded:
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


def _child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def serve(settings: Settings, *, host: str, port: int, workers: int | None, threads: int) -> None:
    """Prepare the database (raising SchemaError when the schema cannot be), then serve until
    stopped; EdgeError when the edge cannot start."""
    _metrics_directory()  # before anything imports prometheus-client (app.serving.metrics)
    from app.bootstrap import prepare_database
    from app.serving.observability import configure_logging

    configure_logging()
    schema = prepare_database(settings)
    # SQLite is one file: one process with threads avoids writer contention.
    worker_count = 1 if settings.is_embedded else (workers or 2)
    options = {
        "bind": f"{host}:{port}",
        "workers": worker_count,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        "child_exit": _child_exit,
    }
    edge = None
    if settings.edge.proxy == "haproxy":
        runtime = Path(tempfile.mkdtemp(prefix="procura-edge-"))
        slots = min(threads, settings.edge.max_in_flight)
        plan = EdgePlan(host=host, port=port, upstream=runtime / "gunicorn.sock",
                        admitted=worker_count * slots, edge=settings.edge)
        edge = EdgeProxy(plan, runtime)
        edge.check()
        options.update(_behind(edge, slots))
    print(f"Procura listening on http://{host}:{port} "
          f"({'embedded SQLite ' + str(settings.sqlite_path) if settings.is_embedded else 'PostgreSQL'}"
          f"{', behind HAProxy' if edge else ''})", flush=True)
    from app.http import protocol_errors

    protocol_errors.install()  # gunicorn's own 400s as problem+json, inherited by the workers
    _Gunicorn(settings, schema, options).run()


def _behind(edge: EdgeProxy, slots: int) -> dict:
    """gunicorn's options when `edge` fronts it: the private socket, and hooks
    that start HAProxy once gunicorn is ready and stop it when gunicorn ends."""

    def when_ready(arbiter) -> None:
        def lost(code: int) -> None:
            arbiter.log.error("haproxy exited (%s): stopping, so the server is restarted whole", code)
            os.kill(os.getpid(), signal.SIGTERM)

        edge.start(on_exit=lost)

    def on_exit(arbiter) -> None:
        edge.stop()
        shutil.rmtree(edge.directory, ignore_errors=True)
        if edge.lost:
            sys.exit(1)  # not a clean stop: let the supervisor see it

    return {"bind": f"unix:{edge.plan.upstream}", "threads": slots + PROBE_THREADS,
            "keepalive": UPSTREAM_KEEPALIVE, "when_ready": when_ready, "on_exit": on_exit}
