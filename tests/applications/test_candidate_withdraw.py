"""Withdrawing through the private link: confirmed, audited, the contacts told, once."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.applications.test_candidate_page import EN, make_application, text
from tracker.applications import privacy
from tracker.applications.links import make_token
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import ContactRole, PostingContact, PostingStatus


def messages(app) -> list[Message]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Message).order_by(Message.id)))
        db.session.expunge_all()
        return rows


def events(app, action: str) -> list[Event]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Event).where(Event.action == action)))
        db.session.expunge_all()
        return rows


def withdrawn_at(app, application_id: int):
    with app.app_context():
        return db.session.get(Application, application_id).withdrawn_at


def test_withdraw_without_confirmation_changes_nothing(app, client):
    made = make_application(app)
    response = client.post(f"/candidature/{made.token}/retrait", data={}, headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert "Tick the box to confirm that you withdraw your application." in page
    assert 'id="withdraw-confirm"' in page and 'aria-invalid="true"' in page
    assert withdrawn_at(app, made.application_id) is None
    assert messages(app) == []
    assert events(app, "application.withdraw") == []


def test_withdraw_marks_the_application_audits_and_tells_the_contacts(app, client):
    made = make_application(app, first_name="Léa", last_name="Martin")
    response = client.post(f"/candidature/{made.token}/retrait",
                           data={"withdraw-confirm": "y"}, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/candidature/{made.token}"
    assert withdrawn_at(app, made.application_id) is not None

    [event] = events(app, "application.withdraw")
    assert (event.object_type, event.object_id, event.actor_id) == (
        "application", made.application_id, None)
    assert event.data == {"posting_id": made.posting_id, "by": "candidate"}

    [message] = messages(app)
    assert message.kind == "application.withdrawn"
    assert message.status == MessageStatus.PENDING
    assert message.recipients == ["claire.fontaine@example.org"]
    assert message.cc == ["ines.moreau@example.org"]
    assert message.application_id == made.application_id
    assert message.posting_id == made.posting_id
    assert message.locale == "fr"
    assert message.subject == f"Candidature retirée\u00a0: Léa MARTIN – {made.title}"
    assert made.reference in message.body_text
    assert "http://tracker.test/gestion/" in message.body_text
    assert f"/candidatures/{made.application_id}" in message.body_text

    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert "Your application has been withdrawn. The organisation has been told." in page
    assert ">Withdrawn</span>" in page


def test_withdraw_twice_is_harmless(app, client):
    made = make_application(app)
    client.post(f"/candidature/{made.token}/retrait", data={"withdraw-confirm": "y"})
    first = withdrawn_at(app, made.application_id)
    response = client.post(f"/candidature/{made.token}/retrait",
                           data={"withdraw-confirm": "y"}, headers=EN)
    assert response.status_code == 302
    assert withdrawn_at(app, made.application_id) == first
    assert len(messages(app)) == 1
    assert len(events(app, "application.withdraw")) == 1
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert "Your application was already withdrawn." in page


def test_withdraw_service_returns_whether_it_changed_anything(app):
    made = make_application(app)
    with app.test_request_context():
        application = db.session.get(Application, made.application_id)
        assert privacy.withdraw_application(application) is True
        assert application.withdrawn_at is not None
        assert privacy.withdraw_application(application) is False
        db.session.commit()
    assert len(messages(app)) == 1


def test_withdraw_tells_to_and_cc_contacts_never_info(app, client):
    with app.app_context():
        org = factories.organisation()
        member = factories.user(org, email="directrice@example.org", name="Nadia Benali")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, contacts=[
            PostingContact(user_id=member.id, name=member.name, email=member.email,
                           role=ContactRole.TO, position=0),
            PostingContact(name="Marc Petit", email="marc.petit@example.org",
                           role=ContactRole.TO, position=1),
            PostingContact(name="Sami Roux", email="sami.roux@example.org",
                           role=ContactRole.CC, position=2),
            PostingContact(name="Info Seule", email="info.seule@example.org",
                           role=ContactRole.INFO, position=3),
        ])
        token = make_token(factories.application(posting))
        db.session.commit()
    client.post(f"/candidature/{token}/retrait", data={"withdraw-confirm": "y"})
    [message] = messages(app)
    assert message.recipients == ["directrice@example.org", "marc.petit@example.org"]
    assert message.cc == ["sami.roux@example.org"]


def test_withdraw_with_only_cc_contacts_sends_to_them(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, contacts=[
            PostingContact(name="Sami Roux", email="sami.roux@example.org",
                           role=ContactRole.CC, position=0),
        ])
        assert privacy.contact_addresses(posting) == (["sami.roux@example.org"], [])
        posting.contacts = [PostingContact(name="Info", email="info@example.org",
                                           role=ContactRole.INFO, position=0)]
        db.session.flush()
        assert privacy.contact_addresses(posting) == ([org.email], [])


def test_withdraw_event_holds_no_personal_data(app, client):
    made = make_application(app, first_name="Anouk", last_name="Ferrandière",
                            email="anouk.ferrandiere@example.net")
    client.post(f"/candidature/{made.token}/retrait", data={"withdraw-confirm": "y"})
    [event] = events(app, "application.withdraw")
    dumped = repr(event.data).lower()
    for value in ("anouk", "ferrandière", "example.net", made.reference.lower()):
        assert value not in dumped
