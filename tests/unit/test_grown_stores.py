"""The benchmarks grow large stores with `testkit.stores.grow_stories`; saving
many stories at once must write exactly what one save per step writes."""

from __future__ import annotations

from app.bootstrap import build_services
from testkit import stores
from tests.conftest import sqlite_settings


def _written(tmp_path, name: str, per_save: int) -> list[tuple]:
    services = build_services(sqlite_settings(tmp_path / f"{name}.sqlite3"))
    try:
        stores.grow_stories(services.event_store, 3, "org-grown", per_save=per_save)
        notifications = services.event_store.recorder.select_notifications(start=1, limit=1000)
        events = [services.event_store.mapper.to_domain_event(n) for n in notifications]
        return [(type(e).__qualname__, e.originator_version, {k: v for k, v in e.meta.items() if k != "occurred_at"})
                for e in events]
    finally:
        services.close()


def test_stories_saved_together_are_the_events_of_one_save_per_step_in_the_same_order(tmp_path):
    by_step = _written(tmp_path, "by-step", per_save=1)
    together = _written(tmp_path, "together", per_save=2)
    assert len(by_step) == 3 * stores.STORY_EVENTS
    assert together == by_step
