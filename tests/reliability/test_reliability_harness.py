"""The reliability and hostile-input harness (harness/), short size:
a real server (`procura serve`) and worker on PostgreSQL, the hostile sweep over
every route, then concurrent clients with resends, stale versions and races.
Any failing case fails the test, with the failures listed."""

from __future__ import annotations

import pytest
from rich.console import Console

from harness import Options, run

pytestmark = pytest.mark.postgres


def test_the_short_harness_run_finds_nothing_lost_duplicated_leaked_or_out_of_contract():
    report = run(Options(clients=16, commands=1200, catch_up_timeout=60))
    report.print(Console(width=120))
    assert report.results and all(r.cases for r in report.results if r.name != "refused commands appended nothing")
    assert report.ok, report.failure_text()
