"""New applications and people's choices: each time, daily digest, never (queue_notification)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.reminders.people_support import (
    make_office,
    messages,
    paris,
    reminders,
    set_mode,
    submit,
    utc,
)
from tracker.applications.models import Application
from tracker.db import db
from tracker.postings.models import ContactRole, Posting, PostingContact
from tracker.reminders.models import Reminder, ReminderStatus

NEW = "new_application"
OUTSIDE = "ines.moreau@example.org"


def _office(**fields):
    office = make_office(**fields)
    posting = db.session.get(Posting, office.posting_id)
    posting.contacts.append(PostingContact(name="Inès Moreau", email=OUTSIDE,
                                           role=ContactRole.CC, position=2))
    db.session.commit()
    return office


def _notification():
    [message] = messages("application.notification")
    return message


def test_everyone_each_time_by_default(app):
    with app.app_context():
        office = _office()
        submit(office.posting_id, first_name="Zoé", last_name="Quintard",
               email="zoe.quintard@example.net", now=utc(2030, 3, 12, 9))
        message = _notification()
        assert message.recipients == [office.lead_email]
        assert message.cc == [office.other_email, OUTSIDE]
        assert reminders() == []


def test_digest_contact_leaves_the_email_and_gets_a_waiting_row(app):
    with app.app_context():
        office = _office()
        set_mode(office.other_id, NEW, "digest")
        application_id = submit(office.posting_id, first_name="Zoé", last_name="Quintard",
                                email="zoe.quintard@example.net", now=utc(2030, 3, 12, 9))
        message = _notification()
        assert message.recipients == [office.lead_email]
        assert message.cc == [OUTSIDE]
        [row] = reminders()
        assert row.key == f"new_application:application:{application_id}:v1:u{office.other_id}"
        assert (row.rule, row.status, row.user_id, row.recipient) == (
            NEW, ReminderStatus.DIGEST, office.other_id, office.other_email)
        assert (row.organisation_id, row.posting_id, row.application_id) == (
            office.org_id, office.posting_id, application_id)
        assert row.due_at == utc(2030, 3, 12, 9)
        assert row.message_id is None
        reference = db.session.get(Application, application_id).reference
        # Nora's account has no language: the organisation's (French).
        with force_locale("fr"):
            assert row.detail["line"] == _("%(title)s: new application %(reference)s",
                                           title="Chargé·e de mission conseils citoyens",
                                           reference=reference)
        assert row.detail["posting_id"] == office.posting_id
        assert row.detail["reference"] == reference
        # Named by the reference only: nothing in the row names the candidate.
        assert "label" not in row.detail
        assert "Zoé" not in str(row.detail) and "QUINTARD" not in str(row.detail).upper()
        assert row.detail["link"] == (f"http://tracker.test/gestion/centre-"
                                      f"{row.detail['link'].split('centre-')[1]}")
        assert row.detail["link"].endswith(f"/offres/{office.posting_id}/candidatures")


def test_line_is_written_in_the_contact_language(app):
    with app.app_context():
        office = _office()
        set_mode(office.lead_id, NEW, "digest")  # Sami reads English
        application_id = submit(office.posting_id, first_name="Zoé", last_name="Quintard",
                                email="zoe.quintard@example.net", now=utc(2030, 3, 12, 9))
        [row] = reminders()
        reference = db.session.get(Application, application_id).reference
        assert row.detail["line"] == ("Chargé·e de mission conseils citoyens: new application "
                                      f"{reference}")
        # The 'to' contact left: those in copy become the recipients.
        message = _notification()
        assert message.recipients == [office.other_email, OUTSIDE]
        assert message.cc == []


def test_never_leaves_the_email_without_a_row(app):
    with app.app_context():
        office = _office()
        set_mode(office.other_id, NEW, "never")
        submit(office.posting_id, first_name="Zoé", last_name="Quintard",
               email="zoe.quintard@example.net", now=utc(2030, 3, 12, 9))
        message = _notification()
        assert message.recipients == [office.lead_email]
        assert message.cc == [OUTSIDE]
        assert reminders() == []


def test_no_email_when_no_recipient_is_left(app):
    with app.app_context():
        office = make_office()  # two contacts with accounts, nobody outside
        set_mode(office.lead_id, NEW, "digest")
        set_mode(office.other_id, NEW, "never")
        submit(office.posting_id, first_name="Zoé", last_name="Quintard",
               email="zoe.quintard@example.net", now=utc(2030, 3, 12, 9))
        assert messages("application.notification") == []
        # The candidate still gets the acknowledgement.
        assert [m.recipients for m in messages("application.acknowledgement")] == [
            ["zoe.quintard@example.net"]]
        assert [r.user_id for r in reminders()] == [office.lead_id]


def test_masked_candidate_is_named_by_reference_in_the_waiting_row(app):
    with app.app_context():
        office = _office(anonymised=True)
        set_mode(office.lead_id, NEW, "digest")
        application_id = submit(office.posting_id, first_name="Zoé", last_name="Quintard",
                                email="zoe.quintard@example.net", now=utc(2030, 3, 12, 9))
        [row] = reminders()
        reference = db.session.get(Application, application_id).reference
        assert row.detail["line"] == (f"Chargé·e de mission conseils citoyens: new application "
                                      f"{reference}")
        assert "Zoé" not in str(row.detail) and "Quintard" not in str(row.detail)


def test_a_new_version_gets_its_own_row(app):
    with app.app_context():
        office = _office()
        set_mode(office.lead_id, NEW, "digest")
        first = submit(office.posting_id, first_name="Zoé", last_name="Quintard",
                       email="zoe.quintard@example.net", now=paris(2030, 3, 12, 9))
        again = submit(office.posting_id, first_name="Zoé", last_name="Quintard",
                       email="zoe.quintard@example.net", now=paris(2030, 3, 12, 15))
        assert again == first
        rows = reminders()
        assert [r.key.split(":")[3] for r in rows] == ["v1", "v2"]
        reference = db.session.get(Application, first).reference
        assert rows[1].detail["line"] == ("Chargé·e de mission conseils citoyens: new version of "
                                          f"application {reference} (version 2)")
        assert (rows[0].detail["version"], rows[1].detail["version"]) == (1, 2)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 2
