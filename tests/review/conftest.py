"""Shared set-up of the review tests (comments, reviews, review settings)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db
from tracker.postings.models import PostingStatus
from tracker.review import scoring

EN = {"Accept-Language": "en"}


@dataclass
class ReviewWorld:
    """A published offer with one application; members are given by email."""

    org: str  # the organisation's slug
    admin: str
    lead: str  # reviews the offer
    second_lead: str | None  # reviews the offer too (None: built without)
    idle_lead: str  # a lead of the organisation who does not review the offer
    idle_lead_id: int
    posting_id: int
    application_id: int
    criteria: list[int]  # the offer's 4 default criteria, in order


def make_review_world(*, second_lead: bool = True, idle_name: str = "Ivan Idle") -> ReviewWorld:
    """Build and commit a ReviewWorld (inside an application context)."""
    org = factories.organisation()
    admin = factories.user(org, Role.ADMIN, name="Alice Admin")
    lead = factories.user(org, Role.LEAD, name="Louis Lead")
    second = factories.user(org, Role.LEAD, name="Samia Second") if second_lead else None
    idle = factories.user(org, Role.LEAD, name=idle_name)
    posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
    for reviewer in (lead, second):
        if reviewer is not None:
            factories.reviewer(posting, reviewer)
    application = factories.application(posting)
    criteria = [c.id for c in scoring.criteria(posting)]
    db.session.commit()
    return ReviewWorld(org.slug, admin.email, lead.email, second.email if second else None,
                       idle.email, idle.id, posting.id, application.id, criteria)


@pytest.fixture
def review_world(app) -> Callable[..., ReviewWorld]:
    """review_world(second_lead=True, idle_name="Ivan Idle") builds a ReviewWorld."""

    def build(**options) -> ReviewWorld:
        with app.app_context():
            return make_review_world(**options)

    return build


@pytest.fixture
def outsider(app) -> tuple[str, str]:
    """Another organisation's slug and the email of its admin."""
    with app.app_context():
        other = factories.organisation()
        admin = factories.user(other, Role.ADMIN)
        db.session.commit()
        return other.slug, admin.email
