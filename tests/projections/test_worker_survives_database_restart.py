"""`procura worker` outlives a real PostgreSQL restart (a private cluster,
never the shared server): it keeps running, reconnects, and resumes from its
tracking rows, so the read models still come out exactly as a fresh rebuild
would make them."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from app.bootstrap import build_services
from benchmarks.projections import write_events
from testkit.logs import json_log_entries
from testkit.pg import with_database
from testkit.pg_cluster import private_cluster
from testkit.server import wait_until
from tests.conftest import postgres_settings
from tests.projections.test_worker_processes import assert_equal_to_a_fresh_rebuild, caught_up, worker

pytestmark = pytest.mark.postgres


@contextmanager
def worker_logging_to(url: str, log: Path):
    """`procura worker` with its (JSON line) stderr in a file, not a pipe
    nobody drains."""
    with log.open("w") as errors, worker(url, 100, stderr=errors) as process:
        yield process


def projection_failures(log: Path) -> list[dict]:
    """The worker's logged failures to reach its database."""
    return json_log_entries(log, lambda entry: entry.get("logger") == "procura.projections"
                            and entry.get("level") in ("warning", "error"))


@contextmanager
def services_on(url: str):
    services = build_services(postgres_settings(url))
    try:
        yield services
    finally:
        services.close()


def test_the_worker_survives_a_database_restart_and_resumes_without_double_counting(tmp_path):
    log = tmp_path / "worker.log"
    with private_cluster() as cluster:
        with psycopg.connect(cluster.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE procura_restart")
        url = with_database(cluster.url, "procura_restart")
        with services_on(url) as services:
            write_events(services.event_store, 1000, placements=False)
        with worker_logging_to(url, log) as process:
            with services_on(url) as services:  # closed before its connections are cut
                wait_until(lambda: caught_up(services) or process.poll() is not None, timeout=60,
                           what="the worker's first catch-up")
            assert process.poll() is None, log.read_text()[-2000:]
            assert projection_failures(log) == []

            cluster.stop()
            # The first failure is the connection the stop cut; the second, a
            # retry while the database is still down.
            wait_until(lambda: len(projection_failures(log)) >= 2 or process.poll() is not None, timeout=30,
                       what="the worker to fail twice while its database is down")
            cluster.start()

            with services_on(url) as fresh:
                write_events(fresh.event_store, 300, seed=99, placements=False)
                wait_until(lambda: caught_up(fresh) or process.poll() is not None, timeout=60,
                           what="catch-up after the database restarted")
                assert process.poll() is None, log.read_text()[-2000:]
                assert_equal_to_a_fresh_rebuild(fresh)
