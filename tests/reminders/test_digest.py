"""The daily digest (tracker.reminders.digest): one email a day gathering what waits."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.reminders.people_support import (
    add_interview,
    make_office,
    messages,
    paris,
    reminders,
    set_mode,
    submit,
    utc,
)
from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.applications.models import Application, Candidate
from tracker.db import db
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus
from tracker.reminders.core import PassContext, PassReport
from tracker.reminders.digest import send_digests, slot
from tracker.reminders.engine import run_pass
from tracker.reminders.models import Reminder, ReminderSettings, ReminderStatus
from tracker.reminders.schedule import zone

DIGEST = "reminder.digest"
TITLE = "Chargé·e de mission conseils citoyens"
PEOPLE = [("Zoé", "Quintard"), ("Hugo", "Roux"), ("Emma", "Leroy"), ("Jade", "Morel"),
          ("Noah", "Girard")]


def digest(now) -> PassReport:
    report = PassReport(now=now)
    send_digests(PassContext(now=now), report)
    return report


def _apply(posting_id: int, who: int, now) -> int:
    first, last = PEOPLE[who]
    return submit(posting_id, first_name=first, last_name=last,
                  email=f"candidate{who}@example.net", now=now)


def _office():
    """Sami (English) takes new applications in his digest."""
    office = make_office()
    set_mode(office.lead_id, "new_application", "digest")
    return office


def _reference(application_id: int) -> str:
    return db.session.get(Application, application_id).reference


def _link(office) -> str:
    slug = db.session.get(Organisation, office.org_id).slug
    return f"http://tracker.test/gestion/{slug}/offres/{office.posting_id}/candidatures"


def _second_posting(office) -> int:
    org = db.session.get(Organisation, office.org_id)
    lead = db.session.get(User, office.lead_id)
    posting = factories.posting(org, status=PostingStatus.PUBLISHED, title="Animateur·rice",
                                contacts=[PostingContact(user=lead, role=ContactRole.TO)])
    db.session.commit()
    return posting.id


def test_slot_is_the_latest_send_hour_at_or_before_now():
    paris_zone = zone("Europe/Paris")
    assert slot(paris(2030, 3, 13, 8, 0), 8, paris_zone) == paris(2030, 3, 13, 8, 0)
    assert slot(paris(2030, 3, 13, 7, 59), 8, paris_zone) == paris(2030, 3, 12, 8, 0)
    assert slot(paris(2030, 3, 13, 23, 0), 8, paris_zone) == paris(2030, 3, 13, 8, 0)
    # Across the spring change: 08:00 local on both sides.
    assert slot(utc(2030, 3, 31, 5, 59), 8, paris_zone) == utc(2030, 3, 30, 7, 0)
    assert slot(utc(2030, 3, 31, 6, 0), 8, paris_zone) == utc(2030, 3, 31, 6, 0)


def test_digest_gathers_the_rows_in_one_email(app):
    with app.app_context():
        office = _office()
        other_posting = _second_posting(office)
        ids = [_apply(office.posting_id, who, paris(2030, 3, 12, hour))
               for who, hour in ((0, 10), (1, 14), (2, 18))]
        other = _apply(other_posting, 3, paris(2030, 3, 12, 11))
        refs = [_reference(i) for i in ids]
        assert messages(DIGEST) == []
        # The worker's next pass (here, the next morning) sends one digest gathering them.
        report = digest(paris(2030, 3, 13, 8, 0, 30))
        assert report.count("digest") == 1
        [line] = [a.text for a in report.actions]
        assert line == (f"2030-03-13T07:00:30Z digest digest user:{office.lead_id} -> "
                        f"{office.lead_email} (4 items, organisation {office.org_id})")
        [message] = messages(DIGEST)
        assert message.recipients == [f"Sami Benali <{office.lead_email}>"]
        assert message.subject.startswith("Your digest of Wednesday, March 13, 2030 – Centre ")
        slug = db.session.get(Organisation, office.org_id).slug
        other_link = f"http://tracker.test/gestion/{slug}/offres/{other_posting}/candidatures"
        assert ("\n\n"
                f"- {TITLE}: 3 new applications ({refs[0]}, {refs[1]}, {refs[2]}) – "
                f"{_link(office)}\n"
                f"- Animateur·rice: new application {_reference(other)} – {other_link}\n"
                "\n") in message.body_text
        assert "/gestion/notifications\n" in message.body_text  # the settings footer
        assert "<li>" in message.body_html
        rows = reminders("new_application")
        assert {r.status for r in rows} == {ReminderStatus.DIGESTED}
        assert {r.message_id for r in rows} == {message.id}
        assert sorted(r.application_id for r in rows)[:3] == sorted(ids)
        [own] = reminders("digest")
        assert own.key == f"digest:user:{office.lead_id}:2030-03-13T07:00Z:o{office.org_id}"
        assert (own.status, own.message_id, own.user_id, own.due_at) == (
            ReminderStatus.QUEUED, message.id, office.lead_id, paris(2030, 3, 13, 8, 0))
        assert own.detail["count"] == 4


def test_a_row_after_the_send_hour_waits_for_tomorrow_even_without_a_digest_today(app):
    with app.app_context():
        office = _office()
        first = _apply(office.posting_id, 0, paris(2030, 3, 12, 10))
        # No digest went out at 08:00 (nothing waited), yet the row does not go out before
        # the next send hour, however many passes run meanwhile.
        late = _apply(office.posting_id, 1, paris(2030, 3, 12, 14, 0))
        for hour, minute in ((10, 1), (14, 1), (20, 0), (23, 59)):
            assert digest(paris(2030, 3, 12, hour, minute)).actions == []
        assert digest(paris(2030, 3, 13, 7, 59, 59)).actions == []
        assert messages(DIGEST) == [] and reminders("digest") == []
        assert {r.status for r in reminders("new_application")} == {ReminderStatus.DIGEST}
        assert digest(paris(2030, 3, 13, 8, 0)).count("digest") == 1
        [message] = messages(DIGEST)
        assert "Wednesday, March 13, 2030" in message.subject
        assert (f"- {TITLE}: 2 new applications ({_reference(first)}, {_reference(late)}) – "
                f"{_link(office)}\n") in message.body_text
        [own] = reminders("digest")
        assert own.key.endswith(":2030-03-13T07:00Z:o" + str(office.org_id))
        assert {(r.status, r.message_id) for r in reminders("new_application")} == {
            (ReminderStatus.DIGESTED, message.id)}


def test_one_digest_a_day_and_later_rows_wait_for_tomorrow(app):
    with app.app_context():
        office = _office()
        early = _apply(office.posting_id, 0, paris(2030, 3, 12, 7, 30))
        # A row due exactly at the send hour goes in that slot's digest.
        sharp = _apply(office.posting_id, 2, paris(2030, 3, 12, 8, 0))
        assert digest(paris(2030, 3, 12, 8, 0)).count("digest") == 1
        assert digest(paris(2030, 3, 12, 8, 1)).count("digest") == 0
        [own] = reminders("digest")
        assert own.key.endswith(":2030-03-12T07:00Z:o" + str(office.org_id))
        # After today's digest: waits for tomorrow's, however many passes run meanwhile.
        late = _apply(office.posting_id, 1, paris(2030, 3, 12, 14, 0))
        for hour, minute in ((14, 1), (20, 0), (23, 59)):
            assert digest(paris(2030, 3, 12, hour, minute)).count("digest") == 0
        assert digest(paris(2030, 3, 13, 7, 59)).count("digest") == 0
        waiting = db.session.scalar(sa.select(Reminder).where(Reminder.application_id == late))
        assert waiting.status == ReminderStatus.DIGEST
        assert digest(paris(2030, 3, 13, 8, 0)).count("digest") == 1
        first, second = messages(DIGEST)
        assert "Tuesday, March 12, 2030" in first.subject
        assert (f"- {TITLE}: 2 new applications ({_reference(early)}, {_reference(sharp)}) – "
                f"{_link(office)}\n") in first.body_text
        assert "Wednesday, March 13, 2030" in second.subject
        assert (f"- {TITLE}: new application {_reference(late)} – {_link(office)}\n"
                in second.body_text)
        assert _reference(early) not in second.body_text
        assert _reference(late) not in first.body_text
        db.session.refresh(waiting)
        assert (waiting.status, waiting.message_id) == (ReminderStatus.DIGESTED, second.id)


def test_no_candidate_name_in_a_digest(app):
    with app.app_context():
        office = _office()
        anonymous = make_office(anonymised=True)
        lead = db.session.get(User, office.lead_id)
        db.session.add(Membership(user=lead, organisation_id=anonymous.org_id, role=Role.LEAD))
        posting = db.session.get(Posting, anonymous.posting_id)
        posting.contacts.append(PostingContact(user=lead, role=ContactRole.TO, position=5))
        db.session.commit()
        ids = [_apply(office.posting_id, who, paris(2030, 3, 12, 10 + who)) for who in (0, 1)]
        ids.append(_apply(anonymous.posting_id, 2, paris(2030, 3, 12, 15)))
        # A second version of an application: one more line, still no name.
        _apply(office.posting_id, 0, paris(2030, 3, 12, 16))
        assert digest(paris(2030, 3, 13, 8, 0)).count("digest") == 2
        bodies = [m.subject + m.body_text + m.body_html for m in messages(DIGEST)]
        assert len(bodies) == 2
        for application_id in ids:
            candidate = db.session.get(Application, application_id).candidate
            # The names are in the database...
            stored = db.session.scalar(sa.select(Candidate.last_name).where(
                Candidate.id == candidate.id))
            assert stored == PEOPLE[ids.index(application_id)][1]
            # ... and in none of the digests, in any form; the reference is in one.
            for text in (candidate.first_name, candidate.last_name,
                         candidate.last_name.upper(), candidate.email):
                assert all(text not in body for body in bodies), text
            assert sum(_reference(application_id) in body for body in bodies) == 1
        assert all("Zoé" not in str(r.detail) for r in reminders("new_application"))


def test_after_a_downtime_one_digest_gathers_every_day(app):
    with app.app_context():
        office = _office()
        ids = [_apply(office.posting_id, who, paris(2030, 3, day, 12))
               for who, day in ((0, 10), (1, 11), (2, 12))]
        # Arrived after the 14th's send hour: waits for the 15th, even though the pass that
        # sends the 14th's digest runs after it.
        late = _apply(office.posting_id, 3, paris(2030, 3, 14, 9, 0))
        # No pass from the 10th to the 14th in the afternoon.
        assert digest(paris(2030, 3, 14, 15, 0)).count("digest") == 1
        assert digest(paris(2030, 3, 14, 16, 0)).count("digest") == 0
        [message] = messages(DIGEST)
        assert "Thursday, March 14, 2030" in message.subject
        refs = ", ".join(_reference(i) for i in ids)
        assert f"- {TITLE}: 3 new applications ({refs}) – " in message.body_text
        assert _reference(late) not in message.body_text
        [own] = reminders("digest")
        assert own.due_at == paris(2030, 3, 14, 8, 0)
        assert own.detail["count"] == 3
        assert digest(paris(2030, 3, 15, 8, 0)).count("digest") == 1
        assert f"new application {_reference(late)} – " in messages(DIGEST)[1].body_text


def test_send_hour_of_the_organisation(app):
    with app.app_context():
        office = make_office(settings={"send_hour": 17})
        set_mode(office.lead_id, "new_application", "digest")
        _apply(office.posting_id, 0, paris(2030, 3, 12, 16, 59))
        assert digest(paris(2030, 3, 12, 16, 59, 30)).count("digest") == 0  # slot: 11th, 17:00
        assert digest(paris(2030, 3, 12, 17, 0)).count("digest") == 1  # slot: 12th, 17:00
        _apply(office.posting_id, 1, paris(2030, 3, 13, 10))
        assert digest(paris(2030, 3, 13, 10, 1)).count("digest") == 0  # slot: 12th, 17:00
        _apply(office.posting_id, 2, paris(2030, 3, 13, 12))
        assert digest(paris(2030, 3, 13, 16, 59)).count("digest") == 0
        assert digest(paris(2030, 3, 13, 17, 0)).count("digest") == 1  # slot: 13th, 17:00
        assert [r.due_at for r in reminders("digest")] == [paris(2030, 3, 12, 17),
                                                           paris(2030, 3, 13, 17)]
        assert [r.detail["count"] for r in reminders("digest")] == [1, 2]


def test_rows_of_people_gone_are_skipped(app):
    with app.app_context():
        office = _office()
        set_mode(office.other_id, "new_application", "digest")
        _apply(office.posting_id, 0, paris(2030, 3, 12, 10))
        db.session.get(User, office.lead_id).active = False
        db.session.execute(sa.delete(Membership).where(Membership.user_id == office.other_id))
        db.session.commit()
        report = digest(paris(2030, 3, 13, 8, 0))
        assert report.count("skip") == 2 and report.count("digest") == 0
        assert messages(DIGEST) == []
        rows = reminders("new_application")
        assert {r.status for r in rows} == {ReminderStatus.SKIPPED}
        assert all("no longer an active member" in r.note for r in rows)
        assert digest(paris(2030, 3, 14, 8, 0)).actions == []


def test_dry_run_writes_nothing(app):
    with app.app_context():
        office = _office()
        _apply(office.posting_id, 0, paris(2030, 3, 12, 10))
        report = PassReport(now=paris(2030, 3, 13, 8, 0), dry_run=True)
        send_digests(PassContext(now=report.now), report, dry_run=True)
        db.session.rollback()
        assert report.count("digest") == 1
        assert messages(DIGEST) == [] and reminders("digest") == []
        assert {r.status for r in reminders("new_application")} == {ReminderStatus.DIGEST}


def test_one_digest_per_organisation(app):
    with app.app_context():
        office = _office()
        second = make_office()
        lead = db.session.get(User, office.lead_id)
        posting = db.session.get(Posting, second.posting_id)
        db.session.add(Membership(user=lead, organisation_id=second.org_id, role=Role.LEAD))
        posting.contacts.append(PostingContact(user=lead, role=ContactRole.CC, position=5))
        db.session.commit()
        _apply(office.posting_id, 0, paris(2030, 3, 12, 10))
        _apply(second.posting_id, 1, paris(2030, 3, 12, 10))
        assert digest(paris(2030, 3, 13, 8, 0)).count("digest") == 2
        mine = [m for m in messages(DIGEST) if office.lead_email in m.recipients[0]]
        assert [m.organisation_id for m in mine] == [office.org_id, second.org_id]


def test_the_pass_puts_an_interview_reminder_in_the_same_days_digest(app):
    with app.app_context():
        office = _office()
        set_mode(office.lead_id, "interview_tomorrow", "digest")
        db.session.add(ReminderSettings(organisation_id=office.org_id))
        db.session.commit()
        application_id = _apply(office.posting_id, 0, paris(2030, 3, 12, 10))
        add_interview(office, paris(2030, 3, 14, 14, 30), changed_at=utc(2030, 3, 1),
                      participants=[office.lead_id])
        report = run_pass(paris(2030, 3, 13, 8, 0))
        assert report.count("digest") == 2  # kept for the digest, then the digest itself
        [message] = messages(DIGEST)
        assert (f"- {TITLE}: new application {_reference(application_id)} – {_link(office)}\n"
                f"- Interview, application {office.reference} ({TITLE}): Thursday, March 14, "
                "2030 at 2:30\u202fPM\n") in message.body_text
        # By reference only: neither Zoé Quintard nor Léa Martin (the interview's) is named.
        for name in ("Zoé", "Quintard", "QUINTARD", "Léa", "Martin", "MARTIN"):
            assert name not in message.subject + message.body_text + message.body_html, name
        assert messages("reminder.interview_tomorrow") == []
