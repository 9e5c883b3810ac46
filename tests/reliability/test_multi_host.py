"""Procura on several hosts, with hosts dying under load.

The test builds its own network from Linux network namespaces
(testkit/hosts.py): a database host (PostgreSQL primary, a streaming replica,
PgBouncer), two API hosts (`procura serve`), two worker hosts (`procura
worker`) and a client host running the harness load against both APIs and
the fake Acme supplier. Mid-run it kills one API host, then cuts a worker
host off while it is calling the supplier (nobody hears it go: a transaction
it had open ends by PostgreSQL's idle-in-transaction timeout), then restarts
the primary. The scenario runs once (a module fixture); each test checks
one thing that must hold after it. Needs root and iproute2 (skipped
without them, failed under CI=true).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest
import requests

from app.bootstrap import build_services
from app.config import Settings
from harness import checks
from harness.runner import status_at
from harness.stack import API_KEY, PLACEMENT_ENV, SECRET, WEBHOOK_SECRET
from projections.tables import ReadModel
from testkit.db_host import DatabaseHost, database_host
from testkit.hosts import Host, network
from testkit.server import ROOT, UNTHROTTLED, answers, stop, wait_until

# Kills and cuts off hosts under load on timing that other tests running beside it have
# upset (a session left holding the events table's lock): it runs alone.
pytestmark = [pytest.mark.postgres, pytest.mark.alone]

API_PORT, SUPPLIER_PORT = 8000, 8100
#: A worker that dies mid-call leaves its placement to the other after this.
LEASE_SECONDS = 3
CLIENTS = 8
#: Events the load must add before each fault (and after the last), so every
#: phase runs under load.
PHASE_EVENTS = 500
#: The APIs and workers reach the primary through PgBouncer in transaction
#: pooling mode; the APIs read the read models from the replica.
POOL_MODE = "transaction"


@dataclass
class Scenario:
    """What the run left behind for the checks."""

    db: DatabaseHost
    supplier: str
    surviving_api: str
    exchanges: list = field(default_factory=list)
    events: list = field(default_factory=list)
    services: object = None
    timeline: list[tuple[float, str]] = field(default_factory=list)
    in_flight_on_killed_worker: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        self.timeline.append((round(time.monotonic() - self.started, 1), what))


class Logs:
    """Each process's output in a file; their tails are shown when a step fails."""

    def __init__(self, directory: str):
        self.directory = directory
        self.paths: list[str] = []

    def file(self, name: str):
        path = os.path.join(self.directory, f"{name}.log")
        self.paths.append(path)
        return open(path, "w")

    def tails(self, lines: int = 40) -> str:
        return "\n".join(_tail(path, lines, os.path.basename(path)) for path in self.paths)


def _procura(host: Host, args: list[str], env: dict[str, str], logs: Logs, name: str) -> subprocess.Popen:
    with logs.file(name) as out:
        return host.popen([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ, **UNTHROTTLED, **env},
                          stdout=out, stderr=subprocess.STDOUT)


def _head(db: DatabaseHost) -> int:
    with psycopg.connect(db.primary.url(), connect_timeout=3) as conn:
        return conn.execute("SELECT coalesce(max(notification_id), 0) FROM procura_events").fetchone()[0]


def _head_or_zero(db: DatabaseHost) -> int:
    try:
        return _head(db)
    except psycopg.Error:
        return 0


def _unsettled_placements(db: DatabaseHost) -> int:
    with psycopg.connect(db.primary.url(), connect_timeout=3) as conn:
        return conn.execute("SELECT count(*) FROM procura_placements WHERE state <> 'done'").fetchone()[0]


def _grows_by(db: DatabaseHost, events: int, timeout: float, what: str, logs: Logs) -> None:
    """Wait for `events` more events; on a timeout, say what the database and
    the processes were doing (the error message is what a CI log keeps)."""
    start = _head_or_zero(db)
    try:
        wait_until(lambda: _head_or_zero(db) >= start + events, timeout, 0.2, what=what)
    except TimeoutError as stalled:
        servers = os.path.dirname(db.primary.directory)
        raise TimeoutError("\n".join([
            f"{stalled} (head {start} -> {_head_or_zero(db)})", _sessions(db),
            _tail(os.path.join(db.primary.directory, "log"), 12), _tail(os.path.join(servers, "pgbouncer.log"), 8),
            logs.tails(lines=6)])) from None


