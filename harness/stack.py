"""A real Procura stack for the harness: a temporary PostgreSQL database,
HAProxy and granian (`procura serve`), `procura worker` and the fake Acme supplier."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from app.bootstrap import Services, build_services
from app.config import Settings
from partners.acme_fake import AcmeFake
from testkit.pg import temporary_database
from testkit.server import running_server, running_worker

SECRET = "harness-secret-that-is-long-enough-for-hs256-0123456789abcdef"
API_KEY = "harness-acme-key"
WEBHOOK_SECRET = "whsec_aGFybmVzcy1hY21lLXdlYmhvb2stc2VjcmV0LTAxMjM="
#: Placement retries fast, so a run settles in seconds.
PLACEMENT_ENV = {"PROCURA_PLACEMENT_BACKOFF_MS": "50", "PROCURA_PLACEMENT_BACKOFF_CAP_MS": "300",
                 "PROCURA_SUPPLIER_TIMEOUT_MS": "2000", "PROCURA_CIRCUIT_COOLDOWN_MS": "500"}


@dataclass
class Stack:
    base: str
    database_url: str
    services: Services
    supplier: AcmeFake
    worker: subprocess.Popen
    #: One connection for every head(): the sweep reads it twice a case, and a
    #: connection of its own each time cost PostgreSQL a backend start per read.
    _reads: psycopg.Connection | None = field(default=None, repr=False)
    _reading: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def head(self) -> int:
        """The event store's head (highest notification id), read directly."""
        with self._reading:
            if self._reads is None or self._reads.closed:
                self._reads = psycopg.connect(self.database_url, autocommit=True)
            return self._reads.execute("SELECT coalesce(max(notification_id), 0) FROM procura_events").fetchone()[0]

    def close(self) -> None:
        with self._reading:
            if self._reads is not None:
                self._reads.close()


def _worker(env: dict[str, str]):
    return running_worker(env, "--batch-size", "200")


@contextmanager
def live_stack(*, workers: int = 2, threads: int = 16) -> Iterator[Stack]:
    supplier = AcmeFake(api_key=API_KEY, callback_url="http://127.0.0.1:9/unset", webhook_secret=WEBHOOK_SECRET,
                        port=0).start()
    try:
        with temporary_database() as url:
            env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_SUPPLIER_URL": supplier.url,
                   "PROCURA_SUPPLIER_API_KEY": API_KEY, "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}",
                   **PLACEMENT_ENV}
            with running_server(env, workers=workers, threads=threads) as base, _worker(env) as worker:
                supplier.callback_url = f"{base}/callbacks/suppliers/acme"
                services = build_services(Settings(database_url=url, jwt_secret=SECRET))
                stack = Stack(base, url, services, supplier, worker)
                try:
                    yield stack
                finally:
                    stack.close()
                    services.close()
    finally:
        supplier.stop()
