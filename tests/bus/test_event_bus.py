"""The message-bus sink (docs/integrators/event-bus.md), through a real `procura worker`
on PostgreSQL publishing to a private `nats-server -js`: each public event
once, on its org's subject, with its id as `Nats-Msg-Id`; resuming after a
restart, waiting out a NATS outage without holding the read models back,
and exactly once in order after the worker is killed mid-stream."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager

import psycopg
import pytest

from app.bootstrap import build_services
from app.bus.subjects import org_token
from testkit import stores
from testkit.logs import written_so_far
from testkit.nats_server import nats_server, stream_length, stream_messages
from testkit.server import ROOT, LiveClient, running_server, stop, wait_until
from tests.conftest import SECRET, User, postgres_settings

pytestmark = pytest.mark.postgres

STREAM = "PROCURA_EVENTS"
#: An org whose name holds every character NATS forbids in a subject token.
ODD_ORG = "acme corp.eu *>"


@pytest.fixture
def nats():
    with nats_server() as server:
        yield server


@pytest.fixture
def services(pg_database_url):
    services = build_services(postgres_settings(pg_database_url))
    yield services
    services.close()


def start_worker(url: str, nats_url: str, log) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_EVENT_BUS_URL": nats_url}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--batch-size", "50"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)


@contextmanager
def worker(url: str, nats_url: str):
    """A `procura worker` publishing to `nats_url`; its log is shown when the test fails."""
    with tempfile.TemporaryFile(mode="w+") as log:
        process = start_worker(url, nats_url, log)
        try:
            yield process
        except BaseException:
            sys.stderr.write(f"--- worker log's tail:\n{written_so_far(log)[-4000:]}\n")
            raise
        finally:
            stop(process)


def public_rows(url: str) -> list[dict]:
    """The public events read model's rows, in position order."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT position, org, type, document FROM rm_public_events ORDER BY position").fetchall()
    return [{"position": p, "org": o, "type": t, "document": json.loads(d)} for p, o, t, d in rows]


def published(nats_url: str) -> list[dict]:
    return [{"subject": m.subject, "msg_id": m.msg_id, "document": json.loads(m.data)}
            for m in stream_messages(nats_url, STREAM)]


def all_published(services, url: str, nats_url: str, timeout: float = 20) -> list[dict]:
    """The stream's messages once the sink and the public events model have
    both reached the store's head (nothing is written meanwhile)."""
    head = services.event_store.head_position()

    def done():
        if min(tracked(services, "public_events"), tracked(services, "event_bus")) < head:
            return None
        messages = published(nats_url)
        return messages if len(messages) >= len(public_rows(url)) else None

    return wait_until(done, timeout, interval=0.1, what="every public event in the stream")


def tracked(services, name: str) -> int:
    return int(services.read_store.positions().get(name, {}).get("position", 0))


def expected(rows: list[dict]) -> list[dict]:
    return [{"subject": f"procura.{org_token(r['org'])}.{r['type']}", "msg_id": r["document"]["id"],
             "document": r["document"]} for r in rows]


def test_each_public_event_is_published_once_on_its_orgs_subject_with_its_id_and_only_its_public_form(
        services, pg_database_url, nats):
    stores.grow(services.event_store, 5, "org-1")
    stores.grow(services.event_store, 3, ODD_ORG)
    with worker(pg_database_url, nats.url):
        messages = all_published(services, pg_database_url, nats.url)

    assert messages == expected(public_rows(pg_database_url))
    assert len(messages) == 16 and len({m["msg_id"] for m in messages}) == 16
    odd = [m for m in messages if m["document"]["org"] == ODD_ORG]
    assert {m["subject"] for m in odd} == {"procura.acme%20corp%2Eeu%20%2A%3E.purchase_order.created",
                                           "procura.acme%20corp%2Eeu%20%2A%3E.purchase_order.submitted"}
    assert set(messages[0]["document"]) == {"id", "type", "occurred_at", "org", "po_id", "po_version", "position",
                                            "correlation_id", "data"}


