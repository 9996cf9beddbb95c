"""Shared set-up of the reminder tests: local times, offers at any dates, the pass, what it left.

Everything here is generic (other reminder tests import it):

- ``local("2026-03-13 08:00")``: a wall-clock time in Europe/Paris (or ``tz=``) as aware UTC.
- ``published_offer(org, deadline=..., published_at=...)`` / ``closed_offer(org, closed_at=...)``:
  offers at any dates, past ones included (the factories publish "now", and refuse a deadline
  in the past); ``contact(...)`` builds a PostingContact (a user, or an outside person).
- ``offer_world`` fixture: ``offer_world(deadline=..., ...)`` builds and commits an
  organisation in Europe/Paris with an admin, a lead who is the offer's "to" contact and a
  reviewer, an outside "cc" contact and one published offer; returns an ``OfferWorld`` of ids.
- ``remind`` fixture: ``remind(now, dry_run=False)`` runs one pass in a fresh application
  context (as the worker does) and returns its PassReport.
- ``reminder_rows()``, ``reminder_keys()``, ``messages(kind=None)``: what the passes left,
  oldest first (call inside an application context).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Organisation, Role, User
from tracker.db import db
from tracker.mail.models import Message
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus
from tracker.reminders.core import PassReport
from tracker.reminders.models import Reminder

EN = {"Accept-Language": "en"}
PARIS = "Europe/Paris"
OUTSIDE_EMAIL = "ines.moreau@example.net"


def local(text: str, tz: str = PARIS) -> datetime:
    """'2026-03-13 08:00' (or '2026-03-13 08:00:30') on the wall clock of ``tz``, as UTC."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def contact(user: User | None = None, *, name: str = "", email: str = "",
            role: ContactRole = ContactRole.TO, position: int = 0) -> PostingContact:
    """A contact of an offer: a user (their name and address copied, as the form does) or an
    outside person (``name`` and ``email``)."""
    if user is not None:
        return PostingContact(user=user, name=name or user.name, email=email or user.email,
                              role=role, position=position)
    return PostingContact(name=name, email=email, role=role, position=position)


def published_offer(org: Organisation, *, deadline: datetime,
                    published_at: datetime | None = None,
                    contacts: list[PostingContact] | None = None, **fields) -> Posting:
    """A published offer with this deadline, published at ``published_at`` (default: 30 days
    before the deadline), whatever today's date. Flushes."""
    posting = factories.posting(org, status=PostingStatus.DRAFT, deadline=deadline,
                                contacts=contacts, **fields)
    posting.status = PostingStatus.PUBLISHED
    posting.published_at = published_at or deadline - timedelta(days=30)
    posting.closed_at = None
    db.session.flush()
    return posting


def closed_offer(org: Organisation, *, closed_at: datetime, deadline: datetime | None = None,
                 status: PostingStatus = PostingStatus.CLOSED, **fields) -> Posting:
    """An offer closed (or filled) at ``closed_at``; its deadline defaults to that instant."""
    deadline = deadline or closed_at
    posting = published_offer(org, deadline=deadline, **fields)
    posting.status = status
    posting.closed_at = closed_at
    db.session.flush()
    return posting


@dataclass
class OfferWorld:
    org_id: int
    org_slug: str
    admin_id: int
    admin_email: str
    lead_id: int  # the offer's "to" contact, a reviewer
    lead_email: str
    reviewer_id: int  # a second reviewer, not a contact
    reviewer_email: str
    outside_email: str  # the offer's "cc" contact, without an account
    posting_id: int


def make_offer_world(*, deadline: datetime, published_at: datetime | None = None,
                     status: PostingStatus = PostingStatus.PUBLISHED,
                     closed_at: datetime | None = None, locale: str = "fr", tag: str = "",
                     **fields) -> OfferWorld:
    """Build and commit an OfferWorld (inside an application context); ``locale`` is the
    organisation's language, hence its members' emails' (they have none of their own);
    ``tag`` goes into the members' addresses (alice<tag>@example.org), for a second world."""
    org = factories.organisation(name="Villes au carré", timezone=PARIS, locale=locale,
                                 email="recrutement@example.org")
    admin = factories.user(org, Role.ADMIN, name="Alice Admin", email=f"alice{tag}@example.org")
    lead = factories.user(org, Role.LEAD, name="Louis Lead", email=f"louis{tag}@example.org")
    second = factories.user(org, Role.LEAD, name="Samia Second",
                            email=f"samia{tag}@example.org")
    contacts = [contact(lead, role=ContactRole.TO, position=0),
                contact(name="Inès Moreau", email=OUTSIDE_EMAIL, role=ContactRole.CC,
                        position=1)]
    if status == PostingStatus.PUBLISHED:
        posting = published_offer(org, deadline=deadline, published_at=published_at,
                                  contacts=contacts, **fields)
    else:
        posting = closed_offer(org, closed_at=closed_at or deadline, deadline=deadline,
                               published_at=published_at, contacts=contacts, status=status,
                               **fields)
    factories.reviewer(posting, lead)
    factories.reviewer(posting, second)
    db.session.commit()
    return OfferWorld(org.id, org.slug, admin.id, admin.email, lead.id, lead.email, second.id,
                      second.email, OUTSIDE_EMAIL, posting.id)


@pytest.fixture
def offer_world(app) -> Callable[..., OfferWorld]:
    """offer_world(deadline=..., published_at=None, status=PUBLISHED, closed_at=None,
    locale="fr", tag="", **fields) -> OfferWorld."""

    def build(**options) -> OfferWorld:
        with app.app_context():
            return make_offer_world(**options)

    return build


@pytest.fixture
def remind(app) -> Callable[..., PassReport]:
    """remind(now, dry_run=False): one pass in its own application context."""
    from tracker.reminders.engine import run_pass

    def run(now: datetime, *, dry_run: bool = False) -> PassReport:
        with app.app_context():
            report = run_pass(now, dry_run=dry_run)
            db.session.remove()
            return report

    return run


def reminder_rows() -> list[Reminder]:
    return list(db.session.scalars(sa.select(Reminder).order_by(Reminder.id)))


def reminder_keys(rule: str | None = None) -> list[str]:
    """Keys of the reminders recorded (of ``rule`` only, if given), oldest first."""
    return [row.key for row in reminder_rows() if rule is None or row.rule == rule]


KEY_PATTERN = re.compile(r"(?P<rule>[a-z_]+):(?P<object>[a-z_]+:\d+):"
                         r"(?P<due>\d{4}-\d\d-\d\dT\d\d:\d\dZ)(?::(?P<rest>.*))?")


def key_parts(key: str) -> dict[str, str]:
    """'deadline_approaching:posting:3:2026-03-13T07:00Z:d7:u5' -> {"rule":
    "deadline_approaching", "object": "posting:3", "due": "2026-03-13T07:00Z", "rest":
    "d7:u5"}."""
    match = KEY_PATTERN.fullmatch(key)
    assert match, key
    return {name: value or "" for name, value in match.groupdict().items()}


def messages(kind: str | None = None) -> list[Message]:
    query = sa.select(Message).order_by(Message.id)
    if kind is not None:
        query = query.where(Message.kind == kind)
    return list(db.session.scalars(query))
