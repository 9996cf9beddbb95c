"""``flask remind``: close expired offers and queue the reminders due, once.

``--at`` runs the pass as of another instant (operators catching up, tests travelling in time);
``--dry-run`` prints what would be done and changes nothing. One line per action, then a
summary line. The exit status is 0, or 1 when an offer, a rule or a reminder failed (the
failures are in the output and in the log; the rest of the pass went on).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.reminders.core import PassReport

EXAMPLE = "2026-03-13T08:00, 2026-03-13T08:00+01:00 or 2026-03-13T07:00Z"


def parse_instant(value: str, default_timezone: str = "Europe/Paris") -> datetime:
    """An ISO 8601 date and time as aware UTC; a naive one is read in ``default_timezone``.
    Raises click.BadParameter with an example on a bad value."""
    text = (value or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date and time; for example {EXAMPLE}.",
            param_hint="'--at'",
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        try:
            zone = ZoneInfo(default_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Europe/Paris")
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def summary(report: PassReport) -> str:
    """'Closed: 2, queued: 5, digest: 1, skipped: 0, errors: 0.' (digest: reminders kept
    for a digest, and digests queued)."""
    text = ", ".join(f"{label}: {report.count(what)}" for label, what in (
        ("Closed", "close"), ("queued", "queue"), ("digest", "digest"), ("skipped", "skip"),
        ("errors", "error")))
    text += "."
    if report.dry_run:
        text += " Dry run: nothing was written."
    return text


@click.command("remind")
@click.option("--at", "at", default=None, metavar="ISO_DATETIME",
              help="Act as of this instant (ISO 8601; without an offset, the instance's "
                   "time zone, BABEL_DEFAULT_TIMEZONE).")
@click.option("--dry-run", is_flag=True, help="Print what would be done; change nothing.")
@with_appcontext
def remind_command(at: str | None, dry_run: bool) -> None:
    """Close the offers whose deadline has passed and queue every reminder due."""
    from tracker.reminders.engine import run_pass

    now = None
    if at is not None:
        now = parse_instant(at, current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "")
    report = run_pass(now, dry_run=dry_run)
    for action in report.actions:
        click.echo(action.text)
    click.echo(summary(report))
    if report.count("error"):
        raise SystemExit(1)
