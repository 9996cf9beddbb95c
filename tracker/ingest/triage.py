"""What the triage pages show (tracker.ingest.routes): the organisation's received emails by
status, searched and paginated, and one email read again from its stored bytes (headers,
text, attachments with the checks the form's uploads get, the offers considered).

Read-only: the changes (attach, set aside, try again) are ``tracker.ingest.services``'.
Everything is scoped to one organisation: another organisation's email is unknown here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import undefer

from tracker.applications.models import Application
from tracker.db import db
from tracker.ingest import parse
from tracker.ingest.models import InboundMail, InboundStatus
from tracker.ingest.services import Verdict, read_documents
from tracker.postings.display import STATUS_LABELS as POSTING_STATUS
from tracker.postings.models import Posting, PostingStatus

log = logging.getLogger(__name__)

# The list's tabs, in order (the first is the default).
TABS = (InboundStatus.TRIAGE, InboundStatus.ERROR, InboundStatus.SET_ASIDE,
        InboundStatus.IGNORED, InboundStatus.APPLICATION)
STATUS_LABELS = {
    InboundStatus.TRIAGE: _l("To triage"),
    InboundStatus.ERROR: _l("Errors"),
    InboundStatus.SET_ASIDE: _l("Set aside"),
    InboundStatus.IGNORED: _l("Ignored"),
    InboundStatus.APPLICATION: _l("Applications"),
}
# One email's status, in the singular (badges).
STATUS_BADGES = {
    InboundStatus.TRIAGE: _l("To triage"),
    InboundStatus.ERROR: _l("Error"),
    InboundStatus.SET_ASIDE: _l("Set aside"),
    InboundStatus.IGNORED: _l("Ignored"),
    InboundStatus.APPLICATION: _l("Application"),
}
VERDICT_LABELS = {
    "cv": _l("Kept as the CV"),
    "letter": _l("Kept as the cover letter"),
    "other": _l("Kept as another document"),
    "refused": _l("Refused"),
    "unreadable": _l("Unreadable"),
    "not_kept": _l("Not kept"),
    "": _l("Valid"),
}
SEARCH_MAX = 200


def status_from(value: str | None) -> InboundStatus:
    try:
        status = InboundStatus(value or "")
    except ValueError:
        return TABS[0]
    return status if status in TABS else TABS[0]


def search_text(value: str | None) -> str:
    return " ".join((value or "").replace("\x00", "").split())[:SEARCH_MAX]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def mails_query(organisation_id: int, status: InboundStatus, q: str = "") -> sa.Select:
    """The organisation's emails of one status, newest first; ``q`` searches the subject and
    the sender (name and address), case-insensitively."""
    query = (
        sa.select(InboundMail)
        .where(InboundMail.organisation_id == organisation_id, InboundMail.status == status)
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
    )
    for word in q.split():
        pattern = _like(word)
        query = query.where(sa.or_(
            InboundMail.subject.ilike(pattern, escape="\\"),
            InboundMail.from_name.ilike(pattern, escape="\\"),
            InboundMail.from_address.ilike(pattern, escape="\\"),
        ))
    return query


def status_counts(organisation_id: int) -> dict[InboundStatus, int]:
    counts = dict.fromkeys(TABS, 0)
    for value, number in db.session.execute(
        sa.select(InboundMail.status, sa.func.count())
        .where(InboundMail.organisation_id == organisation_id)
        .group_by(InboundMail.status)
    ):
        counts[InboundStatus(value)] = number
    return counts


def postings_by_id(organisation_id: int, ids) -> dict[int, Posting]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(
        sa.select(Posting).where(Posting.id.in_(ids), Posting.organisation_id == organisation_id)
    )}


def mail_or_404(organisation_id: int, inbound_id: int, *, with_raw: bool = False
                ) -> InboundMail:
    query = sa.select(InboundMail).where(InboundMail.id == inbound_id,
                                         InboundMail.organisation_id == organisation_id)
    if with_raw:
        query = query.options(undefer(InboundMail.raw))
    mail = db.session.scalar(query)
    if mail is None:
        abort(404)
    return mail


def offer_choices(organisation_id: int) -> list[tuple[int, str]]:
    """The offers an email can be attached to: every offer of the organisation but drafts,
    open ones first, then by title."""
    order = sa.case((Posting.status == PostingStatus.PUBLISHED, 0), else_=1)
    postings = db.session.scalars(
        sa.select(Posting)
        .where(Posting.organisation_id == organisation_id, Posting.status != PostingStatus.DRAFT)
        .order_by(order, Posting.title, Posting.id)
    )
    choices = []
    for posting in postings:
        parts = [posting.title]
        if posting.reference:
            parts.append(f"({posting.reference})")
        label = " ".join(parts)
        if posting.status != PostingStatus.PUBLISHED:
            label += f" – {POSTING_STATUS.get(posting.status, posting.status)}"
        choices.append((posting.id, label))
    return choices


# --- One email ----------------------------------------------------------------------------------


@dataclass
class Considered:
    posting: Posting
    score: float | None
    chosen: bool  # the offer the mail went to (or the closest one)


@dataclass
class MailView:
    mail: InboundMail
    text: str = ""
    verdicts: list[Verdict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    considered: list[Considered] = field(default_factory=list)
    posting: Posting | None = None
    application: Application | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    forwarded_by: str = ""
    unreadable: str = ""  # why the stored bytes could not be read again
    erased: bool = False  # the application was erased: only a tombstone remains


HEADERS = ("Message-ID", "Date", "From", "Reply-To", "To", "Cc", "Delivered-To")


def _headers(raw: bytes) -> list[tuple[str, str]]:
    message = parse.read_message(raw)
    found = []
    for name in HEADERS:
        value = parse.header_text(message, name)
        if value:
            found.append((name, value))
    return found


def mail_view(mail: InboundMail) -> MailView:
    """Everything the email's page shows. The attachments' verdicts are those of the form's
    checks, made again now (in the current language)."""
    view = MailView(mail=mail, erased=not mail.raw)
    ids = [c.get("posting_id") for c in mail.candidates or [] if isinstance(c, dict)]
    postings = postings_by_id(mail.organisation_id, [*ids, mail.posting_id])
    view.posting = postings.get(mail.posting_id)
    for candidate in mail.candidates or []:
        posting = postings.get(candidate.get("posting_id")) if isinstance(candidate, dict) \
            else None
        if posting is not None:
            view.considered.append(Considered(posting, candidate.get("score"),
                                              posting.id == mail.posting_id))
    if mail.application_id is not None:
        view.application = db.session.get(Application, mail.application_id)
    if view.erased:
        return view
    try:
        view.headers = _headers(mail.raw)
        parsed = parse.parse_mail(mail.raw)
        view.text = parsed.text
        view.ignored = list(parsed.ignored)
        if parsed.forwarded and parsed.forwarded_by is not None:
            view.forwarded_by = parsed.forwarded_by.address or parsed.forwarded_by.name
        view.verdicts = read_documents(parsed).verdicts
    except Exception as error:  # noqa: BLE001 - a page about a broken mail must still open
        log.warning("inbound mail %s could not be read again: %r", mail.id, error)
        view.unreadable = f"{type(error).__name__}: {error}"[:300]
    return view
