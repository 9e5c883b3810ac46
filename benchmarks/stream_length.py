"""Command latency on a 10,000-event PO next to a fresh PO, with and without
snapshots, measured in the same run (scripts/bench_stream_length).

Uses PostgreSQL when DATABASE_URL is set, else a temporary SQLite file.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from aggregates.policy import Principal
from aggregates.purchase_order import Draft, Line, PurchaseOrder
from app.bootstrap import build_services
from app.config import Settings
from app.http.render import HttpRenderer
from app.service.command_service import Command
from app.service.idempotency import fingerprint

ALICE = Principal("alice", "bench", frozenset({"requester"}), "eng")
LONG = 10_000
SAMPLES = 40


def _draft(n: int) -> Draft:
    return Draft(f"Bench {n}", "acme", "EUR", date.today() + timedelta(days=30),
                 (Line("SKU", "thing", 1, Decimal("1.00")),))


def _long_po(services, events: int) -> PurchaseOrder:
    """A PO with `events` events, written in bulk (not through commands)."""
    po = PurchaseOrder.draft(org="bench", requester="alice", department="eng", content=_draft(0))
    for n in range(1, events):
        po.revise(_draft(n))
        if n % 1000 == 0:
            services.event_store.save(po)
    services.event_store.save(po)
    return po


def _revise_latencies(services, po_id, start_version: int) -> list[float]:
    renderer, timings = HttpRenderer(), []
    for i in range(SAMPLES):
        key = f"bench-{po_id}-{i}"
        command = Command(ALICE, "revise", key, fingerprint(method="POST", route="revise", path_params={},
                          body=key, if_match=None), key, key, po_id, start_version + i, {"content": _draft(i)})
        began = time.perf_counter()
        reply = services.commands.execute(command, renderer)
        timings.append(time.perf_counter() - began)
        assert reply.status == 200, reply.body
    return timings


def _p50_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def measure(settings: Settings) -> dict[str, float]:
    services = build_services(settings)
    try:
        long_po = _long_po(services, LONG)
        short_po = _long_po(services, 1)
        long_ms = _p50_ms(_revise_latencies(services, long_po.id, LONG))
        short_ms = _p50_ms(_revise_latencies(services, short_po.id, 1))
    finally:
        services.close()
    return {"long": long_ms, "short": short_ms}


def _settings(workdir: Path, name: str, interval: int) -> Settings:
    url = os.environ.get("DATABASE_URL")
    base = Settings(database_url=url, sqlite_path=workdir / f"{name}.sqlite3", jwt_secret="b" * 40)
    return dataclasses.replace(base, snapshot_interval=interval)


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        rows = []
        for label, interval in (("without snapshots", 0), ("with snapshots (every 100)", 100)):
            figures = measure(_settings(Path(workdir), label.split()[0], interval))
            rows.append((label, figures["short"], figures["long"], figures["long"] / figures["short"]))
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"revise p50 over {SAMPLES} commands, {backend}: 1-event PO vs {LONG:,}-event PO")
    print(f"{'':28} {'1-event ms':>11} {'10k-event ms':>13} {'ratio':>7}")
    for label, short, long, ratio in rows:
        print(f"{label:28} {short:11.2f} {long:13.2f} {ratio:7.2f}")
    print("target: ratio with snapshots <= 1.2")


if __name__ == "__main__":
    main()
