"""Answers to candidates: the drafts a stage move queues, reviewed and sent by a person.

Entering a stage that has an email (``Stage.email_kind``: "answer.retained" for hired,
"answer.not_retained" for not retained) queues a *draft* message in the outbox, rendered from
the organisation's template in the candidate's language. Nothing reaches the candidate until a
member sends it from the offer's drafts page (``send_draft``, ``send_all_drafts``); sending an
answer sets ``Application.answered_at``, after which the decision stands.

Every function here adds to the session, writes the audit event on the application and
flushes; the caller commits.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker.accounts.models import User
from tracker.applications.models import Application
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageStatus
from tracker.mail.services import queue_message
from tracker.mail.templates import (
    BODY_MAX_LENGTH,
    KINDS,
    SUBJECT_MAX_LENGTH,
    candidate_context,
    normalise_locale,
    one_line,
    render_email,
    text_to_html,
)
from tracker.review import anonymity
from tracker.review.models import Stage, StageKind

log = logging.getLogger(__name__)

ANSWER_PREFIX = "answer."
NOT_RETAINED = "answer.not_retained"


class AnswerError(Exception):
    """A refused action on a draft; ``str(error)`` is a translated message for the user."""


# --- Queueing ------------------------------------------------------------------------------


def answer_context(application: Application, locale: str) -> dict[str, str]:
    """The placeholders of the answer emails for ``application``."""
    from tracker.review.stages import REJECTION_REASONS

    with force_locale(locale):
        reason = REJECTION_REASONS.get(application.decision_reason or "")
        return {
            **candidate_context(application),
            "reason": str(reason) if reason is not None else "",
        }


def waiting_drafts(application: Application, kind: str | None = None) -> list[Message]:
    query = sa.select(Message).where(Message.application_id == application.id,
                                     Message.status == MessageStatus.DRAFT)
    if kind is not None:
        query = query.where(Message.kind == kind)
    return list(db.session.scalars(query.order_by(Message.id)))


def queue_stage_email(application: Application, stage: Stage, *,
                      actor: User | None) -> Message | None:
    """Queue the DRAFT email of ``stage`` (its ``email_kind``) to the candidate; return it.

    A draft of the same kind already waiting for the application is replaced, not stacked.
    Returns None when the stage has no known email or the candidate's address is refused.
    """
    kind = stage.email_kind
    if not kind or kind not in KINDS:
        if kind:
            log.warning("stage %s has an unknown email kind %r", stage.id, kind)
        return None
    return queue_answer(application, kind, actor=actor)


def queue_answer(application: Application, kind: str, *, actor: User | None) -> Message | None:
    locale = normalise_locale(application.locale)
    organisation = application.organisation
    for old in waiting_drafts(application, kind):
        _discard(old, actor=actor, replaced=True)
    rendered = render_email(organisation, kind, locale, answer_context(application, locale))
    try:
        message = queue_message(
            organisation=organisation, kind=kind, recipients=[application.candidate.email],
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            reply_to=organisation.email or "", posting=application.posting,
            application=application, locale=locale, status=MessageStatus.DRAFT,
        )
    except ValueError as error:
        log.error("No %s draft for application %s: %s", kind, application.reference, error)
        return None
    record_event(organisation_id=application.organisation_id, actor=actor,
                 action="message.draft", object_type="application", object_id=application.id,
                 message_id=message.id, kind=kind)
    return message


# --- Acting on drafts ----------------------------------------------------------------------


def _check_draft(message: Message) -> None:
    if message.status != MessageStatus.DRAFT:
        raise AnswerError(_("This email is no longer a draft (it was sent or discarded): it "
                            "cannot be changed."))


def _event(message: Message, action: str, actor: User | None, **data) -> None:
    if message.application_id is not None:
        object_type, object_id = "application", message.application_id
    else:
        object_type, object_id = "message", message.id
    record_event(organisation_id=message.organisation_id, actor=actor, action=action,
                 object_type=object_type, object_id=object_id, message_id=message.id,
                 kind=message.kind, **data)


def send_draft(message: Message, *, actor: User | None) -> Message:
    """Draft -> pending (delivery sends it); an answer marks the application answered."""
    _check_draft(message)
    now = utcnow()
    message.status = MessageStatus.PENDING
    message.next_try_at = now
    if message.kind.startswith(ANSWER_PREFIX) and message.application_id is not None:
        application = db.session.get(Application, message.application_id)
        if application is not None and application.answered_at is None:
            application.answered_at = now
    _event(message, "message.send", actor)
    db.session.flush()
    return message


def offer_drafts(posting) -> list[Message]:
    """The drafts waiting for the offer, oldest first."""
    return list(db.session.scalars(
        sa.select(Message).where(Message.posting_id == posting.id,
                                 Message.organisation_id == posting.organisation_id,
                                 Message.status == MessageStatus.DRAFT)
        .order_by(Message.id)
    ))


def send_all_drafts(posting, *, actor: User | None) -> int:
    """Send every draft of the offer; returns how many."""
    drafts = offer_drafts(posting)
    for message in drafts:
        send_draft(message, actor=actor)
    return len(drafts)


def _discard(message: Message, *, actor: User | None, replaced: bool = False) -> None:
    message.status = MessageStatus.DISCARDED
    message.next_try_at = None
    _event(message, "message.discard", actor, **({"replaced": True} if replaced else {}))


def discard_draft(message: Message, *, actor: User | None) -> Message:
    _check_draft(message)
    _discard(message, actor=actor)
    db.session.flush()
    return message


# Characters nobody types on purpose: control characters (NUL breaks PostgreSQL text), bidi
# overrides, noncharacters. Tabs and line ends stay.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\uffff]"
)


def clean_text(value: str | None) -> str:
    """Typed text without invisible characters, with plain line ends."""
    return _INVISIBLE.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))


def check_draft_text(subject: str, body: str) -> tuple[str, str]:
    """(subject, body) cleaned; raises AnswerError with a message for the form."""
    subject = one_line(clean_text(subject))
    body = clean_text(body).strip("\n")
    if not subject:
        raise AnswerError(_("The subject cannot be empty."))
    if not body.strip():
        raise AnswerError(_("The message cannot be empty."))
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise AnswerError(_("The subject is too long (at most %(n)s characters).",
                            n=SUBJECT_MAX_LENGTH))
    if len(body) > BODY_MAX_LENGTH:
        raise AnswerError(_("The message is too long (at most %(n)s characters).",
                            n=BODY_MAX_LENGTH))
    return subject, body + "\n"


def edit_draft(message: Message, subject: str, body: str, *, actor: User | None) -> Message:
    """Replace the draft's subject and text (the HTML part is made from the text)."""
    _check_draft(message)
    subject, body = check_draft_text(subject, body)
    message.subject = subject
    message.body_text = body
    message.body_html = text_to_html(body, lang=message.locale, title=subject)
    _event(message, "message.edit", actor)
    db.session.flush()
    return message


