"""Erasure: after it, nothing personal about the candidate is left anywhere in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from tests import factories
from tests.applications.test_candidate_page import EN, assert_private, text
from tests.files import make_docx, make_pdf
from tracker.accounts.models import Role
from tracker.applications import privacy
from tracker.applications.links import make_token
from tracker.applications.models import Application, Candidate, Document, Submission
from tracker.audit.models import Event
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageAttachment, MessageStatus
from tracker.mail.services import FileAttachment, queue_message
from tracker.postings.models import PostingStatus

# Values nobody else has, so that finding one anywhere means a leak.
FIRST = "Zéphyrine"
LAST = "Quintal-Vorlakian"
EMAIL = "zephyrine.vorlakian@example.net"
PHONE = "+33 6 98 76 54 32"
MESSAGE = "Message 7f3a-qx : disponible dès lundi pour un entretien"
LETTER = "Lettre b91c-qx : passionnée de démocratie participative"
CV_NAME = "CV-Zephyrine-9d2e.pdf"
LETTER_NAME = "Lettre-motivation-e5f0.docx"
CV_BYTES = make_pdf("Zephyrine Quintal-Vorlakian 4c1d curriculum")
LETTER_BYTES = make_docx("Zephyrine lettre 88aa")
EXTRA_BYTES = b"%PDF-1.4\n% piece jointe 31f7-qx unique\n%%EOF\n"
TEXT_VALUES = [FIRST, LAST, LAST.upper(), EMAIL, PHONE, MESSAGE, LETTER, CV_NAME, LETTER_NAME,
               "zephyrine.vorlakian"]
BINARY_VALUES = [CV_BYTES, LETTER_BYTES, EXTRA_BYTES]


@dataclass
class Erasable:
    token: str
    application_id: int
    posting_id: int
    organisation_id: int
    org_slug: str
    admin: str
    lead: str


def make_erasable(app, *, email: str = EMAIL) -> Erasable:
    """An application with distinctive values, its audit trail and every kind of message."""
    with app.test_request_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN)
        lead = factories.user(org, Role.LEAD)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        application = factories.application(
            posting, first_name=FIRST, last_name=LAST, email=email, phone=PHONE,
            message=MESSAGE, letter_text=LETTER,
            documents=[("cv", CV_NAME, "application/pdf", CV_BYTES),
                       ("letter", LETTER_NAME, "application/vnd.openxmlformats-officedocument"
                        ".wordprocessingml.document", LETTER_BYTES)],
        )
        submission = application.submissions[0]
        candidate = application.candidate
        # The submission path's audit event, as a careless writer might have filled it.
        record_event(organisation_id=org.id, actor=None, action="application.submit",
                     object_type="application", object_id=application.id,
                     posting_id=posting.id, version=1, channel="form",
                     reference=application.reference, email=email,
                     name=candidate.display_name)
        record_event(organisation_id=org.id, actor=None, action="candidate.create",
                     object_type="candidate", object_id=candidate.id, phone=PHONE)
        # An acknowledgement still pending, a notification already sent (with the documents
        # attached and bytes of its own), a draft answer.
        queue_message(
            organisation=org, kind="application.acknowledgement",
            recipients=[f"{candidate.full_name} <{email}>"],
            subject=f"Votre candidature – {candidate.display_name}",
            body_text=f"Bonjour {FIRST},\n{MESSAGE}", posting=posting, application=application)
        sent = queue_message(
            organisation=org, kind="application.notification",
            recipients=["claire.fontaine@example.org"], reply_to=email,
            subject=f"{posting.subject_line} – {candidate.display_name}",
            body_text=f"{candidate.display_name}\n{email}\n{PHONE}\n{LETTER}",
            body_html=f"<p>{candidate.display_name} – {email}</p>",
            attachments=[*submission.documents,
                         FileAttachment("recap.pdf", "application/pdf", EXTRA_BYTES)],
            posting=posting, application=application)
        sent.status, sent.sent_at, sent.attempts = MessageStatus.SENT, utcnow(), 1
        queue_message(
            organisation=org, kind="application.answer", recipients=[email],
            subject=f"Réponse à {FIRST} {LAST}", body_text="…", application=application,
            status=MessageStatus.DRAFT)
        # The outbox as a sender saw it: a failed try with the address in the error.
        failed = queue_message(
            organisation=org, kind="application.acknowledgement", recipients=[email],
            subject="Accusé de réception", body_text=FIRST, application=application)
        failed.status, failed.last_error = MessageStatus.FAILED, f"550 {email}: mailbox full"
        db.session.commit()
        return Erasable(make_token(application), application.id, posting.id, org.id, org.slug,
                        admin.email, lead.email)


def found_values(app, text_values=TEXT_VALUES, binary_values=BINARY_VALUES) -> list[str]:
    """Every place, in every column of every table, where one of the values appears."""
    needles = [v.lower() for v in text_values]
    found = []
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        hits = [repr(b[:12]) for b in binary_values if b in value]
                        hits += [n for n in needles if n.encode() in value.lower()]
                    else:
                        if isinstance(value, dict | list):
                            value = json.dumps(value, ensure_ascii=False)
                        value = str(value).lower()
                        hits = [n for n in needles if n in value]
                    found += [f"{table.name}.{column}: {hit}" for hit in hits]
    return found


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_erase_leaves_no_personal_data_anywhere(app, client):
    erasable = make_erasable(app)
    before = found_values(app)
    # The search works: every value is somewhere before erasure.
    for value in TEXT_VALUES:
        assert any(hit.endswith(f": {value.lower()}") for hit in before), value
    for value in BINARY_VALUES:
        assert any(hit.endswith(f": {value[:12]!r}") for hit in before), value[:12]

    response = client.post(f"/candidature/{erasable.token}/effacement",
                           data={"erase-confirm": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/candidature/{erasable.token}"

    assert found_values(app) == []
    assert count(app, Application) == 0
    assert count(app, Candidate) == 0
    assert count(app, Submission) == 0
    assert count(app, Document) == 0
    assert count(app, Message) == 0
    assert count(app, MessageAttachment) == 0
    with app.app_context():
        erase = db.session.scalar(sa.select(Event).where(Event.action == "application.erase"))
        assert (erase.object_type, erase.object_id, erase.actor_id) == (
            "application", erasable.application_id, None)
        assert erase.data == {"posting_id": erasable.posting_id, "by": "candidate"}
        assert erase.organisation_id == erasable.organisation_id
        # The earlier events stay, anonymous.
        submit = db.session.scalar(sa.select(Event).where(Event.action == "application.submit"))
        assert submit.data == {"posting_id": erasable.posting_id, "version": 1,
                               "channel": "form"}


def test_erase_link_then_says_the_data_is_gone(app, client):
    erasable = make_erasable(app)
    client.post(f"/candidature/{erasable.token}/effacement", data={"erase-confirm": "y"})
    response = client.get(f"/candidature/{erasable.token}", headers=EN)
    assert response.status_code == 410
    assert_private(response)
    page = text(response)
    assert "Your application has been erased" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert FIRST not in page
    # Every other use of the link says the same; nothing is recreated.
    assert client.post(f"/candidature/{erasable.token}/retrait",
                       data={"withdraw-confirm": "y"}).status_code == 410
    assert client.post(f"/candidature/{erasable.token}/effacement",
                       data={"erase-confirm": "y"}).status_code == 410
    assert count(app, Event, Event.action == "application.erase") == 1
    assert count(app, Message) == 0


def test_erase_without_confirmation_deletes_nothing(app, client):
    erasable = make_erasable(app)
    response = client.post(f"/candidature/{erasable.token}/effacement", data={}, headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert "Tick the box to confirm that you want everything erased." in page
    assert 'id="erase-confirm"' in page
    assert count(app, Application) == 1
    assert count(app, Document) == 2
    assert count(app, Message) == 4


def test_erase_service_reports_what_went(app):
    erasable = make_erasable(app)
    with app.test_request_context():
        application = db.session.get(Application, erasable.application_id)
        erasure = privacy.erase_application(application)
        db.session.commit()
    assert erasure == privacy.Erasure(
        application_id=erasable.application_id, posting_id=erasable.posting_id,
        organisation_id=erasable.organisation_id, candidate_erased=True, documents=2,
        messages=4, messages_unsent=3)


def test_erase_leaves_another_organisations_candidate_alone(app, client):
    ours = make_erasable(app)
    theirs = make_erasable(app)  # same person, same email, another organisation
    with app.app_context():
        their_documents = {
            d.id: d.content for d in db.session.scalars(
                sa.select(Document).join(Submission)
                .where(Submission.application_id == theirs.application_id)
                .options(sa.orm.undefer(Document.content)))
        }
    client.post(f"/candidature/{ours.token}/effacement", data={"erase-confirm": "y"})
    with app.app_context():
        candidate = db.session.scalar(sa.select(Candidate))
        assert (candidate.organisation_id, candidate.email, candidate.first_name,
                candidate.last_name, candidate.phone) == (
            theirs.organisation_id, EMAIL, FIRST, LAST, PHONE)
        application = db.session.get(Application, theirs.application_id)
        assert application.withdrawn_at is None
        assert application.submissions[0].message == MESSAGE
        assert application.submissions[0].letter_text == LETTER
        for document in application.submissions[0].documents:
            assert document.content == their_documents[document.id]
        assert db.session.scalars(sa.select(Message.application_id)).all() == [
            theirs.application_id] * 4
        submit = db.session.scalar(sa.select(Event).where(
            Event.action == "application.submit", Event.object_id == theirs.application_id))
        assert submit.data["email"] == EMAIL  # their trail is theirs: untouched
    assert count(app, MessageAttachment) == 3
    assert client.get(f"/candidature/{theirs.token}").status_code == 200


def test_erase_keeps_the_candidate_of_another_application_in_the_organisation(app, client):
    with app.app_context():
        org = factories.organisation()
        first = factories.posting(org, status=PostingStatus.PUBLISHED)
        second = factories.posting(org, status=PostingStatus.PUBLISHED)
        erased = factories.application(first, email=EMAIL, first_name=FIRST, last_name=LAST,
                                       message="À effacer 51ab")
        kept = factories.application(second, email="placeholder@example.com",
                                     message="À garder 62bc")
        kept.candidate = erased.candidate  # the same person applied twice
        db.session.flush()
        db.session.delete(db.session.scalar(
            sa.select(Candidate).where(Candidate.email == "placeholder@example.com")))
        token, kept_id = make_token(erased), kept.id
        db.session.commit()
    client.post(f"/candidature/{token}/effacement", data={"erase-confirm": "y"})
    assert found_values(app, ["À effacer 51ab"], []) == []
    with app.app_context():
        candidate = db.session.scalar(sa.select(Candidate))
        assert (candidate.email, candidate.first_name) == (EMAIL, FIRST)
        application = db.session.scalar(sa.select(Application))
        assert application.id == kept_id
        assert application.candidate_id == candidate.id
        assert application.submissions[0].message == "À garder 62bc"


# --- Erasure by an admin, for requests received by email ---------------------------------------


def test_admin_erases_an_application_with_confirmation(app, client, login):
    erasable = make_erasable(app)
    login(erasable.admin)
    url = f"/gestion/{erasable.org_slug}/candidatures/{erasable.application_id}/effacement"
    response = client.post(url, data={}, headers=EN)
    assert response.status_code == 302
    assert count(app, Application) == 1
    page = text(client.get(response.headers["Location"], headers=EN))
    assert "Tick the box to confirm the erasure: nothing was deleted." in page

    response = client.post(url, data={"confirm": "y"}, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/gestion/{erasable.org_slug}/offres/{erasable.posting_id}/candidatures")
    assert found_values(app) == []
    with app.app_context():
        erase = db.session.scalar(sa.select(Event).where(Event.action == "application.erase"))
        admin_id = db.session.scalar(sa.text(
            "SELECT id FROM user_account WHERE email = :email"), {"email": erasable.admin})
        assert erase.actor_id == admin_id
        assert erase.data == {"posting_id": erasable.posting_id, "by": "admin"}
    page = text(client.get(response.headers["Location"], headers=EN))
    assert "The application has been erased" in page
    assert "No application yet." in page
    # The candidate's link now says so.
    assert client.get(f"/candidature/{erasable.token}").status_code == 410


def test_lead_cannot_erase(app, client, login):
    erasable = make_erasable(app)
    login(erasable.lead)
    url = f"/gestion/{erasable.org_slug}/candidatures/{erasable.application_id}/effacement"
    assert client.post(url, data={"confirm": "y"}).status_code == 403
    assert count(app, Application) == 1
    page = text(client.get(f"/gestion/{erasable.org_slug}/candidatures/"
                           f"{erasable.application_id}", headers=EN))
    assert "/effacement" not in page


def test_admin_of_another_organisation_cannot_erase(app, client, login):
    erasable = make_erasable(app)
    with app.app_context():
        other = factories.organisation()
        outsider = factories.user(other, Role.ADMIN)
        db.session.commit()
        email, slug = outsider.email, other.slug
    login(email)
    url = f"/gestion/{slug}/candidatures/{erasable.application_id}/effacement"
    assert client.post(url, data={"confirm": "y"}).status_code == 404
    assert count(app, Application) == 1
