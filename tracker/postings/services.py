"""Posting state changes. Services add and flush; the request (or command) commits."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from flask_babel import gettext as _

from tracker.accounts.models import Organisation, User
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus
from tracker.postings.rules import ACTIONS, can_move


class TransitionError(Exception):
    """A refused status change; ``str(error)`` is a translated message for the user."""


def slugify(text: str, max_length: int = 100) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "offre"


def publication_problems(posting: Posting, now: datetime) -> list[str]:
    """What stops an offer from going public, in words an admin can act on."""
    problems = []
    if not posting.title.strip():
        problems.append(_("The offer needs a title."))
    if not posting.missions.strip():
        problems.append(_("The offer needs a description of the missions."))
    if posting.deadline is None:
        problems.append(_("The offer needs a deadline."))
    elif posting.deadline <= now:
        problems.append(_("The deadline has passed: move it to a later date first."))
    if not posting.contacts_with_role(ContactRole.TO):
        problems.append(_("The offer needs at least one contact who receives the applications."))
    return problems


def transition(
    posting: Posting, target: PostingStatus | str, *, actor: User | None,
    now: datetime | None = None, reason: str = "",
) -> None:
    """Move an offer to another status, or raise TransitionError. Writes the audit event."""
    now = now or utcnow()
    target = PostingStatus(target)
    current = PostingStatus(posting.status)
    if not can_move(current, target):
        raise TransitionError(
            _(
                "An offer cannot go from “%(current)s” to “%(target)s”.",
                current=_status_label(current),
                target=_status_label(target),
            )
        )
    if target == PostingStatus.PUBLISHED:
        problems = publication_problems(posting, now)
        if problems:
            raise TransitionError(" ".join(problems))
        if posting.published_at is None:
            posting.published_at = now
        posting.closed_at = None
    elif target == PostingStatus.CLOSED and current == PostingStatus.PUBLISHED:
        posting.closed_at = now
    elif target == PostingStatus.ARCHIVED and posting.closed_at is None and posting.published_at:
        posting.closed_at = now
    posting.status = target
    record_event(
        organisation_id=posting.organisation_id,
        actor=actor,
        action=f"posting.{ACTIONS[(current, target)]}",
        object_type="posting",
        object_id=posting.id,
        **{"from": current.value, "to": target.value, **({"reason": reason} if reason else {})},
    )
    db.session.flush()


def _status_label(status: PostingStatus) -> str:
    from tracker.postings.display import STATUS_LABELS

    return str(STATUS_LABELS[status])


def create_posting(organisation: Organisation, *, actor: User | None, **fields) -> Posting:
    posting = Posting(organisation=organisation, created_by=actor, status=PostingStatus.DRAFT,
                      **fields)
    posting.slug = slugify(posting.title)
    db.session.add(posting)
    db.session.flush()
    record_event(organisation_id=organisation.id, actor=actor, action="posting.create",
                 object_type="posting", object_id=posting.id)
    return posting


def record_edit(posting: Posting, *, actor: User | None, changed: list[str]) -> None:
    posting.slug = slugify(posting.title)
    db.session.flush()
    if changed:
        record_event(organisation_id=posting.organisation_id, actor=actor, action="posting.edit",
                     object_type="posting", object_id=posting.id, fields=sorted(changed))


COPIED_FIELDS = (
    "title", "reference", "contract_type", "presentation", "context", "missions", "profile",
    "diploma", "experience", "duration_min_months", "duration_max_months", "closure_note",
    "working_time", "hours_per_week", "schedule_note", "city", "postal_code", "region",
    "places", "travel", "remote", "remote_note", "pay_kind", "pay_min", "pay_max",
    "pay_period", "pay_basis", "pay_note", "benefits", "collective_agreement", "asks_cv",
    "asks_letter", "other_documents", "deadline_end_of_day", "subject_line", "accepts_email",
    "answer_promise",
)


def duplicate_posting(source: Posting, *, actor: User | None) -> Posting:
    """A new draft from an earlier offer (next year's internship from last year's).

    Dates and the deadline are left empty on purpose: they must be chosen again, and an old
    deadline copied over would be a trap.
    """
    copy = Posting(
        organisation_id=source.organisation_id,
        created_by=actor,
        status=PostingStatus.DRAFT,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
    )
    copy.slug = slugify(copy.title)
    copy.contacts = [
        PostingContact(user_id=c.user_id, name=c.name, email=c.email, job_title=c.job_title,
                       role=c.role, position=c.position)
        for c in source.contacts
    ]
    db.session.add(copy)
    db.session.flush()
    record_event(organisation_id=source.organisation_id, actor=actor, action="posting.duplicate",
                 object_type="posting", object_id=copy.id, source_id=source.id)
    return copy
