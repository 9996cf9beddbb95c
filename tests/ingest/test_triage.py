"""The received emails in the back office: the triage list, one email, attach / set aside /
try again. Admins of the organisation only; mails are ingested by the real service first."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.files import make_pdf
from tests.ingest.world import EN, NOW, make_mail, make_world
from tracker.accounts.models import Organisation, Role
from tracker.applications.models import Application, Channel
from tracker.audit.models import Event
from tracker.db import db
from tracker.ingest.models import InboundMail, InboundStatus
from tracker.ingest.services import ingest
from tracker.mail.models import Message
from tracker.postings.models import Posting

ADMIN = "claire.fontaine@example.org"
EXACT = "Candidature stagiaire démocratie permanente"
NEAR = "Candidature stage democratie"
_PDF: dict[str, bytes] = {}


def pdf(text: str = "Curriculum vitae – Expérience") -> bytes:
    if text not in _PDF:
        _PDF[text] = make_pdf(text)
    return _PDF[text]


def received(app, raw: bytes) -> int:
    with app.app_context():
        return ingest(raw, source="file:test.eml", now=NOW).id


def mail_with_cv(subject: str, number: int = 1, **fields) -> bytes:
    return make_mail(subject=subject, message_id=f"<triage-{number}@example.com>",
                     sender=fields.pop("sender", f"Léa Martin <lea{number}@example.com>"),
                     attachments=fields.pop("attachments", [
                         ("CV Léa Martin.pdf", "application/pdf", pdf())]), **fields)


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


@pytest.fixture
def admin(client, login, world):
    login(ADMIN)
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def base() -> str:
    return "/gestion/villes-au-carre/courriels"


# --- The list ----------------------------------------------------------------------------------


def test_triage_list_shows_the_mails_waiting_newest_first_with_the_reason(app, admin, world):
    first = received(app, mail_with_cv(NEAR, 1))
    second = received(app, mail_with_cv("Horaires d’ouverture du centre ?", 2, attachments=[]))
    received(app, mail_with_cv(EXACT, 3))  # an application: not in this tab

    response = admin.get(base(), headers=EN)

    assert response.status_code == 200
    html = page(response)
    rows = re.findall(r'<tr id="inbound-(\d+)"', html)
    assert rows == [str(second), str(first)]  # same time: the later one first
    assert "Subject close to an offer&#39;s, not close enough" in html
    assert "Subject matches no offer" in html or "No document attached" in html
    assert "Closest offer: Stagiaire démocratie permanente" in html
    assert re.search(r'aria-current="page">\s*To triage\s*<span class="tab-count[^"]*">2<', html)
    assert re.search(r'Applications\s*<span class="tab-count">1<', html)


def test_triage_list_is_newest_first(app, admin, world):
    from datetime import timedelta

    with app.app_context():
        ids = [ingest(mail_with_cv(NEAR, n), now=NOW + timedelta(minutes=n)).id
               for n in range(1, 4)]
    html = page(admin.get(base(), headers=EN))
    assert re.findall(r'<tr id="inbound-(\d+)"', html) == [str(i) for i in reversed(ids)]


def test_triage_list_tabs_and_search(app, admin, world):
    received(app, mail_with_cv(EXACT, 1, sender="Karim Benali <karim@example.net>"))
    received(app, mail_with_cv(EXACT, 2, sender="Sophie Durand <sophie@example.com>"))
    received(app, mail_with_cv(NEAR, 3, sender="Hugo Petit <hugo@example.com>"))

    tab = page(admin.get(f"{base()}?statut=application", headers=EN))
    assert "Karim Benali" in tab and "Sophie Durand" in tab and "Hugo Petit" not in tab
    assert "Open the application" in tab

    by_name = page(admin.get(f"{base()}?statut=application&q=benali", headers=EN))
    assert "Karim Benali" in by_name and "Sophie Durand" not in by_name
    by_address = page(admin.get(f"{base()}?statut=application&q=example.com", headers=EN))
    assert "Sophie Durand" in by_address and "Karim Benali" not in by_address
    by_subject = page(admin.get(f"{base()}?q=stage+democratie", headers=EN))
    assert "Hugo Petit" in by_subject
    nothing = page(admin.get(f"{base()}?q=zzz", headers=EN))
    assert "No email matches “zzz” here." in nothing


def test_triage_list_search_takes_like_wildcards_literally(app, admin, world):
    received(app, mail_with_cv(NEAR, 1))
    assert '<tr id="inbound-' in page(admin.get(f"{base()}?q=stage", headers=EN))
    assert '<tr id="inbound-' not in page(admin.get(f"{base()}?q=%25", headers=EN))
    assert '<tr id="inbound-' not in page(admin.get(f"{base()}?q=_", headers=EN))


def test_triage_list_is_paginated(app, admin, world):
    app.config["ADMIN_PAGE_SIZE"], saved = 2, app.config["ADMIN_PAGE_SIZE"]
    try:
        for number in range(1, 6):
            received(app, mail_with_cv(NEAR, number))
        first = page(admin.get(base(), headers=EN))
        third = page(admin.get(f"{base()}?page=3", headers=EN))
    finally:
        app.config["ADMIN_PAGE_SIZE"] = saved
    assert len(re.findall(r'<tr id="inbound-', first)) == 2
    assert "Page 1 of 3" in first
    assert len(re.findall(r'<tr id="inbound-', third)) == 1


@pytest.mark.parametrize("query", [
    "statut=nonsense", "statut=", "page=abc", "page=-4", "page=99999999999999999999",
    "q=" + "x" * 5000, "q=%00%1b%E2%80%AE", "statut=triage&q=<script>",
])
def test_triage_list_survives_junk(app, admin, world, query):
    received(app, mail_with_cv(NEAR, 1))
    response = admin.get(f"{base()}?{query}", headers=EN)
    assert response.status_code == 200
    assert "<script>" not in page(response).split("</header>", 1)[1]


def test_set_aside_and_ignored_tabs_show_their_mails(app, admin, world):
    auto = make_mail(subject="Réponse automatique : absent", message_id="<auto@example.com>",
                     headers={"Auto-Submitted": "auto-replied"})
    received(app, auto)
    html = page(admin.get(f"{base()}?statut=ignored", headers=EN))
    assert "Automatic reply" in html


def test_other_organisation_mail_is_not_listed(app, admin, world):
    other = make_mail(subject="Candidature coordinateur centre social", to="emplois@example.net",
                      message_id="<other@example.net>",
                      attachments=[("CV.pdf", "application/pdf", pdf())])
    other_id = received(app, other)
    mine = received(app, mail_with_cv(NEAR, 1))
    html = page(admin.get(f"{base()}?statut=application", headers=EN))
    assert f'id="inbound-{other_id}"' not in html
    assert admin.get(f"{base()}/{other_id}").status_code == 404
    assert admin.get(f"{base()}/{other_id}/original.eml").status_code == 404
    assert admin.post(f"{base()}/{other_id}/ecarter", data={"reason": "x"}).status_code == 404
    assert admin.get(f"{base()}/{mine}").status_code == 200


# --- Who sees it -------------------------------------------------------------------------------


def test_triage_is_for_admins_only_leads_get_403(app, client, login, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    with app.app_context():
        lead = factories.user(db.session.get(Organisation, world["org"]), Role.LEAD)
        factories.reviewer(db.session.get(Posting, world["P1"]), lead)
        db.session.commit()
        email = lead.email
    login(email)
    assert client.get(base()).status_code == 403
    assert client.get(f"{base()}/{mail_id}").status_code == 403
    assert client.post(f"{base()}/{mail_id}/ecarter", data={"reason": "x"}).status_code == 403
    home = page(client.get("/gestion/villes-au-carre/offres/", headers=EN))
    assert "Received emails" not in home


def test_nav_link_for_admins(admin):
    html = page(admin.get("/gestion/villes-au-carre/offres/", headers=EN))
    assert f'href="{base()}"' in html and "Received emails" in html


# --- One email ---------------------------------------------------------------------------------


def test_mail_page_shows_headers_text_attachments_and_offers_considered(app, admin, world):
    raw = mail_with_cv(NEAR, 1, body="Bonjour,\n\n<script>alert(1)</script> Je candidate.\n",
                       attachments=[("CV Léa Martin.pdf", "application/pdf", pdf()),
                                    ("lettre.pdf", "application/pdf", b"%PDF-1.4 broken")])
    mail_id = received(app, raw)

    response = admin.get(f"{base()}/{mail_id}", headers=EN)

    assert response.status_code == 200
    html = page(response)
    assert "Léa Martin" in html and "&lt;lea1@example.com&gt;" in html
    assert "recrutement@example.org" in html
    assert "&lt;triage-1@example.com&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Je candidate." in html
    assert "<script>alert(1)</script>" not in html
    # The attachments, their sizes and the form's checks.
    assert "CV Léa Martin.pdf" in html and "Kept as the CV" in html
    assert "lettre.pdf" in html and "Refused" in html
    assert re.search(r"\d+(\.\d)? (kB|bytes|B)", html)
    # The offers considered, with their likeness.
    assert "Offers considered" in html
    assert "Stagiaire démocratie permanente" in html and "The closest offer" in html
    assert re.search(r"\d+%", html)
    # What to do.
    assert "Attach it to an offer" in html and "Set it aside" in html
    assert f'action="{base()}/{mail_id}/rattacher"' in html


def test_mail_page_for_an_application_links_to_it(app, admin, world):
    mail_id = received(app, mail_with_cv(EXACT, 1))
    with app.app_context():
        application_id = db.session.get(InboundMail, mail_id).application_id
    html = page(admin.get(f"{base()}/{mail_id}", headers=EN))
    assert f"/gestion/villes-au-carre/candidatures/{application_id}" in html
    assert "The offer it went to" in html
    assert "Attach it to an offer" not in html


def test_original_mail_download(app, admin, world):
    raw = mail_with_cv(NEAR, 1)
    mail_id = received(app, raw)

    response = admin.get(f"{base()}/{mail_id}/original.eml", headers=EN)

    assert response.status_code == 200
    assert response.data == raw
    assert response.mimetype == "message/rfc822"
    assert response.headers["Content-Disposition"] == f'attachment; filename="email-{mail_id}.eml"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_unknown_mail_is_404(admin):
    assert admin.get(f"{base()}/999999").status_code == 404
    assert admin.post(f"{base()}/999999/rattacher", data={"posting_id": "1"}).status_code == 404


# --- Attach ------------------------------------------------------------------------------------


def test_attach_makes_the_application_and_goes_to_it(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))

    response = admin.post(f"{base()}/{mail_id}/rattacher",
                          data={"posting_id": str(world["P1"])}, headers=EN)

    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        application = db.session.get(Application, mail.application_id)
        assert mail.status == InboundStatus.APPLICATION
        assert mail.handled_by.email == ADMIN
        assert application.posting_id == world["P1"]
        assert application.channel == Channel.EMAIL
        assert application.candidate.email == "lea1@example.com"
        assert db.session.scalar(sa.select(sa.func.count(Event.id)).where(
            Event.action == "inbound.attach", Event.object_id == mail_id)) == 1
        kinds = set(db.session.scalars(sa.select(Message.kind).where(
            Message.application_id == application.id)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/gestion/villes-au-carre/candidatures/{application.id}")
    assert "application.acknowledgement" in kinds and "application.notification" in kinds
    follow = page(admin.get(response.headers["Location"], headers=EN))
    assert "The application has been made from this email." in follow


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999999999", "<b>", "1.5"])
def test_attach_refuses_junk_without_a_500(app, admin, world, value):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    response = admin.post(f"{base()}/{mail_id}/rattacher", data={"posting_id": value},
                          headers=EN)
    assert response.status_code == 422
    html = page(response)
    assert ("Choose the offer this email applies to." in html
            or "Choose one of the organisation's offers." in html)
    with app.app_context():
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.TRIAGE


def test_attach_refuses_an_offer_of_another_organisation_or_a_draft(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    for key in ("P7", "P10"):  # the other organisation's offer; a draft
        response = admin.post(f"{base()}/{mail_id}/rattacher",
                              data={"posting_id": str(world[key])}, headers=EN)
        assert response.status_code == 422, key
        assert "Choose one of the organisation's offers." in page(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_attach_choices_are_the_organisations_offers_open_first(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    html = page(admin.get(f"{base()}/{mail_id}", headers=EN))
    select = html.split('name="posting_id"', 1)[1].split("</select>", 1)[0]
    values = re.findall(r'<option (?:selected )?value="(\d*)"', select)
    assert str(world["P7"]) not in values and str(world["P10"]) not in values
    assert str(world["P5"]) in values  # closed offers can still be chosen
    assert values.index(str(world["P1"])) < values.index(str(world["P5"]))
    assert re.search(rf'<option selected value="{world["P1"]}"', select)  # the closest


def test_attach_twice_is_refused_with_a_message(app, admin, world):
    mail_id = received(app, mail_with_cv(EXACT, 1))
    response = admin.post(f"{base()}/{mail_id}/rattacher",
                          data={"posting_id": str(world["P2"])}, headers=EN)
    assert response.status_code == 302
    assert "This mail has already made an application." in page(
        admin.get(response.headers["Location"], headers=EN))


# --- Set aside ---------------------------------------------------------------------------------


def test_set_aside_needs_a_reason(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    for data in ({}, {"reason": ""}, {"reason": "   \x00 "}):
        response = admin.post(f"{base()}/{mail_id}/ecarter", data=data, headers=EN)
        assert response.status_code == 422
        assert "Say why this email is set aside." in page(response)
    too_long = admin.post(f"{base()}/{mail_id}/ecarter", data={"reason": "x" * 600},
                          headers=EN)
    assert too_long.status_code == 422
    with app.app_context():
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.TRIAGE


def test_set_aside_keeps_the_mail_listed_and_searchable(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))

    response = admin.post(f"{base()}/{mail_id}/ecarter",
                          data={"reason": "Une question sur\nle stage, pas une candidature"},
                          headers=EN)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(base())
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        assert mail.status == InboundStatus.SET_ASIDE
        assert mail.note == "Une question sur le stage, pas une candidature"
        assert db.session.scalar(sa.select(sa.func.count(Event.id)).where(
            Event.action == "inbound.set_aside")) == 1
    listed = page(admin.get(f"{base()}?statut=set_aside&q=martin", headers=EN))
    assert f'id="inbound-{mail_id}"' in listed
    assert "Reason given: Une question sur le stage, pas une candidature" in listed
    shown = page(admin.get(f"{base()}/{mail_id}", headers=EN))
    assert "Why it was set aside" in shown and "Claire Fontaine" in shown
    # Still possible to attach it afterwards (an admin changes their mind).
    assert "Attach it to an offer" in shown


# --- Try again ---------------------------------------------------------------------------------


def _error_mail(app, raw: bytes) -> int:
    """A mail as the service leaves one whose processing failed (status error, traceback)."""
    with app.app_context():
        mail_id = ingest(raw, now=NOW).id
        mail = db.session.get(InboundMail, mail_id)
        for name in ("application_id", "submission_id", "posting_id"):
            setattr(mail, name, None)
        mail.status, mail.reason = InboundStatus.ERROR, "error"
        mail.error = "Traceback (most recent call last):\n  ...\nOperationalError: disk full"
        db.session.execute(sa.delete(Message))
        db.session.execute(sa.delete(Application))
        db.session.commit()
        return mail_id


def test_retry_an_error_makes_the_application(app, admin, world):
    mail_id = _error_mail(app, mail_with_cv(EXACT, 1))
    shown = page(admin.get(f"{base()}?statut=error", headers=EN))
    assert f'id="inbound-{mail_id}"' in shown and "Processing failed" in shown
    detail = page(admin.get(f"{base()}/{mail_id}", headers=EN))
    assert "What went wrong" in detail and "OperationalError: disk full" in detail

    response = admin.post(f"{base()}/{mail_id}/reessayer", data={}, headers=EN)

    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        assert mail.status == InboundStatus.APPLICATION
        assert mail.error == ""
    assert response.status_code == 302
    assert f"/candidatures/{mail.application_id}" in response.headers["Location"]


def test_retry_a_triaged_mail_stays_in_triage_with_a_message(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    response = admin.post(f"{base()}/{mail_id}/reessayer", data={}, headers=EN)
    assert response.status_code == 302
    assert "Tried again: Subject close to an offer" in page(
        admin.get(response.headers["Location"], headers=EN))


def test_retry_an_application_is_refused(app, admin, world):
    mail_id = received(app, mail_with_cv(EXACT, 1))
    response = admin.post(f"{base()}/{mail_id}/reessayer", data={}, headers=EN)
    assert response.status_code == 302
    assert "Only a mail that failed or waits in triage can be tried again." in page(
        admin.get(response.headers["Location"], headers=EN))


def test_mail_of_an_erased_application_is_a_tombstone(app, admin, world):
    mail_id = received(app, mail_with_cv(NEAR, 1))
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        mail.raw, mail.subject, mail.from_name, mail.from_address = b"", "", "", ""
        db.session.commit()
    html = page(admin.get(f"{base()}/{mail_id}", headers=EN))
    assert "the email itself is no longer kept" in html
    assert admin.get(f"{base()}/{mail_id}/original.eml").status_code == 404
