"""scripts/bench_webhooks: what sending an org's events out costs and how
soon they arrive (docs/integrators/webhooks.md, docs/integrators/event-bus.md).

On one scratch PostgreSQL database, `procura serve` (BENCH_WORKERS x
BENCH_THREADS, limits off), `procura worker` and a private `nats-server
-js`, with ten webhook endpoints of one org on receivers in this process:
eight answer 200 at once, one hangs until the worker's timeout
(BENCH_TIMEOUT_MS, default Procura's 10,000) and one answers 500.

First the ceiling of API + worker: BENCH_CLIENTS clients each creating,
submitting and approving POs back to back for BENCH_PROBE_SECONDS, divided
by the time until every healthy endpoint had every event of them. Then
each round (BENCH_ROUNDS, default 3):

1. paced: flows (create, submit, approve) at BENCH_LOAD_FRACTION (0.5) of
   that ceiling for BENCH_SECONDS: commit -> delivered p50/p99 at the
   healthy endpoints (from each event's `occurred_at` to its first arrival;
   goal p99 <= 500 ms), and meanwhile the feed's long-poll wake-up (GET
   /events?wait= of another org, from its event's `occurred_at` to the
   answer; goal p99 <= 100 ms).
2. deliveries/s ceiling: the worker paused (SIGSTOP) while BENCH_BACKLOG
   flows are created, then resumed: deliveries to the healthy endpoints
   per second until all have arrived.
3. creates from wrk (8 clients, BENCH_SECONDS) with the endpoints enabled
   and the worker publishing to NATS ("on"), and with the endpoints
   disabled and no bus ("off", the baseline), in alternating order: on/off
   (goal >= 0.8). The round's endpoints are then deleted with what the
   create runs queued, and the next round registers ten new ones.

Figures per round, medians of the rounds. Needs wrk, nats-server and
PostgreSQL (PROCURA_BENCH_PG_URL, default the local server).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import requests

import benchmarks.commands as commands
from app.http.auth import mint_token
from benchmarks.commands import BODY, FRESH_KEYS, SECRET, scratch_database, server, wrk
from benchmarks.following import caught_up
from benchmarks.visibility import percentile
from testkit.nats_server import nats_server
from testkit.receiver import Receiver
from testkit.server import UNTHROTTLED, stop, wait_until

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PROBE_SECONDS = int(os.environ.get("BENCH_PROBE_SECONDS", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "200"))
LOAD_FRACTION = float(os.environ.get("BENCH_LOAD_FRACTION", "0.5"))
TIMEOUT_MS = int(os.environ.get("BENCH_TIMEOUT_MS", "10000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
HEALTHY = 8
ORG, FEED_ORG = "bench", "bench-feed"
EVENTS_PER_FLOW = 3  # created, submitted, approved
#: monotonic -> wall clock, for comparing a receiver's arrival with an event's occurred_at.
WALL = time.time() - time.monotonic()


def _token(org: str, sub: str, roles: list[str], **claims) -> str:
    return mint_token(SECRET, sub=sub, org=org, roles=roles, department="eng", **claims)


class Flows:
    """Create, submit and approve POs of the org over HTTP."""

    def __init__(self, base: str, org: str = ORG):
        self.base = base
        self.requester = {"Authorization": f"Bearer {_token(org, 'req', ['requester'])}",
                          "Content-Type": "application/json"}
        self.approver = {"Authorization": f"Bearer {_token(org, 'app', ['approver'], approval_limit='99999.00')}",
                         "Content-Type": "application/json"}
        self.local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def _post(self, path: str, headers: dict[str, str], version: int | None = None, body: str | None = None) -> dict:
        sent = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        if version is not None:
            sent["If-Match"] = f'"{version}"'
        answer = self._session().post(self.base + path, data=body, headers=sent, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def create(self) -> str:
        return self._post("/purchase-orders", self.requester, body=BODY)["id"]

    def flow(self) -> str:
        po_id = self.create()
        self._post(f"/purchase-orders/{po_id}/submit", self.requester, 1)
        self._post(f"/purchase-orders/{po_id}/approve", self.approver, 2)
        return po_id


def closed_loop(flows: Flows, clients: int, *, seconds: float | None = None, count: int | None = None) -> list[str]:
    """Flows back to back from `clients` threads, for `seconds` or until `count` are done; their PO ids."""
    done: list[str] = []
    lock = threading.Lock()
    until = time.monotonic() + (seconds or 1e9)

    def client() -> None:
        while time.monotonic() < until:
            with lock:
                if count is not None and len(done) + in_flight[0] >= count:
                    return
                in_flight[0] += 1
            po_id = flows.flow()
            with lock:
                in_flight[0] -= 1
                done.append(po_id)

    in_flight = [0]
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done


def paced(flows: Flows, rate: float, seconds: float) -> list[str]:
    """Flows started at `rate` per second on a fixed schedule (a late one starts at once)."""
    done: list[str] = []
    loaders = max(1, CLIENTS)
    interval = loaders / rate
    until = time.monotonic() + seconds

    def loader(offset: float) -> None:
        due = time.monotonic() + offset
        while due < until:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            done.append(flows.flow())
            due += interval

    threads = [threading.Thread(target=loader, args=(i * interval / loaders,), daemon=True) for i in range(loaders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done


def _occurred(event: dict) -> float:
    return datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).timestamp()


class Arrivals:
    """What reached one receiver: each event's po_id and commit -> first arrival (s), read as it comes."""

    def __init__(self, receiver: Receiver):
        self.receiver, self.read, self.events = receiver, 0, {}

    def of(self, po_ids: set[str]) -> list[float]:
        received = self.receiver.received
        for delivery in received[self.read:len(received)]:
            event = delivery.event
            self.events.setdefault(event["id"], (event["po_id"], delivery.at + WALL - _occurred(event)))
            self.read += 1
        return [latency for po_id, latency in self.events.values() if po_id in po_ids]


