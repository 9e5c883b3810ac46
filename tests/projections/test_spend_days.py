"""The spend report's daily totals: a period of whole days reads them, and a
fact that a later approval replaces leaves its first day's totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest

from aggregates.purchase_order import Draft, Line, PurchaseOrder
from app.bootstrap import build_services
from projections.runner import Follower
from projections.spend import Spend, spend_report
from projections.tables import whole_days
from tests.conftest import memory_settings

FIRST_DAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def services():
    built = build_services(memory_settings())
    yield built
    built.close()


def catch_up(services) -> None:
    spend_model = next(p for p in services.processors if isinstance(p, Spend))
    Follower(services.event_store, services.read_store, spend_model).catch_up()


def approved_total(services, since: str | None, before: str | None) -> tuple[int, int]:
    with services.read_store.snapshot() as cur:
        rows = spend_report(cur, "org-a", "supplier", since, before)
    return sum(r.approved_cents for r in rows), sum(r.approved_count for r in rows)


def approved_chairs(services) -> PurchaseOrder:
    """A 100.00 EUR PO of org-a drafted, submitted and approved (at the patched clock), saved."""
    po = PurchaseOrder.draft(org="org-a", requester="alice", department="eng", content=Draft(
        "Chairs", "acme", "EUR", date(2099, 1, 1), (Line("SKU-1", "chair", 2, Decimal("50.00")),)))
    po.submit()
    po.approve()
    services.event_store.save(po)
    return po


def test_a_po_approved_again_on_a_later_day_counts_only_on_that_day(services):
    clock = mock.Mock(return_value=FIRST_DAY)
    with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock):
        po = approved_chairs(services)
        catch_up(services)
        clock.return_value = FIRST_DAY + timedelta(days=3)
        po.cancel("wrong supplier")
        po.reopen()
        po.submit()
        po.approve()
        services.event_store.save(po)
        catch_up(services)

    assert approved_total(services, "2026-03-02T00:00:00.000000Z", "2026-03-03T00:00:00.000000Z") == (0, 0)
    assert approved_total(services, "2026-03-05T00:00:00.000000Z", "2026-03-06T00:00:00.000000Z") == (10000, 1)
    assert approved_total(services, None, None) == (10000, 1)


@pytest.mark.parametrize(("since", "before", "expected"), [
    (None, None, (None, None)),
    ("2026-03-02T00:00:00.000000Z", None, ("2026-03-02", None)),
    ("2026-03-02T09:30:00.000000Z", "2026-03-05T00:00:00.000000Z", ("2026-03-03", "2026-03-05")),
    ("2026-03-02T09:30:00.000000Z", "2026-03-03T12:00:00.000000Z", None),
    ("2026-03-02T09:30:00.000000Z", "2026-03-03T00:00:00.000000Z", None),
    ("9999-12-31T01:00:00.000000Z", None, None),
])
def test_a_period_reads_daily_totals_only_for_the_days_wholly_inside_it(since, before, expected):
    assert whole_days(since, before) == expected


@pytest.mark.parametrize(("since", "before", "counted"), [
    (None, "2026-03-02T10:00:00.000000Z", 1),
    (None, "2026-03-02T09:00:00.000000Z", 0),
    ("2026-03-01T12:00:00.000000Z", "2026-03-02T10:00:00.000000Z", 1),
    ("2026-03-02T09:00:00.000000Z", None, 1),
    ("2026-03-02T09:31:00.000000Z", None, 0),
])
def test_a_period_that_starts_or_ends_within_a_day_counts_that_days_approvals_inside_it(
        services, since, before, counted):
    with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", mock.Mock(return_value=FIRST_DAY)):
        approved_chairs(services)
    catch_up(services)

    assert approved_total(services, since, before) == (10000 * counted, counted)
