"""``flask --app tracker ingest``: read applications sent by email.

    flask --app tracker ingest mail/*.eml inbox.mbox ~/Maildir/.Candidatures
    flask --app tracker ingest --imap
    flask --app tracker ingest --organisation villes-au-carre export.mbox
    flask --app tracker ingest --dry-run mail/*.eml
    flask --app tracker ingest --unassigned

One line per mail (its key, what became of it, the offer or the reason) and a summary. Each
mail is committed on its own; reading the same files again records nothing twice. Exits 0
when every mail was recorded (applications, triage, ignored, errors kept for triage), 1 when
a source could not be read or a mail could not be recorded at all (run again: nothing is
duplicated).
"""

from __future__ import annotations

from collections import Counter

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from tracker.accounts.models import Organisation
from tracker.db import db
from tracker.ingest import reasons
from tracker.ingest.models import InboundMail
from tracker.ingest.services import Outcome, ingest_source
from tracker.ingest.sources import SourceError, open_imap, open_source


def describe(outcome: Outcome) -> str:
    key = outcome.message_key if len(outcome.message_key) <= 60 \
        else outcome.message_key[:57] + "..."
    if outcome.status == "failed":
        return f"{key} failed ({outcome.label}): {outcome.error}"
    parts = [key, "already recorded:" if outcome.already else "", outcome.status]
    if outcome.status == "application":
        parts.append(f"{outcome.reference} → offer #{outcome.posting_id} "
                     f"“{outcome.posting_title}”")
    else:
        parts.append(f"({outcome.reason})" if outcome.reason else "")
        if outcome.posting_id:
            parts.append(f"closest offer #{outcome.posting_id} “{outcome.posting_title}”")
    if outcome.error:
        parts.append(f"– {outcome.error}")
    return " ".join(p for p in parts if p)


def summary(counts: Counter, dry_run: bool) -> str:
    total = sum(counts.values())
    order = ("application", "triage", "ignored", "error", "set_aside", "already", "failed")
    details = ", ".join(f"{counts[name]} {name}" for name in order if counts[name])
    prefix = "Dry run, nothing recorded: " if dry_run else ""
    return f"{prefix}{total} mail{'s' if total != 1 else ''}" + (f": {details}." if details
                                                                  else ".")


def _organisation(slug: str | None) -> Organisation | None:
    if not slug:
        return None
    found = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if found is None:
        raise click.ClickException(f"No organisation with the slug “{slug}”.")
    return found


def _list_unassigned() -> None:
    rows = db.session.scalars(
        sa.select(InboundMail).where(InboundMail.organisation_id.is_(None))
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
    ).all()
    for mail in rows:
        click.echo(f"#{mail.id} {mail.received_at:%Y-%m-%d %H:%M} {mail.status} "
                   f"({reasons.label(mail.reason)}) from {mail.from_address or '?'} to "
                   f"{', '.join(mail.to_addresses) or '?'}: {mail.subject}")
    click.echo(f"{len(rows)} mail{'s' if len(rows) != 1 else ''} without an organisation.")


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--imap", "use_imap", is_flag=True,
              help="Read the IMAP mailbox of the configuration (IMAP_HOST...).")
@click.option("--organisation", "organisation_slug", metavar="SLUG",
              help="These mails are for this organisation (its own mailbox).")
@click.option("--dry-run", is_flag=True, help="Say what would happen; record nothing.")
@click.option("--unassigned", is_flag=True,
              help="List the mails no organisation could be found for, and stop.")
@with_appcontext
def ingest_command(paths: tuple[str, ...], use_imap: bool, organisation_slug: str | None,
                   dry_run: bool, unassigned: bool) -> None:
    """Read applications sent by email: .eml files, mbox files, Maildir folders, or IMAP.

    Each mail goes to its offer (by subject line or address) as an application, or to the
    triage list of the back office; auto-replies and bounces are kept and ignored.
    """
    if unassigned:
        _list_unassigned()
        return
    if not paths and not use_imap:
        raise click.UsageError("Give .eml files, mbox files or Maildir folders, or --imap.")
    organisation = _organisation(organisation_slug)
    try:
        sources = [open_source(path) for path in paths]
        if use_imap:
            sources.append(open_imap(current_app.config))
    except SourceError as error:
        raise click.ClickException(str(error)) from error
    except Exception as error:  # noqa: BLE001 - the IMAP module's configuration errors
        raise click.ClickException(f"IMAP: {error}") from error
    counts: Counter = Counter()
    broken = _run(sources, organisation, dry_run, counts)
    click.echo(summary(counts, dry_run))
    if broken or counts["failed"]:
        raise SystemExit(1)


def _run(sources, organisation, dry_run: bool, counts: Counter) -> bool:
    """Ingest every source; True when one of them could not be read to the end."""
    broken = False
    for source in sources:
        try:
            for outcome in ingest_source(source, organisation=organisation, dry_run=dry_run):
                click.echo(describe(outcome))
                counts["already" if outcome.already else outcome.status] += 1
        except Exception as error:  # noqa: BLE001 - report, go on with the next source
            db.session.rollback()
            broken = True
            click.echo(f"{source.name}: stopped: {error}", err=True)
        finally:
            source.close()
    return broken
