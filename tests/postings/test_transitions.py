"""Offer status changes go through one service that refuses illegal moves and audits legal ones."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
import sqlalchemy as sa

from tests import factories
from tracker.audit.models import Event
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus as S
from tracker.postings.rules import TRANSITIONS
from tracker.postings.services import TransitionError, transition

ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
REFUSED = [(a, b) for a in S for b in S if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_transition_allowed_moves_and_records_event(app, start, target):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org)
        posting = factories.posting(org, status=start, actor=admin)
        transition(posting, target, actor=admin)
        db.session.commit()
        assert posting.status == target
        event = db.session.scalars(
            sa.select(Event).where(Event.object_id == posting.id).order_by(Event.id.desc())
        ).first()
        assert event.actor_id == admin.id
        assert event.data["from"] == start.value
        assert event.data["to"] == target.value
        assert event.action.startswith("posting.")


@pytest.mark.parametrize(("start", "target"), REFUSED)
def test_transition_refused_moves_raise_and_change_nothing(app, start, target):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=start)
        events_before = db.session.scalar(sa.select(sa.func.count(Event.id)))
        with pytest.raises(TransitionError):
            transition(posting, target, actor=None)
        assert posting.status == start
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == events_before


def test_publish_refused_when_deadline_passed(app):
    with app.app_context(), force_locale("en"):
        org = factories.organisation()
        posting = factories.posting(org, deadline=utcnow() - timedelta(minutes=1))
        with pytest.raises(TransitionError, match="deadline"):
            transition(posting, S.PUBLISHED, actor=None)
        assert posting.status == S.DRAFT
        assert posting.published_at is None


def test_publish_refused_without_receiving_contact(app):
    with app.app_context(), force_locale("en"):
        org = factories.organisation()
        posting = factories.posting(org, contacts=[])
        with pytest.raises(TransitionError, match="contact"):
            transition(posting, S.PUBLISHED, actor=None)


def test_publish_sets_published_at_once_and_close_sets_closed_at(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=S.PUBLISHED)
        first = posting.published_at
        assert first is not None
        transition(posting, S.CLOSED, actor=None)
        assert posting.closed_at is not None
        transition(posting, S.PUBLISHED, actor=None)  # reopen
        assert posting.published_at == first
        assert posting.closed_at is None


def test_database_refuses_published_posting_without_deadline(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=S.PUBLISHED)
        db.session.commit()
        posting.deadline = None
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
