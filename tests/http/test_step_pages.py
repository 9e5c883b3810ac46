"""A PO's timeline and history come a page at a time, newest first, through a
live `procura serve` on PostgreSQL: a PO revised 60 times at the size limits
(100 lines, every text at its longest, in characters JSON writes as six
bytes) never answers more than 1 MiB, and following `next_cursor` yields
every step once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from testkit.server import running_server
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.postgres

MIB = 1024 * 1024
REVISIONS = 60
#: Refused commands sent to the PO along the way (each a recorded 409).
STALE_AT = (3, 30, 55)
#: Snapshots every 20 versions (100 by default), so that pages fold from
#: several of them as they would on a PO revised hundreds of times.
SNAPSHOT_INTERVAL = "20"


def _largest_draft(mark: str) -> dict:
    """A draft at every size limit, written in `mark`, a control character
    (JSON escapes it as \\u00XX: six bytes a character)."""
    line = {"sku": mark * 64, "description": mark * 500, "quantity": 10_000, "unit": mark * 20,
            "unit_price": "9999999999.99"}
    return po_body(title=mark * 200, lines=[line] * 100,
                   needed_by=(date.today() + timedelta(days=30)).isoformat())


@pytest.fixture(scope="module")
def revised(module_pg_database_url):
    """(base URL, auth headers, the PO's id, its refusals' keys): the PO revised
    REVISIONS times, every revision changing every line."""
    with running_server({"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
                         "PROCURA_SNAPSHOT_INTERVAL": SNAPSHOT_INTERVAL}) as base:
        auth = {"Authorization": f"Bearer {token('alice')}"}
        with requests.Session() as http:
            created = http.post(f"{base}/purchase-orders", json=_largest_draft("\x01"), timeout=30,
                                headers={**auth, "Idempotency-Key": "big"})
            assert created.status_code == 201, created.text[:500]
            po = created.json()["id"]
            refusals = []
            for version in range(1, REVISIONS + 1):
                if version in STALE_AT:
                    stale = http.post(f"{base}/purchase-orders/{po}/revise", json=po_body(), timeout=30,
                                      headers={**auth, "Idempotency-Key": f"stale-{version}", "If-Match": '"999"'})
                    assert stale.status_code == 409
                    refusals.append(f"stale-{version}")
                revised = http.post(f"{base}/purchase-orders/{po}/revise",
                                    json=_largest_draft("\x02" if version % 2 else "\x01"), timeout=30,
                                    headers={**auth, "Idempotency-Key": f"r-{version}", "If-Match": f'"{version}"'})
                assert revised.status_code == 200, revised.text[:500]
        yield base, auth, po, refusals


def _pages(base: str, auth: dict, path: str, **params) -> list[requests.Response]:
    """Every page of `path`, following next_cursor from the first."""
    pages, cursor = [], None
    while True:
        page = requests.get(f"{base}{path}", params={**params, **({"cursor": cursor} if cursor else {})},
                            headers=auth, timeout=60)
        assert page.status_code == 200, page.text[:500]
        assert len(page.content) <= MIB, f"a page of {len(page.content):,} bytes"
        pages.append(page)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return pages


def test_every_timeline_page_of_a_po_revised_60_times_at_the_size_limits_is_under_1_mib(revised):
    base, auth, po, refusals = revised
    pages = _pages(base, auth, f"/purchase-orders/{po}/timeline")

    assert max(len(p.content) for p in pages) <= MIB
    assert all(p.headers["ETag"] == f'"{REVISIONS + 1}"' for p in pages)
    steps = [s for p in pages for s in p.json()["steps"]]
    events = [s["version"] for s in steps if s["kind"] == "event"]
    assert events == list(range(REVISIONS + 1, 0, -1))  # every event once, newest first
    assert [s["command_id"] for s in steps if s["kind"] == "refusal"] == refusals[::-1]
    # Each refusal sits just before the revision that followed it, in time.
    for key in refusals:
        at = next(i for i, s in enumerate(steps) if s.get("command_id") == key)
        assert steps[at - 1]["command_id"] == f"r-{key.removeprefix('stale-')}"
    full = [s for s in steps if s["kind"] == "event" and "state" in s]
    assert full and all(s["state"]["version"] == s["version"] for s in full)
    # A revision's step is too large for a page with its state: it comes without it, and says so.
    abridged = [s for s in steps if s.get("abridged")]
    assert abridged and all("state" not in s and s["changes"] for s in abridged)


def test_every_history_page_of_a_po_revised_60_times_at_the_size_limits_is_under_1_mib(revised):
    base, auth, po, _ = revised
    pages = _pages(base, auth, f"/purchase-orders/{po}/history")

    assert max(len(p.content) for p in pages) <= MIB
    versions = [e["version"] for p in pages for e in p.json()["events"]]
    assert versions == list(range(REVISIONS + 1, 0, -1))


def test_the_largest_limit_still_answers_under_1_mib_and_the_next_page_follows_on(revised):
    base, auth, po, _ = revised
    for path, key in (("timeline", "steps"), ("history", "events")):
        url = f"{base}/purchase-orders/{po}/{path}"
        first = requests.get(url, params={"limit": 200}, headers=auth, timeout=60)
        second = requests.get(url, params={"limit": 200, "cursor": first.json()["next_cursor"]}, headers=auth,
                              timeout=60)
        assert len(first.content) <= MIB and len(second.content) <= MIB
        versions = [s["version"] for s in first.json()[key] + second.json()[key] if "version" in s]
        assert versions == list(range(REVISIONS + 1, REVISIONS + 1 - len(versions), -1))


def test_a_bad_cursor_or_limit_is_422_on_that_parameter(revised):
    base, auth, po, _ = revised
    timeline_cursor = requests.get(f"{base}/purchase-orders/{po}/timeline", headers=auth, timeout=60,
                                   params={"limit": 1}).json()["next_cursor"]
    cases = [("timeline", {"cursor": "bm90LW91cnM"}, "/cursor"), ("history", {"cursor": timeline_cursor}, "/cursor"),
             ("timeline", {"cursor": "%%%"}, "/cursor"), ("history", {"limit": 0}, "/limit"),
             ("timeline", {"limit": 201}, "/limit")]
    for path, params, pointer in cases:
        refused = requests.get(f"{base}/purchase-orders/{po}/{path}", params=params, headers=auth, timeout=60)
        assert refused.status_code == 422, (path, params)
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert [e["pointer"] for e in refused.json()["errors"]] == [pointer]


def test_time_travel_still_reads_any_version_of_the_long_po(revised):
    base, auth, po, _ = revised
    old = requests.get(f"{base}/purchase-orders/{po}", params={"version": 50}, headers=auth, timeout=60)
    assert old.status_code == 200 and old.json()["version"] == 50 and old.json()["title"] == "\x02" * 200
