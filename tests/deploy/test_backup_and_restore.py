"""Backing up and restoring the event store the way docs/operators/operations.md says
("Backing up and restoring"): POs written through a real `procura serve` on
PostgreSQL and projected by a real `procura worker`, `pg_dump` of the live
database, `pg_restore` into a new one; the copy verifies, serves the same
lists and takes new commands, also when the dump was taken while creates
kept arriving and the worker kept projecting them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager

import pytest

from app.bootstrap import build_services
from projections.tables import ReadModel
from testkit.pg import temporary_database
from testkit.server import ROOT, LiveClient, serving_process, stop, wait_until
from tests.conftest import SECRET, User, postgres_settings

pytestmark = pytest.mark.postgres


def procura_env(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_DRAIN_SECONDS": "0", **extra}


@contextmanager
def worker(url: str):
    """`procura worker` on `url`, stopped (SIGTERM) when the block ends."""
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=procura_env(url),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        stop(process)


def projected(url: str) -> bool:
    """Every read model has applied every event in the store."""
    services = build_services(postgres_settings(url))
    try:
        positions = services.read_store.positions()
        models = [p.name for p in services.processors if isinstance(p, ReadModel)]
        return min(int(positions[m]["position"]) for m in models) >= services.event_store.head_position()
    finally:
        services.close()


def people(base: str) -> dict[str, User]:
    client = LiveClient(base)
    return {
        "alice": User(client, "alice", ("requester",)),
        "bob": User(client, "bob", ("approver",), approval_limit="100000.00"),
        "root": User(client, "root", ("admin",), department="it"),
        "yuki": User(client, "yuki", ("requester",), org="org-2"),
        "mallory": User(client, "mallory", ("admin",), org="org-2"),
    }


def write_orders(who: dict[str, User]) -> None:
    """Drafts, submitted and approved POs in two organisations."""
    for n in range(12):
        author = who["alice"] if n % 3 else who["yuki"]
        created = author.create(title=f"Order {n}")
        assert created.status_code == 201, created.get_json()
        po = created.get_json()["id"]
        if n % 2 and author is who["alice"]:
            assert author.command(po, "submit", 1).status_code == 200
            if n % 4 == 1:
                assert who["bob"].command(po, "approve", 2).status_code == 200


def po_lists(who: dict[str, User]) -> dict[str, list[dict]]:
    """What each organisation's admin lists (one page holds them all)."""
    lists = {}
    for admin in ("root", "mallory"):
        page = who[admin].get("/purchase-orders?limit=200")
        assert page.status_code == 200, page.get_json()
        assert page.get_json()["next_cursor"] is None
        lists[admin] = page.get_json()["items"]
    return lists


def dump(url: str, to) -> None:
    subprocess.run(["pg_dump", "--format=custom", "--file", str(to), "--dbname", url],
                   check=True, capture_output=True, timeout=120)


def restore(backup, url: str) -> None:
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", url, str(backup)],
                   check=True, capture_output=True, timeout=120)


def verify(url: str) -> subprocess.CompletedProcess:
    """`procura projections verify` on `url`."""
    return subprocess.run([sys.executable, "-m", "app.cli", "projections", "verify"], cwd=ROOT,
                          env=procura_env(url, PROCURA_AUTO_MIGRATE="false"), capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def backed_up_and_restored(tmp_path_factory):
    """(restored database URL, the lists the original served, its head position)."""
    backup = tmp_path_factory.mktemp("backup") / "procura.dump"
    with temporary_database() as original, temporary_database() as restored:
        with serving_process(procura_env(original), workers=1, threads=4) as (base, _server):
            who = people(base)
            write_orders(who)
            with worker(original):
                wait_until(lambda: projected(original), timeout=60, what="the worker to project every event")
            before = po_lists(who)
            dump(original, backup)
            head = build_services(postgres_settings(original))
            try:
                head_position = head.event_store.head_position()
            finally:
                head.close()
        restore(backup, restored)
        yield restored, before, head_position


def test_projections_verify_passes_on_the_restored_copy(backed_up_and_restored):
    restored, _lists, _head = backed_up_and_restored

    result = verify(restored)

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_server_on_the_restored_copy_lists_the_same_purchase_orders(backed_up_and_restored):
    restored, before, _head = backed_up_and_restored

    with serving_process(procura_env(restored, PROCURA_AUTO_MIGRATE="false"), workers=1, threads=4) as (base, _):
        after = po_lists(people(base))

    assert sum(len(items) for items in before.values()) == 12
    assert after == before


def test_the_restored_copy_takes_new_commands_after_the_restored_events(backed_up_and_restored):
    restored, _lists, head = backed_up_and_restored

    with serving_process(procura_env(restored, PROCURA_AUTO_MIGRATE="false"), workers=1, threads=4) as (base, _):
        created = people(base)["alice"].create(title="After the restore")

    assert created.status_code == 201, created.get_json()
    assert int(created.headers["Event-Position"]) > head


@pytest.fixture(scope="module")
def backed_up_under_load(tmp_path_factory):
    """(restored database URL, the POs acknowledged before pg_dump started)
    for a dump taken while creates arrive and the worker projects them."""
    backup = tmp_path_factory.mktemp("backup") / "procura.dump"
    with temporary_database() as original, temporary_database() as restored:
        with serving_process(procura_env(original), workers=1, threads=4) as (base, _server), worker(original):
            alice, acknowledged, done = people(base)["alice"], [], threading.Event()

            def create_until_done():
                while not done.is_set() and len(acknowledged) < 2000:
                    created = alice.create(title=f"Order {len(acknowledged)}")
                    assert created.status_code == 201, created.get_json()
                    acknowledged.append(created.get_json()["id"])

            load = threading.Thread(target=create_until_done)
            load.start()
            try:
                wait_until(lambda: len(acknowledged) >= 30 or not load.is_alive(), timeout=60,
                           what="30 creates before the backup")
                before = list(acknowledged)
                dump(original, backup)
                during = len(acknowledged) - len(before)
            finally:
                done.set()
                load.join(timeout=30)
        assert during > 0, "no create was answered while pg_dump ran: the backup was not taken under load"
        restore(backup, restored)
        yield restored, before


def test_a_backup_taken_while_creates_arrive_restores_to_a_copy_that_verifies(backed_up_under_load):
    restored, _before = backed_up_under_load

    result = verify(restored)

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_backup_taken_while_creates_arrive_holds_every_po_acknowledged_before_it_began(backed_up_under_load):
    restored, before = backed_up_under_load
    services = build_services(postgres_settings(restored))
    try:
        titles = [services.event_store.repository.get(uuid.UUID(po)).title for po in before]
    finally:
        services.close()

    assert titles == [f"Order {n}" for n in range(len(before))]
