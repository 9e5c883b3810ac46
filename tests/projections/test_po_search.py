"""Search (`GET /purchase-orders?q=`, docs/integrators/api.md "Search") through a real
`procura serve` with its read models kept by a real `procura worker` on
PostgreSQL, and by the embedded server itself on SQLite, with the fake Acme
supplier placing and shipping: every searchable field finds its PO, terms are
word prefixes that must all match, search combines with the filters, sort and
cursor, and no other org's PO is ever found."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from partners.acme_fake import AcmeFake
from testkit.pg import temporary_database
from testkit.server import ROOT, LiveClient, running_server, stop, wait_until
from tests.conftest import SECRET, User, po_body

pytestmark = pytest.mark.external

API_KEY = "search-test-acme-key"
WEBHOOK_SECRET = "whsec_c2VhcmNoLXRlc3QtYWNtZS13ZWJob29rLXNlY3JldC0wMQ=="
#: Quick placement: a supplier that answers at once, retries that end in a second.
PLACEMENT = {"PROCURA_PLACEMENT_MAX_ATTEMPTS": "3", "PROCURA_PLACEMENT_BACKOFF_MS": "50",
             "PROCURA_PLACEMENT_BACKOFF_CAP_MS": "200", "PROCURA_SUPPLIER_TIMEOUT_MS": "3000"}


@contextlib.contextmanager
def worker_process(env: dict[str, str]):
    """`procura worker` (read models and placement); stopped afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--batch-size", "50"], cwd=ROOT,
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def procura_stack(backend: str, directory: Path):
    """(base URL, environment) of Procura on `backend` with the fake supplier."""
    fake = AcmeFake(api_key=API_KEY, callback_url="http://127.0.0.1:9/unset", webhook_secret=WEBHOOK_SECRET,
                    port=0).start()
    fake.faults.decision_delay_ms, fake.faults.ship_delay_ms = 50, 100
    env = {"PROCURA_JWT_SECRET": SECRET, "PROCURA_SUPPLIER_URL": fake.url, "PROCURA_SUPPLIER_API_KEY": API_KEY,
           "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}", **PLACEMENT}
    try:
        with contextlib.ExitStack() as stack:
            if backend == "postgres":
                env["DATABASE_URL"] = stack.enter_context(temporary_database())
            else:
                env.update(DATABASE_URL="", PROCURA_SQLITE_PATH=str(directory / "procura.sqlite3"))
            base = stack.enter_context(running_server(env, workers=1, threads=8))
            fake.callback_url = f"{base}/callbacks/suppliers/acme"
            if backend == "postgres":
                stack.enter_context(worker_process(env))
            yield base, env
    finally:
        fake.stop()


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def live(request, tmp_path_factory):
    with procura_stack(request.param, tmp_path_factory.mktemp("search")) as (base, env):
        yield base, env


class Org:
    """A fresh org: a requester, an approver, a buyer and an admin."""

    def __init__(self, base: str, requester: str = "alice"):
        client = LiveClient(base)
        self.name = f"org-{uuid.uuid4().hex[:8]}"
        self.requester = User(client, requester, ("requester",), self.name)
        self.colleague = User(client, "erik", ("requester",), self.name)
        self.approver = User(client, "bob", ("approver",), self.name, approval_limit="99999.00")
        self.buyer = User(client, "carol", ("buyer",), self.name)
        self.admin = User(client, "root", ("admin",), self.name)

    def create(self, title: str = "Office supplies", *, sku: str = "GEN-1", description: str = "sundries",
               by: User | None = None) -> str:
        lines = [{"sku": sku, "description": description, "quantity": 1, "unit_price": "10.00"}]
        response = (by or self.requester).create(title=title, lines=lines)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["id"]

    def submitted(self, title: str = "Office supplies", **kw) -> str:
        po_id = self.create(title, **kw)
        assert self.requester.command(po_id, "submit", 1).status_code == 200
        return po_id

    def shipped(self, title: str = "Office supplies") -> dict:
        """A PO placed with Acme and shipped: its document once it has a tracking number."""
        po_id = self.submitted(title)
        assert self.approver.command(po_id, "approve", 2).status_code == 200
        placing = self.buyer.command(po_id, "place", 3)
        assert placing.status_code == 202
        try:
            return wait_until(lambda: (lambda po: po if po["tracking_number"] else None)(
                self.admin.get(f"/purchase-orders/{po_id}").get_json()), timeout=30, what="the shipment")
        except TimeoutError as timeout:
            # Say where the PO stopped: its status and its placement's attempts and error.
            operation = self.buyer.get(f"/operations/{placing.get_json()['id']}").get_json()
            po = self.admin.get(f"/purchase-orders/{po_id}").get_json()
            raise TimeoutError(f"{timeout}: PO {po.get('status')}, placement {operation}") from None

    def search(self, q: str, *, user: User | None = None, **params: str) -> list[str]:
        """The ids `GET /purchase-orders?q=` lists once the read models have every event so far."""
        return [item["id"] for item in self.page(q, user=user, **params)["items"]]

    def page(self, q: str, *, user: User | None = None, **params: str) -> dict:
        head = self.admin.get("/projections").get_json()["head"]
        query = urlencode({"q": q, "min_position": head, **params})

        def answered():  # a 503 projection-behind while the worker starts or catches up: ask again
            response = (user or self.admin).get(f"/purchase-orders?{query}")
            return None if response.status_code == 503 else response

        response = wait_until(answered, timeout=30, what="the read models to reach the store's head")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def test_a_word_of_the_title_of_a_line_description_or_of_a_sku_finds_the_po(live):
    org = Org(live[0])
    chairs = org.create("Ergonomic chairs", sku="CHR-2200", description="mesh back, lumbar support")
    org.create("Desk lamps", sku="LMP-7", description="warm white")

    assert org.search("ergonomic") == [chairs]
    assert org.search("LUMBAR") == [chairs]
    assert org.search("chr-2200") == [chairs]


