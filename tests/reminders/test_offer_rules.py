"""The offer rules through real passes: deadline approaching, closing and its summary, reviews
pending, unanswered candidates. Times are wall-clock times in Europe/Paris; every assertion
names the exact keys, recipients and emails."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.reminders.conftest import (
    OUTSIDE_EMAIL,
    key_parts,
    local,
    messages,
    published_offer,
    reminder_keys,
    reminder_rows,
)
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import MessageStatus
from tracker.postings.display import deadline_from_local
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders.models import ReminderSettings, ReminderStatus
from tracker.reminders.rules import offers
from tracker.review import answers, scoring
from tracker.review.models import Review

NNBSP = "\u202f"


def _recipients(kind: str) -> list[tuple[str, str]]:
    """(To, subject) of every email of ``kind``, in the order queued."""
    return [(", ".join(m.recipients), m.subject) for m in messages(kind)]


def _apply(app, posting_id: int, n: int, **fields) -> list[int]:
    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        ids = [factories.application(posting, first_name=f"Léa{i}", last_name="Martin",
                                     **fields).id for i in range(n)]
        db.session.commit()
        return ids


# --- Deadline approaching -------------------------------------------------------------------


def test_deadline_reminders_go_out_seven_days_and_one_day_before_at_eight(app, offer_world,
                                                                          remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    _apply(app, world.posting_id, 2)
    prefix = f"deadline_approaching:posting:{world.posting_id}"

    assert remind(local("2026-03-13 07:59")).actions == []
    report = remind(local("2026-03-13 08:00"))
    assert report.count("queue") == 3
    with app.app_context():
        d7 = f"{prefix}:2026-03-13T07:00Z:d7"
        assert reminder_keys() == [f"{d7}:u{world.admin_id}", f"{d7}:u{world.lead_id}",
                                   f"{d7}:e:{OUTSIDE_EMAIL}"]
        title = db.session.get(Posting, world.posting_id).title
        subject = f"Deadline in 7 days: “{title}” (2 applications)"
        assert _recipients("reminder.deadline_approaching") == [
            ("Alice Admin <alice@example.org>", subject),
            ("Louis Lead <louis@example.org>", subject),
            ("Inès Moreau <ines.moreau@example.net>", subject),
        ]
        first = messages()[0]
        assert first.reply_to == "recrutement@example.org"
        assert first.status == MessageStatus.PENDING and first.locale == "en"
        assert first.body_text == (
            "Hello Alice Admin,\n\n"
            f"The offer “{title}” reaches its deadline in 7 days: it takes applications until "
            f"March 20, 2026 at 11:59{NNBSP}PM.\n\n"
            "It has received 2 applications so far.\n\n"
            "At the deadline the offer closes by itself and its contacts receive a summary.\n\n"
            "See the applications:\n"
            f"http://tracker.test/gestion/{world.org_slug}/offres/{world.posting_id}"
            "/candidatures\n\n"
            "Villes au carré\n\n-- \n"
            "You receive this reminder as a member of Villes au carré. Choose which "
            "notifications you get, and how often: "
            "http://tracker.test/gestion/notifications#deadline_approaching\n"
        )
        assert messages()[2].body_text.endswith(
            "You receive this reminder as a contact named on an offer of Villes au carré. To "
            "stop receiving them, ask Villes au carré to remove you from the offer.\n")

    assert remind(local("2026-03-19 07:59")).actions == []
    remind(local("2026-03-19 08:00"))
    with app.app_context():
        d1 = f"{prefix}:2026-03-19T07:00Z:d1"
        assert reminder_keys()[3:] == [f"{d1}:u{world.admin_id}", f"{d1}:u{world.lead_id}",
                                       f"{d1}:e:{OUTSIDE_EMAIL}"]
        assert [m.subject for m in messages()[3:]] == [
            f"Deadline tomorrow: “{title}” (2 applications)"] * 3


def test_a_second_pass_queues_nothing(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    assert remind(local("2026-03-13 08:05")).count("queue") == 3
    for moment in ("2026-03-13 08:05", "2026-03-13 12:00", "2026-03-18 23:00"):
        assert remind(local(moment)).actions == []
    with app.app_context():
        assert len(messages()) == 3 and len(reminder_rows()) == 3
        assert db.session.get(Posting, world.posting_id).status == PostingStatus.PUBLISHED


def test_french_wording_by_default(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    _apply(app, world.posting_id, 1)
    remind(local("2026-03-13 08:00"))
    with app.app_context():
        title = db.session.get(Posting, world.posting_id).title
        message = messages()[0]
        assert message.locale == "fr"
        assert message.subject.startswith("Date limite ")
        assert message.subject.endswith(f"\u00a0: «\u00a0{title}\u00a0» (1 candidature)")
        assert message.body_text.startswith("Bonjour Alice Admin,\n\n")
        assert ("elle reçoit les candidatures jusqu’au 20\u00a0mars 2026 à 23\u00a0h\u00a059."
                in message.body_text)
        assert "Elle a reçu 1 candidature jusqu’ici." in message.body_text


def test_after_a_downtime_only_the_one_day_reminder_goes_out(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    remind(local("2026-03-12 09:00"))  # the day before J-7: nothing due
    # Down from J-8 to J-1 in the afternoon: "7 days left" lost its reason.
    report = remind(local("2026-03-19 15:30"))
    assert report.count("queue") == 3
    with app.app_context():
        prefix = f"deadline_approaching:posting:{world.posting_id}:2026-03-19T07:00Z:d1"
        assert reminder_keys() == [f"{prefix}:u{world.admin_id}", f"{prefix}:u{world.lead_id}",
                                   f"{prefix}:e:{OUTSIDE_EMAIL}"]
        assert all(m.subject.startswith("Deadline tomorrow:") for m in messages())


def test_a_reminder_missed_by_a_short_downtime_is_sent_late_with_the_true_time_left(
        app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    remind(local("2026-03-15 10:00"))  # J-5: the J-7 reminder is still the latest due
    with app.app_context():
        assert reminder_keys()[0] == (f"deadline_approaching:posting:{world.posting_id}:"
                                      f"2026-03-13T07:00Z:d7:u{world.admin_id}")
        assert messages()[0].subject.startswith("Deadline in 5 days:")


def test_no_deadline_reminder_after_the_deadline(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    report = remind(local("2026-03-21 09:00"))
    assert [a.what for a in report.actions] == ["close", "queue", "queue"]
    with app.app_context():
        assert all(k.startswith("deadline_reached:") for k in reminder_keys())
        assert db.session.get(Posting, world.posting_id).status == PostingStatus.CLOSED


def test_an_offer_published_after_the_seven_day_moment_gets_only_the_last_day(
        app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"),
                        published_at=local("2026-03-13 10:00"))
    assert remind(local("2026-03-13 10:05")).actions == []
    remind(local("2026-03-19 08:00"))
    with app.app_context():
        assert reminder_keys()[0] == (f"deadline_approaching:posting:{world.posting_id}:"
                                      f"2026-03-19T07:00Z:d1:u{world.admin_id}")


def test_moving_the_deadline_plans_the_reminders_again(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    remind(local("2026-03-13 08:00"))
    with app.app_context():
        db.session.get(Posting, world.posting_id).deadline = local("2026-03-27 23:59:59")
        db.session.commit()
    assert remind(local("2026-03-13 09:00")).actions == []
    assert remind(local("2026-03-19 08:00")).actions == []  # the old J-1: no longer due
    remind(local("2026-03-20 08:00"))
    with app.app_context():
        assert reminder_keys()[3:] == [
            f"deadline_approaching:posting:{world.posting_id}:2026-03-20T07:00Z:d7:{who}"
            for who in (f"u{world.admin_id}", f"u{world.lead_id}", f"e:{OUTSIDE_EMAIL}")]
        assert messages()[3].subject.startswith("Deadline in 7 days:")
        assert "until March 27, 2026" in messages()[3].body_text
    # Brought forward: "1 day left" at once, not "7 days left".
    with app.app_context():
        db.session.get(Posting, world.posting_id).deadline = local("2026-03-22 12:00")
        db.session.commit()
    remind(local("2026-03-21 08:00"))
    with app.app_context():
        assert [(key_parts(k)["due"], key_parts(k)["rest"]) for k in reminder_keys()[6:]] == [
            ("2026-03-21T07:00Z", f"d1:u{world.admin_id}"),
            ("2026-03-21T07:00Z", f"d1:u{world.lead_id}"),
            ("2026-03-21T07:00Z", f"d1:e:{OUTSIDE_EMAIL}")]


def test_deadline_reminders_stay_at_eight_local_across_summer_time(app, offer_world, remind):
    # Summer time starts on Sunday 29 March 2026: J-7 is in winter time (UTC+1), J-1 in summer
    # time (UTC+2).
    world = offer_world(deadline=local("2026-03-31 23:59:59"))
    prefix = f"deadline_approaching:posting:{world.posting_id}"
    assert remind(local("2026-03-24 07:59")).actions == []
    remind(local("2026-03-24 08:00"))
    assert remind(local("2026-03-30 07:59")).actions == []
    remind(local("2026-03-30 08:00"))
    with app.app_context():
        keys = reminder_keys()
    assert keys[0] == f"{prefix}:2026-03-24T07:00Z:d7:u{world.admin_id}"
    assert keys[3] == f"{prefix}:2026-03-30T06:00Z:d1:u{world.admin_id}"
    assert len(keys) == 6


def test_deadline_reminders_stay_at_eight_local_when_winter_time_comes_back(app, offer_world,
                                                                            remind):
    # Winter time comes back on Sunday 25 October 2026.
    world = offer_world(deadline=local("2026-10-27 12:00"))
    prefix = f"deadline_approaching:posting:{world.posting_id}"
    remind(local("2026-10-20 08:00"))
    assert remind(local("2026-10-26 07:59")).actions == []
    remind(local("2026-10-26 08:00"))
    with app.app_context():
        keys = reminder_keys()
    assert keys[0] == f"{prefix}:2026-10-20T06:00Z:d7:u{world.admin_id}"
    assert keys[3] == f"{prefix}:2026-10-26T07:00Z:d1:u{world.admin_id}"


def test_the_organisation_chooses_days_and_hour_or_turns_the_rule_off(app, offer_world,
                                                                      remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    with app.app_context():
        db.session.add(ReminderSettings(organisation_id=world.org_id, send_hour=14,
                                        deadline_days=[3]))
        db.session.commit()
    assert remind(local("2026-03-13 08:00")).actions == []
    assert remind(local("2026-03-17 13:59")).actions == []
    remind(local("2026-03-17 14:00"))
    with app.app_context():
        assert reminder_keys()[0] == (f"deadline_approaching:posting:{world.posting_id}:"
                                      f"2026-03-17T13:00Z:d3:u{world.admin_id}")
        db.session.get(ReminderSettings, world.org_id).deadline_enabled = False
        db.session.commit()
    other = offer_world(deadline=local("2026-03-27 23:59:59"), tag="2")
    with app.app_context():
        db.session.add(ReminderSettings(organisation_id=other.org_id, deadline_enabled=False))
        db.session.commit()
    report = remind(local("2026-03-26 08:00"))  # J-1 of the other offer: turned off
    assert [a.what for a in report.actions] == ["close", "queue", "queue"]  # the first's closing
    assert "deadline_approaching" not in "".join(a.text for a in report.actions)


def test_the_count_leaves_out_withdrawn_applications(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    ids = _apply(app, world.posting_id, 3)
    with app.app_context():
        db.session.get(Application, ids[0]).withdrawn_at = local("2026-03-10 10:00")
        db.session.commit()
    remind(local("2026-03-19 08:00"))
    with app.app_context():
        assert messages()[0].subject.endswith("(2 applications)")
        assert messages()[0].body_text.count("It has received 2 applications so far.") == 1


# --- Closing ------------------------------------------------------------------------------------


def test_an_inclusive_deadline_closes_after_its_last_second(app, offer_world, remind):
    # "jusqu'au 20 mars inclus", entered as a day: stored as 23:59:59 local.
    deadline = deadline_from_local(local("2026-03-20 12:00").date(), None, "Europe/Paris")
    world = offer_world(deadline=deadline, deadline_end_of_day=True, locale="en")
    assert deadline == local("2026-03-20 23:59:59")
    assert remind(local("2026-03-20 23:59:59")).actions == []
    with app.app_context():
        assert db.session.get(Posting, world.posting_id).status == PostingStatus.PUBLISHED
    report = remind(local("2026-03-21 00:00:00"))
    assert report.actions[0].text == (
        f"2026-03-20T23:00:00Z close deadline_reached posting:{world.posting_id} "
        "closed at the deadline 2026-03-20T22:59:59Z")
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        assert posting.status == PostingStatus.CLOSED
        assert posting.closed_at == local("2026-03-20 23:59:59")
        events = db.session.scalars(sa.select(Event).where(Event.action == "posting.close"))
        assert [(e.actor_id, e.object_id, e.data) for e in events] == [
            (None, world.posting_id, {"from": "published", "to": "closed"})]


def test_the_closing_summary_counts_and_goes_to_the_contacts(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), locale="en")
    ids = _apply(app, world.posting_id, 4)
    with app.app_context():
        lead = db.session.get(factories.User, world.lead_id)
        for application_id in ids[:2]:
            scoring.save_review(db.session.get(Application, application_id), lead, scores={},
                                recommendation="yes")
        db.session.get(Application, ids[3]).withdrawn_at = local("2026-03-15 10:00")
        db.session.commit()
    remind(local("2026-03-21 00:01"))
    with app.app_context():
        key = f"deadline_reached:posting:{world.posting_id}:2026-03-20T22:59Z"
        assert reminder_keys() == [f"{key}:u{world.lead_id}", f"{key}:e:{OUTSIDE_EMAIL}"]
        assert [r.detail for r in reminder_rows()] == [
            {"title": reminder_rows()[0].detail["title"], "applications": 3, "reviewed": 2,
             "unreviewed": 1}] * 2
        title = db.session.get(Posting, world.posting_id).title
        assert _recipients("reminder.deadline_reached") == [
            ("Louis Lead <louis@example.org>", f"Offer closed: “{title}” (3 applications)"),
            ("Inès Moreau <ines.moreau@example.net>",
             f"Offer closed: “{title}” (3 applications)")]
        assert messages()[0].body_text.startswith(
            "Hello Louis Lead,\n\n"
            f"The offer “{title}” has reached its deadline: it took applications until March "
            f"20, 2026 at 11:59{NNBSP}PM. It is now closed and takes no more applications.\n\n"
            "Summary:\n"
            "- applications received: 3\n"
            "- reviewed (at least one review): 2\n"
            "- not reviewed yet: 1\n\n"
            "See the applications:\n"
            f"http://tracker.test/gestion/{world.org_slug}/offres/{world.posting_id}"
            "/candidatures\n\n")


def test_a_closing_missed_by_a_downtime_is_caught_up_at_the_deadline(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    _apply(app, world.posting_id, 1)
    report = remind(local("2026-03-24 09:00"))
    assert [a.what for a in report.actions] == ["close"] + ["queue"] * 4
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        assert posting.closed_at == local("2026-03-20 23:59:59")
        summary = f"deadline_reached:posting:{world.posting_id}:2026-03-20T22:59Z"
        reviews = f"reviews_pending:posting:{world.posting_id}:2026-03-23T07:00Z:n1"
        # The reviews reminder of 23 March, three days after the (caught up) closing, too.
        assert reminder_keys() == [f"{summary}:u{world.lead_id}", f"{summary}:e:{OUTSIDE_EMAIL}",
                                   f"{reviews}:u{world.lead_id}", f"{reviews}:u{world.reviewer_id}"]


def test_no_summary_for_a_deadline_more_than_fourteen_days_old(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    # 14 days and 1 second later (01:00, not midnight: summer time began in between).
    report = remind(local("2026-04-04 01:00"))
    assert [a.what for a in report.actions][:2] == ["close", "skip"]
    assert report.actions[1].text.endswith(
        "no closing summary: the deadline passed more than 14 days ago")
    with app.app_context():
        assert db.session.get(Posting, world.posting_id).closed_at == local(
            "2026-03-20 23:59:59")
        assert not any(k.startswith("deadline_reached") for k in reminder_keys())
        assert messages("reminder.deadline_reached") == []


def test_an_offer_closed_by_a_person_gets_no_summary(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), status=PostingStatus.CLOSED,
                        closed_at=local("2026-03-18 10:00"))
    assert remind(local("2026-03-21 09:00")).actions == []
    with app.app_context():
        assert reminder_keys() == []
        assert db.session.get(Posting, world.posting_id).closed_at == local("2026-03-18 10:00")


def test_an_offer_without_contacts_is_closed_without_a_summary(app, remind):
    with app.app_context():
        org = factories.organisation()
        posting = published_offer(org, deadline=local("2026-03-20 23:59:59"), contacts=[])
        db.session.commit()
        posting_id = posting.id
    report = remind(local("2026-03-21 09:00"))
    assert [a.what for a in report.actions] == ["close"]
    with app.app_context():
        assert db.session.get(Posting, posting_id).status == PostingStatus.CLOSED


# --- Reviews pending ----------------------------------------------------------------------------


def _received(app, received: dict[int, str]) -> None:
    """Sets when each application (id -> Paris wall-clock time) was received."""
    with app.app_context():
        for application_id, moment in received.items():
            db.session.get(Application, application_id).submitted_at = local(moment)
        db.session.commit()


def _candidate_names(application_ids: list[int]) -> list[str]:
    """The candidates' names as stored, in every form an email could show them."""
    names = []
    for application_id in application_ids:
        candidate = db.session.get(Application, application_id).candidate
        names += [candidate.first_name, candidate.last_name, candidate.last_name.upper(),
                  candidate.email]
    return names


