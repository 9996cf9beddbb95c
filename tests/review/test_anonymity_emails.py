"""Anonymised screening outside the pages: the contacts' emails, file names, edited drafts."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from tests import factories
from tests.files import make_pdf
from tests.review.dashboard_support import EN, add, make_office
from tests.review.test_dossier import build_case, client_for, dossier
from tests.pdf.helpers import pdf_text
from tracker.accounts.models import Role
from tracker.applications import privacy, services
from tracker.applications.documents import check_upload
from tracker.applications.models import Application
from tracker.db import db
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import PostingStatus
from tracker.review.models import StageKind
from tracker.review.stages import move_application, stage_of_kind

NAME = ("Zoé", "Quintard")
EMAIL = "zoe.quintard@example.net"
PHONE = "07 98 76 54 32"
SECRETS = ("Zoé", "Zoe", "Quintard", "zoe.quintard", "98 76 54 32", "0798765432")


def _submit(app, *, anonymised: bool):
    """Queue an application through the service; returns (notification, org email, reference)."""
    with app.test_request_context("/", headers=EN):
        org = factories.organisation(locale="en")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=anonymised)
        db.session.commit()
        cv = check_upload("CV_Quintard_Zoe.pdf", make_pdf("CV"), max_bytes=10 * 1024 * 1024)
        result = services.submit_application(
            posting, first_name=NAME[0], last_name=NAME[1], email=EMAIL, phone=PHONE, cv=cv,
            letter_text="Je suis Zoé Quintard, joignable au 07.98.76.54.32.",
            message="Bonjour, Zoé Quintard (zoe.quintard@example.net)", locale="fr",
        )
        db.session.commit()
        notification = db.session.scalar(sa.select(Message).where(
            Message.kind == "application.notification",
            Message.application_id == result.application.id))
        return notification, org.email, result.application.reference


def _everything(message: Message) -> str:
    return " ".join([message.subject, message.body_text, message.body_html,
                     message.reply_to or ""])


def test_notification_on_an_anonymised_offer_names_nobody(app):
    with app.app_context():
        notification, org_email, reference = _submit(app, anonymised=True)
        text = _everything(notification)
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), secret
        assert "CV_Quintard_Zoe" not in text
        assert notification.subject.endswith(f" – Candidate {reference}")
        assert f"Candidate {reference}" in notification.body_text
        assert re.search(r"^- CV \(PDF, \d+ kB\)$", notification.body_text, re.M)
        assert "Je suis […] […], joignable au […]." in notification.body_text
        assert notification.reply_to == org_email
        assert list(notification.attachments) == []
        assert "reply to this email" not in notification.body_text


def test_notification_on_an_ordinary_offer_is_unchanged(app):
    with app.app_context():
        notification, _org_email, _reference = _submit(app, anonymised=False)
        assert notification.subject.endswith(" – Zoé QUINTARD") or "Zoé" in notification.subject
        assert EMAIL in notification.body_text and PHONE in notification.body_text
        assert "CV_Quintard_Zoe.pdf" in notification.body_text
        assert "Je suis Zoé Quintard" in notification.body_text
        assert notification.reply_to == EMAIL
        assert [a.filename for a in notification.attachments] == ["CV_Quintard_Zoe.pdf"]
        assert "reply to this email" in notification.body_text


def test_withdrawal_on_an_anonymised_offer_names_nobody(app):
    with app.test_request_context("/", headers=EN):
        org = factories.organisation(locale="en")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=True)
        application = factories.application(posting, email=EMAIL, first_name=NAME[0],
                                            last_name=NAME[1], phone=PHONE)
        message = privacy.notify_withdrawal(application)
        text = _everything(message)
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), secret
        assert f"Candidate {application.reference}" in message.subject
        posting.anonymised = False
        assert "Zoé" in privacy.notify_withdrawal(application).subject


# --- File names ---------------------------------------------------------------------------------


def test_masked_file_names_are_the_neutral_download_name(app, client, login):
    office = make_office(app, anonymised=True)
    application_id = add(app, office, first_name="Léa", last_name="Martin", documents=[
        ("cv", "CV_Martin_Lea.pdf", "application/pdf", make_pdf("CV"))])
    with app.app_context():
        reference = db.session.get(Application, application_id).reference
    login(office.lead)
    page = client.get(office.page_url(application_id), headers=EN).get_data(as_text=True)
    assert "Martin_Lea" not in page and "CV_Martin" not in page
    assert f"cv-{reference}.pdf" in page


def test_masked_dossier_lists_the_neutral_file_name(app):
    case = build_case(app, anonymised=True, first_name="Léa", last_name="Martin", documents=[
        ("cv", "CV_Martin_Lea.pdf", "application/vnd.oasis.opendocument.text", b"not a pdf")])
    with app.app_context():
        db.session.get(Application, case.application_id).revealed_at = None
        db.session.commit()
    text = pdf_text(dossier(client_for(app, case.admin), case).data)
    assert "Martin_Lea" not in text


# --- Editing a masked draft ---------------------------------------------------------------------


def _form_value(page: str, name: str) -> str:
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    if textarea:
        return html.unescape(textarea.group(1))
    return html.unescape(re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"',
                                   page).group(1))


def test_saving_a_masked_draft_unchanged_keeps_it_exactly(app, client, login):
    with app.app_context():
        org = factories.organisation(name="Espace Sophie Germain")
        admin = factories.user(org, Role.ADMIN, email="admin@example.org")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=True)
        application = factories.application(posting, email="anne-sophie.leroy@example.com",
                                            first_name="Anne-Sophie", last_name="Leroy",
                                            locale="en")
        rejected = stage_of_kind(org.id, StageKind.REJECTED)
        draft = move_application(application, rejected, actor=admin, reason="profile").draft
        db.session.commit()
        url = f"/gestion/{org.slug}/reponses/{draft.id}/modifier"
        draft_id, subject, body = draft.id, draft.subject, draft.body_text
    assert "Anne-Sophie Leroy" in body and "Espace Sophie Germain" in body
    login("admin@example.org")
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Anne-Sophie" not in page and "Leroy" not in page
    shown_body = _form_value(page, "body")
    assert "[…]" not in shown_body and "Espace Sophie Germain" in shown_body
    response = client.post(url, data={"subject": _form_value(page, "subject"),
                                      "body": shown_body.replace("\n", "\r\n"),
                                      "action": "save"}, headers=EN)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Message, draft_id)
        assert saved.status == MessageStatus.DRAFT
        assert (saved.subject, saved.body_text) == (subject, body)
    # An edit keeps the candidate's name through the placeholders, and the organisation's.
    edited = shown_body.replace("Kind regards", "Best regards")
    client.post(url, data={"subject": subject, "body": edited, "action": "save"}, headers=EN)
    with app.app_context():
        saved = db.session.get(Message, draft_id)
        assert "Hello Anne-Sophie Leroy," in saved.body_text
        assert "Best regards,\n\nEspace Sophie Germain" in saved.body_text
        assert "[…]" not in saved.body_text
