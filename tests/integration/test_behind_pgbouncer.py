"""Procura behind PgBouncer in transaction pooling mode (Debian's pgbouncer,
`PROCURA_DB_POOLER=transaction`): a real `procura serve` and two `procura
worker` processes share fewer server connections than they hold client
connections, so every transaction may land on another server connection.
Commands, retries, races, the read models, placement leases and schema
preparation must all hold there."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import requests

from app.config import load_settings
from app.persistence.pooler import IDLE_IN_TRANSACTION_TIMEOUT, check_session_timeouts
from app.schema.steps import load_steps
from partners.acme_fake import AcmeFake
from testkit.logs import written_so_far
from testkit.pg import give_session_defaults, temporary_database
from testkit.pgbouncer import Bouncer, pgbouncer
from testkit.races import race
from testkit.server import ROOT, free_port, serving_process, stop, wait_until
from tests.conftest import SECRET, po_body, token
from tests.schema.conftest import procura, procura_env, schema_text
from tests.schema.test_concurrent_start import appliers, ready, started_together

pytestmark = pytest.mark.postgres

API_KEY = "test-acme-key"
WEBHOOK_SECRET = "whsec_dGVzdC1hY21lLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3"
#: More client threads than the pooler has server connections.
CLIENTS = 16
#: idle_in_transaction_session_timeout, as docs/operators/connection-pooler.md sets it.
IDLE_TIMEOUT_SECONDS = int(IDLE_IN_TRANSACTION_TIMEOUT.removesuffix("s"))


def session_defaults(url: str) -> None:
    """What PgBouncer cannot pass on from Procura (docs/operators/connection-pooler.md): the timeouts, as the database's session defaults."""
    with psycopg.connect(url, autocommit=True) as conn:
        give_session_defaults(conn, conn.info.dbname)


def pooled_env(pooled_url: str, partner_url: str) -> dict[str, str]:
    return {"DATABASE_URL": pooled_url, "PROCURA_DB_POOLER": "transaction", "PROCURA_JWT_SECRET": SECRET,
            "PROCURA_SUPPLIER_URL": partner_url, "PROCURA_SUPPLIER_API_KEY": API_KEY,
            "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}", "PROCURA_PLACEMENT_LEASE_SECONDS": "10",
            "PROCURA_PLACEMENT_BACKOFF_MS": "50"}


@contextlib.contextmanager
def worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """`procura worker`, once it follows the event store; stopped afterwards."""
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT,
                                   env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT, text=True)

        def following() -> bool:
            text = written_so_far(output)
            if process.poll() is not None:
                raise RuntimeError(f"procura worker exited {process.returncode}: {text[-2000:]}")
            return "procura worker: following" in text

        try:
            wait_until(following, timeout=60, what="procura worker to follow the event store")
            yield process
        finally:
            stop(process)