def _closed_world(offer_world, **options):
    """An offer closed at its deadline, 20 March 2026 23:59:59 (English organisation)."""
    values = dict(deadline=local("2026-03-20 23:59:59"), status=PostingStatus.CLOSED,
                  closed_at=local("2026-03-20 23:59:59"), locale="en")
    return offer_world(**{**values, **options})


def test_each_reviewer_gets_their_own_list_three_days_after_closing(app, offer_world, remind):
    world = _closed_world(offer_world)
    ids = _apply(app, world.posting_id, 3)
    # Listed in the order received, each on its local (Paris) day: 00:30 on the 16th in Paris
    # is still the 15th in UTC.
    _received(app, {ids[0]: "2026-03-09 10:00", ids[1]: "2026-03-16 00:30",
                    ids[2]: "2026-03-12 18:00"})
    with app.app_context():
        lead = db.session.get(factories.User, world.lead_id)
        scoring.save_review(db.session.get(Application, ids[0]), lead, scores={},
                            recommendation="no")
        references = [db.session.get(Application, i).reference for i in ids]
        db.session.commit()
    assert remind(local("2026-03-23 07:59")).actions == []
    remind(local("2026-03-23 08:00"))
    with app.app_context():
        base = f"reviews_pending:posting:{world.posting_id}:2026-03-23T07:00Z:n1"
        assert reminder_keys() == [f"{base}:u{world.lead_id}", f"{base}:u{world.reviewer_id}"]
        title = db.session.get(Posting, world.posting_id).title
        assert _recipients("reminder.reviews_pending") == [
            ("Louis Lead <louis@example.org>", f"2 applications to review: “{title}”"),
            ("Samia Second <samia@example.org>", f"3 applications to review: “{title}”")]
        assert messages()[0].body_text.startswith(
            "Hello Louis Lead,\n\n"
            f"The offer “{title}” is closed and you are one of the people reviewing its "
            "applications.\n2 applications still wait for your review:\n\n"
            f"- {references[2]}, received March 12, 2026\n"
            f"- {references[1]}, received March 16, 2026\n\n"
            "To give your review:\n"
            f"http://tracker.test/gestion/{world.org_slug}/offres/{world.posting_id}"
            "/candidatures?vue=a-evaluer\n\nVilles au carré\n")
        assert f"- {references[0]}, received March 9, 2026\n" in messages()[1].body_text
        # Named by reference only: the names are in the database, in no email.
        names = _candidate_names(ids)
        assert "Léa1" in names and "MARTIN" in names
        for message in messages("reminder.reviews_pending"):
            text = message.subject + message.body_text + message.body_html
            assert [name for name in names if name in text] == []
        assert [r.detail for r in reminder_rows()] == [
            {"title": title, "number": 1, "unreviewed": 2},
            {"title": title, "number": 1, "unreviewed": 3}]


