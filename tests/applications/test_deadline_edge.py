"""The deadline to the second: it is the last instant an application is taken.

One second before (and at the deadline itself) an application is accepted; one second after, it
is refused with a clear message and nothing is recorded. The same line is drawn by the service
(``closed_reason``) and by the reminders' pass, which closes the offer only once the deadline
has passed. The clock is controlled without sleeping: the apply route reads
``tracker.db.utcnow`` through its module (``tracker.applications.routes.utcnow``), replaced here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.applications.apply_support import EN, counts, make_offer, post_application
from tracker.applications import routes, services
from tracker.applications.models import Application
from tracker.db import db
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders import engine
from tracker.reminders.models import Reminder, ReminderRule

SECOND = timedelta(seconds=1)
EMPTY = {"candidate": 0, "application": 0, "submission": 0, "document": 0, "message": 0,
         "message_attachment": 0, "event": 0}


@pytest.fixture
def offer(app):
    return make_offer(app, deadline=factories.future(10))


def deadline_of(app, offer):
    with app.app_context():
        return db.session.get(Posting, offer.id).deadline


def at(monkeypatch, moment) -> None:
    """The web's clock reads ``moment``."""
    monkeypatch.setattr(routes, "utcnow", lambda: moment)


def test_deadline_one_second_after_is_refused_and_nothing_recorded(app, client, offer,
                                                                    monkeypatch):
    at(monkeypatch, deadline_of(app, offer) + SECOND)
    response = post_application(client, offer)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "The deadline has passed: applications were accepted until " in page
    assert "Your application was not sent." in page
    assert counts(app) == EMPTY
    form = client.get(offer.apply_url, headers=EN)  # the form is gone too
    assert "The deadline has passed" in form.get_data(as_text=True)
    assert 'name="cv"' not in form.get_data(as_text=True)


def test_deadline_one_second_before_is_accepted(app, client, offer, monkeypatch):
    deadline = deadline_of(app, offer)
    at(monkeypatch, deadline - SECOND)
    response = post_application(client, offer)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert counts(app)["application"] == 1
    with app.app_context():
        (application,) = db.session.scalars(db.select(Application)).all()
        assert application.submitted_at == deadline - SECOND


def test_deadline_at_the_very_instant_is_accepted(app, client, offer, monkeypatch):
    at(monkeypatch, deadline_of(app, offer))
    assert post_application(client, offer).status_code == 302
    assert counts(app)["application"] == 1


def test_deadline_service_draws_the_same_line(app):
    with app.test_request_context("/", headers=EN):
        posting = factories.posting(factories.organisation(), status=PostingStatus.PUBLISHED)
        deadline = posting.deadline
        assert services.closed_reason(posting, deadline - SECOND) is None
        assert services.closed_reason(posting, deadline) is None
        assert services.closed_reason(posting, deadline + SECOND).startswith(
            "The deadline has passed: applications were accepted until ")
        db.session.rollback()


def test_deadline_pass_closes_the_offer_one_second_after_not_at_it(app):
    offer = make_offer(app, deadline=factories.future(10))
    deadline = deadline_of(app, offer)
    with app.app_context():
        engine.run_pass(now=deadline)
    with app.app_context():
        assert db.session.get(Posting, offer.id).status == PostingStatus.PUBLISHED
        assert summaries(offer) == []
    with app.app_context():
        report = engine.run_pass(now=deadline + SECOND)
        assert report.count("close") == 1
    with app.app_context():
        posting = db.session.get(Posting, offer.id)
        assert (posting.status, posting.closed_at) == (PostingStatus.CLOSED, deadline)
        # The closing summary to the offer's two contacts (to and cc), due at the deadline.
        assert summaries(offer) == [(deadline, "claire.fontaine@example.org"),
                                    (deadline, "ines.moreau@example.org")]


def summaries(offer) -> list[tuple]:
    return [(r.due_at, r.recipient) for r in db.session.scalars(
        sa.select(Reminder).where(Reminder.posting_id == offer.id,
                                  Reminder.rule == ReminderRule.DEADLINE_REACHED.value)
        .order_by(Reminder.recipient))]
