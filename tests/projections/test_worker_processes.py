"""`procura worker` as a real process on PostgreSQL: killed mid-catch-up,
doubled, cut off from its database; the read models still come out exactly
as a fresh rebuild would make them."""

from __future__ import annotations

import random
import signal
import subprocess
from typing import Any

import psycopg
import pytest

from app.bootstrap import build_services
from benchmarks.projections import write_events
from projections.maintenance import verify
from projections.spend import spend_report
from projections.tables import ReadModel
from testkit.server import running_worker, wait_until
from tests.conftest import SECRET, postgres_settings
from tests.projections import reference

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(pg_database_url):
    services = build_services(postgres_settings(pg_database_url))
    write_events(services.event_store, 3000, placements=False)
    yield services, pg_database_url
    services.close()


def worker(url: str, batch_size: int = 20, *, stderr: Any = subprocess.DEVNULL):
    """`procura worker` on `url`; SIGTERM (then SIGKILL) when the block ends."""
    return running_worker({"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET}, "--batch-size", str(batch_size),
                          stderr=stderr)


def models(services) -> list[ReadModel]:
    return [p for p in services.processors if isinstance(p, ReadModel)]


def lowest_position(services) -> int:
    positions = services.read_store.positions()
    return min(int(positions[m.name]["position"]) for m in models(services))


def caught_up(services) -> bool:
    return lowest_position(services) >= services.event_store.head_position()


def assert_equal_to_a_fresh_rebuild(services) -> None:
    for model in models(services):
        assert verify(services.event_store, services.read_store, model) == [], model.name


def test_a_worker_killed_at_random_points_during_catch_up_resumes_to_exactly_a_fresh_rebuild(world):
    services, url = world
    head, rng = services.event_store.head_position(), random.Random(4)
    for kill in sorted(rng.sample(range(head // 10, head * 9 // 10), 4)):
        with worker(url) as process:
            wait_until(lambda k=kill: lowest_position(services) >= k or process.poll() is not None, timeout=60,
                       interval=0.01, what=f"the worker to pass position {kill}")
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert not caught_up(services), "the kills should land before the end of catch-up"
    with worker(url):
        wait_until(lambda: caught_up(services), timeout=60, what="catch-up after the kills")
    assert_equal_to_a_fresh_rebuild(services)


def test_two_workers_at_once_apply_every_event_exactly_once(world):
    services, url = world
    with worker(url, batch_size=7), worker(url, batch_size=11):
        wait_until(lambda: caught_up(services), timeout=60, what="two workers catching up")
    assert_equal_to_a_fresh_rebuild(services)
    pos = reference.fold(reference.all_events(services.event_store))
    with services.read_store.snapshot() as cur:
        for org in ("org-0", "org-1", "org-2"):
            found = spend_report(cur, org, "department")
            assert sum(r.approved_count for r in found) == sum(1 for p in pos.values()
                                                               if p.org == org and p.approved)


def test_a_worker_survives_losing_its_database_connections_and_follows_new_events(world):
    services, url = world
    with worker(url, batch_size=500) as process:
        wait_until(lambda: caught_up(services), timeout=60, what="first catch-up")
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        # Our own pool lost its connections too: write through a new one.
        fresh = build_services(postgres_settings(url))
        try:
            write_events(fresh.event_store, 200, seed=99, placements=False)
            wait_until(lambda: caught_up(fresh), timeout=60, what="catch-up after the connections were cut")
            assert process.poll() is None
            assert_equal_to_a_fresh_rebuild(fresh)
        finally:
            fresh.close()