def test_reviews_pending_repeats_weekly_at_most_three_times_and_stops_when_done(
        app, offer_world, remind):
    world = _closed_world(offer_world)
    ids = _apply(app, world.posting_id, 2)
    for day in ("2026-03-23", "2026-03-30"):
        remind(local(f"{day} 08:00"))
        remind(local(f"{day} 18:00"))
    with app.app_context():
        lead = db.session.get(factories.User, world.lead_id)
        for application_id in ids:  # the lead is done; the second reviewer is not
            scoring.save_review(db.session.get(Application, application_id), lead, scores={},
                                recommendation="maybe")
        db.session.commit()
    for day in ("2026-04-06", "2026-04-13", "2026-04-20"):
        remind(local(f"{day} 08:00"))
    with app.app_context():
        assert [k.split(":", 3)[3] for k in reminder_keys("reviews_pending")] == [
            f"2026-03-23T07:00Z:n1:u{world.lead_id}",
            f"2026-03-23T07:00Z:n1:u{world.reviewer_id}",
            f"2026-03-30T06:00Z:n2:u{world.lead_id}",
            f"2026-03-30T06:00Z:n2:u{world.reviewer_id}",
            f"2026-04-06T06:00Z:n3:u{world.reviewer_id}",
        ]
        last = messages("reminder.reviews_pending")[-1]
        assert last.recipients == ["Samia Second <samia@example.org>"]
        assert last.subject.endswith("(reminder 3)")
        assert "This is reminder number 3." in last.body_text