# --- The offer's answers ---------------------------------------------------------------------


def unanswered_filter(posting_id: int):
    """Applications of the offer still waiting for an answer (withdrawn ones need none)."""
    return sa.and_(Application.posting_id == posting_id, Application.answered_at.is_(None),
                   Application.withdrawn_at.is_(None))


def unanswered_count(posting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(unanswered_filter(posting.id))
    ) or 0


def _has_draft():
    return sa.exists().where(Message.application_id == Application.id,
                             Message.status == MessageStatus.DRAFT)


def _not_retained_without_answer(posting):
    return (
        sa.select(Application)
        .join(Stage, Stage.id == Application.stage_id)
        .where(unanswered_filter(posting.id), Stage.kind == StageKind.REJECTED,
               Application.organisation_id == posting.organisation_id, ~_has_draft())
        .order_by(Application.id)
    )


def not_retained_to_answer_count(posting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_not_retained_without_answer(posting).subquery())
    ) or 0


def answer_not_retained(posting, *, actor: User | None) -> list[Message]:
    """Queue the answer draft of every not-retained candidate with no answer and no draft."""
    drafts = []
    # FOR UPDATE (PostgreSQL): two clicks at once are serialised; the selection is made again
    # under the lock, so the second one skips the drafts the first one queued.
    locked = list(db.session.scalars(
        _not_retained_without_answer(posting).with_only_columns(Application.id)
        .with_for_update(of=Application)
    ))
    selected = _not_retained_without_answer(posting).where(Application.id.in_(locked))
    for application in db.session.scalars(selected).all() if locked else []:
        kind = application.stage.email_kind or NOT_RETAINED
        if kind not in KINDS:
            kind = NOT_RETAINED
        message = queue_answer(application, kind, actor=actor)
        if message is not None:
            drafts.append(message)
    db.session.flush()
    return drafts


@dataclass
class AnswerCounts:
    unanswered: int
    drafts: int
    not_retained_to_answer: int


def answer_counts(posting) -> AnswerCounts:
    drafts = db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(
            Message.posting_id == posting.id, Message.status == MessageStatus.DRAFT)
    ) or 0
    return AnswerCounts(unanswered_count(posting), drafts, not_retained_to_answer_count(posting))


# --- Masked drafts ---------------------------------------------------------------------------
# While the candidate's identity is hidden from reviewers, the draft is shown and edited with
# placeholders in place of their name and address, put back when the draft is saved.

def _identity_tokens(application: Application) -> list[tuple[str, str]]:
    candidate = application.candidate
    pairs = [("{{ candidate_email }}", candidate.email or ""),
             ("{{ candidate_first_name }}", candidate.first_name or ""),
             ("{{ candidate_last_name }}", candidate.last_name or "")]
    return sorted([p for p in pairs if len(p[1].strip()) >= 2],
                  key=lambda p: len(p[1]), reverse=True)


def identity_placeholders(text: str, application: Application) -> str:
    """``text`` with the candidate's names and address as placeholders, nothing else changed:
    what the edit form shows while masked. The answer templates name the candidate only through
    these placeholders, and ``mask_text`` would blank words of the organisation's own text (an
    "Espace Sophie Germain" for an "Anne-Sophie"), which saving would then keep for good."""
    if not anonymity.is_masked(application):
        return text
    for token, value in _identity_tokens(application):
        pattern = r"(?<!\w)" + re.escape(value) + r"(?!\w)"
        text = re.sub(pattern, lambda _m, t=token: t, text, flags=re.IGNORECASE)
    return text


def hide_identity(text: str, application: Application) -> str:
    """``text`` as a reviewer may see it: the identity as placeholders, the rest masked."""
    if not anonymity.is_masked(application):
        return text
    return anonymity.mask_text(identity_placeholders(text, application), application)


def restore_identity(text: str, application: Application) -> str:
    """The reverse of ``hide_identity`` for a text edited while masked."""
    if not anonymity.is_masked(application):
        return text
    for token, value in _identity_tokens(application):
        text = text.replace(token, value)
    return text


def edited_text(submitted: str, stored: str, application: Application) -> str:
    """The text to save from the edit form: the stored one, exactly, when the form's text is
    still what it showed (the placeholders may have swapped a differently cased name), else the
    submitted text with the identity put back."""
    if clean_text(submitted).strip("\n") == clean_text(
            identity_placeholders(stored, application)).strip("\n"):
        return stored
    return restore_identity(submitted, application)