def test_a_revised_po_is_found_by_its_new_words_and_no_longer_by_the_old(live):
    org = Org(live[0])
    po_id = org.create("Blue pens", sku="PEN-B")
    draft = po_body(title="Red pens", lines=[{"sku": "PEN-R", "description": "fine tip", "quantity": 5,
                                              "unit_price": "1.00"}])
    assert org.requester.command(po_id, "revise", 1, draft).status_code == 200

    assert org.search("red tip") == [po_id]
    assert org.search("blue") == [] and org.search("pen-b") == []


def test_the_supplier_reference_and_the_tracking_number_find_the_po_once_it_has_shipped(live):
    org = Org(live[0])
    po = org.shipped("Toner cartridges")
    org.create("Toner for the annex")

    assert org.search(po["supplier_reference"]) == [po["id"]]
    assert org.search(po["tracking_number"]) == [po["id"]]


def test_a_partial_supplier_reference_finds_the_orders_it_begins(live):
    org = Org(live[0])
    po = org.shipped("Printer paper")
    reference = po["supplier_reference"]  # AC-1000n

    assert org.search(reference[:-1]) == [po["id"]]
    assert org.search(reference[:-1] + "9" * 5) == []


def test_a_word_begins_matches_whether_shorter_or_longer_than_ten_characters(live):
    org = Org(live[0])
    po = org.create("Thermoregulation probes", sku="TRP-1")  # "thermoregulation": 16 characters
    org.create("Thermometers")

    assert org.search("thermoreg probes") == [po]  # 9 characters
    assert org.search("thermoregul") == [po]  # 11 characters
    assert org.search("thermoregulation") == [po]
    assert org.search("thermoregulations") == []


def test_the_requesters_name_finds_their_pos(live):
    org = Org(live[0], requester="dora.lindqvist")
    hers = org.create("Cables")
    org.create("Cables", by=org.colleague)

    assert org.search("Lindqvist") == [hers]


def test_every_term_must_match_a_word_of_the_po(live):
    org = Org(live[0])
    both = org.create("Standing desks", description="oak top")
    birch = org.create("Standing desks", description="birch top")

    assert org.search("desk oak") == [both]
    assert set(org.search("standing top")) == {both, birch}
    assert org.search("desk walnut") == []


def test_search_combines_with_the_status_and_department_filters_the_sort_and_the_cursor(live):
    org = Org(live[0])
    submitted = [org.submitted(f"Monitor arm {n}") for n in range(5)]
    org.create("Monitor arm draft")
    org.submitted("Keyboard trays")

    seen, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = org.page("monitor", status="submitted", department="eng", sort="created_at", limit="2", **extra)
        seen += [item["id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == submitted
    assert org.search("monitor", department="ops") == []


def test_no_search_finds_a_po_of_another_org_or_one_the_caller_may_not_see(live):
    ours, theirs = Org(live[0]), Org(live[0])
    mine = ours.create("Whiteboard markers")
    theirs.create("Whiteboard markers")
    stranger = User(LiveClient(live[0]), "mallory", ("requester",), ours.name, department="ops")

    assert ours.search("whiteboard") == [mine]
    assert ours.search("whiteboard", user=stranger) == []


@pytest.mark.parametrize(("q", "detail"), [
    ("", "Length must be between 1 and 200."),
    ("-- / ...", "has no letters or digits to search for"),
    ("a b c d e f g h i", "has more than 8 words; search with fewer"),
    ("x" * 201, "Length must be between 1 and 200."),
])
def test_a_search_with_no_words_too_many_words_or_too_long_is_refused_422_on_q(live, q, detail):
    org = Org(live[0])
    response = org.admin.get(f"/purchase-orders?{urlencode({'q': q})}")

    assert response.status_code == 422
    assert [(e["pointer"], e["detail"]) for e in response.get_json()["errors"]] == [("/q", detail)]


def test_a_rebuilt_search_model_finds_the_same_verifies_without_a_difference_and_keeps_indexing(live):
    base, env = live
    org = Org(base)
    kept = org.create("Projector bulbs")
    org.create("Projector screen", by=org.colleague)
    before = org.search("projector")

    rebuilt = subprocess.run([sys.executable, "-m", "app.cli", "projections", "rebuild", "po_search"], cwd=ROOT,
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    verified = subprocess.run([sys.executable, "-m", "app.cli", "projections", "verify", "po_search"], cwd=ROOT,
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=120)

    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert org.search("projector") == before and kept in before and len(before) == 2
    later = org.create("Projector remote")
    assert org.search("projector") == [later, *before]


def test_on_sqlite_verify_finds_a_po_whose_words_the_index_lost(tmp_path):
    with procura_stack("sqlite", tmp_path) as (base, env):
        org = Org(base)
        lost = org.create("Label printer")
        assert org.search("label") == [lost]
        with contextlib.closing(sqlite3.connect(env["PROCURA_SQLITE_PATH"])) as db, db:
            doc, document = db.execute("SELECT doc, document FROM rm_po_search WHERE id = ?", (lost,)).fetchone()
            db.execute("INSERT INTO rm_po_search_words (rm_po_search_words, rowid, document) "
                       "VALUES ('delete', ?, ?)", (doc, document))
        assert org.search("label") == []

        verified = subprocess.run([sys.executable, "-m", "app.cli", "projections", "verify", "po_search"], cwd=ROOT,
                                  env={**os.environ, **env}, capture_output=True, text=True, timeout=120)

    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert "po_search: 1 differing rows" in verified.stdout and lost in verified.stdout