def test_reviews_pending_after_a_downtime_sends_the_latest_only_and_not_weeks_late(
        app, offer_world, remind):
    world = _closed_world(offer_world)
    _apply(app, world.posting_id, 1)
    remind(local("2026-04-01 12:00"))  # down since the closing: n2 (30 March) only
    with app.app_context():
        assert [k.split(":", 3)[3] for k in reminder_keys()] == [
            f"2026-03-30T06:00Z:n2:u{world.lead_id}",
            f"2026-03-30T06:00Z:n2:u{world.reviewer_id}"]
    late = _closed_world(offer_world, tag="2")
    _apply(app, late.posting_id, 1)
    # The third and last one was due on 6 April; a week later it has lost its reason.
    report = remind(local("2026-04-13 08:00"))
    assert not [a for a in report.actions if f"reviews_pending posting:{late.posting_id}"
                in a.text]


def test_reviews_pending_leaves_out_inactive_and_removed_reviewers_and_withdrawn(
        app, offer_world, remind):
    world = _closed_world(offer_world)
    ids = _apply(app, world.posting_id, 2)
    with app.app_context():
        db.session.get(factories.User, world.reviewer_id).active = False
        db.session.get(Application, ids[0]).withdrawn_at = local("2026-03-21 10:00")
        db.session.commit()
    remind(local("2026-03-23 08:00"))
    with app.app_context():
        assert [r.user_id for r in reminder_rows()] == [world.lead_id]
        assert messages()[0].subject.startswith("1 application to review:")
        from tracker.review.models import PostingReviewer

        db.session.execute(sa.update(PostingReviewer).values(active=False))
        db.session.commit()
    assert remind(local("2026-03-30 08:00")).actions == []


