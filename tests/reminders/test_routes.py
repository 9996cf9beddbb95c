"""The back office of reminders: an offer's page (planned and sent) and the organisation's
reminder settings, through the web."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Role, User
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.services import queue_message
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders import routes
from tracker.reminders.models import Reminder, ReminderRule, ReminderSettings, ReminderStatus
from tracker.review.models import Interview, InterviewParticipant

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}
NBSP = "\u00a0"
DEADLINE = datetime(2026, 3, 20, 22, 59, 59, tzinfo=UTC)  # Friday 20 March, 23:59:59 Paris
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class World:
    org: str
    org_id: int
    admin: str
    lead: str
    idle_lead: str
    outsider: str
    posting_id: int
    application_id: int = 0
    reference: str = ""

    @property
    def offer_url(self) -> str:
        return f"/gestion/{self.org}/offres/{self.posting_id}/rappels"

    @property
    def settings_url(self) -> str:
        return f"/gestion/{self.org}/rappels"


@pytest.fixture
def clock(monkeypatch):
    """The back office's clock (``utcnow`` as the reminders' routes read it)."""
    monkeypatch.setattr(routes, "utcnow", lambda: NOW)


def make_world(app, *, anonymised=False, status=PostingStatus.PUBLISHED) -> World:
    with app.app_context():
        org = factories.organisation(timezone="Europe/Paris")
        admin = factories.user(org, Role.ADMIN, name="Aline Admin")
        lead = factories.user(org, Role.LEAD, name="Nora Relectrice")
        idle = factories.user(org, Role.LEAD)
        outsider = factories.user(factories.organisation(), Role.ADMIN)
        posting = factories.posting(org, status=status, anonymised=anonymised)
        posting.deadline, posting.published_at = DEADLINE, datetime(2026, 3, 1, tzinfo=UTC)
        if status != PostingStatus.PUBLISHED:
            posting.closed_at = DEADLINE
        factories.reviewer(posting, lead)
        application = factories.application(posting, first_name="Léa", last_name="Martin",
                                            email="lea.martin@example.com")
        db.session.commit()
        return World(org.slug, org.id, admin.email, lead.email, idle.email, outsider.email,
                     posting.id, application.id, application.reference)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def add_reminders(app, world: World, count: int, *, start: int = 0, queued=False) -> None:
    """``count`` reminders of the offer: skipped, or (``queued``) each with its own email,
    about the application, to a user of its own."""
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        for n in range(start, start + count):
            row = Reminder(organisation_id=world.org_id,
                           rule=ReminderRule.DEADLINE_APPROACHING.value,
                           key=f"test:{world.posting_id}:{n}", posting_id=world.posting_id,
                           due_at=datetime(2026, 3, 13, 7, 0, tzinfo=UTC),
                           recipient=f"contact{n}@example.org",
                           status=ReminderStatus.SKIPPED.value, note=f"note {n}")
            if queued:
                row.status = ReminderStatus.QUEUED.value
                row.application_id = world.application_id
                row.user_id = factories.user(posting.organisation, Role.LEAD).id
                row.message_id = queue_message(
                    organisation=posting.organisation, kind="reminder.deadline_approaching",
                    recipients=[row.recipient], subject="Rappel", body_text="Bonjour",
                    posting=posting).id
            db.session.add(row)
        db.session.commit()


# --- The offer's page --------------------------------------------------------------------------


def test_offer_page_shows_the_planned_reminders_in_english(app, client, login, clock):
    world = make_world(app)
    login(world.admin)
    response = client.get(world.offer_url, headers=EN)
    assert response.status_code == 200
    text = page(response)
    assert "Reminders of the offer" in text
    assert re.search(r"Friday, March 13, 2026 at 8:00\W+AM", text)
    assert re.search(r"Friday, March 20, 2026 at 11:59\W+PM", text)  # the closing
    assert "Deadline approaching" in text and "Closing summary" in text
    assert "Applications close in 7 days" in text
    assert "No reminder yet." in text
    assert f'href="/gestion/{world.org}/rappels"' in text  # admins: the settings


def test_offer_page_in_french_reads_the_organisations_time(app, client, login, clock):
    world = make_world(app)
    login(world.admin)
    text = page(client.get(world.offer_url, headers=FR))
    assert f"vendredi 13{NBSP}mars 2026 à 8{NBSP}h{NBSP}00" in text
    # After the change to summer time (29 March), still 8:00 local.
    assert f"vendredi 3{NBSP}avril 2026 à 8{NBSP}h{NBSP}00" in text


def test_offer_page_for_its_reviewers_not_for_other_leads(app, client, login, clock):
    world = make_world(app)
    login(world.lead)
    response = client.get(world.offer_url, headers=EN)
    assert response.status_code == 200
    assert f'href="/gestion/{world.org}/rappels"' not in page(response)  # not an admin
    client.post("/deconnexion")
    login(world.idle_lead)
    assert client.get(world.offer_url, headers=EN).status_code == 404
    client.post("/deconnexion")
    login(world.outsider)
    assert client.get(world.offer_url, headers=EN).status_code == 404


def test_offer_page_asks_anonymous_visitors_to_log_in(app, client):
    world = make_world(app)
    response = client.get(world.offer_url, headers=EN)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_offer_page_lists_the_reminders_sent_newest_first_paginated(app, client, login, clock,
                                                                    monkeypatch):
    world = make_world(app)
    add_reminders(app, world, 3)
    monkeypatch.setitem(app.config, "ADMIN_PAGE_SIZE", 2)
    login(world.admin)
    first = page(client.get(world.offer_url, headers=EN))
    assert first.count('<tr id="reminder-') == 2
    assert "contact2@example.org" in first and "contact0@example.org" not in first
    assert "Not sent" in first and "note 2" in first
    assert "Page 1 of 2" in first
    second = page(client.get(world.offer_url + "?page=2", headers=EN))
    assert second.count('<tr id="reminder-') == 1
    assert "contact0@example.org" in second
    assert client.get(world.offer_url + "?page=zz", headers=EN).status_code == 200


def test_offer_page_statements_do_not_grow_with_the_reminders(app, client, login, clock,
                                                              queries):
    world = make_world(app)
    add_reminders(app, world, 3, queued=True)
    login(world.admin)
    client.get(world.offer_url, headers=EN)  # warm up (first-request work)
    with queries() as few:
        assert client.get(world.offer_url, headers=EN).status_code == 200
    add_reminders(app, world, 297, start=3, queued=True)
    with queries() as many:
        assert client.get(world.offer_url, headers=EN).status_code == 200
    assert few() == many()


def test_offer_page_keeps_a_masked_candidate_hidden(app, client, login, clock):
    world = make_world(app, anonymised=True, status=PostingStatus.CLOSED)
    with app.app_context():
        interview = Interview(organisation_id=world.org_id, application_id=world.application_id,
                              starts_at=datetime(2026, 3, 12, 13, 30, tzinfo=UTC),
                              uid="masked@example.org")
        reviewer = db.session.scalar(sa.select(User).where(User.email == world.lead))
        interview.participants = [InterviewParticipant(user_id=reviewer.id)]
        db.session.add(interview)
        db.session.flush()
        db.session.add(Reminder(
            organisation_id=world.org_id, rule=ReminderRule.INTERVIEW_TOMORROW.value,
            key="masked", interview_id=interview.id, recipient="lea.martin@example.com",
            due_at=datetime(2026, 3, 11, 7, 0, tzinfo=UTC), status=ReminderStatus.SKIPPED.value,
            note="Refused address lea.martin@example.com (Léa Martin)"))
        db.session.commit()
    login(world.lead)
    text = page(client.get(world.offer_url, headers=EN))
    assert f"Candidate {world.reference}" in text
    assert "Interview tomorrow" in text
    for secret in ("Martin", "lea.martin", "06 12 34 56 78"):
        assert secret not in text, secret


def test_offer_page_of_a_draft_plans_nothing(app, client, login, clock):
    world = make_world(app)
    with app.app_context():
        draft = factories.posting(db.session.get(Posting, world.posting_id).organisation)
        db.session.commit()
        url = f"/gestion/{world.org}/offres/{draft.id}/rappels"
    login(world.admin)
    assert "Nothing is planned until the offer is published." in page(client.get(url, headers=EN))


def test_offer_page_is_linked_from_the_offer(app, client, login):
    world = make_world(app)
    login(world.lead)
    text = page(client.get(f"/gestion/{world.org}/offres/{world.posting_id}", headers=EN))
    assert f'href="{world.offer_url}"' in text


# --- The settings ------------------------------------------------------------------------------


VALID = {
    "send_hour": "9", "deadline_enabled": "y", "deadline_days": "10, 3 ,1",
    "reviews_enabled": "y", "reviews_after_days": "2", "reviews_repeat_days": "5",
    "reviews_max": "4", "unanswered_enabled": "y", "unanswered_after_days": "21",
    "unanswered_repeat_days": "14", "interview_enabled": "y", "interview_to_candidate": "y",
    "start_enabled": "y", "start_days": "10",
}


def settings_row(app, world: World) -> ReminderSettings | None:
    with app.app_context():
        row = db.session.get(ReminderSettings, world.org_id)
        if row is not None:
            db.session.expunge(row)
        return row


def events(app, world: World) -> list[dict]:
    with app.app_context():
        return [e.data for e in db.session.scalars(
            sa.select(Event).where(Event.organisation_id == world.org_id,
                                   Event.action == "reminders.settings"))]


def test_settings_page_shows_the_defaults(app, client, login):
    world = make_world(app)
    login(world.admin)
    response = client.get(world.settings_url, headers=EN)
    assert response.status_code == 200
    text = page(response)
    assert "Reminder settings" in text
    assert re.search(r'name="deadline_days"[^>]*value="7, 1"', text)
    assert re.search(r'<option selected value="8">8:00\W+AM</option>', text)
    assert re.search(r'name="reviews_max"[^>]*value="3"', text)
    assert settings_row(app, world) is None


def test_settings_first_save_creates_the_row_with_an_audit_event(app, client, login):
    world = make_world(app)
    login(world.admin)
    response = client.post(world.settings_url, data=VALID, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(world.settings_url)
    row = settings_row(app, world)
    assert (row.send_hour, row.deadline_days, row.reviews_after_days, row.reviews_repeat_days,
            row.reviews_max, row.unanswered_after_days, row.unanswered_repeat_days,
            row.interview_to_candidate, row.start_enabled, row.start_days) == (
        9, [10, 3, 1], 2, 5, 4, 21, 14, True, True, 10)
    (event,) = events(app, world)
    assert set(event["fields"]) == {
        "send_hour", "deadline_days", "reviews_after_days", "reviews_repeat_days",
        "reviews_max", "unanswered_after_days", "unanswered_repeat_days",
        "interview_to_candidate", "start_enabled", "start_days"}
    text = page(client.get(world.settings_url, headers=EN))
    assert "The reminder settings are saved" in text
    assert re.search(r'name="deadline_days"[^>]*value="10, 3, 1"', text)


def test_settings_saved_change_the_planning(app, client, login, clock):
    world = make_world(app)
    login(world.admin)
    client.post(world.settings_url, data=dict(VALID, deadline_days="2"), headers=EN)
    text = page(client.get(world.offer_url, headers=EN))
    assert re.search(r"Wednesday, March 18, 2026 at 9:00\W+AM", text)
    assert "Friday, March 13" not in text


def test_settings_unchanged_writes_nothing(app, client, login):
    world = make_world(app)
    login(world.admin)
    defaults = dict(VALID, send_hour="8", deadline_days="7, 1", reviews_after_days="3",
                    reviews_repeat_days="7", reviews_max="3", unanswered_after_days="14",
                    unanswered_repeat_days="7", interview_to_candidate=None,
                    start_enabled=None, start_days="7")
    defaults = {k: v for k, v in defaults.items() if v is not None}
    response = client.post(world.settings_url, data=defaults, headers=EN,
                           follow_redirects=True)
    assert "Nothing to save: the settings were not changed." in page(response)
    assert settings_row(app, world) is None
    assert events(app, world) == []


def test_settings_turning_off_keeps_the_days(app, client, login):
    world = make_world(app)
    login(world.admin)
    data = {k: v for k, v in VALID.items() if k != "deadline_enabled"}
    client.post(world.settings_url, data=dict(data, deadline_days=""), headers=EN)
    row = settings_row(app, world)
    assert (row.deadline_enabled, row.deadline_days) == (False, [7, 1])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("deadline_days", "7, 90", "Each number of days is between 0 and 60."),
    ("deadline_days", "1, 2, 3, 4, 5, 6", "At most 5 reminders before the deadline."),
    ("deadline_days", "7 jours", "Write whole numbers of days separated by commas"),
    ("deadline_days", "-1", "Write whole numbers of days separated by commas"),
    ("deadline_days", "٣", "Write whole numbers of days separated by commas"),
    ("deadline_days", "", "Give at least one number of days, or turn these reminders off."),
    ("send_hour", "24", "Choose an hour from the list."),
    ("send_hour", "x", "Choose an hour from the list."),
    ("reviews_after_days", "366", "Enter a number of days between 0 and 365."),
    ("reviews_repeat_days", "0", "Enter a number of days between 1 and 365."),
    ("reviews_max", "21", "Enter a number of reminders between 1 and 20."),
    ("reviews_max", "2.5", "Enter a number of reminders between 1 and 20."),
    ("unanswered_after_days", "", "Enter a number of days between 0 and 365."),
    ("unanswered_repeat_days", "99999999999999999999", "between 1 and 365."),
    ("start_days", "-3", "Enter a number of days between 0 and 365."),
])
def test_settings_refuses_bad_values_clearly(app, client, login, field, value, message):
    world = make_world(app)
    login(world.admin)
    response = client.post(world.settings_url, data=dict(VALID, **{field: value}), headers=EN)
    assert response.status_code == 422
    text = page(response)
    assert "Please correct the fields marked below." in text
    error = re.search(rf'id="{field}-error">([^<]*)<', text)
    assert error and message in error.group(1), text[:3000]
    assert settings_row(app, world) is None
    assert events(app, world) == []


def test_settings_empty_post_is_refused_without_harm(app, client, login):
    world = make_world(app)
    login(world.admin)
    response = client.post(world.settings_url, data={}, headers=EN)
    assert response.status_code == 422
    assert "Please correct the fields marked below." in page(response)
    assert settings_row(app, world) is None


def test_settings_for_admins_only(app, client, login):
    world = make_world(app)
    login(world.lead)
    assert client.get(world.settings_url, headers=EN).status_code == 403
    assert client.post(world.settings_url, data=VALID, headers=EN).status_code == 403
    assert settings_row(app, world) is None


def test_settings_are_linked_from_the_organisation_page_and_the_menu(app, client, login):
    world = make_world(app)
    login(world.admin)
    text = page(client.get(f"/gestion/{world.org}/organisation", headers=EN))
    assert text.count(f'href="{world.settings_url}"') == 2  # the menu and the page
    client.post("/deconnexion")
    login(world.lead)
    offers = page(client.get(f"/gestion/{world.org}/offres", headers=EN))
    assert f'href="{world.settings_url}"' not in offers