def all_arrived(arrivals: list[Arrivals], po_ids: set[str], timeout: float = 300) -> float:
    """Wait until every healthy receiver has every event of `po_ids`; when (monotonic)."""
    wanted = EVENTS_PER_FLOW * len(po_ids)
    wait_until(lambda: all(len(a.of(po_ids)) >= wanted for a in arrivals), timeout, interval=0.02,
               what="every event at every healthy endpoint")
    return time.monotonic()


def feed_wakeups(base: str, until: float) -> list[float]:
    """Long polls of another org's feed, each woken by a PO that org creates: commit -> answer, in seconds."""
    flows = Flows(base, FEED_ORG)
    headers = {"Authorization": f"Bearer {_token(FEED_ORG, 'feed', ['integration'])}"}
    session = requests.Session()
    cursor = None
    while True:  # to the feed's end: earlier rounds' events are not samples
        page = session.get(base + "/events", params={"after": cursor, "limit": 500}, headers=headers, timeout=30).json()
        cursor = page["next_cursor"]
        if not page["items"]:
            break
    samples: list[float] = []

    def poll(after: str, answer: dict) -> None:
        response = session.get(base + "/events", params={"after": after, "wait": 10, "limit": 1},
                               headers=headers, timeout=30)
        answer.update(response.json(), answered=time.time())

    while time.monotonic() < until:
        answer: dict = {}
        poller = threading.Thread(target=poll, args=(cursor, answer), daemon=True)
        poller.start()
        time.sleep(0.2)  # the poll is waiting by now
        flows.create()
        poller.join()
        if answer.get("items"):
            samples.append(answer["answered"] - _occurred(answer["items"][0]))
        cursor = answer.get("next_cursor", cursor)
    return samples