def _tail(path: str, lines: int, label: str | None = None) -> str:
    """The last `lines` lines of the file at `path` (each cut to 300 characters), under a heading."""
    try:
        with open(path, errors="replace") as f:
            return "\n".join([f"--- {label or path}:", *(line[:300] for line in f.read().splitlines()[-lines:])])
    except OSError as error:
        return f"--- {label or path}: {error}"


def _sessions(db: DatabaseHost) -> str:
    """The primary's busy sessions: who waits on what, in how old a transaction, in
    that state for how long, and which of them hold a lock on the events table."""
    try:
        with psycopg.connect(db.primary.url(), connect_timeout=3) as conn:
            rows = conn.execute(
                "SELECT a.pid, client_addr, state, wait_event_type, wait_event, "
                "round(extract(epoch FROM now() - xact_start)::numeric, 1), "
                "round(extract(epoch FROM now() - state_change)::numeric, 1), "
                "(SELECT string_agg(l.mode, ',') FROM pg_locks l WHERE l.pid = a.pid AND l.granted "
                "AND l.relation = 'procura_events'::regclass), left(query, 70) "
                "FROM pg_stat_activity a WHERE backend_type = 'client backend' AND state <> 'idle' "
                "AND a.pid <> pg_backend_pid() ORDER BY xact_start").fetchall()
    except psycopg.Error as error:
        return f"primary: {error}"
    return "\n".join(["primary's busy sessions (pid, client, state, wait, transaction age s, state age s, "
                       "locks held on procura_events, query):",
                       *(" | ".join(str(v) for v in row) for row in rows)])


def _environment(db: DatabaseHost, supplier: str) -> dict[str, str]:
    """What the APIs and workers are configured with."""
    return {"DATABASE_URL": db.pooled_url, "PROCURA_DB_POOLER": POOL_MODE,
            "PROCURA_READ_DATABASE_URL": db.replica.url(), "PROCURA_JWT_SECRET": SECRET,
            "PROCURA_SUPPLIER_URL": supplier, "PROCURA_SUPPLIER_API_KEY": API_KEY,
            "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}",
            "PROCURA_PLACEMENT_LEASE_SECONDS": str(LEASE_SECONDS), "PROCURA_DB_POOL_SIZE": "2",
            "PROCURA_DB_MAX_OVERFLOW": "6", **PLACEMENT_ENV}


def _start_services(hosts: dict[str, Host], env: dict[str, str], logs: Logs, processes: list) -> None:
    """The supplier on the client host (calling back api2), both APIs (the
    first prepares the schema, so the second starts once it is ready), both workers."""
    client, api2 = hosts["client"], hosts["api2"]
    processes.append(_procura(client, ["app.cli", "fake-supplier", "--host", client.ip, "--port",
                                       str(SUPPLIER_PORT), "--api-key", API_KEY, "--webhook-secret", WEBHOOK_SECRET,
                                       "--callback-url", f"http://{api2.ip}:{API_PORT}/callbacks/suppliers/acme"],
                              {}, logs, "supplier"))
    for host in (hosts["api1"], api2):
        processes.append(_procura(host, ["app.cli", "serve", "--host", host.ip, "--port", str(API_PORT),
                                         "--workers", "2", "--threads", "8"], env, logs, host.name))
        wait_until(lambda h=host: answers(f"http://{h.ip}:{API_PORT}/readyz"), 60, 0.2,
                   what=f"{host.name} to be ready")
    for host in (hosts["worker1"], hosts["worker2"]):
        processes.append(_procura(host, ["app.cli", "worker", "--batch-size", "200"], env, logs, host.name))
    wait_until(lambda: answers(f"http://{client.ip}:{SUPPLIER_PORT}/_faults"), 20, 0.1, what="the supplier")


