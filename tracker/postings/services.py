"""Posting state changes. Services add and flush; the request (or command) commits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Membership, Organisation, User
from tracker.audit.models import Event
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus
from tracker.postings.rules import ACTIONS, TRANSITIONS, can_move
from tracker.review.access import add_contacts_as_reviewers
from tracker.review.models import Criterion


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
    if (current == PostingStatus.ARCHIVED and target == PostingStatus.CLOSED
            and posting.published_at is None):
        # An archived draft was never public; "closed" needs a publication date.
        raise TransitionError(
            _("This offer was never published: duplicate it to use it again.")
        )
    if target == PostingStatus.PUBLISHED:
        problems = publication_problems(posting, now)
        if problems:
            raise TransitionError(" ".join(problems))
        if posting.published_at is None:
            posting.published_at = now
        posting.closed_at = None
    elif posting.published_at is not None and posting.closed_at is None:
        # Leaving the public board (closed, filled or archived): remember when.
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
    copy_review_settings(source, copy)
    add_contacts_as_reviewers(copy, copy.contacts)
    record_event(organisation_id=source.organisation_id, actor=actor, action="posting.duplicate",
                 object_type="posting", object_id=copy.id, source_id=source.id)
    return copy


def copy_review_settings(source: Posting, copy: Posting) -> None:
    """Next year's offer is judged like this year's: scorecard and screening settings."""
    copy.anonymised = source.anonymised
    copy.reveal_stage_id = source.reveal_stage_id
    copy.reviews_hidden_until_own = source.reviews_hidden_until_own
    db.session.execute(sa.delete(Criterion).where(Criterion.posting_id == copy.id))
    for criterion in db.session.scalars(
        sa.select(Criterion).where(Criterion.posting_id == source.id).order_by(Criterion.position)
    ):
        db.session.add(Criterion(posting_id=copy.id, name=criterion.name,
                                 weight=criterion.weight, position=criterion.position))
    db.session.flush()


# --- Back office: listing, editing, audit trail ----------------------------------------------

# The order offers are listed in: work in progress first, then what is live, then the past.
STATUS_ORDER = (
    PostingStatus.DRAFT,
    PostingStatus.PUBLISHED,
    PostingStatus.CLOSED,
    PostingStatus.FILLED,
    PostingStatus.ARCHIVED,
)


def organisation_postings_query(organisation: Organisation, status: PostingStatus | None = None):
    """SELECT of an organisation's offers for the back-office list, contacts eager-loaded.

    Drafts first, then published offers (soonest deadline first), then closed, filled and
    archived ones (latest deadline first); offers without a deadline after the others.
    """
    rank = sa.case(
        {s.value: i for i, s in enumerate(STATUS_ORDER)},
        value=Posting.status,
        else_=len(STATUS_ORDER),
    )
    upcoming = sa.case(
        (Posting.status.in_([PostingStatus.DRAFT, PostingStatus.PUBLISHED]), Posting.deadline),
        else_=None,
    )
    query = (
        sa.select(Posting)
        .where(Posting.organisation_id == organisation.id)
        .options(selectinload(Posting.contacts).joinedload(PostingContact.user))
        .order_by(
            rank,
            Posting.deadline.is_(None),
            upcoming.asc(),
            Posting.deadline.desc(),
            Posting.id.desc(),
        )
    )
    if status is not None:
        query = query.where(Posting.status == status)
    return query


def status_counts(organisation: Organisation, *where) -> dict[PostingStatus, int]:
    """How many offers the organisation has in each status (zeros included), in one query.

    ``where``: more conditions (the offers a lead reviews).
    """
    rows = db.session.execute(
        sa.select(Posting.status, sa.func.count(Posting.id))
        .where(Posting.organisation_id == organisation.id, *where)
        .group_by(Posting.status)
    ).all()
    counts = {status: 0 for status in STATUS_ORDER}
    for status, count in rows:
        counts[PostingStatus(status)] = count
    return counts


def posting_events(posting: Posting) -> list[Event]:
    """The audit trail of an offer, newest first, with the actors loaded."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.organisation_id == posting.organisation_id,
                Event.object_type == "posting",
                Event.object_id == posting.id,
            )
            .options(joinedload(Event.actor))
            .order_by(Event.created_at.desc(), Event.id.desc())
        )
    )


