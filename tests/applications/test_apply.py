"""The public application form: the page, its rules, and every kind of bad input."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.applications.apply_support import (
    EN,
    counts,
    form_data,
    make_offer,
    post_application,
    upload,
)
from tests.files import CORRUPT_PDF, EXECUTABLE, make_encrypted_pdf, make_pdf
from tracker.applications.documents import DocumentError, check_upload
from tracker.db import db, utcnow
from tracker.extensions import limiter
from tracker.postings.models import Posting, PostingStatus

EMPTY = {"candidate": 0, "application": 0, "submission": 0, "document": 0, "message": 0,
         "message_attachment": 0, "event": 0}
FIELD_NAMES = ["first_name", "last_name", "email", "phone", "cv", "letter", "letter_text",
               "message", "consent", "keep_consent"]


def _page(response) -> str:
    return response.get_data(as_text=True)


def _field_error(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def _document_error(app, filename: str, content: bytes, max_bytes: int = 10 * 1024 * 1024):
    """The message check_upload gives for this file, in English."""
    with app.test_request_context("/", headers=EN):
        with pytest.raises(DocumentError) as caught:
            check_upload(filename, content, max_bytes=max_bytes)
        return str(caught.value)


# --- The page ----------------------------------------------------------------------------------


def test_apply_form_has_the_stable_field_names_and_phone_friendly_inputs(app, client):
    offer = make_offer(app, org_fields={"name": "Villes au Carré", "retention_months": 18})
    response = client.get(offer.apply_url, headers=EN)
    assert response.status_code == 200
    page = _page(response)
    names = re.findall(r'<(?:input|textarea)[^>]*\bname="(\w+)"', page)
    assert [n for n in names if n != "website"] == FIELD_NAMES
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input[^>]*autocomplete="given-name"[^>]*name="first_name"', page)
    assert re.search(r'<input[^>]*autocomplete="family-name"[^>]*name="last_name"', page)
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*name="email"[^>]*type="email"', page)
    assert re.search(r'<input[^>]*autocomplete="tel"[^>]*name="phone"[^>]*type="tel"', page)
    for name in ("cv", "letter"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="file"' in tag
        assert re.search(r'accept="\.pdf,\.docx,\.odt[,"]', tag)
    assert re.search(r'<input[^>]*name="cv"[^>]*required', page)
    # Labels for every field.
    for field_id in FIELD_NAMES:
        assert f'<label for="{field_id}">' in page
    # Consent states the retention period and what is done with the data.
    assert ("I agree to the processing of my data for this application, kept for 18 months "
            "after my last contact.") in html.unescape(page)
    assert "goes to the people in charge of this recruitment at Villes au Carré" in page
    assert "It is kept for 18 months after your last contact, then deleted." in page
    assert "withdraw it or erase it at any time" in page
    # The honeypot is there for robots, hidden from people.
    assert re.search(r'<div class="hp-field" aria-hidden="true">', page)
    honeypot = re.search(r'<input[^>]*name="website"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    assert "Please choose your files again" not in page


def test_apply_form_wrong_slug_redirects_permanently(app, client):
    offer = make_offer(app)
    response = client.get(f"/offres/{offer.id}-autre-chose/apply?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"] == offer.apply_url


def test_apply_offer_page_links_to_the_form_and_keeps_email_instructions(app, client):
    offer = make_offer(app, subject_line="Candidature alternance Implication citoyenne")
    page = html.unescape(_page(client.get(offer.url, headers=EN)))
    assert f'href="{offer.apply_url}"' in page
    assert "Apply online" in page
    assert "Send your application by email to" in page
    assert "claire.fontaine@example.org" in page
    assert "Candidature alternance Implication citoyenne" in page


def test_apply_offer_page_without_email_applications_still_links_the_form(app, client):
    offer = make_offer(app, accepts_email=False)
    page = _page(client.get(offer.url, headers=EN))
    assert f'href="{offer.apply_url}"' in page
    assert "This offer does not take applications by email." in page


def test_apply_closed_offer_page_has_no_form_link(app, client):
    offer = make_offer(app, status=PostingStatus.CLOSED)
    page = _page(client.get(offer.url, headers=EN))
    assert offer.apply_url not in page


# --- Offers that take no application ---------------------------------------------------------


def test_apply_draft_offer_is_404(app, client):
    offer = make_offer(app, status=PostingStatus.DRAFT)
    assert client.get(offer.apply_url).status_code == 404
    assert post_application(client, offer).status_code == 404
    assert counts(app) == EMPTY


def test_apply_unknown_offer_is_404(app, client):
    assert client.get("/offres/999999-rien/apply").status_code == 404
    response = client.post("/offres/999999-rien/apply", data=form_data(),
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert counts(app) == EMPTY


def test_apply_archived_offer_is_410(app, client):
    offer = make_offer(app, status=PostingStatus.ARCHIVED)
    assert client.get(offer.apply_url).status_code == 410
    assert post_application(client, offer).status_code == 410
    assert counts(app) == EMPTY


@pytest.mark.parametrize("status, reason", [
    (PostingStatus.CLOSED, "This offer is closed: applications are no longer accepted."),
    (PostingStatus.FILLED, "The position has been filled: applications are no longer accepted."),
])
def test_apply_closed_offer_shows_notice_and_refuses_post_with_410(app, client, status, reason):
    offer = make_offer(app, status=status)
    response = client.get(offer.apply_url, headers=EN)
    assert response.status_code == 200
    page = _page(response)
    assert reason in page
    assert "<form" not in page.split("<main", 1)[1]
    refused = post_application(client, offer)
    assert refused.status_code == 410
    assert reason in _page(refused)
    assert "Your application was not sent." in _page(refused)
    assert counts(app) == EMPTY


def test_apply_past_deadline_is_judged_when_the_form_arrives(app, client):
    offer = make_offer(app, deadline=utcnow() + timedelta(hours=1))
    assert client.get(offer.apply_url, headers=EN).status_code == 200  # open when read
    with app.app_context():  # ...then the deadline passes while the candidate types
        posting = db.session.get(Posting, offer.id)
        posting.deadline = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = post_application(client, offer)
    assert response.status_code == 410
    page = _page(response)
    assert "The deadline has passed: applications were accepted until " in page
    assert counts(app) == EMPTY
    notice = client.get(offer.apply_url, headers=EN)
    assert notice.status_code == 200
    assert "The deadline has passed" in _page(notice)


def test_apply_just_before_the_deadline_is_accepted(app, client):
    offer = make_offer(app, deadline=utcnow() + timedelta(seconds=30))
    assert post_application(client, offer).status_code == 302
    assert counts(app)["application"] == 1


# --- Bad input: a clear message on the field, nothing stored -----------------------------------


def _refused(app, client, offer, field, **overrides) -> str:
    response = post_application(client, offer, **overrides)
    assert response.status_code == 422, _page(response)[:500]
    page = _page(response)
    assert counts(app) == EMPTY
    assert "Please correct the fields marked below." in page
    assert "Please choose your files again:" in page
    message = _field_error(page, field)
    assert message, f"no error on {field}"
    # The first field in error has the focus, and its message is tied to it.
    tag = re.search(rf'<(?:input|textarea)[^>]*id="{field}"[^>]*>', page).group(0)
    assert f"{field}-error" in re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    assert 'aria-invalid="true"' in tag
    assert len(re.findall(r"\bautofocus\b", page)) == 1
    return message


def test_apply_without_cv_is_refused(app, client):
    offer = make_offer(app)
    assert _refused(app, client, offer, "cv", cv=None) == "Choose your CV file."


def test_apply_with_empty_file_is_refused(app, client):
    offer = make_offer(app)
    message = _refused(app, client, offer, "cv", cv=upload(b"", "cv.pdf"))
    assert message == _document_error(app, "cv.pdf", b"")
    assert "empty" in message


def test_apply_with_executable_renamed_pdf_is_refused(app, client):
    offer = make_offer(app)
    message = _refused(app, client, offer, "cv", cv=upload(EXECUTABLE, "cv.pdf"))
    assert message == _document_error(app, "cv.pdf", EXECUTABLE)
    assert "is not a PDF, DOCX or ODT document" in message


def test_apply_with_corrupt_or_encrypted_pdf_is_refused(app, client):
    offer = make_offer(app)
    message = _refused(app, client, offer, "cv", cv=upload(CORRUPT_PDF, "cv.pdf"))
    assert message == _document_error(app, "cv.pdf", CORRUPT_PDF)
    encrypted = make_encrypted_pdf()
    message = _refused(app, client, offer, "letter", letter=upload(encrypted, "lettre.pdf"))
    assert message == _document_error(app, "lettre.pdf", encrypted)


def test_apply_with_file_over_the_limit_is_refused(app, client):
    offer = make_offer(app)
    pdf = make_pdf()
    app.config["UPLOAD_MAX_BYTES"] = len(pdf) - 1
    try:
        message = _refused(app, client, offer, "cv", cv=upload(pdf, "cv.pdf"))
        assert message == _document_error(app, "cv.pdf", pdf, max_bytes=len(pdf) - 1)
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024


def test_apply_with_malformed_email_is_refused(app, client):
    offer = make_offer(app)
    for email in ("lea.martin", "lea@", "lea martin@example.com", "@example.com"):
        assert _refused(app, client, offer, "email", email=email) == (
            "Enter an email address like name@example.org.")


def test_apply_with_accented_email_local_part_is_refused(app, client):
    offer = make_offer(app)
    assert _refused(app, client, offer, "email", email="léa.martin@example.com") == (
        "Use your address without accents before the @ (for example lea.martin@…).")


def test_apply_without_name_is_refused(app, client):
    offer = make_offer(app)
    assert _refused(app, client, offer, "first_name", first_name="  ") == (
        "Enter your first name.")
    assert _refused(app, client, offer, "last_name", last_name="") == "Enter your last name."


def test_apply_with_bad_phone_is_refused(app, client):
    offer = make_offer(app)
    assert _refused(app, client, offer, "phone", phone="appelez-moi") == (
        "Enter a phone number, like 06 12 34 56 78 or +33 6 12 34 56 78.")


def test_apply_without_consent_is_refused(app, client):
    offer = make_offer(app)
    assert _refused(app, client, offer, "consent", consent=None) == (
        "Your application can only be sent with your agreement to the processing of your data.")


def test_apply_without_letter_when_asked_is_refused(app, client):
    offer = make_offer(app, asks_letter=True)
    assert _refused(app, client, offer, "letter", letter=None, letter_text="   ") == (
        "Add your cover letter: a file, or typed in the box below.")


def test_apply_typed_letter_instead_of_file_is_accepted(app, client):
    offer = make_offer(app, asks_letter=True)
    response = post_application(client, offer, letter=None, letter_text="Madame, Monsieur")
    assert response.status_code == 302
    assert counts(app)["document"] == 1


def test_apply_without_letter_when_not_asked_is_accepted(app, client):
    offer = make_offer(app, asks_letter=False)
    page = _page(client.get(offer.apply_url, headers=EN))
    assert "Cover letter (file, optional)" in page
    response = post_application(client, offer, letter=None)
    assert response.status_code == 302


def test_apply_too_long_text_is_refused(app, client):
    offer = make_offer(app)
    assert _refused(app, client, offer, "message", message="x" * 5001) == (
        "At most 5000 characters.")


def test_apply_keeps_what_was_typed_after_an_error(app, client):
    offer = make_offer(app)
    response = post_application(client, offer, email="lea.martin@", phone="+33 6 12 34 56 78",
                                message="Disponible dès <juin> & motivée", keep_consent="y",
                                letter_text="Ma lettre tapée")
    assert response.status_code == 422
    page = _page(response)
    assert re.search(r'<input[^>]*name="first_name"[^>]*value="Léa"', page)
    assert re.search(r'<input[^>]*name="last_name"[^>]*value="Martin"', page)
    assert re.search(r'<input[^>]*name="email"[^>]*value="lea.martin@"', page)
    assert re.search(r'<input[^>]*name="phone"[^>]*value="\+33 6 12 34 56 78"', page)
    assert "Disponible dès &lt;juin&gt; &amp; motivée</textarea>" in page
    assert "Ma lettre tapée</textarea>" in page
    assert re.search(r'<input checked[^>]*name="consent"', page)
    assert re.search(r'<input checked[^>]*name="keep_consent"', page)
    # ...and says that the files must be chosen again.
    assert "Please choose your files again:" in page
    assert "files are not kept when the form is sent back to you" in page


def test_apply_honeypot_filled_is_refused_quietly_and_logged(app, client, caplog):
    offer = make_offer(app)
    with caplog.at_level(logging.WARNING):
        response = post_application(client, offer, website="https://spam.example.com")
    assert response.status_code == 422
    page = _page(response)
    assert "Your application could not be sent. Please check the form and try again." in page
    assert "honeypot" not in page.lower()
    assert re.search(r'<input[^>]*name="website"[^>]*value=""', page)
    assert counts(app) == EMPTY
    assert any("honeypot filled" in record.getMessage() for record in caplog.records)


def test_apply_request_over_max_content_length_gets_a_friendly_413(app, client):
    offer = make_offer(app)
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    try:
        response = post_application(client, offer, cv=upload(b"%PDF-1.4\n" + b"0" * 40_000,
                                                              "cv.pdf"))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    assert response.status_code == 413
    page = _page(response)
    assert "Your files are too large" in page
    assert "Your application was not sent." in page
    assert counts(app) == EMPTY


# --- After sending ----------------------------------------------------------------------------


def test_apply_confirmation_page_says_received_reference_and_email(app, client):
    offer = make_offer(app, title="Stage Démocratie permanente")
    response = post_application(client, offer, email="Lea.Martin@Example.com")
    assert response.status_code == 302
    page = html.unescape(_page(client.get(response.headers["Location"], headers=EN)))
    with app.app_context():
        from tracker.applications.models import Application

        reference = db.session.scalar(sa.select(Application.reference))
    assert "Your application has been received" in page
    assert "Stage Démocratie permanente" in page
    assert f'<strong class="reference">{reference}</strong>' in page
    assert "An email has been sent to lea.martin@example.com" in page
    assert "You had already applied" not in page


def test_apply_confirmation_without_an_application_goes_to_the_offer(app, client):
    offer = make_offer(app)
    response = client.get(f"{offer.apply_url}/merci")
    assert response.status_code == 302
    assert response.headers["Location"] == offer.url


def test_apply_with_csrf_token_from_the_page_works(app, client):
    offer = make_offer(app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = _page(client.get(offer.apply_url, headers=EN))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        refused = post_application(client, offer)
        assert refused.status_code == 400
        response = post_application(client, offer, csrf_token=token)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 302
    assert counts(app)["application"] == 1


# --- Rate limit ---------------------------------------------------------------------------------


@pytest.fixture
def rate_limited(app):
    app.config["RATE_LIMITS_ENABLED"] = True
    limiter.reset()
    try:
        yield
    finally:
        app.config["RATE_LIMITS_ENABLED"] = False
        limiter.reset()


def test_apply_sixth_post_in_a_minute_gets_429(app, client, rate_limited):
    offer = make_offer(app)
    # A person correcting the form is not counted...
    for _ in range(2):
        assert post_application(client, offer, consent=None).status_code == 422
    # ...sent applications are: five go through, the sixth is refused.
    for n in range(5):
        response = post_application(client, offer, email=f"candidate{n}@example.com")
        assert response.status_code == 302, n
    refused = post_application(client, offer, email="candidate6@example.com")
    assert refused.status_code == 429
    page = _page(refused)
    assert "Please wait a moment" in page
    assert "Your application was not sent." in page
    assert counts(app)["application"] == 5
    # Reading the form is not limited; another address may still apply.
    assert client.get(offer.apply_url, headers=EN).status_code == 200
    other = client.post(offer.apply_url, data=form_data(email="other@example.com"),
                        headers=EN, environ_base={"REMOTE_ADDR": "192.0.2.7"},
                        content_type="multipart/form-data")
    assert other.status_code == 302


def test_apply_rate_limit_page_is_translated(app, client, rate_limited):
    offer = make_offer(app)
    app.config["APPLY_RATE_LIMIT"] = "1 per minute"
    try:
        assert post_application(client, offer).status_code == 302
        refused = post_application(client, offer, headers={"Accept-Language": "fr"})
    finally:
        app.config["APPLY_RATE_LIMIT"] = "5 per minute;30 per hour"
    assert refused.status_code == 429
    assert '<html lang="fr">' in _page(refused)


def test_apply_invisible_characters_are_removed_not_stored(app, client):
    offer = make_offer(app, subject_line="Candidature stage")
    response = post_application(client, offer, first_name="Lé\x00a\u202e",
                                last_name=" Mar\x1btin\n",
                                message="Bonjour\r\n\x00je suis\u2066 là\r\n")
    assert response.status_code == 302
    with app.app_context():
        from tracker.applications.models import Application
        from tracker.mail.models import Message

        application = db.session.scalar(sa.select(Application))
        candidate = application.candidate
        assert (candidate.first_name, candidate.last_name) == ("Léa", "Martin")
        assert application.latest.message == "Bonjour\nje suis là"
        subjects = set(db.session.scalars(sa.select(Message.subject)))
        assert "Candidature stage – Léa MARTIN" in subjects


def test_apply_rate_limit_trusts_forwarded_for_only_when_configured(app):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tracker import create_app

    assert not isinstance(app.wsgi_app, ProxyFix)  # default: X-Forwarded-For is ignored
    behind_proxy = create_app({"TESTING": True, "PROXY_FIX_X_FOR": 1,
                               "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert isinstance(behind_proxy.wsgi_app, ProxyFix)
    seen = {}

    @behind_proxy.get("/_address")
    def address():
        from flask import request

        seen["address"] = request.remote_addr
        return "ok"

    behind_proxy.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.9"},
                                   environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["address"] == "203.0.113.9"
