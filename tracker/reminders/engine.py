"""One pass of the reminders: close the offers whose deadline has passed, ask every rule what is
due, record each reminder once per recipient and queue its email (or keep it for the digest).

``run_pass(now)`` is what ``flask remind`` and ``flask worker`` run. Every reminder is a
``Reminder`` row whose key (rule, object, due moment, recipient) is unique: the row is inserted
with ``ON CONFLICT (key) DO NOTHING`` and only the run that inserted it queues the email, so
two workers, or a pass run twice, queue each reminder once. Each Due is its own transaction
(with its emails); an offer is closed, with its closing summary, in one transaction too. A
failure in one Due, one closing or one rule is logged, rolled back and reported, and the pass
goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tracker.db import db, utcnow
from tracker.mail.models import MessageStatus
from tracker.mail.services import queue_message, with_name
from tracker.mail.templates import RenderedEmail, render_email
from tracker.postings.models import Posting, PostingStatus
from tracker.postings.services import transition
from tracker.reminders.core import Due, PassContext, PassReport, Recipient, recipient_key
from tracker.reminders.emails import render_reminder
from tracker.reminders.models import (
    NotificationMode,
    Reminder,
    ReminderRule,
    ReminderStatus,
)
from tracker.reminders.preferences import modes_for
from tracker.reminders.recipients import unique

log = logging.getLogger(__name__)

# A deadline caught up later than this (a database upgraded after months, a long outage) closes
# its offer without a closing summary: news that old helps nobody.
SUMMARY_MAX_DELAY = timedelta(days=14)
NOTE_NEVER = "The recipient chose never to receive this kind of notification."
NOTE_MAX_LENGTH = 500
FALLBACK_BASE_URL = "http://localhost/"


# --- The pass -----------------------------------------------------------------------------------


def run_pass(now: datetime | None = None, *, dry_run: bool = False) -> PassReport:
    """Close expired offers, then run every rule, then the daily digests, as of ``now``.

    ``dry_run`` writes nothing and reports what a real pass would do. Commits as it goes (one
    transaction per closing and per Due); call it in an application context.
    """
    from tracker.reminders.rules import RULES

    if now is not None and (now.tzinfo is None or now.utcoffset() is None):
        raise ValueError("run_pass needs an aware datetime (UTC or with an offset)")
    now = (now or utcnow()).astimezone(UTC)
    report = PassReport(now=now, dry_run=dry_run)
    context = PassContext(now=now)
    with link_context():
        close_expired(context, report, dry_run=dry_run)
        for rule in RULES:
            run_rule(rule, context, report, dry_run=dry_run)
        send_digests(context, report, dry_run=dry_run)
    _end(dry_run)
    return report


def run_rule(rule: Callable[[PassContext], Iterable[Due]], context: PassContext,
             report: PassReport, *, dry_run: bool = False) -> int:
    """Offer every Due of ``rule``; returns how many Dues it gave. A failing rule is reported."""
    try:
        dues = list(rule(context))
    except Exception as error:  # one broken rule must not stop the others
        db.session.rollback()
        log.exception("reminder rule %s failed", _name(rule))
        report.add("error", action_text(context.now, "error", _name(rule), "-", "",
                                        _error_text(error)))
        return 0
    for due in dues:
        offer(due, context, report, dry_run=dry_run)
    return len(dues)


def send_digests(context: PassContext, report: PassReport, *, dry_run: bool = False) -> None:
    """The daily digests (``tracker.reminders.digest``), after the rules that fill them."""
    try:
        from tracker.reminders.digest import send_digests as send

        send(context, report, dry_run=dry_run)
    except Exception as error:
        db.session.rollback()
        log.exception("daily digests failed")
        report.add("error", action_text(context.now, "error", ReminderRule.DIGEST.value, "-",
                                        "", _error_text(error)))


def _end(dry_run: bool) -> None:
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()


def _name(rule) -> str:
    return getattr(rule, "__name__", str(rule))


# --- Closing -------------------------------------------------------------------------------------


def expired_posting_ids(now: datetime) -> list[int]:
    """Published offers whose deadline (the last instant accepted) has passed, oldest first
    (index (status, deadline))."""
    return list(db.session.scalars(
        sa.select(Posting.id)
        .where(Posting.status == PostingStatus.PUBLISHED, Posting.deadline < now)
        .order_by(Posting.deadline, Posting.id)
    ))


def close_expired(context: PassContext, report: PassReport, *, dry_run: bool = False
                  ) -> list[int]:
    """Close every published offer whose deadline has passed, one per transaction, with its
    closing summary; returns the ids of the offers closed (or that would be)."""
    closed = []
    for posting_id in expired_posting_ids(context.now):
        try:
            if close_one(posting_id, context, report, dry_run=dry_run):
                closed.append(posting_id)
            if not dry_run:
                db.session.commit()
        except Exception as error:
            db.session.rollback()
            log.exception("closing offer %s failed", posting_id)
            report.add("error", action_text(context.now, "error",
                                            ReminderRule.DEADLINE_REACHED.value,
                                            f"posting:{posting_id}", "", _error_text(error)))
    return closed


def close_one(posting_id: int, context: PassContext, report: PassReport, *,
              dry_run: bool = False) -> bool:
    """Close one offer at its deadline (``closed_at`` = the deadline, an audit event by the
    system) and record its closing summary, in the caller's transaction. False if another
    worker (or a person) got there first."""
    now = context.now
    posting = db.session.get(Posting, posting_id) if dry_run else claim_expired(posting_id, now)
    if posting is None:
        return False
    deadline = posting.deadline
    if not dry_run:
        transition(posting, PostingStatus.CLOSED, actor=None, now=deadline)
    report.add("close", action_text(now, "close", ReminderRule.DEADLINE_REACHED.value,
                                    f"posting:{posting_id}", "",
                                    f"closed at the deadline {_stamp(deadline)}"))
    if now - deadline > SUMMARY_MAX_DELAY:
        report.add("skip", action_text(now, "skip", ReminderRule.DEADLINE_REACHED.value,
                                       f"posting:{posting_id}", "",
                                       "no closing summary: the deadline passed more than "
                                       f"{SUMMARY_MAX_DELAY.days} days ago"))
        return True
    summarise(posting, context, report, dry_run=dry_run)
    return True


def summarise(posting: Posting, context: PassContext, report: PassReport, *,
              dry_run: bool = False) -> None:
    """Record and queue the closing summary of ``posting`` in a savepoint of the closing's
    transaction: a summary that fails is reported, and the offer closes all the same (an offer
    left open past its deadline would be worse than a missing summary)."""
    from tracker.reminders.rules.offers import closing_summary

    try:
        with db.session.begin_nested():
            due = closing_summary(posting, context)
            if due is not None:
                record(due, context, report, dry_run=dry_run)
    except Exception as error:
        log.exception("closing summary of offer %s failed", posting.id)
        report.add("error", action_text(context.now, "error",
                                        ReminderRule.DEADLINE_REACHED.value,
                                        f"posting:{posting.id}", "",
                                        f"no closing summary: {_error_text(error)}"))


def claim_expired(posting_id: int, now: datetime) -> Posting | None:
    """The offer, locked for this transaction, if it is still published and expired; None if
    another worker holds it or closed it.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``. SQLite has no row locks: an UPDATE that changes
    nothing takes the database's write lock first, so that a second process waits for the
    first one's commit and then finds the offer closed.
    """
    still_expired = sa.and_(Posting.id == posting_id, Posting.status == PostingStatus.PUBLISHED,
                            Posting.deadline < now)
    if _dialect() == "postgresql":
        return db.session.scalar(
            sa.select(Posting).where(still_expired)
            .with_for_update(skip_locked=True, of=Posting)
            .execution_options(populate_existing=True)
        )
    taken = db.session.execute(
        sa.update(Posting).where(still_expired).values(status=Posting.status)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 0:
        return None
    return db.session.scalar(sa.select(Posting).where(Posting.id == posting_id)
                             .execution_options(populate_existing=True))


# --- Offering a Due ------------------------------------------------------------------------------


def offer(due: Due, context: PassContext, report: PassReport, *, dry_run: bool = False) -> None:
    """Record and queue ``due`` for each of its recipients, in its own transaction; a failure
    is rolled back and reported, never raised."""
    try:
        record(due, context, report, dry_run=dry_run)
        if not dry_run:
            db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("reminder %s failed", due.key)
        report.add("error", action_text(context.now, "error", ReminderRule(due.rule).value,
                                        due_object(due), "", _error_text(error)))


def record(due: Due, context: PassContext, report: PassReport, *, dry_run: bool = False) -> None:
    """Record ``due`` once per recipient and act on each person's choice, in the caller's
    transaction: "never" -> skipped, "digest" -> kept for the digest, "each" -> queued."""
    recipients = unique(due.recipients)
    keys = {r.key: recipient_key(due.key, r) for r in recipients}
    done = existing_keys(keys.values())
    todo = [r for r in recipients if keys[r.key] not in done]
    if not todo:
        return
    modes = recipient_modes(due, todo)
    contexts = _LocaleCache(due.context)
    for recipient in todo:
        mode = modes[recipient.key]
        if dry_run:
            report.add(_WHAT[mode], action_text(context.now, _WHAT[mode],
                                                ReminderRule(due.rule).value, due_object(due),
                                                recipient.address, f"(dry run, {mode})"))
            continue
        _record_one(due, recipient, mode, keys[recipient.key], contexts, context, report)


_WHAT = {NotificationMode.EACH: "queue", NotificationMode.DIGEST: "digest",
         NotificationMode.NEVER: "skip"}


def _record_one(due: Due, recipient: Recipient, mode: NotificationMode, key: str,
                contexts: _LocaleCache, context: PassContext, report: PassReport) -> None:
    rule = ReminderRule(due.rule).value
    values = reminder_values(due, recipient, key, created_at=context.now)

    def done(what: str, extra: str) -> None:
        report.add(what, action_text(context.now, what, rule, due_object(due),
                                     recipient.address, extra))

    if mode == NotificationMode.NEVER:
        if insert_once(**values, status=ReminderStatus.SKIPPED, note=NOTE_NEVER):
            done("skip", "(chose never)")
        return
    if mode == NotificationMode.DIGEST:
        values["detail"]["line"] = _digest_line(due, recipient.locale)
        if insert_once(**values, status=ReminderStatus.DIGEST):
            done("digest", "(kept for the daily digest)")
        return
    reminder_id = insert_once(**values, status=ReminderStatus.QUEUED)
    if reminder_id is None:  # recorded meanwhile by another worker
        return
    rendered = render_for(due, recipient, contexts(recipient.locale))
    try:
        message = queue_message(
            organisation=due.organisation, kind=due.template_kind,
            recipients=[addressed(recipient)],
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            reply_to=due.reply_to or due.organisation.email or "",
            posting=_get(Posting, due.posting_id), application=_application(due),
            locale=recipient.locale, status=MessageStatus.PENDING,
        )
    except ValueError as error:  # an address the outbox refuses
        _update(reminder_id, status=ReminderStatus.SKIPPED,
                note=str(error)[:NOTE_MAX_LENGTH])
        done("skip", f"(address refused: {error})")
        return
    _update(reminder_id, message_id=message.id)
    done("queue", f"(message {message.id}: {rendered.subject})")


def insert_once(**values) -> int | None:
    """Insert a Reminder row unless its key exists (``ON CONFLICT (key) DO NOTHING``), in the
    caller's transaction; returns the new row's id, or None when the key was already there
    (recorded by an earlier pass or, at the same moment, by another worker). Columns not
    given take their defaults (``created_at`` now, ``status`` queued, ``detail`` {})."""
    insert = postgresql_insert if _dialect() == "postgresql" else sqlite_insert
    statement = (insert(Reminder).values(**values)
                 .on_conflict_do_nothing(index_elements=[Reminder.key])
                 .returning(Reminder.id))
    return db.session.execute(statement).scalar()


def reminder_values(due: Due, recipient: Recipient, key: str, **extra) -> dict:
    """The columns of the Reminder row of ``due`` for ``recipient``."""
    return {
        "organisation_id": due.organisation.id,
        "rule": ReminderRule(due.rule).value,
        "key": key,
        "due_at": due.due_at,
        "posting_id": due.posting_id,
        "application_id": due.application_id,
        "interview_id": due.interview_id,
        "user_id": recipient.user_id,
        "recipient": recipient.address,
        "detail": dict(due.detail),
        **extra,
    }


def existing_keys(keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` already recorded (one query on the unique index)."""
    keys = sorted(set(keys))
    if not keys:
        return set()
    return set(db.session.scalars(sa.select(Reminder.key).where(Reminder.key.in_(keys))))


