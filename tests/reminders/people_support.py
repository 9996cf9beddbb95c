"""A small office for the tests of people's reminders (interviews, start dates, digests).

Times are in 2030, after the real clock: what the code stamps with the real time (creation
dates) is then always before the moments the tests play with, unless a test sets it.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db
from tracker.mail.models import Message
from tracker.postings.models import ContactRole, PostingContact, PostingStatus
from tracker.reminders.core import PassContext, PassReport
from tracker.reminders.engine import run_rule
from tracker.reminders.models import Reminder, ReminderSettings
from tracker.review.models import Interview, InterviewParticipant, InterviewStatus

PARIS = ZoneInfo("Europe/Paris")
EN = {"Accept-Language": "en"}
_uids = itertools.count(1)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def paris(*parts) -> datetime:
    """A Paris wall-clock time, as UTC."""
    return datetime(*parts, tzinfo=PARIS).astimezone(UTC)


@dataclass
class Office:
    org_id: int
    org_email: str
    admin_id: int
    lead_id: int
    lead_email: str
    other_id: int
    other_email: str
    posting_id: int
    application_id: int
    reference: str
    extra: dict = field(default_factory=dict)


def make_office(*, anonymised: bool = False, lead_locale: str | None = "en",
                candidate_locale: str = "fr", settings: dict | None = None,
                **posting_fields) -> Office:
    """An organisation in Paris, an admin, two hiring leads (the first named on the offer as
    'to', the second in 'cc'), a published offer and Léa Martin's application. Commits."""
    org = factories.organisation(timezone="Europe/Paris", locale="fr")
    admin = factories.user(org, Role.ADMIN, name="Claire Fontaine")
    lead = factories.user(org, Role.LEAD, name="Sami Benali")
    lead.locale = lead_locale
    other = factories.user(org, Role.LEAD, name="Nora Petit")
    contacts = [PostingContact(user=lead, role=ContactRole.TO, position=0),
                PostingContact(user=other, role=ContactRole.CC, position=1)]
    posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=anonymised,
                                contacts=contacts, title="Chargé·e de mission conseils citoyens",
                                **posting_fields)
    factories.reviewer(posting, lead)
    factories.reviewer(posting, other)
    application = factories.application(posting, email="lea.martin@example.com",
                                        locale=candidate_locale)
    if settings is not None:
        db.session.add(ReminderSettings(organisation_id=org.id, **settings))
    db.session.commit()
    return Office(org.id, org.email, admin.id, lead.id, lead.email, other.id, other.email,
                  posting.id, application.id, application.reference)


def add_interview(office: Office, starts_at: datetime, *, changed_at: datetime,
                  participants: list[int] | None = None,
                  status: InterviewStatus = InterviewStatus.SCHEDULED,
                  application_id: int | None = None) -> int:
    """An interview as the interview service leaves it, last changed at ``changed_at``."""
    interview = Interview(
        organisation_id=office.org_id, application_id=application_id or office.application_id,
        starts_at=starts_at, duration_minutes=45, place="12 rue des Lilas, 37000 Tours",
        video_url="", note="Merci de vous présenter à l’accueil.", status=status,
        uid=f"people-{next(_uids)}@example.org", created_at=changed_at, updated_at=changed_at,
    )
    ids = [office.lead_id, office.other_id] if participants is None else participants
    interview.participants = [InterviewParticipant(user_id=user_id) for user_id in ids]
    db.session.add(interview)
    db.session.commit()
    return interview.id


def run(rule, now: datetime) -> PassReport:
    """One rule through the engine, as a pass at ``now`` would run it (commits)."""
    report = PassReport(now=now)
    run_rule(rule, PassContext(now=now), report)
    return report


def messages(kind: str | None = None) -> list[Message]:
    query = sa.select(Message).order_by(Message.id)
    if kind is not None:
        query = query.where(Message.kind == kind)
    return list(db.session.scalars(query))


def reminders(rule: str | None = None) -> list[Reminder]:
    query = sa.select(Reminder).order_by(Reminder.id)
    if rule is not None:
        query = query.where(Reminder.rule == rule)
    return list(db.session.scalars(query))


def submit(posting_id: int, *, first_name: str, last_name: str, email: str,
           now: datetime) -> int:
    """An application through the real service (acknowledgement and notification queued), as
    if sent at ``now``; returns the application's id. Commits."""
    from tracker.applications import services
    from tracker.applications.documents import check_upload
    from tracker.postings.models import Posting

    posting = db.session.get(Posting, posting_id)
    cv = check_upload("CV.pdf", _pdf(), max_bytes=10 * 1024 * 1024)
    result = services.submit_application(
        posting, first_name=first_name, last_name=last_name, email=email, cv=cv,
        message="Bonjour,", locale="fr", now=now,
    )
    db.session.commit()
    return result.application.id


@functools.lru_cache(maxsize=1)
def _pdf() -> bytes:
    from tests.files import make_pdf

    return make_pdf("Curriculum vitae")


def set_mode(user_id: int, kind: str, mode: str) -> None:
    from tracker.reminders.preferences import set_preferences

    set_preferences(user_id, {kind: mode})
    db.session.commit()
