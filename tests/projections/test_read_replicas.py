"""Reading the read models from streaming replicas, against real streaming
replication: a private primary with `procura worker` running the projections
on it, a hot standby made with pg_basebackup, and `procura serve` reading
lists and reports there. Replicas that lag, pause, stop or are missing are
passed over for the primary (counted and logged), never a 5xx; commands and
single-PO reads never touch a replica."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.bootstrap import build_services
from app.config import Settings
from app.persistence.replicas import replica_name
from projections.po_summary import PurchaseOrderSummary
from testkit.logs import json_log_entries
from testkit.pg import with_database
from testkit.pg_cluster import Cluster, private_cluster
from testkit.pg_replica import Replica, streaming_replica
from testkit.server import LiveClient, serving_process, wait_until
from tests.conftest import SECRET, User
from tests.projections.test_worker_processes import worker

pytestmark = pytest.mark.postgres

DB = "procura_replicas"
#: Small, so a paused replica falls past it within a test.
MAX_LAG_SECONDS = 1


@dataclass
class Site:
    base: str
    log: Path
    primary: Cluster
    replica: Replica

    @property
    def primary_db(self) -> str:
        return with_database(self.primary.url, DB)

    @property
    def replica_db(self) -> str:
        return with_database(self.replica.url, DB)


def server_env(primary_db: str, *replica_dbs: str) -> dict[str, str]:
    return {"DATABASE_URL": primary_db, "PROCURA_JWT_SECRET": SECRET,
            "PROCURA_READ_DATABASE_URL": ",".join(replica_dbs),
            "PROCURA_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS)}


@pytest.fixture(scope="module")
def clusters():
    with private_cluster() as primary:
        with psycopg.connect(primary.url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DB}")
        with streaming_replica(primary) as replica:
            yield primary, replica


@pytest.fixture(scope="module")
def site(clusters, tmp_path_factory):
    primary, replica = clusters
    log = tmp_path_factory.mktemp("replicas") / "server.log"
    primary_db = with_database(primary.url, DB)
    # The server migrates the schema at start; the worker then finds it ready.
    with serving_process(server_env(primary_db, with_database(replica.url, DB)), workers=1, threads=4,
                         log=log) as (base, _server), worker(primary_db):
        site = Site(base, log, primary, replica)
        catch_up(site)  # the server's first checks of the replica are done
        yield site


def users(base: str) -> tuple[User, User]:
    client = LiveClient(base)
    return User(client, "alice", ("requester",)), User(client, "dave", ("analyst",), department="finance")


def metric(base: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 if none)."""
    text = LiveClient(base).get("/metrics").get_data(as_text=True)
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


def reads_from(base: str, source: str) -> float:
    return metric(base, "procura_read_model_reads_total", source=source)


def skips(base: str, **labels: str) -> float:
    return metric(base, "procura_replica_skipped_total", **labels)


def ids(response) -> list[str]:
    return [item["id"] for item in response.get_json()["items"]]


