"""An offer's planned reminders and its history, as the back office shows them.

The offer of these tests (organisation in Europe/Paris, default settings: 8:00, 7 and 1 days
before, reviews 3 days after closing then weekly at most 3 times, unanswered 14 days after then
weekly) closes on Friday 20 March 2026 at 23:59:59 local time (22:59:59 UTC); the clocks go
forward on Sunday 29 March, so reminders after that day are at 06:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests import factories
from tests.reminders.conftest import local
from tracker.accounts.models import Role
from tracker.db import db
from tracker.mail.models import MessageStatus
from tracker.mail.services import queue_message
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders.models import Reminder, ReminderRule, ReminderSettings, ReminderStatus
from tracker.reminders.planning import Planned, history, planned
from tracker.review.models import Decision, Interview, InterviewParticipant

R = ReminderRule
SECOND = timedelta(seconds=1)
DEADLINE = datetime(2026, 3, 20, 22, 59, 59, tzinfo=UTC)
PUBLISHED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}), force_locale("en"):
        yield
        db.session.rollback()


def offer(status=PostingStatus.PUBLISHED, *, org=None, closed_at=None, **fields):
    org = org or factories.organisation()
    posting = factories.posting(org, status=status, **fields)
    posting.deadline, posting.published_at = DEADLINE, PUBLISHED
    if status != PostingStatus.PUBLISHED:
        posting.closed_at = closed_at or DEADLINE
    db.session.flush()
    return posting


def settings(posting, **values) -> ReminderSettings:
    from tracker.reminders.preferences import default_settings

    row = default_settings(posting.organisation_id)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.flush()
    return row


def plan(posting, now) -> list[tuple[str, datetime]]:
    return [(item.rule.value, item.due_at) for item in planned(posting, now)]


# --- A published offer -------------------------------------------------------------------------


def test_planned_published_offer_lists_everything_ahead_in_order(ctx):
    posting = offer()
    assert plan(posting, utc(2026, 3, 10, 12, 0)) == [
        ("deadline_approaching", utc(2026, 3, 13, 7, 0)),  # Fri 13 March, 8:00 Paris
        ("deadline_approaching", utc(2026, 3, 19, 7, 0)),
        ("deadline_reached", DEADLINE),
        ("reviews_pending", utc(2026, 3, 23, 7, 0)),  # 3 days after the closing
        ("unanswered", utc(2026, 4, 3, 6, 0)),  # 14 days after, summer time
    ]


def test_planned_deadline_reminder_due_now_is_no_longer_planned(ctx):
    posting = offer()
    # 8:00 on the 13th: the pass sends it now; the planning shows what comes after.
    assert plan(posting, utc(2026, 3, 13, 7, 0))[0] == ("deadline_approaching",
                                                        utc(2026, 3, 19, 7, 0))
    assert plan(posting, utc(2026, 3, 13, 6, 59))[0] == ("deadline_approaching",
                                                         utc(2026, 3, 13, 7, 0))


def test_planned_deadline_reminders_before_the_publication_are_left_out(ctx):
    posting = offer()
    posting.published_at = utc(2026, 3, 15, 9, 0)  # published 5 days before the deadline
    assert [due for rule, due in plan(posting, utc(2026, 3, 15, 9, 0))
            if rule == "deadline_approaching"] == [utc(2026, 3, 19, 7, 0)]


def test_planned_deadline_reminders_words_and_recipients(ctx):
    posting = offer()
    admin = factories.user(posting.organisation, Role.ADMIN, name="Aline Admin")
    factories.user(posting.organisation, Role.LEAD, name="Léo Lead")  # not an admin
    settings(posting, deadline_days=[7, 1, 0])
    items = [i for i in planned(posting, utc(2026, 3, 1, 12, 0))
             if i.rule == R.DEADLINE_APPROACHING]
    assert [i.what.split(":")[0] for i in items] == [
        "Applications close in 7 days", "Applications close tomorrow",
        "Applications close today"]
    assert items[2].due_at == utc(2026, 3, 20, 7, 0)
    assert items[0].who == f"{admin.name}, Claire Fontaine, and Inès Moreau"
    assert items[0].label == "Deadline approaching"


def test_planned_moving_the_deadline_moves_its_reminders(ctx):
    posting = offer()
    posting.deadline = DEADLINE + timedelta(days=7)
    assert plan(posting, utc(2026, 3, 10, 12, 0))[:3] == [
        ("deadline_approaching", utc(2026, 3, 20, 7, 0)),
        ("deadline_approaching", utc(2026, 3, 26, 7, 0)),
        ("deadline_reached", DEADLINE + timedelta(days=7)),
    ]


def test_planned_closing_summary_goes_to_the_contacts(ctx):
    posting = offer()
    closing = next(i for i in planned(posting, utc(2026, 3, 10, 12, 0))
                   if i.rule == R.DEADLINE_REACHED)
    assert closing.who == "Claire Fontaine and Inès Moreau"
    assert "closing summary" in closing.what
    assert closing.condition == ("The offer stops taking applications at its deadline, to the "
                                 "second.")


def test_planned_closing_after_the_deadline_waits_for_the_next_pass(ctx):
    posting = offer()
    items = planned(posting, DEADLINE + timedelta(hours=2))
    assert [i.rule for i in items][:1] == [R.DEADLINE_REACHED]
    assert items[0].condition.startswith("The deadline has passed")
    late = planned(posting, DEADLINE + timedelta(days=15))[0]
    assert late.rule == R.DEADLINE_REACHED
    assert "without a summary" in late.what


def test_planned_turned_off_rules_are_not_planned(ctx):
    posting = offer()
    settings(posting, deadline_enabled=False, reviews_enabled=False, unanswered_enabled=False)
    assert plan(posting, utc(2026, 3, 10, 12, 0)) == [("deadline_reached", DEADLINE)]


def test_planned_follows_the_send_hour_and_the_numbers_of_days(ctx):
    posting = offer()
    settings(posting, send_hour=18, deadline_days=[2], reviews_after_days=1,
             unanswered_after_days=30)
    assert plan(posting, utc(2026, 3, 10, 12, 0)) == [
        ("deadline_approaching", utc(2026, 3, 18, 17, 0)),
        ("deadline_reached", DEADLINE),
        ("reviews_pending", utc(2026, 3, 21, 17, 0)),
        ("unanswered", utc(2026, 4, 19, 16, 0)),
    ]


def test_planned_first_reminder_on_the_closing_day_goes_at_the_closing(ctx):
    posting = offer()
    settings(posting, reviews_after_days=0, unanswered_enabled=False)
    # 8:00 on the 20th is before the closing (23:59:59): the first pass after it sends it.
    assert plan(posting, utc(2026, 3, 10, 12, 0))[-1] == ("reviews_pending", DEADLINE)


def test_planned_in_another_time_zone(ctx):
    org = factories.organisation(timezone="America/Montreal")
    posting = offer(org=org)
    assert plan(posting, utc(2026, 3, 10, 12, 0))[:2] == [
        ("deadline_approaching", utc(2026, 3, 13, 12, 0)),  # 8:00 EDT (UTC-4)
        ("deadline_approaching", utc(2026, 3, 19, 12, 0)),
    ]


# --- A closed offer ----------------------------------------------------------------------------


def test_planned_closed_offer_next_occurrences(ctx):
    posting = offer(PostingStatus.CLOSED)
    assert plan(posting, utc(2026, 3, 24, 12, 0)) == [
        ("reviews_pending", utc(2026, 3, 30, 6, 0)),  # the 2nd, a week after the 1st
        ("unanswered", utc(2026, 4, 3, 6, 0)),
    ]
    reviews = planned(posting, utc(2026, 3, 24, 12, 0))[0]
    assert reviews.what.startswith("Reminder 2 of 3:")


def test_planned_closed_offer_reviews_stop_after_the_maximum(ctx):
    posting = offer(PostingStatus.FILLED)
    # The 3rd and last reviews reminder was on 6 April; unanswered goes on weekly.
    assert plan(posting, utc(2026, 4, 14, 12, 0)) == [("unanswered", utc(2026, 4, 17, 6, 0))]


def test_planned_closed_by_a_person_counts_from_the_closing(ctx):
    posting = offer(PostingStatus.CLOSED, closed_at=utc(2026, 3, 2, 15, 0))
    assert plan(posting, utc(2026, 3, 2, 15, 0)) == [
        ("reviews_pending", utc(2026, 3, 5, 7, 0)),
        ("unanswered", utc(2026, 3, 16, 7, 0)),
    ]


def test_planned_unanswered_says_when_an_answer_was_promised(ctx):
    promised = offer(PostingStatus.CLOSED, answer_promise=True)
    silent = offer(PostingStatus.CLOSED, answer_promise=False)
    now = utc(2026, 3, 24, 12, 0)
    assert "promised an answer" in planned(promised, now)[-1].what
    assert "promised" not in planned(silent, now)[-1].what


def test_planned_reviews_pending_names_the_reviewers(ctx):
    posting = offer(PostingStatus.CLOSED)
    lead = factories.user(posting.organisation, Role.LEAD, name="Nora Relectrice")
    factories.reviewer(posting, lead)
    reviews = planned(posting, utc(2026, 3, 24, 12, 0))[0]
    assert reviews.who == ("Each reviewer who still has applications to review, among: "
                           "Nora Relectrice")
    assert reviews.condition.startswith("Only if applications are still unreviewed")


def test_planned_draft_and_archived_offers_plan_nothing(ctx):
    draft = offer(PostingStatus.DRAFT)
    archived = offer(PostingStatus.ARCHIVED)
    assert planned(draft, utc(2026, 3, 10, 12, 0)) == []
    assert planned(archived, utc(2026, 3, 10, 12, 0)) == []


# --- Interviews and start dates ----------------------------------------------------------------


def _interview(application, starts_at, *participants, status="scheduled"):
    interview = Interview(organisation_id=application.organisation_id,
                          application_id=application.id, starts_at=starts_at,
                          uid=f"plan-{application.id}-{starts_at:%s}@example.org", status=status)
    interview.participants = [InterviewParticipant(user_id=u.id) for u in participants]
    db.session.add(interview)
    db.session.flush()
    return interview


def test_planned_interview_tomorrow_to_its_participants(ctx):
    posting = offer(PostingStatus.CLOSED)
    lead = factories.user(posting.organisation, Role.LEAD, name="Nora Relectrice")
    application = factories.application(posting, first_name="Léa", last_name="Martin")
    _interview(application, utc(2026, 3, 26, 13, 30), lead)  # Thursday 14:30 Paris
    _interview(application, utc(2026, 3, 27, 13, 30), lead, status="cancelled")
    _interview(application, utc(2026, 3, 24, 9, 0), lead)  # its reminder is past
    items = [i for i in planned(posting, utc(2026, 3, 24, 12, 0))
             if i.rule == R.INTERVIEW_TOMORROW]
    assert [(i.due_at, i.who) for i in items] == [(utc(2026, 3, 25, 7, 0), "Nora Relectrice")]
    assert items[0].what.startswith("Interview with Léa MARTIN on March 26, 2026 at 2:30")
    settings(posting, interview_to_candidate=True)
    assert planned(posting, utc(2026, 3, 24, 12, 0))[0].who == (
        "Nora Relectrice and the candidate")


def test_planned_interview_of_a_masked_candidate_names_no_one(ctx):
    posting = offer(PostingStatus.CLOSED, anonymised=True)
    lead = factories.user(posting.organisation, Role.LEAD)
    application = factories.application(posting, first_name="Léa", last_name="Martin")
    _interview(application, utc(2026, 3, 26, 13, 30), lead)
    item = next(i for i in planned(posting, utc(2026, 3, 24, 12, 0))
                if i.rule == R.INTERVIEW_TOMORROW)
    assert f"Candidate {application.reference}" in item.what
    assert "Martin" not in item.what and "Léa" not in item.what


def test_planned_interview_reminders_off(ctx):
    posting = offer(PostingStatus.CLOSED)
    application = factories.application(posting)
    _interview(application, utc(2026, 3, 26, 13, 30))
    settings(posting, interview_enabled=False)
    assert R.INTERVIEW_TOMORROW not in {i.rule for i in planned(posting, utc(2026, 3, 24, 12))}


def test_planned_start_date_only_when_turned_on(ctx):
    posting = offer(PostingStatus.FILLED, contract_start=date(2026, 5, 4),
                    start_earliest=date(2026, 4, 20))
    now = utc(2026, 4, 14, 12, 0)
    assert R.START_DATE not in {i.rule for i in planned(posting, now)}
    settings(posting, start_enabled=True, start_days=7)
    waiting = [i for i in planned(posting, now) if i.rule == R.START_DATE]
    assert [(i.due_at, i.condition) for i in waiting] == [
        (utc(2026, 4, 27, 6, 0), "Only once a candidate is retained.")]
    application = factories.application(posting, first_name="Léa", last_name="Martin")
    application.decision, application.decided_at = Decision.RETAINED.value, now
    db.session.flush()
    item = next(i for i in planned(posting, now) if i.rule == R.START_DATE)
    assert item.what == "Léa MARTIN starts on May 4, 2026."
    assert item.who == "Claire Fontaine and Inès Moreau"
    assert R.START_DATE not in {i.rule for i in planned(posting, utc(2026, 4, 27, 6, 0))}


def test_planned_start_date_from_the_earliest_start(ctx):
    posting = offer(PostingStatus.FILLED, contract_start=None, start_earliest=date(2026, 4, 20))
    settings(posting, start_enabled=True, start_days=0)
    item = next(i for i in planned(posting, utc(2026, 4, 1)) if i.rule == R.START_DATE)
    assert item.due_at == utc(2026, 4, 20, 6, 0)


# --- History -----------------------------------------------------------------------------------


def _reminder(posting, key, *, due_at, rule=R.DEADLINE_APPROACHING, **fields) -> Reminder:
    row = Reminder(organisation_id=posting.organisation_id, rule=rule.value, key=key,
                   due_at=due_at, posting_id=fields.pop("posting_id", posting.id), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def _message(posting, status=MessageStatus.PENDING, **fields):
    message = queue_message(organisation=posting.organisation, kind="reminder.unanswered",
                            recipients=["claire.fontaine@example.org"], subject="Rappel",
                            body_text="Bonjour", posting=posting, status=status)
    for name, value in fields.items():
        setattr(message, name, value)
    db.session.flush()
    return message


def test_history_rows_newest_first_with_recipient_and_status(ctx):
    posting = offer(PostingStatus.CLOSED)
    other = offer(org=posting.organisation)
    admin = factories.user(posting.organisation, Role.ADMIN, name="Aline Admin")
    pending, sent = _message(posting), _message(posting)
    sent.status, sent.sent_at = MessageStatus.SENT.value, utc(2026, 3, 13, 7, 1)
    digest = _message(posting, status=MessageStatus.PENDING.value)
    digest.status = MessageStatus.FAILED.value
    _reminder(posting, "a", due_at=utc(2026, 3, 13, 7, 0), user_id=admin.id,
              message_id=sent.id)
    _reminder(posting, "b", due_at=utc(2026, 3, 13, 7, 0), recipient="ines.moreau@example.org",
              message_id=pending.id)
    _reminder(posting, "c", due_at=utc(2026, 3, 19, 7, 0), user_id=admin.id,
              status=ReminderStatus.SKIPPED.value, note="Chose never")
    _reminder(posting, "d", due_at=utc(2026, 3, 23, 7, 0), rule=R.REVIEWS_PENDING,
              user_id=admin.id, status=ReminderStatus.DIGEST.value)
    _reminder(posting, "e", due_at=utc(2026, 3, 24, 7, 0), rule=R.REVIEWS_PENDING,
              user_id=admin.id, status=ReminderStatus.DIGESTED.value, message_id=digest.id)
    _reminder(posting, "f", due_at=utc(2026, 3, 25, 7, 0), rule=R.UNANSWERED,
              recipient="claire.fontaine@example.org")  # queued, its message deleted
    _reminder(other, "g", due_at=utc(2026, 3, 26, 7, 0), user_id=admin.id)  # another offer
    rows = history(posting)
    assert [(r.label, r.recipient, r.status, r.status_label) for r in rows] == [
        ("Candidates without an answer", "claire.fontaine@example.org", "queued", "Queued"),
        ("Reviews pending", "Aline Admin", "digested", "In the daily digest"),
        ("Reviews pending", "Aline Admin", "digest", "Waiting for the daily digest"),
        ("Deadline approaching", "Aline Admin", "skipped", "Not sent"),
        ("Deadline approaching", "ines.moreau@example.org", "pending", "Waiting to be sent"),
        ("Deadline approaching", "Aline Admin", "sent", "Sent"),
    ]
    assert rows[3].note == "Chose never"
    assert rows[5].sent_at == utc(2026, 3, 13, 7, 1)
    assert [r.digest for r in rows] == [False, True, True, False, False, False]


def test_history_includes_the_reminders_of_its_applications_and_interviews(ctx):
    posting = offer(PostingStatus.CLOSED)
    application = factories.application(posting, first_name="Léa", last_name="Martin",
                                        email="lea.martin@example.com")
    interview = _interview(application, utc(2026, 3, 26, 13, 30))
    elsewhere = factories.application(offer(org=posting.organisation))
    _reminder(posting, "start", due_at=utc(2026, 4, 27, 6), rule=R.START_DATE, posting_id=None,
              application_id=application.id, recipient="claire.fontaine@example.org")
    _reminder(posting, "interview", due_at=utc(2026, 3, 25, 7), rule=R.INTERVIEW_TOMORROW,
              posting_id=None, interview_id=interview.id, recipient="lea.martin@example.com",
              note="Refused: lea.martin@example.com")
    _reminder(posting, "elsewhere", due_at=utc(2026, 3, 25, 7), rule=R.START_DATE,
              posting_id=None, application_id=elsewhere.id, recipient="x@example.org")
    rows = history(posting)
    assert [(r.rule, r.about, r.recipient) for r in rows] == [
        ("start_date", "Léa MARTIN", "claire.fontaine@example.org"),
        ("interview_tomorrow", "Léa MARTIN", "The candidate (Léa MARTIN)"),
    ]


def test_history_keeps_a_masked_candidate_masked(ctx):
    posting = offer(PostingStatus.CLOSED, anonymised=True)
    application = factories.application(posting, first_name="Léa", last_name="Martin",
                                        email="lea.martin@example.com")
    interview = _interview(application, utc(2026, 3, 26, 13, 30))
    _reminder(posting, "interview", due_at=utc(2026, 3, 25, 7), rule=R.INTERVIEW_TOMORROW,
              interview_id=interview.id, recipient="Lea.Martin@example.com",
              status=ReminderStatus.SKIPPED.value, note="Refused: lea.martin@example.com")
    (row,) = history(posting)
    label = f"Candidate {application.reference}"
    assert (row.about, row.recipient) == (label, f"The candidate ({label})")
    text = " ".join([row.about, row.recipient, row.note])
    assert "lea.martin" not in text.lower() and "Martin" not in text


def test_history_of_an_offer_without_reminders_is_empty(ctx):
    assert history(offer()) == []


# --- The planning agrees with the pass ---------------------------------------------------------


def _rules_recorded(app) -> list[str]:
    with app.app_context():
        return [row.rule for row in db.session.scalars(
            sa.select(Reminder).order_by(Reminder.id))]


def _planned_at(app, posting_id, now) -> list[Planned]:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        return planned(db.session.get(Posting, posting_id), now)


def _check_each_planned_moment(app, remind, posting_id, items) -> None:
    """Each planned reminder is not recorded by a pass one second before its moment, and is
    recorded by the pass at it (the closing: one second after the deadline, the last
    instant accepted)."""
    for item in items:
        moment = item.due_at + (SECOND if item.rule == R.DEADLINE_REACHED else timedelta(0))
        before = _rules_recorded(app).count(item.rule.value)
        remind(moment - SECOND)  # other rules may fall due in between: not this one
        assert _rules_recorded(app).count(item.rule.value) == before, (item.rule, "early")
        remind(moment)
        assert _rules_recorded(app).count(item.rule.value) > before, (item.rule, "missing")


def test_planning_matches_what_the_pass_does(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"),
                        published_at=local("2026-03-01 10:00"))
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        factories.application(posting)
        factories.application(posting)
        db.session.commit()
    items = _planned_at(app, world.posting_id, local("2026-03-02 12:00"))
    assert [(i.rule.value, i.due_at) for i in items] == [
        ("deadline_approaching", local("2026-03-13 08:00")),
        ("deadline_approaching", local("2026-03-19 08:00")),
        ("deadline_reached", local("2026-03-20 23:59:59")),
        ("reviews_pending", local("2026-03-23 08:00")),
        ("unanswered", local("2026-04-03 08:00")),
    ]
    _check_each_planned_moment(app, remind, world.posting_id, items)
    # Closed now: the next ones, from the last pass on.
    later = _planned_at(app, world.posting_id, local("2026-04-03 08:00"))
    assert [(i.rule.value, i.due_at) for i in later] == [
        ("reviews_pending", local("2026-04-06 08:00")),  # the 3rd and last
        ("unanswered", local("2026-04-10 08:00")),
    ]
    _check_each_planned_moment(app, remind, world.posting_id, later)
    assert [i.rule.value for i in _planned_at(app, world.posting_id,
                                              local("2026-04-10 08:00"))] == ["unanswered"]


def test_history_says_the_pass_notes_in_the_reader_language(ctx):
    from tracker.reminders.digest import NOTE_NOT_MEMBER
    from tracker.reminders.engine import NOTE_NEVER

    posting = offer(PostingStatus.CLOSED)
    for n, note in enumerate([NOTE_NEVER, NOTE_NOT_MEMBER, "no valid recipient for a x: []"]):
        _reminder(posting, f"n{n}", due_at=utc(2026, 3, 13, 7, n), recipient="a@example.org",
                  status=ReminderStatus.SKIPPED.value, note=note)
    # The pass's own words (for its report) are said again through the catalogue.
    assert [row.note for row in history(posting)] == [
        "The email address was refused: no valid recipient for a x: []",
        "The person is no longer an active member of the organisation.",
        "The recipient chose never to receive this kind of notification.",
    ]
