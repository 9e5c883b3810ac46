"""The reliability and hostile-input harness.

It runs against a real stack: `procura serve` (HAProxy and granian) and `procura worker`
on a temporary PostgreSQL database, with the fake Acme supplier. `run()` does
the hostile-input sweep, then the load with retries, then checks everything
against the event store, and returns a Report (printed as a rich table).

Entry points: `scripts/soak` (python -m harness) and
tests/reliability/test_reliability_harness.py (a short run). The load alone,
against several APIs with failover, runs as a process of its own on another
host (`harness.client_host`, used by tests/reliability/test_multi_host.py).
"""

from harness.runner import Options, run

__all__ = ["Options", "run"]