@dataclass
class Deployment:
    base: str
    database_url: str  # straight to PostgreSQL, for the test's own checks
    bouncer: Bouncer
    partner: AcmeFake

    def post(self, path: str, body=None, *, key: str, if_match: int | None = None, user: dict | None = None):
        headers = {"Authorization": f"Bearer {token(**(user or {}))}", "Idempotency-Key": key}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return requests.post(self.base + path, json=body, headers=headers, timeout=30)

    def get(self, path: str, user: dict | None = None):
        return requests.get(self.base + path, headers={"Authorization": f"Bearer {token(**(user or {}))}"},
                            timeout=30)

    def events(self, topic_suffix: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute("SELECT count(*) FROM procura_events WHERE topic LIKE %s",
                                (f"%{topic_suffix}",)).fetchone()[0]


APPROVER = {"sub": "bob", "roles": ("approver",), "approval_limit": "100000.00"}
BUYER = {"sub": "carol", "roles": ("buyer",), "department": "purchasing"}
ANALYST = {"sub": "ann", "roles": ("analyst",), "department": "finance"}


@pytest.fixture(scope="module")
def bouncer() -> Iterator[Bouncer]:
    """PgBouncer in transaction mode in front of the test PostgreSQL server."""
    with pgbouncer() as running:
        yield running


@pytest.fixture(scope="module")
def deployment(module_pg_database_url, bouncer) -> Iterator[Deployment]:
    """`procura serve` (2 x 8 threads) and two `procura worker`s, all through PgBouncer."""
    session_defaults(module_pg_database_url)
    partner = AcmeFake(api_key=API_KEY, callback_url="http://127.0.0.1:9/unset", webhook_secret=WEBHOOK_SECRET,
                       port=0).start()
    env = pooled_env(bouncer.url_for(module_pg_database_url), partner.url)
    try:
        with serving_process(env, workers=2, threads=8) as (base, _), worker(env), worker(env):
            partner.callback_url = f"{base}/callbacks/suppliers/acme"
            yield Deployment(base, module_pg_database_url, bouncer, partner)
    finally:
        partner.stop()


def created(deployment: Deployment) -> dict:
    response = deployment.post("/purchase-orders", po_body(), key=f"create-{os.urandom(6).hex()}")
    assert response.status_code == 201, response.text
    return response.json()


def approved(deployment: Deployment) -> str:
    po = created(deployment)
    tag = os.urandom(6).hex()
    assert deployment.post(f"/purchase-orders/{po['id']}/submit", key=f"s-{tag}", if_match=1).status_code == 200
    assert deployment.post(f"/purchase-orders/{po['id']}/approve", key=f"a-{tag}", if_match=2,
                           user=APPROVER).status_code == 200
    return po["id"]


def database_entries(rows: list[dict], database: str) -> list[dict]:
    return [row for row in rows if row["database"] == database]


# --- commands and retries --------------------------------------------------------


def test_clients_share_fewer_server_connections_than_they_hold(deployment):
    responses = race(CLIENTS, lambda i: deployment.post("/purchase-orders", po_body(), key=f"share-{i}"))
    assert [r.status_code for r in responses] == [201] * CLIENTS
    database = deployment.database_url.rsplit("/", 1)[1]
    clients = database_entries(deployment.bouncer.show("CLIENTS"), database)
    servers = database_entries(deployment.bouncer.show("SERVERS"), database)
    assert len(servers) <= deployment.bouncer.pool_size < len(clients)


def test_conflicting_commands_racing_on_one_po_give_exactly_one_winner(deployment):
    po = created(deployment)
    responses = race(CLIENTS, lambda i: deployment.post(f"/purchase-orders/{po['id']}/submit",
                                                        key=f"submit-race-{po['id']}-{i}", if_match=1))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (CLIENTS - 1), [r.text for r in responses if r.status_code != 200]
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {"/problems/version-conflict"}
    assert deployment.get(f"/purchase-orders/{po['id']}").json()["version"] == 2


def test_creates_racing_with_one_idempotency_key_make_one_po_and_retries_replay_it(deployment):
    key = f"one-key-{os.urandom(6).hex()}"
    responses = race(CLIENTS, lambda _: deployment.post("/purchase-orders", po_body(), key=key))
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    again = deployment.post("/purchase-orders", po_body(), key=key)
    assert (again.status_code, again.json()["id"], again.headers["Idempotent-Replayed"]) == (201, *ids, "true")


def test_a_po_goes_from_draft_to_approved_and_each_retried_step_is_applied_once(deployment):
    po = created(deployment)
    path = f"/purchase-orders/{po['id']}"
    for command, version, user in (("submit", 1, None), ("approve", 2, APPROVER)):
        key = f"{command}-{po['id']}"
        first = deployment.post(f"{path}/{command}", key=key, if_match=version, user=user)
        retried = deployment.post(f"{path}/{command}", key=key, if_match=version, user=user)
        assert first.status_code == 200, first.text
        assert (retried.status_code, retried.content) == (200, first.content)
    assert deployment.get(path).json()["status"] == "approved"


# --- the projection worker -----------------------------------------------------------


def test_the_read_model_follows_each_write_it_is_asked_to_reflect(deployment):
    for _ in range(5):
        response = deployment.post("/purchase-orders", po_body(), key=f"follow-{os.urandom(6).hex()}")
        position = int(response.headers["Event-Position"])
        listed = deployment.get(f"/purchase-orders?min_position={position}&limit=200")
        assert listed.status_code == 200, listed.text
        assert int(listed.headers["Projection-Position"]) >= position
        assert response.json()["id"] in {item["id"] for item in listed.json()["items"]}


def test_every_projection_catches_up_with_the_head(deployment):
    race(CLIENTS, lambda i: deployment.post("/purchase-orders", po_body(), key=f"head-{os.urandom(6).hex()}"))

    def caught_up():
        body = deployment.get("/projections", user=ANALYST).json()
        return all(p["position"] >= body["head"] for p in body["projections"])

    wait_until(caught_up, timeout=30, what="every projection to reach the head")


# --- placement leases ------------------------------------------------------------------


def finished(operation: dict) -> dict | None:
    return operation if operation["status"] in ("succeeded", "failed") else None



def test_two_workers_racing_for_the_same_placements_attempt_each_once_and_order_once(deployment):
    deployment.partner.faults.latency_ms = 300  # each call holds its lease a while
    try:
        placing = []
        for po_id in [approved(deployment) for _ in range(6)]:
            response = deployment.post(f"/purchase-orders/{po_id}/place", key=f"place-{po_id}", if_match=3,
                                       user=BUYER)
            assert response.status_code == 202, response.text
            placing.append((po_id, response.json()["id"]))
        for po_id, op_id in placing:
            done = wait_until(lambda op=op_id: finished(deployment.get(f"/operations/{op}", user=BUYER).json()),
                              timeout=30, what=f"operation {op_id} to finish")
            assert (done["status"], done["attempts"]) == ("succeeded", 1), done
            orders = [o for o in deployment.partner.orders if o["clientRef"] == po_id]
            assert [o["orderNo"] for o in orders] == [done["result"]["supplier_reference"]]
    finally:
        deployment.partner.faults.latency_ms = 0


def test_a_transaction_whose_client_went_silent_stops_holding_the_events_table_within_the_idle_timeout(
        deployment):
    # A client that took the events table's lock, then vanished without closing
    # its connection (its host lost power): PgBouncer and PostgreSQL hear nothing.
    silent = psycopg.connect(deployment.bouncer.url_for(deployment.database_url), autocommit=True)
    silent.execute("BEGIN")
    silent.execute("LOCK TABLE procura_events IN EXCLUSIVE MODE")
    key, answers = f"after-silence-{os.urandom(6).hex()}", []

    def created_after_the_silence() -> bool:
        answers.append(deployment.post("/purchase-orders", po_body(), key=key).status_code)
        return answers[-1] == 201

    try:
        wait_until(created_after_the_silence, timeout=IDLE_TIMEOUT_SECONDS + 15, interval=0.2,
                   what="a create once the silent transaction is ended")
        assert set(answers[:-1]) <= {503}, answers  # meanwhile: retry later, never a 500
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            silent.execute("SELECT 1")  # PostgreSQL ended the silent client's transaction
    finally:
        silent.close()


# --- why the setting exists ----------------------------------------------------------


def test_a_prepared_statement_is_lost_when_another_client_holds_its_server_connection(bouncer,
                                                                                       pg_database_url):
    url = bouncer.url_for(pg_database_url)
    with psycopg.connect(url, autocommit=True) as preparing, contextlib.ExitStack() as holding:
        pid = preparing.execute("SELECT pg_backend_pid()", prepare=True).fetchone()[0]
        # Hold server connections in open transactions until one of them is the preparing one's.
        for _ in range(bouncer.pool_size):
            other = holding.enter_context(psycopg.connect(url, autocommit=True))
            holding.enter_context(other.transaction())
            if other.execute("SELECT pg_backend_pid()").fetchone()[0] == pid:
                break
        else:
            pytest.fail("no client got the preparing client's server connection")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            preparing.execute("SELECT pg_backend_pid()", prepare=True)


def test_procura_connections_refused_by_pgbouncer_without_the_setting_come_through_with_it(bouncer,
                                                                                           pg_database_url):
    env = {**procura_env(bouncer.url_for(pg_database_url)), "PROCURA_DB_POOLER": "none"}
    assert procura("migrate", env=env).returncode == 0  # migrations send no startup options
    refused = procura("purge-commands", env=env)
    assert refused.returncode != 0 and "couldn't get a connection" in refused.stderr
    assert "unsupported startup parameter: options" in bouncer.log()
    pooled = procura("purge-commands", env={**env, "PROCURA_DB_POOLER": "transaction"})
    assert pooled.returncode == 0, pooled.stderr


def test_a_start_behind_the_pooler_warns_until_the_role_or_database_carries_the_timeouts(bouncer,
                                                                                          pg_database_url):
    settings = load_settings({"DATABASE_URL": bouncer.url_for(pg_database_url), "PROCURA_JWT_SECRET": SECRET,
                              "PROCURA_DB_POOLER": "transaction", "PROCURA_STATEMENT_TIMEOUT": "10"})
    warnings = check_session_timeouts(settings)
    assert len(warnings) == 2, warnings
    assert "statement_timeout is 0 ms" in warnings[0]
    assert "idle_in_transaction_session_timeout is off" in warnings[1]
    session_defaults(pg_database_url)
    bouncer.reconnect(pg_database_url.rsplit("/", 1)[1])  # its open server connections keep the old defaults
    assert check_session_timeouts(settings) == []


# --- schema preparation --------------------------------------------------------------


def test_serve_two_workers_and_migrate_started_at_once_through_pgbouncer_all_come_up(bouncer):
    with temporary_database() as reference:
        assert procura("migrate", env=procura_env(reference)).returncode == 0
        reference_schema = schema_text(reference)
    with temporary_database() as direct:
        port = free_port()
        commands = {"serve": ["serve", "--port", str(port), "--workers", "2", "--threads", "2"],
                    "worker-1": ["worker"], "worker-2": ["worker"], "migrate": ["migrate"]}
        with started_together(commands, procura_env(bouncer.url_for(direct), PROCURA_DB_POOLER="transaction")
                              ) as started:
            wait_until(lambda: ready(f"http://127.0.0.1:{port}", started["serve"]), timeout=60,
                       what="the server's readiness")
            assert started["migrate"].process.wait(timeout=60) == 0, started["migrate"].text()
            for name in ("worker-1", "worker-2"):
                wait_until(lambda s=started[name]: s.alive() and "procura worker: following" in s.text(),
                           timeout=60, what=f"{name} to start following")
            for step in load_steps("postgres"):
                assert len(appliers(started, step.name)) == 1, {n: s.text() for n, s in started.items()}
        assert schema_text(direct) == reference_schema


# --- a pooler with no server connection free ------------------------------------------


def test_a_request_queued_at_a_pooler_with_no_free_server_connection_answers_503_after_its_wait(
        pg_database_url):
    with pgbouncer(query_wait_timeout=2) as busy:
        pooled = busy.url_for(pg_database_url)
        env = {"DATABASE_URL": pooled, "PROCURA_DB_POOLER": "transaction", "PROCURA_JWT_SECRET": SECRET}
        with serving_process(env, workers=1, threads=2) as (base, _), contextlib.ExitStack() as holding:
            for _ in range(busy.pool_size):  # every server connection in an open transaction
                other = holding.enter_context(psycopg.connect(pooled, autocommit=True))
                holding.enter_context(other.transaction())
                other.execute("SELECT 1")
            started = time.monotonic()
            response = requests.get(f"{base}/purchase-orders/{uuid.uuid4()}",
                                    headers={"Authorization": f"Bearer {token()}"}, timeout=60)
            waited = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json()["dependency"] == "database"
    assert waited < 2 + 3 + 5  # query_wait_timeout, PROCURA_DB_TIMEOUT, leeway
