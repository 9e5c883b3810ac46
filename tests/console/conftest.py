"""The console in a real headless browser: Debian's Chromium driven by
playwright, against Procura served over real HTTP in this process.

The server runs the embedded default (SQLite, the development JWT secret),
because that is where people meet the console first (`scripts/run`) and the
only place its "sign in as" page lists the demo users; it also starts in a
fraction of a second, which keeps these tests fast. One server, one seeded
data set and one browser per test module.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from app.bootstrap import build_services, create_app
from app.config import DEV_JWT_SECRET, PlacementTuning, Settings
from app.console.demo_users import ORG, USERS
from app.http.auth import mint_token
from partners.acme_fake import AcmeFake
from testkit.server import SERVE_POLL, free_port, wait_until

CHROMIUM = os.environ.get("PROCURA_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "console"
API_KEY = "console-test-acme-key"
WEBHOOK_SECRET = "whsec_Y29uc29sZS10ZXN0LWFjbWUtd2ViaG9vay1zZWNyZXQ="
#: Small numbers, so a supplier that keeps failing fails the placement in a second.
FAST = PlacementTuning(call_timeout=0.5, max_attempts=3, backoff_base=0.05, backoff_cap=0.2,
                       circuit_threshold=50, circuit_cooldown=0.5, lease=2.0, deadline=60.0,
                       queued_recheck=30.0, threads=2)
#: Besides the demo users: a department of its own, so spend has several groups.
EXTRA_USERS = {
    "mia": {"roles": ["requester"], "department": "marketing"},
    "max": {"roles": ["approver"], "department": "marketing", "approval_limit": "100000.00"},
}


def _missing(message: str):
    """A missing browser fails the run under CI (never a silent skip), else skips."""
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass
class Caller:
    """One user of the API over HTTP, with a token the embedded default accepts."""

    base: str
    name: str
    token: str
    keys: int = 0

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **headers) -> requests.Response:
        return requests.get(self.base + path, headers={**self.auth, **headers}, timeout=10)

    def post(self, path: str, body=None, *, version=None, key=None) -> requests.Response:
        self.keys += 1
        headers = {**self.auth, "Idempotency-Key": key or f"{self.name}-{self.keys}-{os.urandom(4).hex()}"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return requests.post(self.base + path, json=body, headers=headers, timeout=10)


@dataclass
class Console:
    """The running server, its seeded data and its callers."""

    base: str
    fake: AcmeFake
    callers: dict[str, Caller] = field(default_factory=dict)
    po_ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Caller:
        return self.callers[name]

    def faults(self, **switches) -> None:
        requests.post(self.fake.url + "/_faults", json=switches, timeout=5).raise_for_status()

    def po(self, po_id: str) -> dict:
        return self["root"].get(f"/purchase-orders/{po_id}").json()

    def po_when(self, po_id: str, status: str, *, shipped: bool = False) -> dict:
        """The PO once it has `status` (and, with `shipped`, the supplier's shipment notice)."""
        def reached():
            po = self.po(po_id)
            return po if po["status"] == status and (po["tracking_number"] or not shipped) else None
        return wait_until(reached, timeout=20, what=f"PO {po_id} to be {status}")

    def settled(self) -> None:
        """Wait until every read model has applied every event."""
        def caught_up():
            status = self["root"].get("/projections").json()
            return all(p["position"] >= status["head"] for p in status["projections"])
        wait_until(caught_up, timeout=20, what="read models to catch up")


def _settings(tmp: Path, fake: AcmeFake) -> Settings:
    return dataclasses.replace(Settings(sqlite_path=tmp / "procura.sqlite3", jwt_secret=DEV_JWT_SECRET),
                               supplier_url=fake.url, supplier_api_key=API_KEY,
                               webhook_secrets={"acme": WEBHOOK_SECRET}, placement=FAST)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """Procura on the embedded default, with the fake Acme supplier, serving over HTTP."""
    fake = AcmeFake(api_key=API_KEY, callback_url="http://127.0.0.1:9/unset", webhook_secret=WEBHOOK_SECRET,
                    port=0).start()
    port = free_port()
    fake.callback_url = f"http://127.0.0.1:{port}/callbacks/suppliers/acme"
    services = build_services(_settings(tmp_path_factory.mktemp("console"), fake))
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs=SERVE_POLL, daemon=True).start()
    supervisor = services.supervisor().start()
    executor = services.suppliers.executor().start()
    base = f"http://127.0.0.1:{port}"
    users = {**USERS, **EXTRA_USERS}
    callers = {name: Caller(base, name, mint_token(DEV_JWT_SECRET, sub=name, org=ORG, **user))
               for name, user in users.items()}
    try:
        yield Console(base, fake, callers)
    finally:
        executor.stop()
        supervisor.stop()
        server.shutdown()
        services.close()
        fake.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (never one downloaded at run time), headless."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        _missing(f"Chromium is not installed at {CHROMIUM} (scripts/test installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A browser tab with the console open, collecting what the browser complains about."""

    page: object
    base: str
    errors: list[str]

    def open(self, path: str) -> None:
        """Load a console page and wait until its script has finished (or failed) loading data."""
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-ready='true']", timeout=10_000)

    def sign_in(self, caller: Caller) -> None:
        self.page.goto(self.base + "/console/sign-in")
        self.page.evaluate("token => sessionStorage.setItem('procura.token', token)", caller.token)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def browser_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def tab(browser_context, console, request):
    """A fresh tab (sessionStorage belongs to the tab, so nobody is signed in)
    whose screenshot is saved after the test."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    opened = Tab(page, console.base, errors)
    yield opened
    opened.screenshot(re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
    page.close()


def _line(sku: str, quantity: int, price: str) -> dict:
    return {"sku": sku, "description": sku.title(), "quantity": quantity, "unit_price": price}


def _created(caller: Caller, title: str, *lines: dict) -> str:
    from tests.conftest import po_body

    response = caller.post("/purchase-orders", po_body(title=title, lines=list(lines)))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _moved(caller: Caller, po_id: str, command: str, version: int, **kw) -> requests.Response:
    response = caller.post(f"/purchase-orders/{po_id}/{command}", version=version, **kw)
    assert response.status_code in (200, 202), response.text
    return response


def _story(console: Console) -> str:
    """A PO that met a version conflict, a retried approval (the same
    Idempotency-Key sent twice), and a placement that failed before one that
    succeeded."""
    alice, bob, carol = console["alice"], console["bob"], console["carol"]
    po_id = _created(alice, "Lab oscilloscope", _line("OSC-4", 1, "1200.00"))
    _moved(alice, po_id, "submit", 1)
    stale = bob.post(f"/purchase-orders/{po_id}/approve", version=1, key="story-approve-stale")
    assert stale.status_code == 409, stale.text
    _moved(bob, po_id, "approve", 2, key="story-approve")
    retried = _moved(bob, po_id, "approve", 2, key="story-approve")
    assert retried.headers.get("Idempotent-Replayed") == "true"
    console.faults(error_rate=1.0)
    _moved(carol, po_id, "place", 3, key="story-place-1")
    failed = console.po_when(po_id, "placement_failed")
    console.faults(error_rate=0.0)
    _moved(carol, po_id, "place", failed["version"], key="story-place-2")
    # Shipped too: the supplier's last word, so the story ends before any test reads it.
    console.po_when(po_id, "placed", shipped=True)
    return po_id


def seed(console: Console) -> None:
    """Spend in two departments, a PO waiting for approval, and the story PO."""
    mia, max_, alice, bob, carol = (console[n] for n in ("mia", "max", "alice", "bob", "carol"))
    booth = _created(mia, "Trade-show booth", _line("BOOTH-1", 1, "2400.00"), _line("BANNER", 4, "120.25"))
    _moved(mia, booth, "submit", 1)
    _moved(max_, booth, "approve", 2)
    _moved(carol, booth, "place", 3)
    console.po_when(booth, "placed", shipped=True)
    desks = _created(alice, "Standing desks", _line("DSK-1", 2, "499.50"), _line("MAT-1", 2, "19.90"))
    _moved(alice, desks, "submit", 1)
    _moved(bob, desks, "approve", 2)
    waiting = _created(alice, "Laptops for new hires", _line("LAP-14", 3, "1249.00"))
    _moved(alice, waiting, "submit", 1)
    console.po_ids.update(booth=booth, desks=desks, waiting=waiting, story=_story(console))
    console.settled()


@pytest.fixture(scope="module")
def seeded(console) -> Console:
    seed(console)
    return console