def test_the_reviews_count_is_the_dashboards_to_review_count(app, offer_world):
    from tracker.review.dashboard import to_review_clause
    from tracker.review.models import PostingReviewer, StageKind
    from tracker.review.stages import pipeline, stage_of_kind

    world = _closed_world(offer_world)
    other = _closed_world(offer_world, tag="2")
    ids = _apply(app, world.posting_id, 6) + _apply(app, other.posting_id, 2)
    with app.app_context():
        lead = db.session.get(factories.User, world.lead_id)
        reviewed, withdrawn, rejected, hired = (db.session.get(Application, i) for i in ids[:4])
        scoring.save_review(reviewed, lead, scores={}, recommendation="yes")
        withdrawn.withdrawn_at = local("2026-03-21 10:00")
        rejected.stage_id = stage_of_kind(world.org_id, StageKind.REJECTED).id
        hired.stage_id = stage_of_kind(world.org_id, StageKind.HIRED).id
        db.session.flush()
        rows = db.session.execute(sa.select(PostingReviewer.id, PostingReviewer.posting_id,
                                            PostingReviewer.user_id)).all()
        stages = offers.stage_refs([world.org_id, other.org_id])
        counted = offers.to_review_counts({row_id: posting_id for row_id, posting_id, _u in rows},
                                          stages)
        expected = {}
        for row_id, posting_id, user_id in rows:
            org_id = db.session.get(Posting, posting_id).organisation_id
            expected[row_id] = db.session.scalar(
                sa.select(sa.func.count(Application.id)).where(
                    Application.posting_id == posting_id,
                    to_review_clause(user_id, pipeline(org_id))))
        assert counted == {k: v for k, v in expected.items() if v}
        assert sorted(counted.values()) == [2, 2, 2, 3]