@contextmanager
def _scenario():
    with ExitStack() as stack:
        net = stack.enter_context(network())
        hosts = {name: net.add(name) for name in ("db", "api1", "api2", "worker1", "worker2", "client")}
        db = stack.enter_context(database_host(hosts["db"], pool_mode=POOL_MODE))
        logs = Logs(stack.enter_context(tempfile.TemporaryDirectory(prefix="procura-multihost-")))
        supplier = f"http://{hosts['client'].ip}:{SUPPLIER_PORT}"
        apis = [f"http://{hosts[name].ip}:{API_PORT}" for name in ("api1", "api2")]
        processes: list[subprocess.Popen] = []
        try:
            _start_services(hosts, _environment(db, supplier), logs, processes)
            scenario = Scenario(db, supplier, apis[1])
            journal = os.path.join(logs.directory, "exchanges.pickle")
            load = _procura(hosts["client"], ["harness.client_host", "--clients", str(CLIENTS), "--out", journal,
                                              "--base", apis[0], "--base", apis[1]], {}, logs, "load")
            processes.append(load)
            _faults(scenario, db, hosts["api1"], hosts["worker1"], logs)
            load.terminate()
            load.wait(timeout=120)
            scenario.note("load stopped")
            with open(journal, "rb") as f:
                scenario.exchanges = pickle.load(f)
            scenario.services = build_services(Settings(database_url=db.primary.url(), jwt_secret=SECRET))
            stack.callback(scenario.services.close)
            _settle(scenario, db, scenario.services)
            scenario.events = checks.stored_events(scenario.services.event_store)
            yield scenario
        except BaseException:
            sys.stderr.write(logs.tails())
            raise
        finally:
            for process in reversed(processes):
                stop(process, timeout=10)


def _faults(scenario: Scenario, db: DatabaseHost, api1: Host, worker1: Host, logs: Logs) -> None:
    """Kill an API host, then cut off a worker host mid-call, then restart the primary,
    each once the load has moved on since the one before."""
    _grows_by(db, PHASE_EVENTS, 60, "the load to get going on both APIs", logs)
    api1.kill()
    scenario.note(f"killed {api1.name} at event {_head(db)}")
    _grows_by(db, PHASE_EVENTS, 60, "the load to go on through the other API", logs)
    # Slow supplier calls, so a worker is caught mid-call.
    requests.post(f"{scenario.supplier}/_faults", json={"latency_ms": 1500}, timeout=5).raise_for_status()

    def calling_from_worker1():
        calls = requests.get(f"{scenario.supplier}/_calls", timeout=5).json()["in_flight"]
        return [c["client_ref"] for c in calls if c["from"] == worker1.ip]

    scenario.in_flight_on_killed_worker = wait_until(calling_from_worker1, 60, 0.05,
                                                     what=f"{worker1.name} to call the supplier")
    worker1.kill(silently=True)
    scenario.note(f"cut off {worker1.name} during placements of {scenario.in_flight_on_killed_worker}")
    requests.post(f"{scenario.supplier}/_faults", json={"latency_ms": 0}, timeout=5).raise_for_status()
    _grows_by(db, PHASE_EVENTS, 60, "the load to go on with one worker", logs)
    scenario.note(f"restarting the primary at event {_head(db)}")
    db.primary.restart()
    scenario.note("primary back")
    _grows_by(db, PHASE_EVENTS, 60, "the load to go on after the primary's restart", logs)


def _quiet(scenario: Scenario, db: DatabaseHost, services) -> bool:
    """Nothing more is coming: placements ended, the supplier has no decision,
    shipment or callback left to send, and every read model is at the head."""
    if _unsettled_placements(db) or requests.get(f"{scenario.supplier}/_calls", timeout=5).json()["scheduled"]:
        return False
    head = _head(db)
    positions = services.read_store.positions()
    return all(int(positions.get(m.name, {}).get("position", 0)) >= head for m in _read_models(services))


def _settle(scenario: Scenario, db: DatabaseHost, services) -> None:
    wait_until(lambda: _quiet(scenario, db, services), 90, 0.2, what="placements, callbacks and read models")
    scenario.note("placements, callbacks and read models settled")
    wait_until(db.replica_caught_up, 30, 0.1, what="the replica to replay everything")


def _read_models(services) -> list[ReadModel]:
    return [p for p in services.processors if isinstance(p, ReadModel)]


def _rows(url: str, model: ReadModel) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {t.name: conn.execute(f"SELECT * FROM {t.name} ORDER BY {', '.join(t.key)}").fetchall()
                for t in model.tables}


