"""A candidate's rights over an application: withdraw it, or erase it for good.

Both are services: they change the rows, write the audit event and queue the emails in the
caller's transaction (add and flush, never commit). The candidate uses them through their
private link; an admin uses ``erase_application`` for requests received by email or post;
retention (later) will use it too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from sqlalchemy.orm.attributes import set_committed_value

from tracker.accounts.models import User
from tracker.applications.models import Application, Candidate, Document, Submission
from tracker.audit.models import Event
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageAttachment, MessageStatus
from tracker.applications.viewer import forget_previews_after_commit
from tracker.postings.models import ContactRole

log = logging.getLogger(__name__)

WITHDRAW_ACTION = "application.withdraw"
ERASE_ACTION = "application.erase"

# Messages that have not gone out yet: erasing discards them before they go.
UNSENT = (MessageStatus.DRAFT, MessageStatus.PENDING, MessageStatus.SENDING,
          MessageStatus.FAILED)


# --- Withdrawal ------------------------------------------------------------------------------


def withdraw_application(application: Application, *, actor: User | None = None,
                         by: str = "candidate", now: datetime | None = None) -> bool:
    """Mark the application withdrawn and tell the offer's contacts; False if it already was.

    The change is a conditional UPDATE, so two withdrawals at once (a double click) make one
    event and one email, never two.
    """
    now = now or utcnow()
    result = db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id, Application.withdrawn_at.is_(None))
        .values(withdrawn_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # withdrawn already (or erased meanwhile): nothing to do
        db.session.expire(application, ["withdrawn_at"])
        return False
    set_committed_value(application, "withdrawn_at", now)
    _enter_withdrawn_stage(application, actor=actor, now=now)
    record_event(
        organisation_id=application.organisation_id, actor=actor, action=WITHDRAW_ACTION,
        object_type="application", object_id=application.id,
        posting_id=application.posting_id, by=by,
    )
    notify_withdrawal(application)
    return True


def _enter_withdrawn_stage(application: Application, *, actor: User | None,
                           now: datetime) -> None:
    """The pipeline follows the withdrawal: "withdrawn" stage and decision, no answer due."""
    from tracker.review.models import Decision, StageKind
    from tracker.review.stages import discard_answer_drafts, stage_of_kind

    stage = stage_of_kind(application.organisation_id, StageKind.WITHDRAWN)
    if stage is None or application.stage_id == stage.id:
        return
    discard_answer_drafts(application, actor=actor)
    application.stage_id = stage.id
    application.stage_changed_at = now
    application.decision = Decision.WITHDRAWN.value
    application.decision_reason = ""
    application.decided_at = now
    db.session.flush()


def contact_addresses(posting) -> tuple[list[str], list[str]]:
    """(To, Cc) for an email to an offer's contacts: role "to", role "cc", never "info".

    With nobody in "to", the "cc" contacts become the recipients; with nobody at all, the
    organisation's own address. Addresses appear once, case-insensitively.
    """
    def addresses(role: ContactRole) -> list[str]:
        found = [c.display_email.strip() for c in posting.contacts_with_role(role)]
        return list({a.lower(): a for a in reversed(found) if a}.values())[::-1]

    to, cc = addresses(ContactRole.TO), addresses(ContactRole.CC)
    if not to:
        to, cc = cc, []
    if not to and posting.organisation.email:
        to = [posting.organisation.email]
    seen = {a.lower() for a in to}
    return to, [a for a in cc if a.lower() not in seen]


def backoffice_link(application: Application) -> str:
    try:
        return url_for("applications_admin.show", org_slug=application.organisation.slug,
                       application_id=application.id, _external=True)
    except RuntimeError:  # no request and no SERVER_NAME: an email without the link
        return ""


def notify_withdrawal(application: Application) -> Message | None:
    """Queue the "application.withdrawn" email to the offer's contacts (None: nobody to tell)."""
    from tracker.mail.services import queue_message
    from tracker.mail.templates import render_email
    from tracker.review.anonymity import candidate_label

    posting = application.posting
    organisation = application.organisation
    to, cc = contact_addresses(posting)
    if not to:
        return None
    locale = organisation.locale
    with force_locale(locale):  # the contacts are the reviewers: no name while masked
        name = candidate_label(application)
    email = render_email(organisation, "application.withdrawn", locale, {
        "candidate_name": name,
        "reference": application.reference,
        "posting_title": posting.title,
        "organisation_name": organisation.name,
        "backoffice_link": backoffice_link(application),
    })
    try:
        return queue_message(
            organisation=organisation, kind="application.withdrawn", recipients=to, cc=cc,
            subject=email.subject, body_text=email.text, body_html=email.html,
            posting=posting, application=application, locale=locale,
        )
    except ValueError:  # no valid address among the contacts: the withdrawal still stands
        log.warning("withdrawal of application %s: no valid address to tell", application.id)
        return None


# --- Erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    application_id: int
    posting_id: int
    organisation_id: int
    candidate_erased: bool  # False when the candidate has other applications in the org
    documents: int
    messages: int  # every message about the application, sent or not
    messages_unsent: int  # of which never went out (discarded before they could)