def recipient_modes(due: Due, recipients: list[Recipient]) -> dict[str, NotificationMode]:
    """Each recipient's mode for the Due's notification (one query): their choice for users,
    "each" for outside contacts and for what no choice applies to."""
    if due.notification is None:
        return {r.key: NotificationMode.EACH for r in recipients}
    chosen = modes_for([r.user_id for r in recipients if r.user_id is not None],
                       due.notification)
    return {r.key: chosen.get(r.user_id, NotificationMode.EACH) if r.user_id is not None
            else NotificationMode.EACH for r in recipients}


def render_for(due: Due, recipient: Recipient, values: dict[str, str]) -> RenderedEmail:
    """The email of ``due`` for ``recipient``, in their language."""
    if due.footer:
        return render_reminder(due.organisation, due.template_kind, recipient, values,
                               str(due.notification or ""))
    with force_locale(recipient.locale):
        return render_email(due.organisation, due.template_kind, recipient.locale,
                            {"recipient_name": recipient.name or recipient.address, **values})


def addressed(recipient: Recipient) -> str:
    """'Name <address>' for the To: header; the bare value when it cannot be (the outbox
    then refuses it, or not, on its own terms)."""
    try:
        return with_name(recipient.name, recipient.address)
    except HeaderParseError:
        return recipient.address


