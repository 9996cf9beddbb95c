"""The engine: each reminder recorded once per recipient, people's choices, failures isolated,
dry runs, locking of the closing, bounded queries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import count_queries
from tests.reminders.conftest import (
    OUTSIDE_EMAIL,
    contact,
    local,
    messages,
    published_offer,
    reminder_keys,
    reminder_rows,
)
from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import Message
from tracker.postings.models import ContactRole, Posting, PostingStatus
from tracker.reminders import engine
from tracker.reminders.core import Due, PassContext, PassReport, Recipient, reminder_key
from tracker.reminders.models import (
    NotificationKind,
    NotificationMode,
    NotificationPreference,
    ReminderRule,
    ReminderStatus,
)
from tracker.reminders.preferences import set_preferences
from tracker.reminders.rules import offers
from tracker.review import scoring

DEADLINE = "2026-03-20 23:59:59"
J7 = "2026-03-13 08:00"


def _d7_key(world, who: str) -> str:
    return f"deadline_approaching:posting:{world.posting_id}:2026-03-13T07:00Z:d7:{who}"


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(table))
                 for table in (engine.Reminder, Message, Event))


# --- insert_once ----------------------------------------------------------------------------


def test_insert_once_inserts_a_key_once(app, offer_world):
    world = offer_world(deadline=local(DEADLINE))
    values = dict(organisation_id=world.org_id, rule="deadline_approaching", key="k:1:u1",
                  due_at=local(J7), posting_id=world.posting_id, user_id=world.admin_id)
    with app.app_context():
        first = engine.insert_once(**values)
        assert isinstance(first, int)
        assert engine.insert_once(**{**values, "status": ReminderStatus.SKIPPED}) is None
        db.session.commit()
        (row,) = reminder_rows()
        assert (row.id, row.status, row.detail, row.note, row.recipient) == (
            first, ReminderStatus.QUEUED, {}, "", "")


# --- People's choices -------------------------------------------------------------------------


def _offer_rule_dues(now):
    context = PassContext(now=now)
    return context, offers.deadline_approaching(context)


def test_never_is_skipped_digest_is_kept_each_is_queued(app, offer_world):
    world = offer_world(deadline=local(DEADLINE), locale="en")
    with app.app_context():
        set_preferences(world.admin_id, {NotificationKind.DEADLINE_APPROACHING: "never"})
        set_preferences(world.lead_id, {NotificationKind.DEADLINE_APPROACHING: "digest"})
        db.session.commit()
        context, dues = _offer_rule_dues(local(J7))
        report = PassReport(now=context.now)
        for due in dues:
            engine.offer(due, context, report)
        rows = reminder_rows()
        title = db.session.get(Posting, world.posting_id).title
        assert [(r.key, r.status, r.message_id is not None) for r in rows] == [
            (_d7_key(world, f"u{world.admin_id}"), ReminderStatus.SKIPPED, False),
            (_d7_key(world, f"u{world.lead_id}"), ReminderStatus.DIGEST, False),
            (_d7_key(world, f"e:{OUTSIDE_EMAIL}"), ReminderStatus.QUEUED, True),
        ]
        assert rows[0].note == engine.NOTE_NEVER
        assert rows[1].detail == {"title": title, "days": 7, "days_left": 7,
                                  "applications": 0,
                                  "line": f"{title}: deadline in 7 days (0 applications)"}
        assert [m.recipients for m in messages()] == [["Inès Moreau <ines.moreau@example.net>"]]
    assert [a.what for a in report.actions] == ["skip", "digest", "queue"]
    assert report.actions[0].text == (
        f"2026-03-13T07:00:00Z skip deadline_approaching posting:{world.posting_id} -> "
        "alice@example.org (chose never)")


def test_a_digest_choice_goes_out_in_the_daily_digest_of_the_same_pass(app, offer_world,
                                                                       remind):
    world = offer_world(deadline=local(DEADLINE), locale="en")
    with app.app_context():
        set_preferences(world.lead_id, {NotificationKind.DEADLINE_APPROACHING: "digest"})
        db.session.commit()
    remind(local(J7))
    with app.app_context():
        row = next(r for r in reminder_rows() if r.key == _d7_key(world, f"u{world.lead_id}"))
        assert row.status == ReminderStatus.DIGESTED
        digest = db.session.get(Message, row.message_id)
        assert digest.kind == "reminder.digest"
        assert row.detail["line"] in digest.body_text
        assert [m.kind for m in messages()].count("reminder.deadline_approaching") == 2


def test_a_digest_choice_caught_up_late_keeps_its_due_time_and_its_days_digest(
        app, offer_world, remind):
    """A pass at 14:00 (the worker was down at 08:00) keeps the reminder due at 08:00: the
    digest of that day's 08:00 slot takes it, not the next day's."""
    world = offer_world(deadline=local(DEADLINE), locale="en")
    with app.app_context():
        set_preferences(world.lead_id, {NotificationKind.DEADLINE_APPROACHING: "digest"})
        db.session.commit()
    remind(local("2026-03-13 14:00"))
    with app.app_context():
        row = next(r for r in reminder_rows() if r.key == _d7_key(world, f"u{world.lead_id}"))
        assert (row.status, row.due_at, row.created_at) == (
            ReminderStatus.DIGESTED, local(J7), local("2026-03-13 14:00"))
        [digest] = [r for r in reminder_rows() if r.rule == ReminderRule.DIGEST]
        assert (digest.due_at, digest.message_id) == (local(J7), row.message_id)
        assert digest.key == (f"digest:user:{world.lead_id}:2026-03-13T07:00Z:o{world.org_id}")


def test_the_closing_summary_cannot_be_refused(app, offer_world, remind):
    world = offer_world(deadline=local(DEADLINE))
    with app.app_context():
        # "never" is not offered for it; a stored one (from an older version) reads "each".
        db.session.add(NotificationPreference(user_id=world.lead_id,
                                              kind=NotificationKind.DEADLINE_REACHED,
                                              mode=NotificationMode.NEVER))
        db.session.commit()
    remind(local("2026-03-21 08:00"))
    with app.app_context():
        rows = reminder_rows()
        assert [(r.user_id, r.status) for r in rows] == [
            (world.lead_id, ReminderStatus.QUEUED), (None, ReminderStatus.QUEUED)]
        assert len(messages("reminder.deadline_reached")) == 2


def test_a_person_named_twice_gets_one_email(app, remind):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN, email="claire@example.org")
        posting = published_offer(org, deadline=local(DEADLINE), contacts=[
            contact(admin, role=ContactRole.TO, position=0),
            # The same person again, as an outside address (any case), and an "info" contact.
            contact(name="Claire", email="Claire@Example.org", role=ContactRole.CC, position=1),
            contact(name="Info", email="info@example.net", role=ContactRole.INFO, position=2),
        ])
        db.session.commit()
        posting_id, admin_id = posting.id, admin.id
    remind(local(J7))
    with app.app_context():
        assert reminder_keys() == [f"deadline_approaching:posting:{posting_id}:"
                                   f"2026-03-13T07:00Z:d7:u{admin_id}"]
        assert len(messages()) == 1


def test_inactive_people_and_former_members_get_nothing(app, offer_world, remind):
    world = offer_world(deadline=local(DEADLINE))
    with app.app_context():
        db.session.get(User, world.admin_id).active = False
        db.session.get(User, world.lead_id).active = False
        db.session.commit()
    remind(local(J7))
    with app.app_context():
        assert reminder_keys() == [_d7_key(world, f"e:{OUTSIDE_EMAIL}")]
        db.session.get(User, world.admin_id).active = True
        db.session.execute(sa.delete(Membership).where(Membership.user_id == world.admin_id))
        db.session.commit()
    remind(local("2026-03-19 08:00"))
    with app.app_context():
        assert [r.recipient for r in reminder_rows()[1:]] == [OUTSIDE_EMAIL]


def test_a_refused_address_is_skipped_with_a_note_and_the_others_go_out(app, remind):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN, email="alice@example.org")
        posting = published_offer(org, deadline=local(DEADLINE), contacts=[
            contact(name="Typo", email="jean@@example.org", role=ContactRole.TO)])
        db.session.commit()
        posting_id, admin_id = posting.id, admin.id
    report = remind(local(J7))
    assert [a.what for a in report.actions] == ["queue", "skip"]
    with app.app_context():
        rows = reminder_rows()
        assert [(r.user_id, r.recipient, r.status) for r in rows] == [
            (admin_id, "alice@example.org", ReminderStatus.QUEUED),
            (None, "jean@@example.org", ReminderStatus.SKIPPED)]
        assert rows[1].note.startswith("no valid recipient")
        assert rows[1].key.endswith(":e:jean@@example.org")
        assert len(messages()) == 1 and messages()[0].posting_id == posting_id
    assert remind(local("2026-03-13 09:00")).actions == []


def test_each_recipient_reads_their_own_language(app, offer_world, remind):
    world = offer_world(deadline=local(DEADLINE))
    with app.app_context():
        db.session.get(User, world.admin_id).locale = "en"
        db.session.commit()
    remind(local(J7))
    with app.app_context():
        assert [m.locale for m in messages()] == ["en", "fr", "fr"]
        assert messages()[0].subject.startswith("Deadline in 7 days:")
        assert messages()[1].subject.startswith("Date limite ")


# --- Failures -----------------------------------------------------------------------------------


def _broken_rule(context):
    raise RuntimeError("rule exploded")


def _rule_with_a_broken_due(context):
    organisation = db.session.scalars(sa.select(Organisation)).first()

    def context_values(locale):
        raise RuntimeError("context exploded")

    return [Due(rule=ReminderRule.UNANSWERED, notification=NotificationKind.UNANSWERED,
                organisation=organisation,
                key=reminder_key(ReminderRule.UNANSWERED, "posting", 999, context.now, "n1"),
                due_at=context.now,
                recipients=[Recipient(address="x@example.org", name="X")],
                template_kind="reminder.unanswered", context=context_values)]


def test_a_failing_rule_or_due_is_reported_and_the_pass_goes_on(app, offer_world, remind,
                                                                  monkeypatch, caplog):
    from tracker.reminders import rules

    world = offer_world(deadline=local(DEADLINE))
    monkeypatch.setattr(rules, "RULES", (_broken_rule, _rule_with_a_broken_due, *rules.RULES))
    report = remind(local(J7))
    assert [a.what for a in report.actions] == ["error", "error", "queue", "queue", "queue"]
    assert report.actions[0].text == (
        "2026-03-13T07:00:00Z error _broken_rule - RuntimeError: rule exploded")
    assert report.actions[1].text == (
        "2026-03-13T07:00:00Z error unanswered posting:999 RuntimeError: context exploded")
    with app.app_context():
        # The broken Due's row was rolled back with it: it will be tried again.
        assert reminder_keys() == [_d7_key(world, f"u{world.admin_id}"),
                                   _d7_key(world, f"u{world.lead_id}"),
                                   _d7_key(world, f"e:{OUTSIDE_EMAIL}")]
    assert "rule exploded" in caplog.text and "context exploded" in caplog.text
    assert [a.what for a in remind(local("2026-03-13 08:01")).actions] == ["error", "error"]


def test_an_offer_closes_even_when_its_summary_fails(app, offer_world, remind, monkeypatch):
    world = offer_world(deadline=local(DEADLINE))
    real = offers.closing_summary

    def failing_summary(posting, context):
        due = real(posting, context)

        def values(locale):
            raise RuntimeError("summary exploded")

        due.context = values
        return due

    monkeypatch.setattr(offers, "closing_summary", failing_summary)
    report = remind(local("2026-03-21 08:00"))
    assert [a.text for a in report.actions] == [
        f"2026-03-21T07:00:00Z close deadline_reached posting:{world.posting_id} closed at the "
        "deadline 2026-03-20T22:59:59Z",
        f"2026-03-21T07:00:00Z error deadline_reached posting:{world.posting_id} no closing "
        "summary: RuntimeError: summary exploded",
    ]
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        assert (posting.status, posting.closed_at) == (PostingStatus.CLOSED, local(DEADLINE))
        # The row recorded for the first contact went with the savepoint.
        assert reminder_keys() == [] and messages() == []
        assert db.session.scalar(sa.select(sa.func.count(Event.id))
                                 .where(Event.action == "posting.close")) == 1


def test_run_pass_refuses_a_naive_instant(app):
    from datetime import datetime

    with app.app_context(), pytest.raises(ValueError):
        engine.run_pass(datetime(2026, 3, 13, 8, 0))


# --- Dry run ------------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_a_pass_would_do(app, offer_world, remind):
    world = offer_world(deadline=local(DEADLINE), locale="en")
    late = offer_world(deadline=local("2026-03-12 12:00"), tag="2")
    with app.app_context():
        set_preferences(world.admin_id, {NotificationKind.DEADLINE_APPROACHING: "never"})
        db.session.commit()
        before = _counts()
    report = remind(local(J7), dry_run=True)
    assert report.dry_run
    assert [a.text for a in report.actions] == [
        f"2026-03-13T07:00:00Z close deadline_reached posting:{late.posting_id} "
        "closed at the deadline 2026-03-12T11:00:00Z",
        f"2026-03-13T07:00:00Z queue deadline_reached posting:{late.posting_id} -> "
        "louis2@example.org (dry run, each)",
        f"2026-03-13T07:00:00Z queue deadline_reached posting:{late.posting_id} -> "
        f"{OUTSIDE_EMAIL} (dry run, each)",
        f"2026-03-13T07:00:00Z skip deadline_approaching posting:{world.posting_id} -> "
        "alice@example.org (dry run, never)",
        f"2026-03-13T07:00:00Z queue deadline_approaching posting:{world.posting_id} -> "
        "louis@example.org (dry run, each)",
        f"2026-03-13T07:00:00Z queue deadline_approaching posting:{world.posting_id} -> "
        f"{OUTSIDE_EMAIL} (dry run, each)",
    ]
    with app.app_context():
        assert _counts() == before
        assert db.session.get(Posting, late.posting_id).status == PostingStatus.PUBLISHED
    real = remind(local(J7))
    assert [a.what for a in real.actions] == [a.what for a in report.actions]
    assert remind(local(J7), dry_run=True).actions == []


# --- Closing: once, even with two workers ---------------------------------------------------------


def test_claim_expired_refuses_an_offer_closed_meanwhile(app, offer_world):
    world = offer_world(deadline=local(DEADLINE))
    with app.app_context():
        assert engine.claim_expired(world.posting_id, local("2026-03-20 23:59:59")) is None
        claimed = engine.claim_expired(world.posting_id, local("2026-03-21 00:00"))
        assert claimed is not None and claimed.id == world.posting_id
        db.session.rollback()
        db.session.get(Posting, world.posting_id).status = PostingStatus.CLOSED
        db.session.get(Posting, world.posting_id).closed_at = local("2026-03-19 10:00")
        db.session.commit()
        assert engine.claim_expired(world.posting_id, local("2026-03-21 00:00")) is None


def test_an_offer_locked_by_another_worker_is_left_to_it(app, offer_world, remind):
    world = offer_world(deadline=local(DEADLINE))
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks (SKIP LOCKED) are PostgreSQL's; on SQLite one worker is "
                        "the rule, and a second one waits for the write lock")
        other = db.engine.connect()
    try:
        transaction = other.begin()
        other.execute(sa.text("SELECT id FROM posting WHERE id = :id FOR UPDATE"),
                      {"id": world.posting_id})
        report = remind(local("2026-03-21 08:00"))
        assert report.actions == []  # skipped, not waited for, not failed
        transaction.rollback()
    finally:
        other.close()
    assert [a.what for a in remind(local("2026-03-21 08:00")).actions] == [
        "close", "queue", "queue"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Event.id))
                                 .where(Event.action == "posting.close")) == 1


def test_the_closing_is_recorded_once_whatever_runs_it(app, offer_world, remind):
    world = offer_world(deadline=local(DEADLINE))
    for moment in ("2026-03-21 00:00", "2026-03-21 00:00", "2026-03-22 08:00"):
        remind(local(moment))
    with app.app_context():
        events = db.session.scalars(sa.select(Event).where(Event.action == "posting.close"))
        assert [(e.object_id, e.actor_id) for e in events] == [(world.posting_id, None)]
        assert len(messages("reminder.deadline_reached")) == 2


# --- Links and bounded work ----------------------------------------------------------------------


def test_links_without_server_name_use_the_trusted_host(app, offer_world, remind, monkeypatch):
    world = offer_world(deadline=local(DEADLINE))
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["emplois.example.org"])
    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "https")
    remind(local(J7))
    with app.app_context():
        body = messages()[0].body_text
    assert (f"https://emplois.example.org/gestion/{world.org_slug}/offres/{world.posting_id}"
            "/candidatures\n") in body
    assert "https://emplois.example.org/gestion/notifications#deadline_approaching" in body


def _statements_of_a_pass(app, now) -> int:
    with count_queries(app) as count, app.app_context():
        engine.run_pass(now)
        db.session.remove()
    return count()


def test_a_pass_with_nothing_new_does_the_same_few_queries_for_2_or_14_offers(app):
    def build(count: int) -> None:
        """``count`` open offers, and ``count`` closed ones whose candidates are all reviewed
        and answered (so that every rule looks at them, and finds nothing to send)."""
        with app.app_context():
            org = factories.organisation()
            admin = factories.user(org, Role.ADMIN)
            for _ in range(count):
                for closed in (False, True):
                    posting = published_offer(org, deadline=local(DEADLINE),
                                              contacts=[contact(admin)])
                    factories.reviewer(posting, admin)
                    applications = [factories.application(posting) for _ in range(3)]
                    if closed:
                        posting.status = PostingStatus.CLOSED
                        posting.closed_at = local("2026-02-20 12:00")
                        for application in applications:
                            application.answered_at = local("2026-02-21 12:00")
                            scoring.save_review(application, admin, scores={},
                                                recommendation="no")
            db.session.commit()

    build(1)
    _statements_of_a_pass(app, local(J7))
    small = _statements_of_a_pass(app, local("2026-03-13 09:00"))
    build(6)
    with app.app_context():
        before = len(reminder_rows())
    _statements_of_a_pass(app, local("2026-03-13 09:30"))
    with app.app_context():
        assert len(reminder_rows()) == before + 6  # the new offers' "7 days left"
    large = _statements_of_a_pass(app, local("2026-03-13 10:00"))
    assert small == large, (small, large)
    assert large <= 25, large
