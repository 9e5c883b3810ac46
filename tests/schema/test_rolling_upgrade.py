"""A rolling upgrade: release 0.1.0 (its real code, from this repository's
history) serves and follows the store while `procura migrate` applies this
release's steps, one of which adds and backfills a read-model column; then
this release's server (and, on PostgreSQL, worker) joins and both releases
serve side by side. Nobody sees a 5xx, and what either release writes the
other reads. On SQLite each embedded server follows the store itself."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from testkit.server import ROOT, LiveClient, serving_process, stop, wait_until
from tests.conftest import User, po_body
from tests.schema.conftest import execute, procura, procura_env, query

pytestmark = pytest.mark.external

#: The last commit of release 0.1.0, the release before schema steps.
PREVIOUS_RELEASE = "a3fb0c0a1fa82a05e3e3c7d1d1bfdc46f034a7ae"
#: Cycle-time rows the step backfills, so the migration takes long enough to
#: overlap requests: about a second of holding the table (300,000 rows held it
#: 6 s, and 0.1.0's reads would wait for it up to their 10 s statement timeout).
BULK_DECISIONS = 60_000


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory) -> Path:
    """The source tree of release 0.1.0, exported from git."""
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                           capture_output=True)
    if found.returncode != 0:
        message = f"release 0.1.0 ({PREVIOUS_RELEASE}) is not in this clone's history"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    target = tmp_path_factory.mktemp("procura-0.1.0")
    with tempfile.TemporaryFile() as archive:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS_RELEASE,
                        "app", "aggregates", "projections", "partners"], stdout=archive, check=True)
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(target, filter="data")
    return target


@dataclass
class Traffic:
    """Requesters, approvers and analysts working through one server."""

    label: str
    base: str
    outcomes: list[tuple[str, float, str, int]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, stop: threading.Event) -> None:
        client = LiveClient(self.base)
        alice = User(client, "alice", ("requester",), org="org-roll", department="eng")
        bob = User(client, "bob", ("approver",), org="org-roll", department="eng", approval_limit="100000.00")
        ann = User(client, "ann", ("analyst",), org="org-roll", department=None)
        while not stop.is_set():
            created = self.note("create", alice.post("/purchase-orders", po_body()))
            if created.status_code != 201:
                continue
            po = created.get_json()["id"]
            with self.lock:
                self.created.append(po)
            self.note("submit", alice.command(po, "submit", 1))
            self.note("approve", bob.command(po, "approve", 2))
            self.note("read", alice.get(f"/purchase-orders/{po}"))
            self.note("list", alice.get("/purchase-orders?limit=5"))
            self.note("cycle-times", ann.get("/reports/cycle-times"))

    def note(self, what: str, response):
        with self.lock:
            self.outcomes.append((self.label, time.monotonic(), what, response.status_code))
        return response

    def count(self, since: float = 0.0, until: float = float("inf"), what: str | None = None) -> int:
        with self.lock:
            return sum(1 for _l, t, w, _s in self.outcomes if since <= t <= until and what in (None, w))


@contextlib.contextmanager
def traffic_on(*targets: Traffic, threads: int = 2):
    stop = threading.Event()
    workers = [threading.Thread(target=t.run, args=(stop,), daemon=True) for t in targets for _ in range(threads)]
    for w in workers:
        w.start()
    try:
        yield
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)


@contextlib.contextmanager
def worker_process(database: str | Path, env: dict[str, str], source: Path):
    """A `procura worker` on PostgreSQL (the embedded server follows the store itself)."""
    if isinstance(database, Path):
        yield None
        return
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=source, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            yield process
        finally:
            stop(process)


def scalar(database: str | Path, sql: str):
    return query(database, sql)[0][0]


def head(database: str | Path) -> int:
    if isinstance(database, Path):
        return scalar(database, "SELECT max(rowid) FROM stored_events")
    return scalar(database, "SELECT max(notification_id) FROM procura_events")


def add_bulk_decisions(database: str | Path) -> None:
    execute(database,
            "INSERT INTO rm_cycle_decisions (po_id, version, org, department, outcome, decided_at, duration_us) "
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < "
            f"{BULK_DECISIONS}) SELECT 'bulk-' || x, 2, 'org-bulk', NULL, 'approved', "
            "'2026-01-01T00:00:00.000000Z', CAST(x AS BIGINT) * 1000000 FROM n")


def test_the_previous_release_keeps_serving_through_migration_and_beside_the_new_one(
        database, previous_release):
    env = procura_env(database)
    old = Traffic("0.1.0", "")
    new = Traffic("0.2.0", "")
    with serving_process(env, workers=2, threads=4, source=previous_release) as (old.base, _), \
            worker_process(database, env, previous_release):
        add_bulk_decisions(database)
        with traffic_on(old):
            wait_until(lambda: old.count(what="cycle-times") >= 2, timeout=60, what="0.1.0 answering")
            started = time.monotonic()
            migrated = procura("migrate", env=env, timeout=300)
            finished = time.monotonic()
            assert migrated.returncode == 0, migrated.stderr
            head_then = head(database)
            # 0.1.0's follower waits up to 30 s after failed passes, and a pass fails
            # whenever the backfill holds the database past 0.1.0's 3 s lock timeout.
            wait_until(lambda: scalar(database, "SELECT position FROM procura_tracking "
                                                "WHERE name = 'cycle_times'") >= head_then,
                       timeout=120, what="0.1.0's worker writing to the migrated read model")

            with serving_process(env, workers=2, threads=4) as (new.base, _), worker_process(database, env, ROOT), \
                    traffic_on(new):
                wait_until(lambda: new.count(what="cycle-times") >= 3
                           and old.count(since=finished, what="cycle-times") >= 3,
                           timeout=120, what="both releases answering after the migration")
                old_po, new_po = old.created[-1], new.created[-1]
                reads = [User(LiveClient(t.base), "alice", org="org-roll").get(f"/purchase-orders/{po}")
                         for t in (old, new) for po in (old_po, new_po)]
                report = User(LiveClient(new.base), "ann", ("analyst",), org="org-roll",
                              department=None).get("/reports/cycle-times").get_json()

    failures = [o for t in (old, new) for o in t.outcomes if not 200 <= o[3] < 300]
    assert failures == []
    assert old.count(since=started, until=finished) >= 1, "no request overlapped the migration"
    assert old.count(since=finished, what="create") >= 1 and new.count(what="create") >= 1
    assert [r.status_code for r in reads] == [200, 200, 200, 200]
    assert sum(bucket["count"] for bucket in report["histogram"]) == report["count"] > 0