def erase_application(application: Application, *, actor: User | None = None,
                      by: str = "candidate") -> Erasure:
    """Delete the application and everything personal about it; keep an anonymous event.

    Goes: the messages about it (and their attachments), its documents, its submissions, the
    application, and the candidate unless they have other applications in the organisation.
    Audit events about these objects lose any data that could name the person.
    """
    application_id = application.id
    posting_id = application.posting_id
    organisation_id = application.organisation_id
    candidate = application.candidate
    candidate_id = candidate.id
    personal = _personal_values(candidate)

    submission_ids = list(db.session.scalars(
        sa.select(Submission.id).where(Submission.application_id == application_id)))
    document_ids = list(db.session.scalars(
        sa.select(Document.id).where(Document.submission_id.in_(submission_ids))))
    # Messages about the application, and any message carrying one of its documents.
    carrying = sa.select(MessageAttachment.message_id).where(
        MessageAttachment.document_id.in_(document_ids))
    messages = db.session.execute(
        sa.select(Message.id, Message.status).where(
            sa.or_(Message.application_id == application_id, Message.id.in_(carrying)))
    ).all()
    message_ids = [row.id for row in messages]
    unsent = sum(1 for row in messages if row.status in UNSENT)

    def delete(model, *conditions) -> None:
        db.session.execute(sa.delete(model).where(*conditions),
                           execution_options={"synchronize_session": "fetch"})

    hashes = set(db.session.scalars(
        sa.select(Document.sha256).where(Document.id.in_(document_ids))))
    delete(MessageAttachment, sa.or_(MessageAttachment.message_id.in_(message_ids),
                                     MessageAttachment.document_id.in_(document_ids)))
    delete(Message, Message.id.in_(message_ids))
    delete(Document, Document.id.in_(document_ids))
    # Previews converted from these documents go too, once the erasure is committed (unless
    # another document has the same bytes).
    still_used = set(db.session.scalars(
        sa.select(Document.sha256).where(Document.sha256.in_(hashes))))
    forget_previews_after_commit(hashes - still_used)
    delete(Submission, Submission.id.in_(submission_ids))
    _empty_inbound_mail(application_id)
    _empty_candidate_mail(organisation_id, candidate.email)
    delete(Application, Application.id == application_id)
    others = db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(Application.candidate_id == candidate_id))
    if others:
        db.session.expire(candidate)
    else:
        delete(Candidate, Candidate.id == candidate_id)

    objects = [("application", [application_id]), ("submission", submission_ids),
               ("document", document_ids)]
    if not others:
        objects.append(("candidate", [candidate_id]))
    _anonymise_events(organisation_id, objects, personal)
    record_event(
        organisation_id=organisation_id, actor=actor, action=ERASE_ACTION,
        object_type="application", object_id=application_id, posting_id=posting_id, by=by,
    )
    return Erasure(
        application_id=application_id, posting_id=posting_id, organisation_id=organisation_id,
        candidate_erased=not others, documents=len(document_ids), messages=len(message_ids),
        messages_unsent=unsent,
    )


def _empty_inbound_mail(application_id: int) -> None:
    """The mails that made the application keep only a tombstone: their key and status (so
    that reading the mailbox again does not bring the application back), nothing personal."""
    from tracker.ingest.models import InboundMail

    db.session.execute(
        sa.update(InboundMail).where(InboundMail.application_id == application_id)
        .values(raw=b"", size=0, from_name="", from_address="", to_addresses=[], subject="",
                note="", error="", candidates=[], application_id=None, submission_id=None)
        .execution_options(synchronize_session="fetch")
    )


def _empty_candidate_mail(organisation_id: int, email: str) -> None:
    """The candidate's other mails to the organisation that made no application (in triage,
    set aside, failed, ignored) keep only a tombstone too: their key and status."""
    from tracker.ingest.models import InboundMail, InboundStatus

    email = (email or "").strip().lower()
    if not email:
        return
    db.session.execute(
        sa.update(InboundMail).where(
            InboundMail.organisation_id == organisation_id,
            sa.func.lower(InboundMail.from_address) == email,
            InboundMail.status != InboundStatus.APPLICATION)
        .values(raw=b"", size=0, from_name="", from_address="", to_addresses=[], subject="",
                note="", error="", candidates=[])
        .execution_options(synchronize_session="fetch")
    )


def was_erased(application_id: int) -> bool:
    """Whether an application of this id was erased (the anonymous event says so)."""
    return db.session.scalar(
        sa.select(sa.func.count(Event.id)).where(
            Event.action == ERASE_ACTION, Event.object_type == "application",
            Event.object_id == application_id)
    ) > 0


# Values an anonymous event may keep: numbers, flags and short machine codes ("form",
# "candidate", "shortlisted"); never free text, names or addresses.
_CODE = re.compile(r"[a-z0-9_.:-]{1,40}")


def _personal_values(candidate: Candidate) -> list[str]:
    values = [candidate.first_name, candidate.last_name, candidate.email, candidate.phone,
              candidate.email.partition("@")[0]]
    return [v.strip().lower() for v in values if v and len(v.strip()) >= 2]


def _anonymous(value: Any, personal: list[str]) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return bool(_CODE.fullmatch(value)) and not any(p in value for p in personal)
    if isinstance(value, list):
        return all(_anonymous(item, personal) for item in value)
    return False


def _anonymise_events(organisation_id: int, objects: list[tuple[str, list[int]]],
                      personal: list[str]) -> None:
    conditions = [
        sa.and_(Event.object_type == kind, Event.object_id.in_(ids))
        for kind, ids in objects if ids
    ]
    events = db.session.scalars(
        sa.select(Event).where(Event.organisation_id == organisation_id, sa.or_(*conditions)))
    for event in events:
        data = event.data or {}
        kept = {key: value for key, value in data.items() if _anonymous(value, personal)}
        if kept != data:
            event.data = kept
    db.session.flush()
