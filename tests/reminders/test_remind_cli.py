"""``flask remind [--at ISO_DATETIME] [--dry-run]``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import pytest
import sqlalchemy as sa

from tests.reminders.conftest import OUTSIDE_EMAIL, local, messages, reminder_keys
from tracker.db import db, utcnow
from tracker.mail.models import Message
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders.cli import parse_instant


def _lines(result) -> list[str]:
    return result.output.splitlines()


def test_remind_at_a_local_time_queues_and_prints_one_line_per_action(app, runner, offer_world):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    result = runner.invoke(args=["remind", "--at", "2026-03-13T08:00"])
    assert result.exit_code == 0, result.output
    posting = f"deadline_approaching posting:{world.posting_id}"
    lines = _lines(result)
    assert [line.split(" (message ")[0] for line in lines[:3]] == [
        f"2026-03-13T07:00:00Z queue {posting} -> alice@example.org",
        f"2026-03-13T07:00:00Z queue {posting} -> louis@example.org",
        f"2026-03-13T07:00:00Z queue {posting} -> {OUTSIDE_EMAIL}",
    ]
    assert lines[3:] == [
        "Closed: 0, queued: 3, digest: 0, skipped: 0, errors: 0."]
    with app.app_context():
        assert [f"(message {m.id}: {m.subject})" for m in messages()] == [
            line.split(" -> ")[1].split(" ", 1)[1] for line in lines[:3]]
    again = runner.invoke(args=["remind", "--at", "2026-03-13T07:00:00Z"])
    assert _lines(again) == [
        "Closed: 0, queued: 0, digest: 0, skipped: 0, errors: 0."]


def test_remind_closes_and_summarises(app, runner, offer_world):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    result = runner.invoke(args=["remind", "--at", "2026-03-21T06:00:00+01:00"])
    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert lines[0] == (f"2026-03-21T05:00:00Z close deadline_reached posting:{world.posting_id}"
                        " closed at the deadline 2026-03-20T22:59:59Z")
    assert lines[-1] == (
        "Closed: 1, queued: 2, digest: 0, skipped: 0, errors: 0.")


def test_remind_dry_run_changes_nothing(app, runner, offer_world):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    result = runner.invoke(args=["remind", "--at", "2026-03-21T09:00", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert _lines(result) == [
        f"2026-03-21T08:00:00Z close deadline_reached posting:{world.posting_id} closed at the "
        "deadline 2026-03-20T22:59:59Z",
        f"2026-03-21T08:00:00Z queue deadline_reached posting:{world.posting_id} -> "
        "louis@example.org (dry run, each)",
        f"2026-03-21T08:00:00Z queue deadline_reached posting:{world.posting_id} -> "
        f"{OUTSIDE_EMAIL} (dry run, each)",
        "Closed: 1, queued: 2, digest: 0, skipped: 0, errors: 0. "
        "Dry run: nothing was written.",
    ]
    with app.app_context():
        assert db.session.get(Posting, world.posting_id).status == PostingStatus.PUBLISHED
        assert reminder_keys() == []
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_remind_without_at_acts_now(app, runner, offer_world):
    deadline = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    world = offer_world(deadline=deadline)
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "Closed: 1, queued: 2," in result.output
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        assert posting.status == PostingStatus.CLOSED and posting.closed_at == deadline


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01T08:00", "13/03/2026 08:00", ""])
def test_remind_refuses_a_bad_instant_clearly(app, runner, value):
    result = runner.invoke(args=["remind", "--at", value])
    assert result.exit_code == 2
    assert "Invalid value for '--at'" in result.output
    assert "is not an ISO 8601 date and time; for example 2026-03-13T08:00" in result.output
    assert "Traceback" not in result.output


def test_remind_exits_non_zero_when_something_failed(app, runner, offer_world, monkeypatch):
    from tracker.reminders import rules

    def broken(context):
        raise RuntimeError("boom")

    offer_world(deadline=local("2026-03-20 23:59:59"))
    monkeypatch.setattr(rules, "RULES", (broken, *rules.RULES))
    result = runner.invoke(args=["remind", "--at", "2026-03-13T08:00"])
    assert result.exit_code == 1
    assert _lines(result)[0] == "2026-03-13T07:00:00Z error broken - RuntimeError: boom"
    assert _lines(result)[-1] == (
        "Closed: 0, queued: 3, digest: 0, skipped: 0, errors: 1.")


def test_parse_instant_reads_naive_times_in_the_instance_time_zone():
    assert parse_instant("2026-03-13T08:00") == datetime(2026, 3, 13, 7, 0, tzinfo=UTC)
    assert parse_instant("2026-07-13 08:00") == datetime(2026, 7, 13, 6, 0, tzinfo=UTC)
    assert parse_instant("2026-03-13T08:00", "America/Montreal") == datetime(
        2026, 3, 13, 12, 0, tzinfo=UTC)
    assert parse_instant("2026-03-13T08:00:00+00:00") == datetime(2026, 3, 13, 8, 0, tzinfo=UTC)
    assert parse_instant("2026-03-13T08:00Z", "America/Montreal") == datetime(
        2026, 3, 13, 8, 0, tzinfo=UTC)
    assert parse_instant("2026-03-13T08:00", "No/Such_Zone") == datetime(
        2026, 3, 13, 7, 0, tzinfo=UTC)
    with pytest.raises(click.BadParameter):
        parse_instant("2026-03-13T25:00")
