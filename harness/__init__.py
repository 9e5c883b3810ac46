"""The reliability and hostile-input harness.

It runs against a real stack: `procura serve` (gunicorn) and `procura worker`
on a temporary PostgreSQL database, with the fake Acme supplier. `run()` does
the hostile-input sweep, then the load with retries, then checks everything
against the event store, and returns a Report (printed as a rich table).

Entry points: `scripts/soak` (python -m harness) and
tests/reliability/test_reliability_harness.py (a short run).
"""

from harness.runner import Options, run

__all__ = ["Options", "run"]
