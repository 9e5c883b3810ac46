"""The circuit breaker and the retry policy, on a fake clock (no waiting)."""

from __future__ import annotations

from app.suppliers.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from app.suppliers.retry import RetryPolicy


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tripped(clock) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.failed()
    return breaker


def test_the_circuit_opens_after_the_threshold_of_consecutive_failures_and_refuses_calls():
    breaker = tripped(Clock())
    assert breaker.state == OPEN and not breaker.allow()


def test_a_success_between_failures_keeps_the_circuit_closed():
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=Clock())
    breaker.failed(), breaker.failed(), breaker.succeeded(), breaker.failed()
    assert breaker.state == CLOSED


def test_after_the_cool_down_one_trial_call_goes_through_and_its_success_closes_the_circuit():
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    assert breaker.state == HALF_OPEN and breaker.allow() and not breaker.allow()
    breaker.succeeded()
    assert breaker.state == CLOSED and breaker.allow()


def test_a_failed_trial_call_opens_the_circuit_for_another_cool_down():
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    assert breaker.allow()
    breaker.failed()
    assert breaker.state == OPEN and breaker.retry_in() == 10


def test_backoff_doubles_per_attempt_within_its_jitter_and_stops_at_the_cap():
    low, high = RetryPolicy(base=1, cap=5, rand=lambda: 0.0), RetryPolicy(base=1, cap=5, rand=lambda: 1.0)
    assert [low.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 2.5]
    assert [high.delay(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_backoff_never_retries_sooner_than_the_suppliers_retry_after():
    assert RetryPolicy(base=0.1, rand=lambda: 1.0).delay(1, retry_after=3) == 3


def test_retries_are_exhausted_after_the_configured_number_of_attempts():
    policy = RetryPolicy(max_attempts=3)
    assert not policy.exhausted(2) and policy.exhausted(3)
