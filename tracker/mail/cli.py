"""``flask --app tracker send-mail``: one delivery pass over the outbox (for cron or a worker)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.mail.delivery import Delivered, MailConfigError, deliver_due
from tracker.mail.models import MessageStatus


def describe(result: Delivered, max_attempts: int) -> str:
    line = f"#{result.id} {result.kind}: {result.status}"
    if result.status == MessageStatus.SENT:
        return f"{line} ({result.note})" if result.note else line
    if result.status == MessageStatus.PENDING and result.next_try_at is not None:
        line += (f", attempt {result.attempts} of {max_attempts} failed, next try at "
                 f"{result.next_try_at:%Y-%m-%d %H:%M} UTC")
    elif result.status == MessageStatus.FAILED:
        line += f" after {result.attempts} attempt{'s' if result.attempts != 1 else ''}"
    return f"{line}: {result.error}" if result.error else line


@click.command("send-mail")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="Send at most this many messages in this pass.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Send the emails that are due; failures are retried by later passes.

    Exits 0 even when some messages failed (they stay in the outbox and are retried); exits
    1 only when the configuration keeps anything from going out.
    """
    from flask import current_app

    try:
        report = deliver_due(limit=limit)
    except MailConfigError as error:
        raise click.ClickException(f"Mail configuration: {error}") from error
    max_attempts = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
    if report.reset:
        click.echo(f"{report.reset} message(s) stuck in 'sending' were put back in the queue.")
    for result in report.results:
        click.echo(describe(result, max_attempts))
    if not report.results:
        click.echo(f"No message due ({report.backend} backend).")
        return
    click.echo(
        f"{len(report.results)} message(s) through the {report.backend} backend: "
        f"{report.sent} sent, {report.retrying} to retry later, {report.failed} failed."
    )
