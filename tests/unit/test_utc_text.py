"""Read models store times as fixed-width UTC text that sorts like the time."""

from datetime import UTC, datetime, timedelta, timezone

from projections.store import utc_text


def test_a_utc_time_is_written_with_microseconds_and_a_z():
    assert utc_text(datetime(2026, 1, 31, 9, 0, tzinfo=UTC)) == "2026-01-31T09:00:00.000000Z"


def test_a_time_in_another_zone_is_converted_to_utc():
    moment = datetime(2026, 1, 31, 11, 30, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    assert utc_text(moment) == "2026-01-31T09:30:00.000005Z"


def test_a_naive_time_is_taken_as_utc():
    assert utc_text(datetime(2026, 1, 31, 9, 0, 1)) == "2026-01-31T09:00:01.000000Z"


def test_the_text_sorts_like_the_times_it_names():
    times = [datetime(2026, 1, 31, 9, tzinfo=UTC) + timedelta(microseconds=n * 999_999) for n in (3, 0, 2, 1)]
    assert sorted(utc_text(t) for t in times) == [utc_text(t) for t in sorted(times)]