class Worker:
    """`procura worker`, restarted with or without the bus."""

    def __init__(self, env: dict[str, str], bus: dict[str, str]):
        self.env, self.bus, self.process = env, bus, None
        self.publishing = False

    def start(self, *, bus: bool) -> None:
        self.stop()
        self.publishing = bus
        self.process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"],
                                        env={**os.environ, **self.env, **(self.bus if bus else {})},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)  # never stop a paused worker
            stop(self.process)
            self.process = None


def endpoints(base: str, receivers: list[Receiver]) -> list[str]:
    headers = {"Authorization": f"Bearer {_token(ORG, 'root', ['admin'])}"}
    ids = []
    for receiver in receivers:
        created = requests.post(base + "/webhook-endpoints", json={"url": receiver.url}, headers=headers, timeout=30)
        created.raise_for_status()
        ids.append(created.json()["id"])
    return ids


def enable(base: str, ids: list[str], enabled: bool) -> None:
    headers = {"Authorization": f"Bearer {_token(ORG, 'root', ['admin'])}"}
    for endpoint_id in ids:
        requests.patch(f"{base}/webhook-endpoints/{endpoint_id}", json={"enabled": enabled}, headers=headers,
                       timeout=30).raise_for_status()


def remove(base: str, ids: list[str]) -> None:
    """Delete the endpoints with their deliveries: what a create run queued is not the next round's load."""
    headers = {"Authorization": f"Bearer {_token(ORG, 'root', ['admin'])}"}
    for endpoint_id in ids:
        requests.delete(f"{base}/webhook-endpoints/{endpoint_id}", headers=headers, timeout=30).raise_for_status()


def round_of(base: str, conn: psycopg.Connection, worker: Worker, healthy: list[Arrivals], every: list[Receiver],
             rate: float, number: int) -> dict[str, float]:
    flows = Flows(base)
    ids = endpoints(base, every)
    worker.start(bus=True)
    caught_up(conn)
    sampled: list[float] = []
    sampler = threading.Thread(target=lambda: sampled.extend(feed_wakeups(base, time.monotonic() + SECONDS)),
                               daemon=True)
    sampler.start()
    po_ids = set(paced(flows, rate, SECONDS))
    sampler.join()
    all_arrived(healthy, po_ids)
    latencies = [s for a in healthy for s in a.of(po_ids)]

    os.kill(worker.process.pid, signal.SIGSTOP)
    backlog = set(closed_loop(flows, CLIENTS, count=BACKLOG))
    resumed = time.monotonic()
    os.kill(worker.process.pid, signal.SIGCONT)
    delivered_per_s = HEALTHY * EVENTS_PER_FLOW * len(backlog) / (all_arrived(healthy, backlog) - resumed)

    creates: dict[str, float] = {}
    for mode in (("on", "off") if number % 2 else ("off", "on")):
        if worker.publishing:  # only it moves the bus's tracking row: let it reach the head before it goes
            caught_up(conn)
        enable(base, ids, mode == "on")
        worker.start(bus=mode == "on")
        caught_up(conn)
        creates[mode] = wrk(base, "/purchase-orders", 8, FRESH_KEYS, _token(ORG, "req", ["requester"]))["rps"]
    remove(base, ids)
    return {"p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "deliveries": len(latencies), "delivered_per_s": delivered_per_s,
            "wake_p50_ms": percentile(sampled, 50) * 1000 if sampled else float("nan"),
            "wake_p99_ms": percentile(sampled, 99) * 1000 if sampled else float("nan"), "wakeups": len(sampled),
            "on": creates["on"], "off": creates["off"]}


def probe(base: str, healthy: list[Arrivals]) -> float:
    """Flows per second that API and worker carry through: flows back to back
    for PROBE_SECONDS, over the time until the healthy endpoints had them all."""
    started = time.monotonic()
    po_ids = set(closed_loop(Flows(base), CLIENTS, seconds=PROBE_SECONDS))
    return len(po_ids) / (all_arrived(healthy, po_ids) - started)