def available_targets(posting: Posting) -> list[PostingStatus]:
    """The statuses the offer may move to now, in STATUS_ORDER (for the buttons)."""
    current = PostingStatus(posting.status)
    targets = [s for s in STATUS_ORDER if s in TRANSITIONS[current]]
    if current == PostingStatus.ARCHIVED and posting.published_at is None:
        # An archived draft was never public: it cannot come back as "closed".
        targets = [s for s in targets if s != PostingStatus.CLOSED]
    return targets


@dataclass(frozen=True)
class ContactInput:
    """One contact row of the offer form: a member (user_id) or an outside person."""

    user_id: int | None
    name: str
    email: str
    job_title: str
    role: str


def _contact_key(contact: PostingContact) -> tuple:
    return (contact.user_id, contact.name, contact.email, contact.job_title, contact.role)


def _build_contacts(organisation_id: int, rows: list[ContactInput],
                    already_named: set[int] = frozenset()) -> list[PostingContact]:
    """PostingContact objects for the rows; members' name and email are snapshotted.

    A row may name a member of the organisation, or a user ``already_named`` on the offer
    who has left it since (keeping them is not adding them).
    """
    user_ids = {row.user_id for row in rows if row.user_id is not None}
    users = {}
    if user_ids:
        member_ids = set(db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.organisation_id == organisation_id, Membership.user_id.in_(user_ids)
            )
        ))
        allowed = user_ids & (member_ids | set(already_named))
        if allowed:
            users = {u.id: u for u in db.session.scalars(
                sa.select(User).where(User.id.in_(allowed)))}
    contacts = []
    for position, row in enumerate(rows):
        if row.user_id is not None:
            user = users.get(row.user_id)
            if user is None:
                raise ValueError(f"user {row.user_id} may not be named on this offer")
            contacts.append(PostingContact(user_id=user.id, name=user.name, email=user.email,
                                           job_title=row.job_title, role=row.role,
                                           position=position))
        else:
            contacts.append(PostingContact(name=row.name, email=row.email,
                                           job_title=row.job_title, role=row.role,
                                           position=position))
    return contacts


def create_posting_from_form(
    organisation: Organisation, *, actor: User | None, fields: dict, contacts: list[ContactInput]
) -> Posting:
    """A new draft with its contacts (create_posting + the contact rows)."""
    posting = create_posting(organisation, actor=actor, **fields)
    posting.contacts = _build_contacts(organisation.id, contacts)
    db.session.flush()
    add_contacts_as_reviewers(posting, posting.contacts)
    return posting


def update_posting(
    posting: Posting, *, actor: User | None, fields: dict, contacts: list[ContactInput]
) -> list[str]:
    """Apply the form's values to an offer; returns (and audits) the names of changed fields.

    Contacts count as one field, ``contacts``, changed when any row differs.
    """
    changed = []
    for name, value in fields.items():
        if getattr(posting, name) != value:
            setattr(posting, name, value)
            changed.append(name)
    before = [_contact_key(c) for c in posting.contacts]
    already_named = {c.user_id for c in posting.contacts if c.user_id is not None}
    new_contacts = _build_contacts(posting.organisation_id, contacts, already_named)
    if [_contact_key(c) for c in new_contacts] != before:
        posting.contacts = new_contacts
        changed.append("contacts")
    record_edit(posting, actor=actor, changed=changed)
    if "contacts" in changed:
        add_contacts_as_reviewers(posting, posting.contacts)
    return changed


def organisation_members(organisation: Organisation) -> list[User]:
    """The users who can be named as contacts on the organisation's offers, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation.id)
            .order_by(sa.func.lower(User.name), User.email)
        )
    )


def application_counts(posting_ids) -> dict[int, int]:
    """How many applications each offer received (withdrawn ones included), in one query."""
    from tracker.applications.models import Application

    ids = list(posting_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Application.posting_id, sa.func.count(Application.id))
        .where(Application.posting_id.in_(ids))
        .group_by(Application.posting_id)
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({posting_id: count for posting_id, count in rows})
    return counts
