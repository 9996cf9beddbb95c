"""Local-time arithmetic for reminders: days are the organisation's calendar days.

A reminder "7 days before the deadline" goes out at the organisation's send hour on the local
day seven days before the deadline's local day, whatever daylight-saving change lies between.
Every function takes and returns aware UTC datetimes; days are ``date`` objects in the
organisation's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Paris"


def zone(name: str | None) -> ZoneInfo:
    """The time zone named ``name`` (an organisation's setting), Europe/Paris if unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar day ``moment`` falls on in ``tz``."""
    return moment.astimezone(tz).date()


def at_local(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """``hour``:00 on ``day`` in ``tz``, as UTC. An hour skipped by a DST change (02:00 on
    the last Sunday of March in Paris) is read with the offset before the change (03:00 local),
    an hour that happens twice is its first occurrence."""
    local = datetime.combine(day, time(hour), tzinfo=tz)
    return local.astimezone(UTC)


def days_before(moment: datetime, days: int, hour: int, tz: ZoneInfo) -> datetime:
    """``hour``:00 local on the local day ``days`` days before the day of ``moment``."""
    return at_local(local_day(moment, tz) - timedelta(days=days), hour, tz)


def days_after(moment: datetime, days: int, hour: int, tz: ZoneInfo) -> datetime:
    """``hour``:00 local on the local day ``days`` days after the day of ``moment``."""
    return at_local(local_day(moment, tz) + timedelta(days=days), hour, tz)


def occurrences(start: datetime, *, after_days: int, repeat_days: int, hour: int,
                tz: ZoneInfo, count: int | None, until: datetime) -> list[tuple[int, datetime]]:
    """The moments of a repeated reminder up to ``until``: (number from 1, due UTC).

    The first is ``after_days`` local days after the day of ``start``, then every
    ``repeat_days`` days, at most ``count`` (None: no limit).
    """
    result: list[tuple[int, datetime]] = []
    first_day = local_day(start, tz) + timedelta(days=after_days)
    number = 1
    while count is None or number <= count:
        due = at_local(first_day + timedelta(days=repeat_days * (number - 1)), hour, tz)
        if due > until:
            break
        result.append((number, due))
        number += 1
    return result


def latest_due(start: datetime, *, after_days: int, repeat_days: int, hour: int,
               tz: ZoneInfo, count: int | None, now: datetime) -> tuple[int, datetime] | None:
    """The most recent occurrence due at ``now`` (number, due), or None before the first.

    After a downtime only this one makes sense: the ones it replaces are not sent late.
    """
    first_day = local_day(start, tz) + timedelta(days=after_days)
    if at_local(first_day, hour, tz) > now:
        return None
    elapsed = (local_day(now, tz) - first_day).days
    number = elapsed // repeat_days + 1
    if count is not None:
        number = min(number, count)
    due = at_local(first_day + timedelta(days=repeat_days * (number - 1)), hour, tz)
    if due > now:  # today's occurrence, before the send hour
        number -= 1
        due = at_local(first_day + timedelta(days=repeat_days * (number - 1)), hour, tz)
    return number, due


def next_due(start: datetime, *, after_days: int, repeat_days: int, hour: int,
             tz: ZoneInfo, count: int | None, now: datetime) -> tuple[int, datetime] | None:
    """The first occurrence after ``now`` (number, due), or None when the series is over."""
    latest = latest_due(start, after_days=after_days, repeat_days=repeat_days, hour=hour,
                        tz=tz, count=count, now=now)
    number = 1 if latest is None else latest[0] + 1
    if count is not None and number > count:
        return None
    first_day = local_day(start, tz) + timedelta(days=after_days)
    return number, at_local(first_day + timedelta(days=repeat_days * (number - 1)), hour, tz)


def iso(moment: datetime) -> str:
    """A due moment as it appears in reminder keys: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
