"""How far behind a replica is: the age of the oldest WAL position the primary
had flushed that the replica has not replayed yet."""

from __future__ import annotations

from app.persistence.replicas import WalClock


def test_a_replica_that_replayed_everything_has_no_lag_however_long_the_primary_is_idle():
    clock = WalClock(keep=16)
    clock.record(at=100.0, position=5000)
    for second in range(101, 160):
        clock.record(at=float(second), position=5000)  # idle: the position does not move
    assert clock.lag(replayed=5000, now=160.0) == 0.0


def test_lag_is_the_age_of_the_oldest_position_not_yet_replayed():
    clock = WalClock(keep=16)
    for second, position in ((100.0, 5000), (101.0, 6000), (102.0, 7000)):
        clock.record(at=second, position=position)
    assert clock.lag(replayed=5000, now=104.0) == 3.0  # 6000, flushed at 101, still waits
    assert clock.lag(replayed=6500, now=104.0) == 2.0
    assert clock.lag(replayed=7000, now=104.0) == 0.0


def test_a_stuck_replica_stays_behind_after_old_samples_are_forgotten():
    clock = WalClock(keep=4)
    for second in range(100, 120):
        clock.record(at=float(second), position=second * 1000)
    assert clock.lag(replayed=0, now=120.0) == 4.0  # the oldest kept sample: at least keep-1 checks old