def tracked(url: str) -> int:
    """The list read model's position as the database at `url` has it."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT position FROM procura_tracking WHERE name = %s",
                           (PurchaseOrderSummary.name,)).fetchone()
    return int(row[0])


def applied(primary_db: str, position: int) -> None:
    """Wait for the worker to apply `position` on the primary (it may start
    slowly on a busy machine; the replica's own wait is what the tests time)."""
    wait_until(lambda: tracked(primary_db) >= position, timeout=30, what=f"the worker to apply {position}")


def replica_log_lines(log: Path, reason: str) -> list[dict]:
    return json_log_entries(
        log, lambda entry: entry.get("logger") == "procura.replicas" and entry.get("reason") == reason)


def created(user: User) -> tuple[str, int]:
    response = user.create()
    assert response.status_code == 201
    return response.get_json()["id"], int(response.headers["Event-Position"])


def catch_up(site: Site) -> None:
    """Let the replica replay everything the primary has, and the server read there again."""
    with psycopg.connect(site.primary.url, autocommit=True) as conn:
        flushed = conn.execute("SELECT pg_current_wal_flush_lsn()").fetchone()[0]

    def replayed():
        with psycopg.connect(site.replica.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (flushed,)).fetchone()[0]

    wait_until(replayed, timeout=30, what="the replica to replay what the primary flushed")
    alice, _ = users(site.base)

    def read_on_replica():
        before = reads_from(site.base, "replica")
        return alice.get("/purchase-orders").status_code == 200 and reads_from(site.base, "replica") > before

    wait_until(read_on_replica, timeout=15, what="the server to read from the replica again")


def test_a_read_with_min_position_is_answered_by_the_replica_once_it_has_replayed_that_far(site):
    alice, _ = users(site.base)
    po, position = created(alice)
    applied(site.primary_db, position)
    on_replica, on_primary = reads_from(site.base, "replica"), reads_from(site.base, "primary")

    answer = alice.get(f"/purchase-orders?min_position={position}")

    assert answer.status_code == 200 and po in ids(answer)
    assert reads_from(site.base, "replica") == on_replica + 1
    assert reads_from(site.base, "primary") == on_primary
    answered_at = int(answer.headers["Projection-Position"])
    assert answered_at >= position
    assert answered_at == tracked(site.replica_db)


def test_a_paused_replica_past_the_lag_limit_is_skipped_for_the_primary(site):
    alice, _ = users(site.base)
    lagging = skips(site.base, reason="lagging")
    site.replica.pause_replay()
    try:
        po, position = created(alice)
        # The replica cannot reach `position` while paused: it answers 503
        # projection-behind until its lag passes the limit, then the primary answers.
        answer = wait_until(lambda: (r := alice.get(f"/purchase-orders?min_position={position}")).status_code == 200
                            and r, timeout=20, what="the primary to answer")
        assert po in ids(answer) and int(answer.headers["Projection-Position"]) >= position
        assert tracked(site.replica_db) < position
        assert skips(site.base, replica=replica_name(site.replica_db), reason="lagging") > lagging
        assert replica_log_lines(site.log, "lagging")
    finally:
        site.replica.resume_replay()
        catch_up(site)


def test_a_stopped_replica_leaves_every_read_to_the_primary_without_a_5xx(site):
    alice, dave = users(site.base)
    site.replica.stop()
    try:
        answers = [alice.get("/purchase-orders").status_code for _ in range(10)]
        answers += [dave.get(path).status_code for path in ("/reports/spend", "/reports/cycle-times", "/projections")]
        assert answers == [200] * 13
        assert skips(site.base, reason="down") + skips(site.base, reason="failed") > 0
        assert replica_log_lines(site.log, "down") or replica_log_lines(site.log, "failed")
    finally:
        site.replica.start()
        wait_until(site.replica.is_streaming, timeout=30, what="the replica to stream again")
        catch_up(site)


def test_commands_and_single_order_reads_never_touch_a_replica(site):
    alice, _ = users(site.base)
    site.replica.pause_replay()
    try:
        po, position = created(alice)
        assert alice.command(po, "submit", 1).status_code == 200
        assert tracked(site.replica_db) < position  # the replica has not even seen the order

        answer = alice.get(f"/purchase-orders/{po}")
        history = alice.get(f"/purchase-orders/{po}/history")

        assert answer.status_code == 200 and answer.get_json()["version"] == 2
        assert answer.get_json()["status"] == "submitted"
        assert history.status_code == 200 and len(history.get_json()["events"]) == 2
    finally:
        site.replica.resume_replay()
        catch_up(site)


def test_with_two_replicas_one_down_the_other_serves(site, tmp_path):
    alice, _ = users(site.base)
    with streaming_replica(site.primary) as second:
        down = with_database(second.url, DB)
        second.stop()
        env = server_env(site.primary_db, down, site.replica_db)
        with serving_process(env, workers=1, threads=4, log=tmp_path / "server.log") as (base, _server):
            alice, _ = users(base)
            wait_until(lambda: alice.get("/purchase-orders").status_code == 200 and reads_from(base, "replica"),
                       timeout=15, what="the first read on a replica")
            po, position = created(alice)
            applied(site.primary_db, position)
            on_replica, on_primary = reads_from(base, "replica"), reads_from(base, "primary")
            down_skips = skips(base, replica=replica_name(down), reason="down")

            answers = [alice.get(f"/purchase-orders?min_position={position}") for _ in range(4)]

            assert [a.status_code for a in answers] == [200] * 4 and all(po in ids(a) for a in answers)
            assert reads_from(base, "replica") == on_replica + 4 and reads_from(base, "primary") == on_primary
            assert skips(base, replica=replica_name(down), reason="down") == down_skips + 4


def assert_never_read(primary_db: str, impostor: str) -> None:
    """Reads in this process with `impostor` as the replica: every one is
    answered by the primary and counted as passing it over, not_standby."""
    services = build_services(Settings(database_url=primary_db, jwt_secret=SECRET, read_database_urls=(impostor,)))
    labels = {"replica": replica_name(impostor), "reason": "not_standby"}

    def passed_over() -> float:
        return REGISTRY.get_sample_value("procura_replica_skipped_total", labels) or 0

    try:
        first = passed_over()
        wait_until(lambda: services.reads.read(lambda store: store) is services.read_store and passed_over() > first,
                   timeout=10, what="the first check of the impostor")
        before = passed_over()
        answered_by = [services.reads.read(lambda store: store) for _ in range(3)]
    finally:
        services.close()
    assert answered_by == [services.read_store] * 3
    assert passed_over() == before + 3


def test_a_server_that_is_not_in_recovery_is_never_read_as_a_replica(clusters):
    primary, _replica = clusters
    # The primary under another name: writable, so not a streaming replica.
    assert_never_read(with_database(primary.url, DB), with_database(f"postgresql://postgres@localhost:{primary.port}", DB))


def test_a_standby_of_another_cluster_is_never_read_as_a_replica(clusters, pg_database_url):
    _primary, replica = clusters
    # A primary on the shared server: the private cluster's standby replays someone else's WAL.
    assert_never_read(pg_database_url, with_database(replica.url, DB))