def _figures(run: Scenario) -> str:
    """The run in numbers (pytest -s shows them; docs/developers/reliability.md quotes them)."""
    kinds = Counter(e.kind for e in run.exchanges)
    lost = sum(1 for e in run.exchanges if e.retried and e.status is None)
    later = sum(1 for e in run.exchanges if e.retried and e.status is not None)
    orders = requests.get(f"{run.supplier}/_orders", timeout=10).json()["orders"]
    lines = [f"requests: {len(run.exchanges):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))})",
             f"acknowledged commands: {sum(1 for e in run.exchanges if e.key and e.status and e.status < 300):,}",
             f"events in store: {len(run.events):,}; supplier orders: {len(orders)}",
             f"failed over after no answer: {lost}; resent after a retry-later 503: {later}",
             *(f"{at:6.1f} s  {what}" for at, what in run.timeline)]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def scenario():
    with _scenario() as run:
        print("\nmulti-host run:\n" + _figures(run))
        yield run


def _results(result: checks.Result) -> None:
    assert result.cases, f"{result.name}: nothing to check"
    assert not result.failures, f"{result.name}: {len(result.failures)} failures, e.g. {result.failures[:5]}"


def test_every_acknowledged_command_is_stored_exactly_once_across_host_failures(scenario):
    acked, refused = checks.check_store(scenario.exchanges, scenario.events)
    _results(acked)
    assert not refused.failures, refused.failures[:5]
    assert any(e.retried and e.status is None and e.key for e in scenario.exchanges), \
        "no command lost its answer and was resent to the other API"


def test_resends_on_the_other_api_get_the_first_answer(scenario):
    same, in_flight = checks.check_replays(scenario.exchanges)
    _results(same)
    assert not in_flight.failures, in_flight.failures[:5]


def test_every_final_answer_is_in_the_contract(scenario):
    contract, request_ids = checks.check_statuses(scenario.exchanges)
    _results(contract)
    _results(request_ids)


def test_no_purchase_order_has_more_than_one_live_supplier_order(scenario):
    orders = requests.get(f"{scenario.supplier}/_orders", timeout=10).json()["orders"]
    live = Counter(o["clientRef"] for o in orders if o["state"] != "NACK")
    assert live, "no supplier order was placed"
    assert max(live.values()) == 1, [po for po, n in live.items() if n > 1]


def test_every_placed_purchase_order_names_its_live_supplier_order(scenario):
    orders = requests.get(f"{scenario.supplier}/_orders", timeout=10).json()["orders"]
    live = {(o["clientRef"], o["orderNo"]) for o in orders if o["state"] != "NACK"}
    with psycopg.connect(scenario.db.primary.url()) as conn:
        placed = set(conn.execute("SELECT id, supplier_reference FROM rm_po_summary WHERE status = 'placed'"))
    assert placed, "no purchase order was placed"
    assert placed <= live, sorted(placed - live)[:5]


def test_a_placement_the_killed_worker_was_making_is_finished_by_the_other(scenario):
    assert scenario.in_flight_on_killed_worker
    orders = requests.get(f"{scenario.supplier}/_orders", timeout=10).json()["orders"]
    with psycopg.connect(scenario.db.primary.url()) as conn:
        for po_id in scenario.in_flight_on_killed_worker:
            [order] = [o for o in orders if o["clientRef"] == po_id]
            placed = conn.execute("SELECT status, supplier_reference FROM rm_po_summary WHERE id = %s",
                                  (po_id,)).fetchone()
            assert placed == ("placed", order["orderNo"]), po_id


def test_409s_name_the_true_current_version(scenario):
    _results(checks.check_conflicts(scenario.exchanges, scenario.events, status_at(scenario)))


def test_read_models_on_the_replica_equal_those_on_the_primary(scenario):
    for model in _read_models(scenario.services):
        assert _rows(scenario.db.replica.url(), model) == _rows(scenario.db.primary.url(), model), model.name


def test_read_models_on_the_primary_equal_a_rebuild_from_the_events(scenario):
    _results(checks.check_read_models(scenario.services, timeout=30))


def test_the_lists_the_clients_read_came_from_the_replica(scenario):
    metrics = requests.get(f"{scenario.surviving_api}/metrics", timeout=10).text
    [replica_reads] = [float(line.split()[-1]) for line in metrics.splitlines()
                       if line.startswith('procura_read_model_reads_total{source="replica"}')]
    assert replica_reads >= 1