def test_reviews_pending_lists_twenty_references_in_the_order_received(app, offer_world,
                                                                      remind):
    world = _closed_world(offer_world, anonymised=True)
    ids = _apply(app, world.posting_id, 22)
    # Received in the reverse order of their ids: the last ten on the 10th (09:00 to 18:00),
    # the ten before on the 11th, the first two on the 12th.
    _received(app, {application_id: f"2026-03-{10 + n // 10} {9 + n % 10:02d}:00"
                    for n, application_id in enumerate(reversed(ids))})
    remind(local("2026-03-23 08:00"))
    with app.app_context():
        references = [db.session.get(Application, i).reference for i in reversed(ids)]
        body = messages()[0].body_text
        lines = [line for line in body.splitlines() if line.startswith("- ")]
        days = ["10"] * 10 + ["11"] * 10
        assert lines == [f"- {r}, received March {d}, 2026"
                         for r, d in zip(references[:20], days, strict=True)] + ["- and 2 more"]
        assert "Martin" not in body and "MARTIN" not in body and "Léa" not in body
        assert "Candidate" not in body


def test_filled_offers_get_reviews_reminders_too(app, offer_world, remind):
    world = _closed_world(offer_world, status=PostingStatus.FILLED)
    _apply(app, world.posting_id, 1)
    remind(local("2026-03-23 08:00"))
    with app.app_context():
        assert len(messages("reminder.reviews_pending")) == 2


