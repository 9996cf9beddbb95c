"""Interview tomorrow and start date approaching (tracker.reminders.rules.people)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.reminders.people_support import (
    add_interview,
    make_office,
    messages,
    paris,
    reminders,
    run,
    utc,
)
from tracker.accounts.models import User
from tracker.applications.models import Application
from tracker.db import db
from tracker.reminders.core import PassContext
from tracker.reminders.models import NotificationKind, ReminderSettings, ReminderStatus
from tracker.reminders.preferences import set_preferences
from tracker.reminders.rules import RULES
from tracker.reminders.rules.people import interview_tomorrow, start_date
from tracker.review.models import Interview, InterviewStatus

def _due(rule, now):
    return list(rule(PassContext(now=now)))


def before(moment):
    return moment - timedelta(seconds=1)


# --- Interview tomorrow ---------------------------------------------------------------------


def test_people_rules_are_asked_by_the_engine():
    assert interview_tomorrow in RULES and start_date in RULES


def test_interview_reminder_is_due_the_day_before_at_8_local(app):
    with app.app_context():
        office = make_office()
        starts = paris(2030, 3, 14, 14, 30)  # Thursday 14:30 in Paris (CET): 13:30 UTC
        interview_id = add_interview(office, starts, changed_at=utc(2030, 3, 1))
        due_at = paris(2030, 3, 13, 8, 0)
        assert due_at == utc(2030, 3, 13, 7, 0)
        assert _due(interview_tomorrow, before(due_at)) == []
        [due] = _due(interview_tomorrow, due_at)
        assert due.key == (f"interview_tomorrow:interview:{interview_id}:2030-03-13T07:00Z:"
                           "2030-03-14T13:30Z")
        assert due.due_at == due_at
        assert due.notification == NotificationKind.INTERVIEW_TOMORROW
        assert due.template_kind == "reminder.interview_tomorrow"
        assert [r.user_id for r in due.recipients] == [office.lead_id, office.other_id]
        assert (due.posting_id, due.application_id, due.interview_id) == (
            office.posting_id, office.application_id, interview_id)
        # Still due until the interview starts (a pass after a downtime), not after.
        assert len(_due(interview_tomorrow, before(starts))) == 1
        assert _due(interview_tomorrow, starts) == []


def test_interview_reminder_email_to_each_participant_once(app):
    with app.app_context():
        office = make_office()
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        report = run(interview_tomorrow, utc(2030, 3, 13, 7, 0, 30))
        assert report.count("queue") == 2
        sent = messages("reminder.interview_tomorrow")
        assert [m.recipients for m in sent] == [[f"Sami Benali <{office.lead_email}>"],
                                                [f"Nora Petit <{office.other_email}>"]]
        english, french = sent
        assert english.subject == ("Interview reminder: Léa MARTIN, Thursday, March 14, 2030 "
                                   "at 2:30\u202fPM")
        assert ("you are taking part in the interview with Léa MARTIN "
                f"({office.reference})") in english.body_text
        assert "Place: 12 rue des Lilas, 37000 Tours" in english.body_text
        assert "/gestion/notifications#interview_tomorrow" in english.body_text
        assert english.locale == "en" and english.reply_to == office.org_email
        assert french.subject == ("Rappel d’entretien\u00a0: Léa MARTIN, jeudi 14\u00a0mars "
                                  "2030 à 14\u00a0h\u00a030")
        assert "Lieu\u00a0: 12 rue des Lilas, 37000 Tours" in french.body_text
        # The note is for the candidate: not in the reviewers' reminder.
        assert "accueil" not in french.body_text
        # A second pass, later the same day, queues nothing more.
        assert run(interview_tomorrow, utc(2030, 3, 13, 9, 0)).count("queue") == 0
        assert len(messages("reminder.interview_tomorrow")) == 2
        assert {r.status for r in reminders("interview_tomorrow")} == {ReminderStatus.QUEUED}


def test_interview_reminder_keeps_8_local_across_the_spring_change(app):
    with app.app_context():
        office = make_office()
        # Clocks go forward in Paris on Sunday 31 March 2030 at 02:00.
        saturday_before = add_interview(office, paris(2030, 3, 31, 10, 0),
                                        changed_at=utc(2030, 3, 1))
        monday_after = add_interview(office, paris(2030, 4, 1, 10, 0),
                                     changed_at=utc(2030, 3, 1))
        dues = {d.interview_id: d.due_at for d in _due(interview_tomorrow, utc(2030, 3, 31, 7))}
        assert dues == {saturday_before: utc(2030, 3, 30, 7, 0),  # 08:00 CET
                        monday_after: utc(2030, 3, 31, 6, 0)}  # 08:00 CEST
        assert [d.interview_id for d in _due(interview_tomorrow, utc(2030, 3, 31, 5, 59))] == [
            saturday_before]


def test_interview_reminder_keeps_8_local_across_the_autumn_change(app):
    with app.app_context():
        office = make_office()
        # Clocks go back on Sunday 27 October 2030 at 03:00: the Monday interview's reminder
        # is at 08:00 CET on Sunday (07:00 UTC), the Sunday one's at 08:00 CEST on Saturday.
        sunday = add_interview(office, paris(2030, 10, 27, 10, 0), changed_at=utc(2030, 10, 1))
        monday = add_interview(office, paris(2030, 10, 28, 10, 0), changed_at=utc(2030, 10, 1))
        [due] = _due(interview_tomorrow, utc(2030, 10, 26, 6, 0))
        assert (due.interview_id, due.due_at) == (sunday, utc(2030, 10, 26, 6, 0))
        assert [d.interview_id for d in _due(interview_tomorrow, utc(2030, 10, 27, 6, 59))] == [
            sunday]
        assert {d.interview_id for d in _due(interview_tomorrow, utc(2030, 10, 27, 7, 0))} == {
            sunday, monday}


def test_no_reminder_for_a_cancelled_interview(app):
    with app.app_context():
        office = make_office()
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1),
                      status=InterviewStatus.CANCELLED)
        assert _due(interview_tomorrow, utc(2030, 3, 13, 7, 0)) == []


def test_a_moved_interview_is_reminded_for_its_new_time_only(app):
    with app.app_context():
        office = make_office()
        interview_id = add_interview(office, paris(2030, 3, 14, 14, 30),
                                     changed_at=utc(2030, 3, 1))
        interview = db.session.get(Interview, interview_id)
        interview.starts_at = paris(2030, 3, 20, 10, 0)
        interview.sequence += 1
        interview.updated_at = utc(2030, 3, 10)
        db.session.commit()
        assert _due(interview_tomorrow, utc(2030, 3, 13, 7, 0)) == []
        [due] = _due(interview_tomorrow, utc(2030, 3, 19, 7, 0))
        assert due.key.endswith(":2030-03-19T07:00Z:2030-03-20T09:00Z")


def test_an_interview_moved_after_its_reminder_gets_no_second_one(app):
    with app.app_context():
        office = make_office()
        interview_id = add_interview(office, paris(2030, 3, 14, 14, 30),
                                     changed_at=utc(2030, 3, 1))
        run(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        assert len(messages("reminder.interview_tomorrow")) == 2
        # Moved on the morning of the reminder to later that day: the update email told them.
        interview = db.session.get(Interview, interview_id)
        interview.starts_at = paris(2030, 3, 14, 16, 0)
        interview.updated_at = utc(2030, 3, 13, 9, 0)
        db.session.commit()
        assert run(interview_tomorrow, utc(2030, 3, 13, 10, 0)).count("queue") == 0


def test_no_reminder_for_an_interview_scheduled_after_the_due_moment(app):
    with app.app_context():
        office = make_office()
        # Scheduled at 10:00 on the day before: its invitation is fresher than any reminder.
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=paris(2030, 3, 13, 10, 0))
        assert _due(interview_tomorrow, paris(2030, 3, 13, 11, 0)) == []
        # One scheduled at 07:59 the same day is reminded at 08:00.
        office2 = make_office()
        add_interview(office2, paris(2030, 3, 14, 14, 30), changed_at=paris(2030, 3, 13, 7, 59))
        assert len(_due(interview_tomorrow, paris(2030, 3, 13, 8, 0))) == 1


def test_no_reminder_when_the_candidate_withdrew_or_the_rule_is_off(app):
    with app.app_context():
        office = make_office()
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        db.session.get(Application, office.application_id).withdrawn_at = utc(2030, 3, 5)
        db.session.commit()
        assert _due(interview_tomorrow, utc(2030, 3, 13, 7, 0)) == []
        off = make_office(settings={"interview_enabled": False})
        add_interview(off, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        assert _due(interview_tomorrow, utc(2030, 3, 13, 7, 0)) == []


def test_participants_no_longer_active_are_left_out(app):
    with app.app_context():
        office = make_office()
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        db.session.get(User, office.other_id).active = False
        db.session.commit()
        [due] = _due(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        assert [r.user_id for r in due.recipients] == [office.lead_id]


def test_masked_candidate_stays_masked_in_the_reviewers_reminder(app):
    with app.app_context():
        office = make_office(anonymised=True)
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        run(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        english, french = messages("reminder.interview_tomorrow")
        for message in (english, french):
            text = " ".join([message.subject, message.body_text, message.body_html]).lower()
            for secret in ("léa", "lea", "martin"):
                assert secret not in text, secret
        assert english.subject.startswith(f"Interview reminder: Candidate {office.reference},")
        assert french.subject.startswith(
            f"Rappel d’entretien\u00a0: Candidat·e {office.reference},")


def test_candidate_gets_no_reminder_by_default(app):
    with app.app_context():
        office = make_office()
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        run(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        assert messages("reminder.interview_tomorrow_candidate") == []
        assert all("lea.martin@example.com" not in m.recipients[0] for m in messages())


def test_candidate_reminder_when_the_organisation_wants_it(app):
    with app.app_context():
        office = make_office(candidate_locale="en", settings={"interview_to_candidate": True})
        interview_id = add_interview(office, paris(2030, 3, 14, 14, 30),
                                     changed_at=utc(2030, 3, 1))
        dues = _due(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        candidate_due = next(d for d in dues if d.notification is None)
        assert candidate_due.key == (f"interview_tomorrow:interview:{interview_id}:"
                                     "2030-03-13T07:00Z:2030-03-14T13:30Z:candidate")
        assert candidate_due.footer is False
        run(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        [message] = messages("reminder.interview_tomorrow_candidate")
        assert message.recipients == ["Léa MARTIN <lea.martin@example.com>"]
        assert message.locale == "en" and message.reply_to == office.org_email
        assert message.subject == ("Reminder: your interview on Thursday, March 14, 2030 – "
                                   "Chargé·e de mission conseils citoyens")
        assert message.body_text.startswith("Hello Léa Martin,\n")
        assert "Please ask" not in message.body_text
        assert "Merci de vous présenter à l’accueil." in message.body_text  # the note
        assert "notification" not in message.body_text.lower()  # no settings footer
        assert "/gestion/" not in message.body_text
        # Once only.
        run(interview_tomorrow, utc(2030, 3, 13, 8, 0))
        assert len(messages("reminder.interview_tomorrow_candidate")) == 1


def test_a_participant_who_chose_never_gets_nothing(app):
    with app.app_context():
        office = make_office()
        set_preferences(office.other_id, {NotificationKind.INTERVIEW_TOMORROW: "never"})
        db.session.commit()
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1))
        run(interview_tomorrow, utc(2030, 3, 13, 7, 0))
        assert [m.recipients for m in messages("reminder.interview_tomorrow")] == [
            [f"Sami Benali <{office.lead_email}>"]]
        skipped = [r for r in reminders() if r.status == ReminderStatus.SKIPPED]
        assert [r.user_id for r in skipped] == [office.other_id]


def test_interview_rule_statements_do_not_grow_with_interviews(app, queries):
    with app.app_context():
        office = make_office()
        for day in range(1, 20):
            add_interview(office, paris(2030, 4, day, 10, 0), changed_at=utc(2030, 3, 1))
        with queries() as counted:
            dues = _due(interview_tomorrow, utc(2030, 4, 9, 6, 0))
        # Today's 10:00 interview (reminded yesterday, still before it starts) and tomorrow's.
        assert [d.due_at for d in dues] == [utc(2030, 4, 8, 6, 0), utc(2030, 4, 9, 6, 0)]
        few = counted()
        for hour in range(8, 20):  # a dozen more interviews due now, in the window
            add_interview(office, paris(2030, 4, 10, hour, 30), changed_at=utc(2030, 3, 1))
        with queries() as counted:
            dues = _due(interview_tomorrow, utc(2030, 4, 9, 6, 0))
        assert len(dues) == 14
        assert counted() == few == 5  # interviews, participants, applications, settings, users


# --- Start date -----------------------------------------------------------------------------

START_FIELDS = dict(contract_start=date(2030, 6, 3), contract_end=date(2031, 6, 2),
                    start_earliest=date(2030, 5, 15), start_latest=date(2030, 6, 3))


def _retain(application_id: int, decision: str = "retained") -> None:
    application = db.session.get(Application, application_id)
    application.decision = decision
    application.decided_at = utc(2030, 4, 1)
    db.session.commit()


def test_start_date_reminder_is_off_by_default(app):
    with app.app_context():
        office = make_office(**START_FIELDS)
        _retain(office.application_id)
        assert _due(start_date, utc(2030, 5, 27, 6, 0)) == []
        assert _due(start_date, utc(2030, 6, 1, 12, 0)) == []


def test_start_date_reminder_when_on_is_due_start_days_before_at_8(app):
    with app.app_context():
        office = make_office(settings={"start_enabled": True, "start_days": 7}, **START_FIELDS)
        _retain(office.application_id)
        due_at = paris(2030, 5, 27, 8, 0)  # Monday 3 June minus 7 days, 08:00 CEST
        assert due_at == utc(2030, 5, 27, 6, 0)
        assert _due(start_date, before(due_at)) == []
        [due] = _due(start_date, due_at)
        assert due.key == f"start_date:application:{office.application_id}:2030-05-27T06:00Z"
        assert due.due_at == due_at and due.notification == NotificationKind.START_DATE
        assert [r.user_id for r in due.recipients] == [office.lead_id, office.other_id]
        # Until the start day begins, local time.
        assert len(_due(start_date, before(paris(2030, 6, 3, 0, 0)))) == 1
        assert _due(start_date, paris(2030, 6, 3, 0, 0)) == []
        run(start_date, due_at)
        english, french = messages("reminder.start_date")
        assert english.subject == ("Starting on Monday, June 3, 2030: Léa MARTIN, "
                                   "Chargé·e de mission conseils citoyens")
        assert french.subject == ("Prise de poste le lundi 3\u00a0juin 2030\u00a0: Léa MARTIN, "
                                  "Chargé·e de mission conseils citoyens")
        assert "/gestion/notifications#start_date" in english.body_text
        run(start_date, paris(2030, 5, 28, 8, 0))
        assert len(messages("reminder.start_date")) == 2


def test_people_reminders_kept_for_a_digest_name_the_application_by_reference(app):
    """A digest lists several applications: its lines never name a candidate."""
    with app.app_context():
        office = make_office(settings={"start_enabled": True, "start_days": 7}, **START_FIELDS)
        _retain(office.application_id)
        add_interview(office, paris(2030, 5, 30, 14, 30), changed_at=utc(2030, 5, 1),
                      participants=[office.lead_id])
        for kind in (NotificationKind.START_DATE, NotificationKind.INTERVIEW_TOMORROW):
            set_preferences(office.lead_id, {kind: "digest"})
        db.session.commit()
        run(start_date, paris(2030, 5, 29, 8, 0))
        run(interview_tomorrow, paris(2030, 5, 29, 8, 0))
        kept = [r for r in reminders() if r.status == ReminderStatus.DIGEST]
        title = "Chargé·e de mission conseils citoyens"
        assert [(r.rule, r.user_id, r.detail["line"]) for r in kept] == [
            ("start_date", office.lead_id,
             f"Candidate {office.reference} starts on Monday, June 3, 2030 ({title})"),
            ("interview_tomorrow", office.lead_id,
             f"Interview, application {office.reference} ({title}): Thursday, May 30, 2030 "
             "at 2:30\u202fPM"),
        ]
        candidate = db.session.get(Application, office.application_id).candidate
        assert (candidate.first_name, candidate.last_name) == ("Léa", "Martin")
        for row in kept:
            assert "Léa" not in str(row.detail) and "martin" not in str(row.detail).lower()
        # Nora takes them one by one: her own emails name the candidate (one application).
        [email] = messages("reminder.start_date")
        assert "Léa MARTIN" in email.subject


def test_start_date_only_for_retained_candidates_and_the_start_window_otherwise(app):
    with app.app_context():
        fields = {**START_FIELDS, "contract_start": None, "contract_end": None}
        office = make_office(settings={"start_enabled": True, "start_days": 3}, **fields)
        assert _due(start_date, paris(2030, 5, 12, 8, 0)) == []  # no decision yet
        _retain(office.application_id, "not_retained")
        assert _due(start_date, paris(2030, 5, 12, 8, 0)) == []
        _retain(office.application_id)
        # start_earliest 15 May 2030 minus 3 days.
        [due] = _due(start_date, paris(2030, 5, 12, 8, 0))
        assert due.due_at == paris(2030, 5, 12, 8, 0)
        assert _due(start_date, paris(2030, 5, 12, 7, 59)) == []


def test_start_date_settings_of_another_organisation_do_not_apply(app):
    with app.app_context():
        make_office(settings={"start_enabled": True}, **START_FIELDS)
        quiet = make_office(**START_FIELDS)
        _retain(quiet.application_id)
        assert _due(start_date, utc(2030, 5, 27, 6, 0)) == []
        assert db.session.get(ReminderSettings, quiet.org_id) is None
