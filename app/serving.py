"""Running the API under gunicorn.

The schema is prepared once in the master (migrated or checked, see
`app.schema`); each worker builds its own Application (and connection pool)
after the fork.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from gunicorn.app.base import BaseApplication

from app.config import Settings
from app.schema import SchemaStatus, prepare_schema

#: Seconds a worker that stops answering its master lives before it is killed.
WORKER_TIMEOUT = 30
#: After SIGTERM, workers stop accepting and finish the requests they hold for
#: at most this long (then they are killed). Longer than the database's
#: timeouts, so a request waiting on PostgreSQL ends on its own first.
GRACEFUL_TIMEOUT = 20


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
        from app import build_services, create_app

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
    """Prepare the schema (raising SchemaError when it cannot), then serve until stopped."""
    _metrics_directory()  # before anything imports prometheus-client (app.metrics)
    from app.observability import configure_logging

    configure_logging()
    schema = prepare_schema(settings)
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
    print(f"Procura listening on http://{host}:{port} "
          f"({'embedded SQLite ' + str(settings.sqlite_path) if settings.is_embedded else 'PostgreSQL'})",
          flush=True)
    from app.http import protocol_errors

    protocol_errors.install()  # gunicorn's own 400s as problem+json, inherited by the workers
    _Gunicorn(settings, schema, options).run()