# --- Unanswered ---------------------------------------------------------------------------------


def test_unanswered_weekly_while_any_then_stops(app, offer_world, remind):
    world = _closed_world(offer_world)
    ids = _apply(app, world.posting_id, 2)
    with app.app_context():  # everyone reviewed: only the unanswered reminder remains
        for user_id in (world.lead_id, world.reviewer_id):
            user = db.session.get(factories.User, user_id)
            for application_id in ids:
                scoring.save_review(db.session.get(Application, application_id), user,
                                    scores={}, recommendation="no")
        db.session.commit()
    assert remind(local("2026-04-03 07:59")).actions == []
    remind(local("2026-04-03 08:00"))
    with app.app_context():
        base = f"unanswered:posting:{world.posting_id}:2026-04-03T06:00Z:n1"
        assert reminder_keys() == [f"{base}:u{world.lead_id}", f"{base}:e:{OUTSIDE_EMAIL}"]
        title = db.session.get(Posting, world.posting_id).title
        assert _recipients("reminder.unanswered") == [
            ("Louis Lead <louis@example.org>", f"2 applications without an answer: “{title}”"),
            ("Inès Moreau <ines.moreau@example.net>",
             f"2 applications without an answer: “{title}”")]
        assert messages()[0].body_text.startswith(
            "Hello Louis Lead,\n\n"
            f"The offer “{title}” is closed.\n"
            "2 candidates have not received an answer yet.\n\n"
            "The offer promised an answer to every candidate: they are waiting for it.\n\n"
            "To answer them:\n"
            f"http://tracker.test/gestion/{world.org_slug}/offres/{world.posting_id}"
            "/reponses\n\n")
        # One candidate is answered through the answers page's service.
        message = answers.queue_answer(db.session.get(Application, ids[0]),
                                       "answer.not_retained", actor=None)
        answers.send_draft(message, actor=None)
        db.session.commit()
    remind(local("2026-04-10 08:00"))
    with app.app_context():
        assert reminder_keys()[2].startswith(
            f"unanswered:posting:{world.posting_id}:2026-04-10T06:00Z:n2:")
        assert messages("reminder.unanswered")[2].subject.startswith(
            "1 application without an answer:")
        assert "One candidate has not received an answer yet." in messages(
            "reminder.unanswered")[2].body_text
        db.session.get(Application, ids[1]).answered_at = local("2026-04-12 10:00")
        db.session.commit()
    assert remind(local("2026-04-17 08:00")).actions == []
    assert remind(local("2026-05-01 08:00")).actions == []


def _unanswer(app, application_id: int, answered: bool) -> None:
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.answered_at = local("2026-04-01 10:00") if answered else None
        db.session.commit()


def test_a_series_that_found_everyone_answered_ends(app, offer_world, remind):
    world = _closed_world(offer_world, tag="1")
    (application_id,) = _apply(app, world.posting_id, 1)
    _unanswer(app, application_id, answered=True)
    remind(local("2026-04-03 08:00"))  # the first moment: nothing to say
    with app.app_context():
        assert reminder_keys("unanswered") == []
    # (Answers are never taken back; clearing one here tells whether the offer is still read.)
    _unanswer(app, application_id, answered=False)
    remind(local("2026-04-24 08:00"))  # within four weeks of the first moment: still read
    with app.app_context():
        assert [key_parts(k)["due"] for k in reminder_keys("unanswered")] == [
            "2026-04-24T06:00Z"] * 2
    _unanswer(app, application_id, answered=True)
    remind(local("2026-05-01 08:00"))
    _unanswer(app, application_id, answered=False)
    # Last reminder on 24 April: read until one repeat and four weeks later (29 May, 08:00);
    # just before, the latest moment (22 May) is sent.
    remind(local("2026-05-29 07:59"))
    with app.app_context():
        assert key_parts(reminder_keys("unanswered")[-1])["due"] == "2026-05-22T06:00Z"
    _unanswer(app, application_id, answered=True)
    remind(local("2026-06-05 08:00"))
    _unanswer(app, application_id, answered=False)
    remind(local("2026-06-26 08:00"))  # the series ended at this very moment
    with app.app_context():
        assert len(reminder_keys("unanswered")) == 4


