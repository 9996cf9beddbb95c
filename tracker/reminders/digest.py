"""The daily digest: one email per person and organisation gathering what waits for it.

Reminders kept for a digest (status ``digest``: new applications of the offers a person is a
contact of, and any reminder whose kind they chose to take as a digest) go out together, at most
once a day, at the organisation's send hour. The digest is keyed by its slot (the latest send
hour at or before the pass), so it is queued once per slot however often the pass runs, and a
pass after a downtime sends one digest gathering everything, not one per missed day. It lists
the rows that were waiting at its slot: a row that arrives after the send hour waits for the
next day's digest, so that a digest always goes out at the same hour. Rows of people no longer
active or no longer members are skipped, not sent.

Digests name applications by their reference, never by the candidate's name: one digest covers
several applications, so erasing one of them could not take its name out of the outbox.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from tracker.accounts.models import Membership, Organisation, User
from tracker.db import db
from tracker.mail.services import queue_message, with_name
from tracker.reminders.core import PassContext, PassReport, Recipient, reminder_key
from tracker.reminders.emails import render_reminder
from tracker.reminders.engine import action_text, existing_keys, insert_once
from tracker.reminders.models import Reminder, ReminderRule, ReminderStatus
from tracker.reminders.recipients import user_recipient
from tracker.reminders.schedule import at_local, local_day, zone
from tracker.review.interviews import day_text

log = logging.getLogger(__name__)

TEMPLATE = "reminder.digest"
KIND = "reminder.digest"
# An offer's new applications are listed (by reference) in the digest up to this many, then
# counted.
NAMES_SHOWN = 10
NOTE_NOT_MEMBER = "Not sent: the person is no longer an active member of the organisation."


def slot(now: datetime, send_hour: int, tz) -> datetime:
    """The latest ``send_hour``:00 local at or before ``now`` (UTC)."""
    today = local_day(now, tz)
    moment = at_local(today, send_hour, tz)
    return moment if moment <= now else at_local(today - timedelta(days=1), send_hour, tz)


def digest_key(user_id: int, organisation_id: int, moment: datetime) -> str:
    return reminder_key(ReminderRule.DIGEST, "user", user_id, moment, f"o{organisation_id}")


def send_digests(context: PassContext, report: PassReport, dry_run: bool = False) -> None:
    """Queue the digest of every (organisation, user) with rows waiting, once per slot.

    Each digest commits on its own (nothing in a dry run); one that fails is rolled back,
    logged and reported, and the others go on.
    """
    waiting = db.session.execute(
        sa.select(Reminder.organisation_id, Reminder.user_id).where(
            Reminder.status == ReminderStatus.DIGEST, Reminder.user_id.is_not(None),
        ).distinct()
    ).all()
    context.load_settings({org_id for org_id, _user_id in waiting})
    for organisation_id, user_id in sorted(waiting):
        try:
            send_digest(context, report, organisation_id, user_id, dry_run=dry_run)
            if not dry_run:
                db.session.commit()
        except Exception as error:  # one person's digest never stops the others'
            db.session.rollback()
            log.exception("digest of user %s in organisation %s failed", user_id,
                          organisation_id)
            report.add("error", action_text(
                context.now, "error", ReminderRule.DIGEST.value, f"user:{user_id}", "",
                f"organisation {organisation_id}: {type(error).__name__}: {error}"[:300]))


def send_digest(context: PassContext, report: PassReport, organisation_id: int, user_id: int,
                *, dry_run: bool = False) -> int | None:
    """The digest of one person in one organisation, if due and not yet queued for its slot;
    returns the id of its Reminder row (None: nothing queued)."""
    organisation = db.session.get(Organisation, organisation_id)
    settings = context.settings(organisation_id)
    moment = slot(context.now, settings.send_hour, zone(organisation.timezone))
    key = digest_key(user_id, organisation_id, moment)
    if existing_keys([key]):  # this slot's digest went out: the rows wait for the next
        return None
    rows = list(db.session.scalars(
        sa.select(Reminder).where(
            Reminder.status == ReminderStatus.DIGEST, Reminder.organisation_id == organisation_id,
            Reminder.user_id == user_id, Reminder.due_at <= moment,
        ).order_by(Reminder.due_at, Reminder.id)
    ))
    if not rows:
        return None
    user = _member(user_id, organisation_id)
    if user is None:
        _skip(context, report, rows, user_id, dry_run=dry_run)
        return None
    recipient = user_recipient(user, organisation)
    line = action_text(context.now, "digest", ReminderRule.DIGEST.value, f"user:{user_id}",
                       recipient.address, _items_count(len(rows), organisation_id))
    if dry_run:
        report.add("digest", line)
        return None
    return _queue(context, report, organisation, recipient, rows, key, moment, line)


def _queue(context, report, organisation, recipient: Recipient, rows: list[Reminder],
           key: str, moment: datetime, line: str) -> int | None:
    reminder_id = insert_once(
        key=key, organisation_id=organisation.id, rule=ReminderRule.DIGEST.value,
        status=ReminderStatus.QUEUED.value, due_at=moment, created_at=context.now,
        user_id=recipient.user_id, recipient=recipient.address,
        detail={"count": len(rows), "reminders": [row.id for row in rows]},
    )
    if reminder_id is None:  # another pass queued this slot's digest
        return None
    rendered = render_digest(organisation, recipient, rows, moment)
    try:
        message = queue_message(
            organisation=organisation, kind=KIND,
            recipients=[with_name(recipient.name, recipient.address)],
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            reply_to=organisation.email or "", locale=recipient.locale,
        )
    except ValueError as error:  # an address the outbox refuses
        note = str(error)[:500]
        _update([reminder_id], status=ReminderStatus.SKIPPED, note=note)
        _update([row.id for row in rows], status=ReminderStatus.SKIPPED, note=note)
        report.add("skip", f"{line} (address refused: {note})")
        return reminder_id
    _update([reminder_id], message_id=message.id)
    _update([row.id for row in rows], status=ReminderStatus.DIGESTED, message_id=message.id)
    report.add("digest", line)
    return reminder_id


def _update(ids: list[int], **values) -> None:
    db.session.execute(sa.update(Reminder).where(Reminder.id.in_(ids)).values(**values)
                       .execution_options(synchronize_session=False))


def _member(user_id: int, organisation_id: int) -> User | None:
    """The user if active and still a member of the organisation."""
    return db.session.scalar(
        sa.select(User).join(Membership, Membership.user_id == User.id).where(
            User.id == user_id, User.active.is_(True),
            Membership.organisation_id == organisation_id,
        )
    )


def _items_count(count: int, organisation_id: int) -> str:
    return f"({count} item{'s' if count != 1 else ''}, organisation {organisation_id})"


def _skip(context, report, rows: list[Reminder], user_id: int, *, dry_run: bool) -> None:
    note = NOTE_NOT_MEMBER
    report.add("skip", action_text(context.now, "skip", ReminderRule.DIGEST.value,
                                   f"user:{user_id}", "",
                                   f"{_items_count(len(rows), rows[0].organisation_id)} {note}"))
    if not dry_run:
        _update([row.id for row in rows], status=ReminderStatus.SKIPPED, note=note)


# --- The email ----------------------------------------------------------------------------------


def render_digest(organisation, recipient: Recipient, rows: list[Reminder], moment: datetime):
    with force_locale(recipient.locale):
        context = {
            "organisation_name": organisation.name,
            "digest_date": day_text(moment.astimezone(zone(organisation.timezone)),
                                    recipient.locale),
            "items": items_text(rows),
        }
    return render_reminder(organisation, TEMPLATE, recipient, context)


def items_text(rows: list[Reminder]) -> str:
    """One "- " line per item, in the current locale: an offer's new applications gathered
    in one line ("3 new applications (...)"), then every other reminder in the order due."""
    applications: dict[int, list[Reminder]] = {}
    others: list[Reminder] = []
    for row in rows:
        if row.rule == ReminderRule.NEW_APPLICATION and row.detail.get("posting_id"):
            applications.setdefault(row.detail["posting_id"], []).append(row)
        else:
            others.append(row)
    lines = [_applications_line(group) for group in applications.values()]
    lines += [_line(row) for row in others]
    return "\n".join(f"- {line}" for line in lines)


def _applications_line(group: list[Reminder]) -> str:
    first = group[0].detail
    count = len({row.application_id for row in group})
    if count == 1:  # one application (perhaps sent again): its latest line
        text = _line(group[-1])
    else:
        labels = list(dict.fromkeys(row.detail.get("reference", "") for row in group))
        names = ", ".join(labels[:NAMES_SHOWN])
        if len(labels) > NAMES_SHOWN:
            names = _("%(names)s and %(num)d more", names=names,
                      num=len(labels) - NAMES_SHOWN)
        text = ngettext("%(title)s: %(num)d new application (%(names)s)",
                        "%(title)s: %(num)d new applications (%(names)s)", count,
                        title=first.get("posting_title", ""), names=names)
    link = first.get("link")
    return f"{text} – {link}" if link else text


def _line(row: Reminder) -> str:
    return (row.detail or {}).get("line") or row.key