@contextmanager
def receivers():
    """Eight healthy receivers, one that hangs past the worker's timeout, one that answers 500."""
    def hang(n, delivery):
        time.sleep(TIMEOUT_MS / 1000 + 1)
        return 200, {}, b"late"

    with ExitStack() as stack:
        healthy = [stack.enter_context(Receiver()) for _ in range(HEALTHY)]
        slow = stack.enter_context(Receiver(reply=hang))
        broken = stack.enter_context(Receiver(reply=lambda n, d: (500, {}, b"down")))
        yield [Arrivals(r) for r in healthy], [*healthy, slow, broken]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_webhooks needs wrk (apt-get install wrk)")
    commands.SECONDS = SECONDS
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(f"bench_webhooks_{uuid.uuid4().hex[:6]}"))
        nats = stack.enter_context(nats_server())
        healthy, every = stack.enter_context(receivers())
        env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
               "PROCURA_WEBHOOK_TIMEOUT_MS": str(TIMEOUT_MS), **UNTHROTTLED}
        serve = [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
        base = stack.enter_context(server(serve, env, "/purchase-orders"))
        worker = Worker(env, {"PROCURA_EVENT_BUS_URL": nats.url})
        stack.callback(worker.stop)
        conn = stack.enter_context(psycopg.connect(url, autocommit=True))
        ids = endpoints(base, every)
        worker.start(bus=True)
        wait_until(lambda: conn.execute("SELECT count(*) FROM procura_tracking").fetchone()[0] > 0, 60,
                   what="the worker to start")
        ceiling = probe(base, healthy)
        remove(base, ids)
        rounds = [round_of(base, conn, worker, healthy, every, ceiling * LOAD_FRACTION, n) for n in range(ROUNDS)]
    report(ceiling, rounds)


def report(ceiling: float, rounds: list[dict[str, float]]) -> None:
    print(f"procura serve {WORKERS}x{THREADS} + procura worker + nats-server; 10 endpoints: {HEALTHY} healthy, "
          f"1 hanging ({TIMEOUT_MS} ms timeout), 1 answering 500")
    print(f"ceiling of API + worker: {ceiling:.1f} flows/s (create, submit, approve; {CLIENTS} clients for "
          f"{PROBE_SECONDS}s, until delivered); paced at {LOAD_FRACTION:g}x = {ceiling * LOAD_FRACTION:.1f} flows/s for {SECONDS}s")
    print(f"{'round':>5} {'deliveries':>10} {'p50 ms':>7} {'p99 ms':>7} {'delivered/s':>11} {'wake-ups':>8} "
          f"{'wake p50':>8} {'wake p99':>8} {'creates on/s':>12} {'off/s':>6} {'on/off':>6}")
    for i, r in enumerate(rounds, 1):
        print(f"{i:5} {r['deliveries']:10.0f} {r['p50_ms']:7.0f} {r['p99_ms']:7.0f} {r['delivered_per_s']:11.0f} "
              f"{r['wakeups']:8.0f} {r['wake_p50_ms']:8.0f} {r['wake_p99_ms']:8.0f} {r['on']:12.0f} {r['off']:6.0f} "
              f"{r['on'] / r['off']:6.2f}")

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    print(f"commit -> delivered at the healthy endpoints: median p50 {median('p50_ms'):.0f} ms, "
          f"p99 {median('p99_ms'):.0f} ms (goal p99 <= 500 ms)")
    print(f"deliveries/s ceiling (a paused worker's backlog, healthy endpoints): median {median('delivered_per_s'):.0f}")
    print(f"feed long-poll wake-up: median p50 {median('wake_p50_ms'):.0f} ms, p99 {median('wake_p99_ms'):.0f} ms "
          f"(goal p99 <= 100 ms)")
    ratio = statistics.median(r["on"] / r["off"] for r in rounds)
    print(f"creates with deliveries and the bus on / off: median {ratio:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
