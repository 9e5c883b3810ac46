"""`GET /purchase-orders` on every backend: the page and its position come
from one statement, and the document is built by hand, so these hold what
the published schema and the single-PO view say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.http.read_models import api_time
from app.http.read_schemas import OrderPageOut
from app.service.metadata import rfc3339
from projections.store import utc_text
from projections.tables import ReadModel
from tests.conftest import command_body


@pytest.fixture
def settings(any_backend_settings):
    return any_backend_settings


def catch_up(services) -> None:
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()


def orders_in_every_listed_shape(alice, bob) -> list[str]:
    """A draft, a submitted, an approved and a rejected PO (with its reason)."""
    draft = alice.create().get_json()["id"]
    made = []
    for decision in ("submit", "approve", "reject"):
        po = alice.create().get_json()["id"]
        assert alice.command(po, "submit", 1).status_code == 200
        if decision != "submit":
            assert bob.command(po, decision, 2, command_body(decision)).status_code == 200
        made.append(po)
    return [draft, *made]


def test_a_listed_page_is_exactly_what_the_published_schema_dumps(services, alice, bob):
    orders_in_every_listed_shape(alice, bob)
    catch_up(services)
    body = bob.get("/purchase-orders?limit=3").get_json()
    assert len(body["items"]) == 3 and body["next_cursor"] is not None
    assert OrderPageOut().dump(body) == body
    assert any(item["rejection_reason"] for item in bob.get("/purchase-orders").get_json()["items"])


def test_pages_follow_the_sort_in_both_directions_across_cursors(services, alice, bob):
    made = orders_in_every_listed_shape(alice, bob)
    catch_up(services)
    for sort, expected in (("created_at", made), ("-created_at", made[::-1])):
        seen, cursor = [], None
        while True:
            page = alice.get(f"/purchase-orders?sort={sort}&limit=3" + (f"&cursor={cursor}" if cursor else ""))
            seen += [item["id"] for item in page.get_json()["items"]]
            if (cursor := page.get_json()["next_cursor"]) is None:
                break
        assert seen == expected, sort


def test_an_empty_page_still_carries_the_read_models_position(services, alice):
    alice.create()
    catch_up(services)
    everything = alice.get("/purchase-orders")
    nothing = alice.get("/purchase-orders?status=cancelled")
    assert nothing.status_code == 200 and nothing.get_json()["items"] == []
    assert int(nothing.headers["Projection-Position"]) == int(everything.headers["Projection-Position"]) > 0


@pytest.mark.parametrize("moment", [datetime(2026, 1, 31, 9, 0, tzinfo=UTC),
                                    datetime(2026, 1, 31, 9, 0, 0, 1, tzinfo=UTC),
                                    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                                    datetime(2026, 6, 1, 12, 30, 5, 120000, tzinfo=UTC)])
def test_listed_times_read_as_the_single_po_view_writes_them(moment):
    assert api_time(utc_text(moment)) == rfc3339(moment)