def test_a_downtime_shorter_than_four_weeks_does_not_end_a_series(app, offer_world, remind):
    world = _closed_world(offer_world)
    _apply(app, world.posting_id, 1)
    remind(local("2026-04-03 08:00"))
    remind(local("2026-04-30 12:00"))  # down since 3 April: the fifth (1 May) is not due yet
    remind(local("2026-05-08 12:00"))  # down again a week
    with app.app_context():
        assert [(key_parts(k)["due"], key_parts(k)["rest"]) for k in
                reminder_keys("unanswered")][::2] == [
            ("2026-04-03T06:00Z", f"n1:u{world.lead_id}"),
            ("2026-04-24T06:00Z", f"n4:u{world.lead_id}"),
            ("2026-05-08T06:00Z", f"n6:u{world.lead_id}")]


def test_offers_closed_long_ago_are_not_read_again(app, offer_world, remind):
    # A database upgraded, or a worker started, long after the closing: no series begins.
    world = offer_world(deadline=local("2025-03-20 23:59:59"), status=PostingStatus.CLOSED,
                        closed_at=local("2025-03-20 23:59:59"), locale="en")
    _apply(app, world.posting_id, 1)
    assert remind(local("2026-03-20 08:00")).actions == []
    with app.app_context():
        assert len(messages()) == 0


def test_unanswered_without_a_promise_says_nothing_of_one(app, offer_world, remind):
    world = _closed_world(offer_world, answer_promise=False)
    _apply(app, world.posting_id, 1)
    remind(local("2026-04-03 08:00"))
    with app.app_context():
        body = messages("reminder.unanswered")[0].body_text
        assert "promised" not in body
        assert "One candidate has not received an answer yet.\n\nTo answer them:" in body


def test_unanswered_in_french_says_the_promise_plainly(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"), status=PostingStatus.CLOSED,
                        closed_at=local("2026-03-20 23:59:59"))
    _apply(app, world.posting_id, 3)
    remind(local("2026-04-03 08:00"))
    with app.app_context():
        message = messages("reminder.unanswered")[0]
        title = db.session.get(Posting, world.posting_id).title
        assert message.subject == (f"3 candidatures sans réponse\u00a0: «\u00a0{title}\u00a0»")
        assert ("3 personnes candidates n’ont pas encore reçu de réponse.\n\n"
                "L’offre promettait une réponse à chaque candidature\u00a0: ces personnes "
                "l’attendent.\n") in message.body_text


def test_unanswered_respects_the_organisation_settings(app, offer_world, remind):
    world = _closed_world(offer_world)
    _apply(app, world.posting_id, 1)
    with app.app_context():
        db.session.add(ReminderSettings(organisation_id=world.org_id, unanswered_after_days=7,
                                        unanswered_repeat_days=2, reviews_enabled=False))
        db.session.commit()
    remind(local("2026-03-27 08:00"))
    remind(local("2026-03-29 08:00"))
    remind(local("2026-03-30 08:00"))
    with app.app_context():
        assert [(key_parts(k)["due"], key_parts(k)["rest"]) for k in reminder_keys()] == [
            ("2026-03-27T07:00Z", f"n1:u{world.lead_id}"),
            ("2026-03-27T07:00Z", f"n1:e:{OUTSIDE_EMAIL}"),
            ("2026-03-29T06:00Z", f"n2:u{world.lead_id}"),
            ("2026-03-29T06:00Z", f"n2:e:{OUTSIDE_EMAIL}")]
        db.session.get(ReminderSettings, world.org_id).unanswered_enabled = False
        db.session.commit()
    assert remind(local("2026-03-31 08:00")).actions == []  # n3 was due: the rule is off


def test_statuses_of_the_rows(app, offer_world, remind):
    world = offer_world(deadline=local("2026-03-20 23:59:59"))
    remind(local("2026-03-13 08:00"))
    with app.app_context():
        rows = reminder_rows()
        assert [r.status for r in rows] == [ReminderStatus.QUEUED] * 3
        assert [r.message_id for r in rows] == [m.id for m in messages()]
        assert [(r.user_id, r.recipient) for r in rows] == [
            (world.admin_id, world.admin_email), (world.lead_id, world.lead_email),
            (None, OUTSIDE_EMAIL)]
        assert all(r.due_at == local("2026-03-13 08:00") for r in rows)
        assert all(r.created_at == local("2026-03-13 08:00") for r in rows)
        assert all(r.posting_id == world.posting_id for r in rows)
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0