def test_a_restarted_worker_publishes_what_came_after_it_stopped_without_gaps_or_repeats(
        services, pg_database_url, nats):
    stores.grow(services.event_store, 4, "org-1")
    with worker(pg_database_url, nats.url):
        assert len(all_published(services, pg_database_url, nats.url)) == 8
    stores.grow(services.event_store, 4, "org-1")
    with worker(pg_database_url, nats.url):
        messages = all_published(services, pg_database_url, nats.url)

    assert messages == expected(public_rows(pg_database_url))
    assert len(messages) == 16


def test_the_read_models_go_on_while_nats_is_down_and_the_stream_catches_up_when_it_returns(
        services, pg_database_url, nats):
    stores.grow(services.event_store, 2, "org-1")
    with worker(pg_database_url, nats.url):
        assert len(all_published(services, pg_database_url, nats.url)) == 4
        nats.stop()
        stores.grow(services.event_store, 3, "org-1")
        head = services.event_store.head_position()
        wait_until(lambda: tracked(services, "public_events") >= head and tracked(services, "po_summary") >= head,
                   15, what="the read models to follow while NATS is down")
        assert tracked(services, "event_bus") < head
        nats.start()
        messages = all_published(services, pg_database_url, nats.url, timeout=40)
        wait_until(lambda: tracked(services, "event_bus") >= head, 10, what="the sink's tracking row to advance")

    assert messages == expected(public_rows(pg_database_url))
    assert len(messages) == 10


def approvals(base: str, org: str, until: float, errors: list) -> None:
    """Creates, submits and approves POs of `org` through the API until `until`."""
    client = LiveClient(base)
    requester = User(client, "alice", ("requester",), org)
    approver = User(client, "bob", ("approver",), org, approval_limit="99999.00")
    try:
        while time.monotonic() < until:
            po_id = requester.create().get_json()["id"]
            assert requester.command(po_id, "submit", 1).status_code == 200
            assert approver.command(po_id, "approve", 2).status_code == 200
    except Exception as error:  # the test fails with it
        errors.append(error)


def test_a_worker_killed_three_times_mid_stream_leaves_each_event_in_the_stream_once_in_order(
        services, pg_database_url, nats):
    env = {"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    orgs = [f"org-{uuid.uuid4().hex[:6]}", ODD_ORG]
    errors: list = []
    with running_server(env, workers=1, threads=4) as base, tempfile.TemporaryFile(mode="w+") as log:
        until = time.monotonic() + 24
        writers = [threading.Thread(target=approvals, args=(base, org, until, errors)) for org in orgs]
        for writer in writers:
            writer.start()
        for _kill in range(3):  # each time once this worker has published a few dozen more
            enough = stream_length(nats.url, STREAM) + 40
            process = start_worker(pg_database_url, nats.url, log)
            wait_until(lambda n=enough, p=process: stream_length(nats.url, STREAM) >= n or p.poll() is not None,
                       20, interval=0.02, what="the worker to publish")
            assert process.poll() is None, "the worker exited"
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        for writer in writers:
            writer.join(60)
        assert not any(writer.is_alive() for writer in writers), "the writers are still writing"
        with worker(pg_database_url, nats.url):
            messages = all_published(services, pg_database_url, nats.url, timeout=40)

    assert errors == []
    rows = public_rows(pg_database_url)
    ids = [m["msg_id"] for m in messages]
    assert len(ids) == len(set(ids)), "a message id is in the stream twice"
    assert ids == [r["document"]["id"] for r in rows]  # every public event, in position order
    by_subject = defaultdict(list)
    for message in messages:
        by_subject[message["subject"]].append(message["document"]["position"])
    assert all(positions == sorted(positions) for positions in by_subject.values())
    assert messages == expected(rows)
