"""Submitting an application: what lands in the database and in the outbox."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests import factories
from tests.applications.apply_support import (
    EN,
    counts,
    make_offer,
    odt_upload,
    post_application,
    upload,
)
from tests.files import make_docx, make_odt, make_pdf
from tracker.applications import services
from tracker.applications.documents import check_upload
from tracker.applications.links import application_for_token
from tracker.applications.models import Application, Candidate, Document
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus

NOTIFICATION = "application.notification"
ACK = "application.acknowledgement"
ACK_UPDATE = "application.acknowledgement_update"
REFERENCE = re.compile(r"^[A-Z]{2,4}-\d{2}-[0-9A-HJKMNP-TV-Z]{5}$")


def _messages(app, kind=None) -> list[Message]:
    with app.app_context():
        query = sa.select(Message).order_by(Message.id)
        if kind:
            query = query.where(Message.kind == kind)
        items = list(db.session.scalars(query))
        for message in items:
            _ = [(a.filename, a.media_type, a.document_id) for a in message.attachments]
        db.session.expunge_all()
        return items


def test_submission_pdf_docx_odt_through_the_form_lands_with_documents_and_emails(app, client):
    offer = make_offer(app, title="Chargé·e de mission conseils citoyens",
                       subject_line="Candidature CDD Conseils citoyens",
                       org_fields={"name": "Réso Villes", "slug": "reso-villes",
                                   "email": "contact@reso-villes.example.org"})
    cv, letter, other_letter = make_pdf(), make_docx(), make_odt()

    first = post_application(client, offer, cv=upload(cv, "CV Léa Martin.pdf"),
                             letter=upload(letter, "Lettre.docx"))
    assert first.status_code == 302
    assert first.headers["Location"] == f"{offer.apply_url}/merci"
    # A second candidate sends an ODT letter.
    second = post_application(client, offer, first_name="Karim", last_name="Benali",
                              email="Karim.Benali@Example.net", phone="",
                              cv=upload(cv, "karim-cv.pdf"),
                              letter=upload(other_letter, "lettre karim.odt"))
    assert second.status_code == 302

    with app.app_context():
        applications = list(db.session.scalars(sa.select(Application).order_by(Application.id)))
        assert len(applications) == 2
        lea, karim = applications
        assert REFERENCE.match(lea.reference), lea.reference
        assert lea.reference.startswith(f"RV-{datetime.now(UTC).year % 100:02d}-")
        assert lea.reference != karim.reference
        assert lea.channel == "form"
        assert lea.locale == "en"
        assert lea.candidate.email == "lea.martin@example.com"
        assert karim.candidate.email == "karim.benali@example.net"  # normalised
        assert (karim.candidate.first_name, karim.candidate.last_name) == ("Karim", "Benali")
        assert karim.candidate.phone == ""
        assert lea.candidate.phone == "06 12 34 56 78"
        assert [s.version for s in lea.submissions] == [1]
        assert lea.latest.message == "Je serais ravie d'échanger avec vous."
        documents = {(d.kind, d.filename, d.media_type, d.size, d.sha256)
                     for d in lea.latest.documents}
        assert documents == {
            ("cv", "CV Léa Martin.pdf", "application/pdf", len(cv),
             hashlib.sha256(cv).hexdigest()),
            ("letter", "Lettre.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             len(letter), hashlib.sha256(letter).hexdigest()),
        }
        stored = {d.kind: d.content for d in lea.latest.documents}
        assert stored == {"cv": cv, "letter": letter}
        karim_letter = next(d for d in karim.latest.documents if d.kind == "letter")
        assert karim_letter.media_type == "application/vnd.oasis.opendocument.text"
        assert karim_letter.sha256 == hashlib.sha256(other_letter).hexdigest()
        assert karim_letter.filename == "lettre karim.odt"
        # Retention: 24 months after the application.
        assert lea.retain_until.date() == services.add_months(lea.submitted_at, 24).date()
        assert lea.consent_at == lea.submitted_at
        lea_id, lea_reference = lea.id, lea.reference
        lea_documents = sorted(d.id for d in lea.latest.documents)

    notifications = _messages(app, NOTIFICATION)
    assert [m.subject for m in notifications] == [
        "Candidature CDD Conseils citoyens – Léa MARTIN",
        "Candidature CDD Conseils citoyens – Karim BENALI",
    ]
    lea_note = notifications[0]
    assert lea_note.recipients == ["claire.fontaine@example.org"]
    assert lea_note.cc == ["ines.moreau@example.org"]
    assert lea_note.reply_to == "lea.martin@example.com"
    assert lea_note.status == MessageStatus.PENDING
    assert lea_note.locale == "fr"  # the organisation's language
    assert lea_note.application_id == lea_id
    assert lea_note.posting_id == offer.id
    assert sorted(a.document_id for a in lea_note.attachments) == lea_documents
    assert [a.filename for a in lea_note.attachments] == ["CV Léa Martin.pdf", "Lettre.docx"]
    assert lea_reference in lea_note.body_text
    assert "Je serais ravie d'échanger avec vous." in lea_note.body_text
    assert f"http://tracker.test/gestion/reso-villes/candidatures/{lea_id}" in lea_note.body_text

    acknowledgements = _messages(app, ACK)
    assert [m.recipients for m in acknowledgements] == [
        ["lea.martin@example.com"], ["karim.benali@example.net"]
    ]
    ack = acknowledgements[0]
    assert ack.locale == "en"  # the language of the form
    assert ack.attachments == []
    assert lea_reference in ack.body_text
    assert "Chargé·e de mission conseils citoyens" in ack.subject + ack.body_text
    link = re.search(r"http://tracker\.test/candidature/(\S+)", ack.body_text)
    assert link, ack.body_text
    with app.app_context():
        assert application_for_token(link.group(1)).id == lea_id
    assert counts(app) == {"candidate": 2, "application": 2, "submission": 2, "document": 4,
                           "message": 4, "message_attachment": 4, "event": 2}


def test_submission_second_time_same_email_is_a_new_version(app, client):
    offer = make_offer(app, subject_line="Candidature stage")
    assert post_application(client, offer).status_code == 302
    with app.app_context():
        first = db.session.scalar(sa.select(Application))
        first_submitted, reference, link_key = first.submitted_at, first.reference, first.link_key

    response = post_application(client, offer, email=" LEA.MARTIN@example.com ",
                                last_name="Martin-Durand", phone="07 00 00 00 01",
                                letter=None, letter_text="Madame, Monsieur, ...",
                                message="Voici mon CV mis à jour.",
                                cv=upload(make_odt("CV 2"), "cv-2.odt"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "You had already applied for this offer:" in page
    assert "version 2" in page
    assert reference in page

    with app.app_context():
        applications = list(db.session.scalars(sa.select(Application)))
        assert len(applications) == 1
        application = applications[0]
        assert application.reference == reference
        assert application.link_key == link_key  # earlier links keep working
        assert application.submitted_at == first_submitted
        assert application.last_submitted_at > first_submitted
        assert application.retain_until.date() == services.add_months(
            application.last_submitted_at, 24).date()
        assert [s.version for s in application.submissions] == [1, 2]
        latest = application.latest
        assert latest.letter_text == "Madame, Monsieur, ..."
        assert [(d.kind, d.filename) for d in latest.documents] == [("cv", "cv-2.odt")]
        assert application.candidate.last_name == "Martin-Durand"
        assert application.candidate.phone == "07 00 00 00 01"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Candidate)) == 1
        events = [(e.action, e.data["version"]) for e in db.session.scalars(
            sa.select(Event).where(Event.object_type == "application").order_by(Event.id))]
        assert events == [("application.submit", 1), ("application.resubmit", 2)]

    updates = _messages(app, ACK_UPDATE)
    assert len(updates) == 1
    assert updates[0].recipients == ["lea.martin@example.com"]
    assert reference in updates[0].body_text
    notifications = _messages(app, NOTIFICATION)
    assert [m.subject for m in notifications] == [
        "Candidature stage – Léa MARTIN", "Candidature stage – Léa MARTIN-DURAND"
    ]
    assert [a.filename for a in notifications[1].attachments] == ["cv-2.odt"]
    assert "Madame, Monsieur, ..." in notifications[1].body_text


def test_submission_without_subject_line_uses_candidature_title_name(app, client):
    offer = make_offer(app, title="Service civique Quartiers", subject_line="")
    assert post_application(client, offer, first_name="Émile", last_name="Zoé").status_code == 302
    assert [m.subject for m in _messages(app, NOTIFICATION)] == [
        "Candidature – Service civique Quartiers – Émile ZOÉ"
    ]


def test_submission_without_attach_documents_sends_no_attachment(app, client):
    offer = make_offer(app, org_fields={"attach_documents": False})
    assert post_application(client, offer).status_code == 302
    notification, = _messages(app, NOTIFICATION)
    assert notification.attachments == []
    assert "CV Léa Martin.pdf" in notification.body_text  # still listed


def test_submission_info_contacts_are_never_told_and_duplicates_are_dropped(app, client):
    contacts = [
        PostingContact(name="Claire Fontaine", email="claire@example.org", role=ContactRole.TO),
        PostingContact(name="Paul Durand", email="paul@example.org", role=ContactRole.TO),
        PostingContact(name="Claire encore", email="CLAIRE@example.org", role=ContactRole.CC),
        PostingContact(name="Inès Moreau", email="ines@example.org", role=ContactRole.CC),
        PostingContact(name="Marc Info", email="marc.info@example.org", role=ContactRole.INFO),
    ]
    offer = make_offer(app, contacts=contacts)
    assert post_application(client, offer).status_code == 302
    notification, = _messages(app, NOTIFICATION)
    assert notification.recipients == ["claire@example.org", "paul@example.org"]
    assert notification.cc == ["ines@example.org"]
    every_address = [a for m in _messages(app) for a in m.recipients + m.cc]
    assert "marc.info@example.org" not in every_address


def test_contacts_sharing_a_position_keep_the_order_they_were_added_whatever_the_plan(app):
    """The offer's contacts come by position, then in the order added (id), however the
    database joins them: on PostgreSQL a hash join with their accounts (the plan it may pick
    as the tables grow) returned contacts of equal position in reverse order."""
    from tracker.board.services import public_posting_or_abort

    addresses = ["claire@example.org", "paul@example.org", "ines@example.org",
                 "marc.info@example.org", "anne@example.org"]
    roles = [ContactRole.TO, ContactRole.TO, ContactRole.CC, ContactRole.INFO, ContactRole.CC]
    offer = make_offer(app, contacts=[
        PostingContact(name=f"Contact {n}", email=address, role=role)
        for n, (address, role) in enumerate(zip(addresses, roles, strict=True))])
    with app.app_context():
        posting = db.session.get(Posting, offer.id)
        posting.contacts[4].position = -1  # placed first by hand
        db.session.commit()
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SET LOCAL enable_nestloop = off"))
            db.session.execute(sa.text("SET LOCAL enable_mergejoin = off"))
        posting = public_posting_or_abort(offer.id)  # what the application form loads
        assert [c.email for c in posting.contacts] == [addresses[4], *addresses[:4]]
        assert services.notification_recipients(posting) == (
            addresses[:2], [addresses[4], addresses[2]])
        db.session.rollback()


def test_submission_in_french_form_acknowledges_in_french(app, client):
    offer = make_offer(app)
    response = post_application(client, offer, headers={"Accept-Language": "fr"})
    assert response.status_code == 302
    ack, = _messages(app, ACK)
    assert ack.locale == "fr"
    assert "Bonjour Léa Martin" in ack.body_text
    assert "jusqu’au" in ack.body_text or "jusqu'au" in ack.body_text


def test_submission_english_organisation_notifies_in_english(app, client):
    offer = make_offer(app, org_fields={"locale": "en"})
    assert post_application(client, offer, headers={"Accept-Language": "fr"}).status_code == 302
    notification, = _messages(app, NOTIFICATION)
    assert notification.locale == "en"
    assert notification.body_text.startswith("Hello,")


def test_submission_event_carries_no_personal_data(app, client):
    offer = make_offer(app)
    assert post_application(client, offer).status_code == 302
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.object_type == "application"))
        application = db.session.scalar(sa.select(Application))
        assert event.action == "application.submit"
        assert event.actor_id is None
        assert event.object_id == application.id
        assert set(event.data) == {"reference", "posting_id", "submission_id", "version",
                                   "channel", "documents"}
        text = repr(event.data)
        for personal in ("Léa", "Martin", "lea.martin", "06 12", "Je serais"):
            assert personal not in text


def test_submission_same_person_two_offers_one_candidate_two_applications(app, client):
    with app.app_context():
        org = factories.organisation()
        db.session.commit()
        org_id = org.id
    first = make_offer(app, organisation_id=org_id)
    second = make_offer(app, organisation_id=org_id)
    assert post_application(client, first).status_code == 302
    assert post_application(client, second, letter=odt_upload()).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Candidate)) == 1
        applications = list(db.session.scalars(sa.select(Application)))
        assert len(applications) == 2
        assert {a.posting_id for a in applications} == {first.id, second.id}
        assert all(len(a.submissions) == 1 for a in applications)
    assert len(_messages(app, ACK)) == 2
    assert _messages(app, ACK_UPDATE) == []


def test_submission_keep_consent_is_recorded(app, client):
    offer = make_offer(app)
    assert post_application(client, offer, keep_consent="y").status_code == 302
    with app.app_context():
        candidate = db.session.scalar(sa.select(Candidate))
        application = db.session.scalar(sa.select(Application))
        assert candidate.keep_consent_at == application.submitted_at


# --- The service, called directly --------------------------------------------------------------


def test_submission_service_in_callers_transaction_rolls_back_whole(app):
    with app.test_request_context("/", headers=EN):
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        cv = check_upload("cv.pdf", make_pdf(), max_bytes=10 * 1024 * 1024)
        result = services.submit_application(
            posting, first_name="Léa", last_name="Martin", email="lea@example.com", phone="",
            cv=cv, letter=None, letter_text="Ma lettre", message="", keep_consent=False,
            locale="en",
        )
        assert result.is_new_version is False
        assert result.submission.version == 1
        assert [d.kind for d in result.submission.documents] == ["cv"]
        assert application_for_token(result.token).id == result.application.id
        db.session.rollback()  # the caller changes its mind: nothing of it remains
        for model in (Candidate, Application, Document, Message):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_submission_references_are_unique_and_readable(app):
    with app.app_context():
        org = factories.organisation(slug="villes-au-carre", timezone="Europe/Paris")
        moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Paris
        references = {services.new_reference(org, moment) for _ in range(200)}
        assert len(references) == 200
        assert all(re.match(r"^VAC-27-[0-9A-HJKMNP-TV-Z]{5}$", r) for r in references)
        assert services.reference_prefix(factories.organisation(slug="centre-12")) == "CEN"
        assert services.reference_prefix(factories.organisation(slug="a-b-c-d-e")) == "ABCD"


def test_submission_add_months_keeps_the_day_or_the_month_end():
    base = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert services.add_months(base, 1) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert services.add_months(base, 24) == datetime(2028, 1, 31, 10, 0, tzinfo=UTC)
    assert services.add_months(datetime(2026, 11, 15, tzinfo=UTC), 3) == datetime(
        2027, 2, 15, tzinfo=UTC)


def test_submission_closed_reason_names_each_case(app):
    with app.test_request_context("/", headers=EN):
        org = factories.organisation()
        published = factories.posting(org, status=PostingStatus.PUBLISHED)
        closed = factories.posting(org, status=PostingStatus.CLOSED)
        filled = factories.posting(org, status=PostingStatus.FILLED)
        now = datetime.now(UTC)
        assert services.closed_reason(published, now) is None
        assert services.closed_reason(published, published.deadline + timedelta(seconds=1)) \
            .startswith("The deadline has passed: applications were accepted until ")
        assert services.closed_reason(closed, now) == (
            "This offer is closed: applications are no longer accepted.")
        assert services.closed_reason(filled, now) == (
            "The position has been filled: applications are no longer accepted.")
        db.session.rollback()



def test_submission_with_broken_contact_addresses_still_lands(app, client):
    contacts = [PostingContact(name="Faute de frappe", email="claire@@example",
                               role=ContactRole.TO)]
    offer = make_offer(app, contacts=contacts, org_fields={"email": "accueil@example.org"})
    assert post_application(client, offer).status_code == 302
    notification, = _messages(app, NOTIFICATION)
    assert notification.recipients == ["accueil@example.org"]
    assert counts(app)["application"] == 1
