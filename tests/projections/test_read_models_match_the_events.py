"""Property: whatever the history of commands across many POs, and however
the catch-up is cut into batches, every read model ends up equal to a
reference computed directly from the events."""

from __future__ import annotations

import inspect
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregates.policy import Principal, authorize
from aggregates.purchase_order import Draft, Line, PurchaseOrder
from aggregates.transitions import TRANSITIONS, is_legal
from app.bootstrap import build_services
from projections.approval_queue import approval_queue
from projections.cycle_times import BUCKET_BOUNDS_HOURS, cycle_histogram, cycle_stats
from projections.po_summary import Filters, list_orders, stored_remarks
from projections.runner import Follower
from projections.spend import spend_report
from projections.store import utc_text
from projections.tables import ReadModel, cents, format_cents
from tests.conftest import memory_settings
from tests.projections import reference

ORGS = ("org-a", "org-b")
DEPARTMENTS = ("eng", "ops", None)
#: Extra draws, weighting the history towards the commands that move POs
#: through approval; every command of the table is drawn too.
WEIGHTED = ["submit", "approve", "reopen", "place", "confirm_placement"]
ACTION = st.sampled_from([*TRANSITIONS, *WEIGHTED])
STEP = st.tuples(st.integers(0, 7), ACTION, st.integers(0, 60 * 24 * 20), st.integers(1, 250_000),
                 st.integers(1, 7), st.integers(0, 5), st.integers(0, 7))


class Clock:
    """Event timestamps under the test's control (days apart, across months)."""

    def __init__(self):
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def draft(price_cents: int, quantity: int, choice: int) -> Draft:
    lines = (Line(f"SKU-{choice}", "thing", quantity, Decimal(price_cents).scaleb(-2)),
             Line("SKU-X", "extra", 1, Decimal("0.01")))
    return Draft(f"Order {choice}", f"supplier-{choice % 3}", ("EUR", "USD")[choice % 2], date(2099, 1, 1),
                 lines[: 1 + choice % 2])


def send(po: PurchaseOrder, command: str, content: Draft) -> None:
    """Call the command's intent with every argument it takes: the content
    for a draft, a new id for an operation, else a text naming the argument."""
    intent = getattr(po, command)
    names = list(inspect.signature(intent).parameters)
    leading = [uuid.uuid4()] if TRANSITIONS[command].operation else []
    arguments = {name: content if name == "content" else f"{name} {command}" for name in names[len(leading):]}
    intent(*leading, **arguments)


def run_history(services, steps, clock) -> None:
    pos: dict[int, PurchaseOrder] = {}
    followers = [Follower(services.event_store, services.read_store, p, batch_size=3)
                 for p in services.processors if isinstance(p, ReadModel)]
    for slot, action, minutes, price, quantity, choice, catch_up in steps:
        clock.now += timedelta(minutes=minutes, microseconds=choice)
        content = draft(price, quantity, choice)
        if slot not in pos:
            pos[slot] = PurchaseOrder.draft(org=ORGS[slot % 2], requester=f"user-{choice % 3}",
                                            department=DEPARTMENTS[slot % 3], content=content)
        elif is_legal(action, pos[slot].status):
            send(pos[slot], action, content)
        services.event_store.save(pos[slot])
        if catch_up == 0:  # now and then, mid-history
            for f in followers:
                f.catch_up()
    for f in followers:
        f.batch_size = 7
        f.catch_up()


def approvers(org: str) -> list[Principal]:
    return [Principal("boss-eng", org, frozenset({"approver"}), "eng", Decimal("1000.00")),
            Principal("boss-ops", org, frozenset({"approver"}), "ops", Decimal("2500.50")),
            Principal("boss-none", org, frozenset({"approver"}), None, Decimal("99999.99")),
            Principal("boss-nolimit", org, frozenset({"approver"}), "eng", None),
            Principal("user-1", org, frozenset({"admin", "requester"}), "it")]


def assert_summary_matches(cur, pos, org):
    admin = Principal("root", org, frozenset({"admin"}))
    rows, _ = list_orders(cur, admin, Filters(), "created_at", 200)
    expected = {p.id: p for p in pos.values() if p.org == org}
    assert sorted(r["id"] for r in rows) == sorted(expected)
    for row in rows:
        po = expected[row["id"]]
        assert (row["status"], row["total_cents"], row["version"], row["currency"], row["supplier_id"],
                row["department"], row["requester"], row["created_at"], row["updated_at"]) == (
            po.status, cents(po.total), po.version, po.currency, po.supplier_id, po.department,
            po.requester, utc_text(po.created_at), utc_text(po.updated_at))
        assert stored_remarks(row["remarks"], row["rejection_reason"], row["cancellation_reason"]) == po.remarks


def assert_queue_matches(cur, pos, org):
    for who in approvers(org):
        rows, _ = approval_queue(cur, who, 200)
        expected = sorted((p for p in pos.values() if p.status == "submitted" and authorize(who, "approve", p) is None),
                          key=lambda p: (utc_text(p.submitted_at), p.id))
        assert [r["id"] for r in rows] == [p.id for p in expected], who


def periods(cut: datetime) -> list[tuple[datetime | None, datetime | None]]:
    """Open and closed periods, ending on whole days and inside them, and one within a day."""
    midnight = cut.replace(hour=0, minute=0, second=0, microsecond=0)
    return [(None, None), (cut, None), (None, cut), (midnight, None), (None, midnight),
            (cut - timedelta(days=9), cut), (midnight - timedelta(days=6), midnight + timedelta(days=3)),
            (cut, cut + timedelta(hours=20))]


def assert_reports_match(cur, pos, org, cut):
    for group_by in ("department", "supplier", "month"):
        for since, before in periods(cut):
            found = spend_report(cur, org, group_by, utc_text(since) if since else None,
                                 utc_text(before) if before else None)
            assert [(r.group, r.currency, format_cents(r.approved_cents), r.approved_count,
                     format_cents(r.placed_cents), r.placed_count) for r in found] == \
                reference.spend(pos, org, group_by, since, before), (since, before)
    for department in (None, "eng"):
        for since, before in periods(cut):
            texts = (utc_text(since) if since else None, utc_text(before) if before else None)
            stats = cycle_stats(cur, org, department, *texts)
            assert (stats.count, stats.p50_us, stats.p90_us, stats.max_us) == \
                reference.cycle(pos, org, department, since, before), (since, before)
            assert cycle_histogram(cur, org, department, *texts) == \
                reference.cycle_histogram(pos, org, BUCKET_BOUNDS_HOURS, department, since, before)


@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=30, max_size=120))
def test_after_catching_up_every_read_model_equals_a_reference_computed_from_the_events(steps):
    clock = Clock()
    services = build_services(memory_settings())
    try:
        with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock):
            run_history(services, steps, clock)
        pos = reference.fold(reference.all_events(services.event_store))
        cut = datetime(2026, 1, 1, tzinfo=UTC) + (clock.now - datetime(2026, 1, 1, tzinfo=UTC)) / 2
        with services.read_store.snapshot() as cur:
            for org in ORGS:
                assert_summary_matches(cur, pos, org)
                assert_queue_matches(cur, pos, org)
                assert_reports_match(cur, pos, org, cut)
    finally:
        services.close()
