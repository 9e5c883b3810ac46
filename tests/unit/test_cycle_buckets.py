"""Which histogram bucket a cycle time falls in."""

from __future__ import annotations

import pytest

from projections.cycle_times import bucket_of

HOUR_US = 3_600_000_000


@pytest.mark.parametrize(("duration_us", "bucket"), [
    (0, 0), (HOUR_US, 0), (HOUR_US + 1, 1), (4 * HOUR_US, 1), (24 * HOUR_US + 1, 4),
    (720 * HOUR_US, 9), (720 * HOUR_US + 1, 10), (10**15, 10),
])
def test_a_duration_falls_in_the_first_bucket_whose_inclusive_bound_it_does_not_exceed(duration_us, bucket):
    assert bucket_of(duration_us) == bucket

