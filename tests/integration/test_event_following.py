"""The event-following core: batches apply exactly once, even when workers race."""

from __future__ import annotations

import threading

import pytest

from app.bootstrap import build_services, create_app
from projections.runner import Follower, Processor
from tests.conftest import User, memory_settings, postgres_settings, sqlite_settings


class CountsEvents(Processor):
    """A minimal processor: one row per event type with a count."""

    name = "test_counts"

    def create_tables(self, cur):
        cur.execute("CREATE TABLE IF NOT EXISTS test_counts (type TEXT PRIMARY KEY, n BIGINT NOT NULL)")

    def apply(self, cur, batch):
        for item in batch:
            cur.execute(
                "INSERT INTO test_counts (type, n) VALUES (%(t)s, 1) "
                "ON CONFLICT (type) DO UPDATE SET n = test_counts.n + 1",
                {"t": type(item.event).__name__},
            )


def counts(store) -> dict[str, int]:
    return {r["type"]: int(r["n"]) for r in store.query("SELECT type, n FROM test_counts")}


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def world(request, tmp_path):
    if request.param == "memory":
        settings = memory_settings()
    elif request.param == "sqlite":
        settings = sqlite_settings(tmp_path)
    else:
        settings = postgres_settings(request.getfixturevalue("pg_database_url"))
    services = build_services(settings)
    processor = CountsEvents()
    with services.read_store.transaction() as cur:
        processor.create_tables(cur)
    services.read_store.create_tracking([processor.name])
    yield services, processor
    services.close()


def make_events(services, pos=5):
    user = User(create_app(services=services).test_client())
    for _ in range(pos):
        po = user.create().get_json()["id"]
        user.command(po, "submit", 1)


def test_catching_up_applies_every_event_once_and_tracks_the_head(world):
    services, processor = world
    make_events(services)
    follower = Follower(services.event_store, services.read_store, processor, batch_size=3)
    assert follower.catch_up() == 10
    assert counts(services.read_store) == {"Created": 5, "Submitted": 5}
    assert services.read_store.position(processor.name) == services.event_store.head_position()
    assert follower.catch_up() == 0


def test_a_failing_batch_applies_nothing_and_is_retried_from_the_same_position(world):
    services, processor = world
    make_events(services, 2)
    follower = Follower(services.event_store, services.read_store, processor, batch_size=10)
    original = processor.apply

    def fail_half_way(cur, batch):
        original(cur, batch[:2])
        raise RuntimeError("worker died")

    processor.apply = fail_half_way
    with pytest.raises(RuntimeError):
        follower.step()
    assert counts(services.read_store) == {} and services.read_store.position(processor.name) == 0
    processor.apply = original
    follower.catch_up()
    assert counts(services.read_store) == {"Created": 2, "Submitted": 2}


@pytest.mark.postgres
def test_two_workers_racing_on_postgres_apply_each_event_once(pg_database_url):
    services = build_services(postgres_settings(pg_database_url))
    processor = CountsEvents()
    with services.read_store.transaction() as cur:
        processor.create_tables(cur)
    services.read_store.create_tracking([processor.name])
    make_events(services, 40)
    others = [build_services(postgres_settings(pg_database_url)) for _ in range(4)]
    barrier = threading.Barrier(len(others))

    def work(s):
        barrier.wait()
        Follower(s.event_store, s.read_store, processor, batch_size=7).catch_up()

    threads = [threading.Thread(target=work, args=(s,)) for s in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts(services.read_store) == {"Created": 40, "Submitted": 40}
    for s in [services, *others]:
        s.close()


class CountsSubmissionsOnly(CountsEvents):
    name = "test_counts"

    def wants(self, topic):
        return topic.endswith(".Submitted")


def test_events_a_processor_does_not_want_are_skipped_but_still_tracked(world):
    services, _ = world
    make_events(services, 3)
    follower = Follower(services.event_store, services.read_store, CountsSubmissionsOnly(), batch_size=4)
    assert follower.catch_up() == 6
    assert counts(services.read_store) == {"Submitted": 3}
    assert services.read_store.position("test_counts") == services.event_store.head_position()


def test_reading_after_a_position_gives_the_stored_events_in_order_up_to_the_stop(world):
    services, _ = world
    make_events(services, 3)
    recorder = services.event_store.recorder
    every = recorder.select_notifications(start=None, limit=100)
    fields = ("id", "originator_id", "originator_version", "topic", "state")

    def read(after, limit, stop=None):
        return [tuple(getattr(row, f) for f in fields) for row in recorder.select_after(after, limit, stop)]

    expected = [tuple(getattr(n, f) for f in fields) for n in every]
    assert read(0, 100) == expected
    assert read(every[1].id, 2) == expected[2:4]
    assert read(every[1].id, 100, stop=every[3].id) == expected[2:4]
    assert read(every[-1].id, 100) == []