class _LocaleCache:
    """``due.context(locale)``, computed once per language, under ``force_locale``."""

    def __init__(self, function: Callable[[str], dict[str, str]]):
        self.function = function
        self.values: dict[str, dict[str, str]] = {}

    def __call__(self, locale: str) -> dict[str, str]:
        if locale not in self.values:
            with force_locale(locale):
                self.values[locale] = self.function(locale)
        return self.values[locale]


def _digest_line(due: Due, locale: str) -> str:
    if due.digest_line is None:
        return due.key
    with force_locale(locale):
        return due.digest_line(locale)


def _update(reminder_id: int, **values) -> None:
    db.session.execute(sa.update(Reminder).where(Reminder.id == reminder_id).values(**values)
                       .execution_options(synchronize_session=False))


def _get(model, object_id: int | None):
    return db.session.get(model, object_id) if object_id is not None else None


def _application(due: Due):
    if due.application_id is None:
        return None
    from tracker.applications.models import Application

    return db.session.get(Application, due.application_id)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- Reporting -----------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_object(due: Due) -> str:
    """'posting:12' (the object named in the Due's key)."""
    parts = due.key.split(":")
    return f"{parts[1]}:{parts[2]}" if len(parts) > 2 else due.key


def action_text(now: datetime, what: str, rule: str, obj: str, recipient: str = "",
                extra: str = "") -> str:
    """One line of the report: '<now> <what> <rule> <object> -> <recipient> <extra>'."""
    text = f"{_stamp(now)} {what} {rule} {obj}"
    if recipient:
        text += f" -> {recipient}"
    if extra:
        text += f" {extra}"
    return text


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]


# --- Links outside a request ------------------------------------------------------------------


@contextmanager
def link_context():
    """Absolute links (``url_for(..., _external=True)``) work in the emails of a pass run from
    the command line: SERVER_NAME when set, else the first TRUSTED_HOSTS with
    PREFERRED_URL_SCHEME, else a local stand-in (with a warning)."""
    config = current_app.config
    if has_request_context() or config.get("SERVER_NAME"):
        yield
        return
    with current_app.test_request_context(base_url=base_url()):
        yield


def base_url() -> str:
    hosts = current_app.config.get("TRUSTED_HOSTS") or []
    scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
    host = next((h for h in hosts if h and not h.startswith(".")), None)
    if host is None:
        log.warning("Neither SERVER_NAME nor TRUSTED_HOSTS is set: links in reminders point "
                    "to %s", FALLBACK_BASE_URL)
        return FALLBACK_BASE_URL
    return f"{scheme}://{host}/"


__all__ = ["SUMMARY_MAX_DELAY", "action_text", "claim_expired", "close_expired", "close_one",
           "due_object", "existing_keys", "insert_once", "link_context", "offer", "record",
           "reminder_values", "run_pass", "run_rule", "send_digests"]
