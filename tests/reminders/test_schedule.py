"""Local-day arithmetic of reminders, in the organisation's time zone and across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracker.reminders.schedule import (
    at_local,
    days_after,
    days_before,
    iso,
    latest_due,
    local_day,
    next_due,
    occurrences,
    zone,
)

PARIS = zone("Europe/Paris")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_zone_unknown_name_falls_back_to_paris():
    assert zone("Mars/Olympus_Mons").key == "Europe/Paris"
    assert zone("").key == "Europe/Paris"
    assert zone("America/Cayenne").key == "America/Cayenne"


def test_local_day_uses_the_zone_not_utc():
    # 23:30 UTC on 31 March is already 1 April in Paris (summer time, UTC+2).
    assert local_day(utc(2026, 3, 31, 23, 30), PARIS) == date(2026, 4, 1)
    assert local_day(utc(2026, 3, 31, 21, 59), PARIS) == date(2026, 3, 31)


def test_at_local_follows_the_offset_of_each_day():
    assert at_local(date(2026, 3, 28), 8, PARIS) == utc(2026, 3, 28, 7)  # winter, UTC+1
    assert at_local(date(2026, 3, 30), 8, PARIS) == utc(2026, 3, 30, 6)  # summer, UTC+2
    assert at_local(date(2026, 10, 26), 8, PARIS) == utc(2026, 10, 26, 7)


def test_at_local_hour_skipped_by_the_change_to_summer_time():
    # 02:00 does not exist on 29 March 2026 in Paris: read with the winter offset (03:00 CEST).
    moment = at_local(date(2026, 3, 29), 2, PARIS)
    assert moment == utc(2026, 3, 29, 1)
    assert moment.astimezone(PARIS).hour == 3


def test_days_before_counts_local_days_across_dst():
    deadline = utc(2026, 3, 31, 21, 59)  # 31 March 23:59 Paris (summer time)
    assert days_before(deadline, 7, 8, PARIS) == utc(2026, 3, 24, 7)  # 24 March 08:00 (winter)
    assert days_before(deadline, 1, 8, PARIS) == utc(2026, 3, 30, 6)  # 30 March 08:00 (summer)
    back = utc(2026, 10, 27, 22, 59)  # 27 October 23:59 Paris (winter time again)
    assert days_before(back, 7, 8, PARIS) == utc(2026, 10, 20, 6)  # still summer time
    assert days_after(back, 3, 8, PARIS) == utc(2026, 10, 30, 7)


def test_series_latest_and_next_due():
    closed = utc(2026, 3, 20, 22, 59)  # 20 March 23:59 Paris
    kwargs = dict(after_days=3, repeat_days=7, hour=8, tz=PARIS, count=3)
    assert occurrences(closed, until=utc(2027, 1, 1), **kwargs) == [
        (1, utc(2026, 3, 23, 7)), (2, utc(2026, 3, 30, 6)), (3, utc(2026, 4, 6, 6)),
    ]
    assert latest_due(closed, now=utc(2026, 3, 23, 6, 59), **kwargs) is None
    assert next_due(closed, now=utc(2026, 3, 23, 6, 59), **kwargs) == (1, utc(2026, 3, 23, 7))
    assert latest_due(closed, now=utc(2026, 3, 23, 7), **kwargs) == (1, utc(2026, 3, 23, 7))
    # The morning of the second one, before 08:00: still the first.
    assert latest_due(closed, now=utc(2026, 3, 30, 5, 59), **kwargs) == (1, utc(2026, 3, 23, 7))
    # After a downtime covering the second: only the latest is due.
    assert latest_due(closed, now=utc(2026, 4, 2, 12), **kwargs) == (2, utc(2026, 3, 30, 6))
    # Past the last one: it stays the latest, and nothing comes next.
    assert latest_due(closed, now=utc(2026, 6, 1), **kwargs) == (3, utc(2026, 4, 6, 6))
    assert next_due(closed, now=utc(2026, 6, 1), **kwargs) is None


def test_unbounded_series_goes_on():
    closed = utc(2026, 1, 10, 12)
    kwargs = dict(after_days=14, repeat_days=7, hour=8, tz=PARIS, count=None)
    assert latest_due(closed, now=utc(2026, 3, 1, 12), **kwargs) == (6, utc(2026, 2, 28, 7))
    assert next_due(closed, now=utc(2026, 3, 1, 12), **kwargs) == (7, utc(2026, 3, 7, 7))


def test_iso_is_utc_to_the_minute():
    assert iso(datetime(2026, 3, 13, 8, 0, 59, tzinfo=PARIS)) == "2026-03-13T07:00Z"
