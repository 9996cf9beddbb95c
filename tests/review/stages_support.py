"""Helpers for the pipeline tests (tests/review/test_stages*.py, test_pipeline*.py)."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Role
from tracker.audit.models import Event
from tracker.db import db
from tracker.postings.models import PostingStatus
from tracker.review.models import Stage
from tracker.review.stages import pipeline

EN = {"Accept-Language": "en"}


def stages_by_key(organisation) -> dict[str, Stage]:
    return {s.key: s for s in pipeline(organisation) if s.key}


def without_stage_emails(organisation) -> dict[str, Stage]:
    """The organisation's stages queue no email on entry (tests about moves alone)."""
    stages = stages_by_key(organisation)
    for stage in stages.values():
        stage.email_kind = ""
    db.session.flush()
    return stages


def events(organisation_id: int, action: str | None = None) -> list[Event]:
    query = sa.select(Event).where(Event.organisation_id == organisation_id).order_by(Event.id)
    if action is not None:
        query = query.where(Event.action == action)
    return list(db.session.scalars(query))


def offer_world(*, anonymised: bool = False, emails: bool = False) -> dict:
    """An organisation with an admin, a lead reviewing an offer, and that offer; committed."""
    org = factories.organisation(locale="en")
    admin = factories.user(org, Role.ADMIN)
    lead = factories.user(org, Role.LEAD)
    offer = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin,
                              anonymised=anonymised)
    factories.reviewer(offer, lead)
    stages = stages_by_key(org) if emails else without_stage_emails(org)
    db.session.flush()
    return {"org": org, "admin": admin, "lead": lead, "posting": offer, "stages": stages}
