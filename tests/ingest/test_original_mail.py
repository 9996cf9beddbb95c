"""Reviewers see the original mail on the application page; erasure leaves a tombstone."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.applications.test_privacy_erase import found_values
from tests.files import make_pdf
from tests.ingest.world import EN, NOW, make_mail, make_world
from tracker.accounts.models import Role, User
from tracker.applications import privacy
from tracker.applications.models import Application
from tracker.db import db
from tracker.ingest.models import InboundMail
from tracker.ingest.services import ingest, ingest_once
from tracker.postings.models import Posting

FIRST, LAST = "Zéphyrine", "Quintal-Vorlakian"
EMAIL = "zephyrine.vorlakian@example.net"
PHONE = "06 98 76 54 32"
CV_BYTES = make_pdf("Zephyrine 4c1d curriculum vitae")


def _mail() -> bytes:
    return make_mail(
        subject=f"Candidature stagiaire démocratie permanente ({FIRST} {LAST})",
        sender=f"{FIRST} {LAST.upper()} <{EMAIL}>",
        body=f"Madame, Monsieur,\n\nMa candidature.\n\n{FIRST} {LAST}\n{PHONE}\n",
        attachments=[("CV 4c1d.pdf", "application/pdf", CV_BYTES)],
        message_id="<erase-me-7f3a@example.net>",
    )


def _setup(app, *, anonymised=False):
    with app.app_context():
        ids = make_world()
        posting = db.session.get(Posting, ids["P1"])
        posting.anonymised = anonymised
        lead = factories.user(posting.organisation, Role.LEAD, email="lead@example.org")
        factories.reviewer(posting, lead)
        db.session.commit()
        mail = ingest(_mail(), source="test", now=NOW)
        assert mail.status == "application"
        return ids, mail.application_id, mail.id


def test_the_application_page_shows_the_original_mail(app, client, login):
    ids, application_id, mail_id = _setup(app)
    login("claire.fontaine@example.org")
    page = client.get(f"/gestion/villes-au-carre/candidatures/{application_id}", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Original email" in html
    assert f"{FIRST} {LAST.upper()} &lt;{EMAIL}&gt;" in html
    assert "recrutement@example.org" in html
    assert f"Candidature stagiaire démocratie permanente ({FIRST} {LAST})" in html
    # Admins go on to the mail among the received emails (the triage pages).
    assert f'href="/gestion/villes-au-carre/courriels/{mail_id}"' in html


def test_the_original_mail_is_masked_while_the_screening_is_anonymous(app, client, login):
    ids, application_id, mail_id = _setup(app, anonymised=True)
    login("lead@example.org")
    page = client.get(f"/gestion/villes-au-carre/candidatures/{application_id}", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Original email" in html
    for value in (FIRST, LAST, LAST.upper(), EMAIL, "zephyrine"):
        assert value.lower() not in html.lower(), value
    with app.app_context():
        reference = db.session.get(Application, application_id).reference
    assert f"Candidate {reference}" in html
    assert "/courriels/" not in html  # the raw mail is for admins


def test_a_form_application_has_no_original_mail_panel(app, client, login):
    with app.app_context():
        ids = make_world()
        application = factories.application(db.session.get(Posting, ids["P1"]))
        db.session.commit()
        application_id = application.id
    login("claire.fontaine@example.org")
    page = client.get(f"/gestion/villes-au-carre/candidatures/{application_id}", headers=EN)
    assert page.status_code == 200
    assert "Original email" not in page.get_data(as_text=True)


def test_erasure_empties_the_mail_and_keeps_a_tombstone(app):
    ids, application_id, mail_id = _setup(app)
    values = [FIRST, LAST, EMAIL, PHONE, "zephyrine.vorlakian", "4c1d"]
    assert found_values(app, values, [CV_BYTES])  # the search finds them before
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(
            User.email == "claire.fontaine@example.org"))
        privacy.erase_application(db.session.get(Application, application_id), actor=admin,
                                  by="admin")
        db.session.commit()
    assert found_values(app, values, [CV_BYTES]) == []
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        assert (mail.message_key, mail.status) == ("<erase-me-7f3a@example.net>", "application")
        assert (mail.raw, mail.size, mail.from_address, mail.subject, mail.application_id) == (
            b"", 0, "", "", None)
        # Reading the mailbox again does not bring the application back.
        again, new = ingest_once(_mail(), source="test", now=NOW)
        assert not new and again.id == mail_id
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0
