"""Concurrent clients running PO lifecycles the way real clients misbehave
under stress: resends with the same key (sequential, concurrent with the
original, after dropping the connection), stale versions, and races."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import requests

from app.http.auth import mint_token
from harness.stack import SECRET
from harness.wire import Exchange, Journal, build_request, send_and_drop

ORG = "org-load"
DEPARTMENTS = ("eng", "ops", "sales")


@dataclass(frozen=True)
class User:
    sub: str
    roles: tuple[str, ...]
    department: str | None
    approval_limit: str | None = None

    def token(self) -> str:
        return mint_token(SECRET, sub=self.sub, org=ORG, roles=list(self.roles), department=self.department,
                          approval_limit=self.approval_limit)


AUDITOR = User("auditor", ("auditor",), "finance")
BUYER = User("buyer", ("buyer",), "purchasing")


def approver(department: str) -> User:
    return User(f"approver-{department}", ("approver",), department, "1000000.00")


@dataclass
class Mix:
    resend: float = 0.20
    stale: float = 0.10
    race: float = 0.05


class Budget:
    """Commands left to send, shared by every client; stops at a deadline too."""

    def __init__(self, commands: int, deadline: float | None):
        self._left = commands
        self._lock = threading.Lock()
        self.deadline = deadline

    def remaining(self) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return 0
        return self._left

    def take(self, n: int = 1) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return False
        with self._lock:
            if self._left < n:
                return False
            self._left -= n
            return True


class Known:
    """What a client last saw of one PO."""

    def __init__(self, po_id: str, version: int, status: str):
        self.id, self.version, self.status = po_id, version, status


def po_body(rng: random.Random) -> dict:
    lines = [{"sku": f"SKU-{rng.randrange(1000)}", "description": "harness item", "quantity": rng.randint(1, 20),
              "unit_price": f"{rng.randint(1, 500)}.{rng.randrange(100):02d}"} for _ in range(rng.randint(1, 3))]
    return {"title": f"Harness order {rng.randrange(10**6)}", "supplier_id": "acme", "currency": "EUR",
            "needed_by": (date.today() + timedelta(days=60)).isoformat(), "lines": lines}


#: Retry-later problems a client with several APIs resends (same key) after a pause.
RETRY_LATER = frozenset({"dependency-unavailable", "overloaded"})
#: How long a client with several APIs keeps resending one request that gets no answer.
FAILOVER_PATIENCE = 60.0


class Client:
    """One client; given several base URLs it starts on one (by its number)
    and, when that API gives no answer, resends the same request (same
    Idempotency-Key) to the next one, staying there."""

    def __init__(self, number: int, base: str | list[str], journal: Journal, budget: Budget, mix: Mix, seed: int):
        self.bases = [base] if isinstance(base, str) else list(base)
        self.base = self.bases[number % len(self.bases)]
        self.journal, self.budget, self.mix = journal, budget, mix
        self.rng = random.Random(seed * 7919 + number)
        department = DEPARTMENTS[number % len(DEPARTMENTS)]
        self.requester = User(f"requester-{number}", ("requester",), department)
        self.approver = approver(department)
        self.session = requests.Session()
        self.tokens = {u.sub: u.token() for u in (self.requester, self.approver, BUYER, AUDITOR)}

    # --- one request ------------------------------------------------------

    def _headers(self, user: User, key: str | None, if_match: int | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[user.sub]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return headers

    def send(self, kind: str, user: User, method: str, path: str, *, body: dict | None = None,
             key: str | None = None, if_match: int | None = None, session: requests.Session | None = None
             ) -> Exchange:
        if len(self.bases) == 1:
            return self.send_once(kind, user, method, path, body, key, if_match, session)
        give_up = time.monotonic() + FAILOVER_PATIENCE
        while True:
            exchange = self.send_once(kind, user, method, path, body, key, if_match, session)
            lost = exchange.status is None
            if not (lost or exchange.problem_slug() in RETRY_LATER) or time.monotonic() > give_up:
                return exchange
            exchange.retried = True
            if lost:
                self.fail_over(exchange)
            else:
                time.sleep(0.2)  # a client honouring Retry-After, shortened
            kind = "failover" if lost else "retry-later"

    def fail_over(self, exchange: Exchange) -> None:
        """Move to the next API, unless another thread of this client already did."""
        if self.base == exchange.base:
            self.base = self.bases[(self.bases.index(exchange.base) + 1) % len(self.bases)]

    def send_once(self, kind: str, user: User, method: str, path: str, body: dict | None, key: str | None,
                  if_match: int | None, session: requests.Session | None) -> Exchange:
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers(user, key, if_match)
        if data is not None:
            headers["Content-Type"] = "application/json"
        exchange = Exchange(kind, user.sub, method, path, key, if_match, data, time.monotonic(), base=self.base)
        try:
            response = (session or self.session).request(method, exchange.base + path, data=data, headers=headers,
                                                         timeout=(5, 60))
        except requests.RequestException as error:
            exchange.ended, exchange.wall_ended = time.monotonic(), time.time()
            exchange.headers = {"x-harness-error": repr(error)}
            return self.journal.add(exchange)
        exchange.ended, exchange.wall_ended = time.monotonic(), time.time()
        exchange.status = response.status_code
        exchange.headers = {k.lower(): v for k, v in response.headers.items()}
        exchange.content = response.content
        return self.journal.add(exchange)

    def drop(self, user: User, path: str, body: dict | None, key: str, if_match: int | None) -> None:
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers(user, key, if_match)
        if data is not None:
            headers["Content-Type"] = "application/json"
        exchange = Exchange("dropped", user.sub, "POST", path, key, if_match, data, time.monotonic(), dropped=True,
                            base=self.base)
        self.journal.add(exchange)
        try:
            send_and_drop(exchange.base, build_request("POST", path, exchange.base, headers, data))
        except OSError:
            if len(self.bases) == 1:
                raise
            self.fail_over(exchange)

    def until_answered(self, kind: str, user: User, path: str, body, key: str, if_match, session=None) -> Exchange:
        """Send, and resend with the same key while the first is in flight."""
        for _ in range(400):
            exchange = self.send(kind, user, "POST", path, body=body, key=key, if_match=if_match, session=session)
            if exchange.problem_slug() != "idempotency-key-in-flight":
                return exchange
            kind = "resend"
            time.sleep(0.02)  # a client backing off before its retry (Retry-After, shortened)
        return exchange

    # --- one command, with the client's misbehaviour -------------------------

    def command(self, user: User, po: Known | None, name: str, body: dict | None = None) -> Exchange | None:
        path = "/purchase-orders" if po is None else f"/purchase-orders/{po.id}/{name}"
        if po is not None and po.version > 1 and self.rng.random() < self.mix.stale and self.budget.take():
            stale = self.rng.randint(1, po.version - 1)
            key = str(uuid.uuid4())
            self.send("stale", user, "POST", path, body=body, key=key, if_match=stale)
            if self.rng.random() < 0.3 and self.budget.take():
                self.send("resend", user, "POST", path, body=body, key=key, if_match=stale)
        if not self.budget.take():
            return None
        key, version = str(uuid.uuid4()), po.version if po is not None else None
        roll = self.rng.random()
        if roll >= self.mix.resend:
            return self.until_answered("command", user, path, body, key, version)
        self.budget.take()  # the resend counts as a command too (best effort)
        style = self.rng.choice(("sequential", "concurrent", "drop"))
        if style == "sequential":
            first = self.until_answered("command", user, path, body, key, version)
            self.until_answered("resend", user, path, body, key, version)
            return first
        if style == "drop":
            self.drop(user, path, body, key, version)
            return self.until_answered("resend-after-drop", user, path, body, key, version)
        answers: list[Exchange] = []
        barrier = threading.Barrier(2)

        def twin():
            barrier.wait()
            answers.append(self.until_answered("resend-concurrent", user, path, body, key, version,
                                               session=requests.Session()))

        thread = threading.Thread(target=twin)
        thread.start()
        barrier.wait()
        first = self.until_answered("command", user, path, body, key, version)
        thread.join()
        return first

    def race(self, po: Known) -> None:
        """Two intents on one version at once (submit and cancel): one must win."""
        if not self.budget.take(2):
            return
        barrier = threading.Barrier(2)

        def go(name, body, session):
            barrier.wait()
            self.send("race", self.requester, "POST", f"/purchase-orders/{po.id}/{name}", body=body,
                      key=str(uuid.uuid4()), if_match=po.version, session=session)

        other = threading.Thread(target=go, args=("cancel", {"reason": "changed my mind"}, requests.Session()))
        other.start()
        go("submit", None, self.session)
        other.join()

    def refresh(self, po: Known) -> None:
        exchange = self.send("read", AUDITOR, "GET", f"/purchase-orders/{po.id}")
        if exchange.status == 200:
            document = json.loads(exchange.content)
            po.version, po.status = document["version"], document["status"]

    # --- lifecycles ---------------------------------------------------------

    def run(self) -> None:
        while self.budget.remaining() > 0 and self.lifecycle():
            pass

    def lifecycle(self) -> bool:
        created = self.command(self.requester, None, "create", po_body(self.rng))
        if created is None:
            return False
        if created.status != 201:
            return True
        document = json.loads(created.content)
        po = Known(document["id"], document["version"], document["status"])
        for _ in range(12):
            step = self.next_step(po)
            if step is None:
                break
            if step == "race":
                self.race(po)
                self.refresh(po)
                continue
            user, name, body = step
            answer = self.command(user, po, name, body)
            if answer is None:
                return False
            if answer.status is not None and 200 <= answer.status < 300:
                state = json.loads(answer.content)
                state = state.get("purchase_order", state)
                po.version, po.status = state["version"], state["status"]
            else:
                self.refresh(po)
        if self.rng.random() < 0.1:
            self.send("read", AUDITOR, "GET", "/purchase-orders?min_position=0&limit=5")
        return True

    def next_step(self, po: Known):
        r = self.rng.random()
        requester, approver_ = self.requester, self.approver
        if po.status == "draft":
            if r < self.mix.race:
                return "race"
            if r < 0.25:
                return requester, "revise", po_body(self.rng)
            if r < 0.32:
                return requester, "cancel", {"reason": "not needed"}
            return requester, "submit", None
        if po.status == "submitted":
            return (approver_, "approve", None) if r < 0.7 else (approver_, "reject", {"reason": "too expensive"})
        if po.status == "rejected":
            if r < 0.5:
                return requester, "reopen", None
            return (requester, "cancel", {"reason": "dropped"}) if r < 0.8 else None
        if po.status == "cancelled":
            return (requester, "reopen", None) if r < 0.3 else None
        if po.status == "approved":
            if r < 0.6:
                return BUYER, "place", None
            return (requester, "cancel", {"reason": "budget cut"}) if r < 0.8 else None
        return None


def run_load(base: str | list[str], journal: Journal, *, clients: int, commands: int, duration: float | None,
             mix: Mix, seed: int) -> None:
    budget = Budget(commands, time.monotonic() + duration if duration else None)
    workers = [Client(n, base, journal, budget, mix, seed) for n in range(clients)]
    threads = [threading.Thread(target=c.run, name=f"client-{n}") for n, c in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
