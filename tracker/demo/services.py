"""Loading the demo data. Adds what is missing; never changes or deletes what exists.

Organisations are matched by slug, users by email, offers by (organisation, title). New offers
are created as drafts by the demo admin and published through the normal status change, so they
carry the same audit trail as offers entered by hand. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from tracker.accounts.models import Membership, Organisation, User, normalise_email
from tracker.db import db, utcnow
from tracker.demo import data
from tracker.demo.applications import load_demo_applications
from tracker.postings.models import Posting, PostingContact, PostingStatus
from tracker.postings.services import create_posting, transition
from tracker.review.access import add_contacts_as_reviewers


@dataclass
class DemoReport:
    organisations: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    memberships: int = 0
    postings: list[str] = field(default_factory=list)
    applications: int = 0

    @property
    def created_anything(self) -> bool:
        return bool(self.organisations or self.users or self.memberships or self.postings)


def has_organisations() -> bool:
    return db.session.scalar(sa.select(Organisation.id).limit(1)) is not None


def load_demo(*, now: datetime | None = None) -> DemoReport:
    now = now or utcnow()
    report = DemoReport()

    organisations: dict[str, Organisation] = {}
    for values in data.ORGANISATIONS:
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.slug == values["slug"])
        )
        if organisation is None:
            organisation = Organisation(**values)
            db.session.add(organisation)
            report.organisations.append(values["slug"])
        organisations[values["slug"]] = organisation
    db.session.flush()

    users: dict[str, User] = {}
    for values in data.USERS:
        email = normalise_email(values["email"])
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=values["name"])
            user.set_password(data.DEMO_PASSWORD)
            db.session.add(user)
            db.session.flush()
            report.users.append(email)
        users[email] = user
        for slug, role in values["memberships"].items():
            organisation = organisations[slug]
            exists = db.session.scalar(
                sa.select(Membership.id).where(
                    Membership.user_id == user.id, Membership.organisation_id == organisation.id
                )
            )
            if exists is None:
                db.session.add(Membership(user=user, organisation=organisation, role=role))
                report.memberships += 1
    db.session.flush()

    admin = users[data.ADMIN_EMAIL]
    created: list[Posting] = []
    for spec in data.postings(now):
        organisation = organisations[spec.organisation]
        exists = db.session.scalar(
            sa.select(Posting.id).where(
                Posting.organisation_id == organisation.id, Posting.title == spec.title
            )
        )
        if exists is not None:
            continue
        posting = create_posting(organisation, actor=admin, **spec.fields)
        posting.contacts = [
            PostingContact(
                user=users[normalise_email(c.user_email)] if c.user_email else None,
                name=c.name,
                email=c.email,
                role=c.role,
                position=position,
            )
            for position, c in enumerate(spec.contacts)
        ]
        db.session.flush()
        add_contacts_as_reviewers(posting, posting.contacts)
        transition(posting, PostingStatus.PUBLISHED, actor=admin, now=now)
        report.postings.append(spec.title)
        created.append(posting)
    report.applications = load_demo_applications(created, now=now)
    return report
