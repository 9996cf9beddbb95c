"""Fixes found in review of the email ingestion: MIME layouts, the error path, erasure of
triage mails, masking of the original-mail panel, double submits from triage."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from tests import factories
from tests.files import make_pdf
from tests.ingest.world import CORPUS, EN, NOW, make_mail, make_world
from tracker.accounts.models import Role, User
from tracker.applications import privacy
from tracker.applications.models import Application, Document, Submission
from tracker.db import db
from tracker.ingest import parse, services
from tracker.ingest.models import InboundMail, InboundStatus
from tracker.ingest.services import ingest
from tracker.postings.models import Posting, PostingStatus

ADMIN = "claire.fontaine@example.org"
EXACT = "Candidature stagiaire démocratie permanente"
NEAR = "Candidature stage democratie"
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
CV = make_pdf("Curriculum vitae – Expérience – Formation")


def _html(response) -> str:
    return response.get_data(as_text=True)


# --- 1. A file inside the HTML form of an alternative (Apple Mail, iOS) ----------------------


def test_apple_mail_file_inside_the_html_form_of_an_alternative_is_kept():
    raw = (CORPUS / "42-apple-mail-attachment-in-alternative.eml").read_bytes()
    parsed = parse.parse_mail(raw)
    assert [a.filename for a in parsed.attachments] == ["CV.pdf"]
    # The plain text still wins, once; the HTML forms are not added to it.
    assert parsed.text.count("Veuillez trouver ci-joint mon CV") == 1
    assert "<div>" not in parsed.text


def test_inline_pictures_of_a_related_html_form_stay_ignored():
    raw = (CORPUS / "05-apple-mail-nested.eml").read_bytes()
    parsed = parse.parse_mail(raw)
    assert "logo-ecole.png" in parsed.ignored
    assert "logo-ecole.png" not in [a.filename for a in parsed.attachments]


def test_apple_mail_file_inside_the_alternative_makes_an_application_with_its_cv(app):
    raw = (CORPUS / "42-apple-mail-attachment-in-alternative.eml").read_bytes()
    with app.app_context():
        make_world()
        mail = ingest(raw, source="test", now=NOW)
        assert (mail.status, mail.reason) == ("application", "matched")
        files = db.session.scalars(sa.select(Document.filename).join(Submission).where(
            Submission.application_id == mail.application_id)).all()
        assert files == ["CV.pdf"]


# --- 2. A mail whose processing failed shows in its organisation's triage ------------------------


def _failing(monkeypatch):
    def boom(parsed):
        raise RuntimeError("disk full while reading the documents")
    monkeypatch.setattr(services, "read_documents", boom)


def test_a_failed_mail_on_a_one_organisation_instance_is_in_its_errors_tab(
        app, client, login, monkeypatch):
    with app.app_context():
        org = factories.organisation(name="Seule", slug="seule", email="jobs@example.org")
        factories.user(org, Role.ADMIN, email=ADMIN, name="Claire Fontaine")
        db.session.commit()
        org_id = org.id
    _failing(monkeypatch)
    raw = make_mail(subject="Candidature", to="someone-else@example.com",
                    headers={"Cc": "lea.second@example.com"}, message_id="<fails-1@example.com>")
    with app.app_context():
        mail = ingest(raw, source="test", now=NOW)
        assert mail.status == InboundStatus.ERROR
        assert mail.organisation_id == org_id
        assert "someone-else@example.com" in mail.to_addresses
        mail_id = mail.id
    monkeypatch.undo()
    login(ADMIN)
    html = _html(client.get("/gestion/seule/courriels?statut=error", headers=EN))
    assert f'id="inbound-{mail_id}"' in html


def test_a_failed_mail_goes_to_the_organisation_it_was_sent_to(app, monkeypatch):
    with app.app_context():
        ids = make_world()
        _failing(monkeypatch)
        mail = ingest(make_mail(subject=EXACT, attachments=[("CV.pdf", "application/pdf", CV)],
                                to="emplois@example.net", message_id="<fails-2@example.com>"),
                      source="test", now=NOW)
        assert (mail.status, mail.organisation_id) == (InboundStatus.ERROR, ids["org2"])
        assert mail.to_addresses == ["emplois@example.net"]


# --- 3. Erasure empties the candidate's other mails too --------------------------------------


def test_erasure_empties_the_candidates_triage_mails_of_the_organisation(app):
    with app.app_context():
        ids = make_world()
        made = ingest(make_mail(subject=EXACT, sender="Léa Martin <Lea.Martin@example.com>",
                                attachments=[("CV.pdf", "application/pdf", CV)],
                                message_id="<made-1@example.com>"), now=NOW)
        near = ingest(make_mail(subject=NEAR, sender="Léa Martin <lea.martin@example.com>",
                                attachments=[("CV.pdf", "application/pdf", CV)],
                                message_id="<near-1@example.com>"), now=NOW)
        other = ingest(make_mail(subject=NEAR, sender="Paul Durand <paul@example.com>",
                                 message_id="<near-2@example.com>"), now=NOW)
        assert made.status == "application" and near.status == "triage"
        elsewhere = ingest(make_mail(subject="Candidature coordinateur", to="emplois@example.net",
                                     sender="Léa Martin <lea.martin@example.com>",
                                     message_id="<near-3@example.com>"), now=NOW)
        assert elsewhere.organisation_id == ids["org2"]
        admin = db.session.scalar(sa.select(User).where(User.email == ADMIN))
        privacy.erase_application(db.session.get(Application, made.application_id),
                                  actor=admin, by="admin")
        db.session.commit()
        near = db.session.get(InboundMail, near.id)
        assert (near.message_key, near.status) == ("<near-1@example.com>", "triage")
        assert (near.raw, near.from_name, near.from_address, near.subject, near.to_addresses,
                near.note) == (b"", "", "", "", [], "")
        # Another person's mail, and the mail to another organisation, are untouched.
        assert db.session.get(InboundMail, other.id).from_address == "paul@example.com"
        assert db.session.get(InboundMail, elsewhere.id).raw != b""


# --- 4. The original-mail panel while the screening is anonymous -----------------------------


def test_masked_panel_hides_copied_addresses_and_file_names(app, client, login):
    with app.app_context():
        ids = make_world()
        posting = db.session.get(Posting, ids["P1"])
        posting.anonymised = True
        lead = factories.user(posting.organisation, Role.LEAD, email="lead@example.org")
        factories.reviewer(posting, lead)
        db.session.commit()
        mail = ingest(make_mail(
            subject=EXACT, sender="Léa Martin <lea.martin@example.com>",
            headers={"Cc": "Léa Martin <lea.martin.perso@example.net>"},
            attachments=[("CV_Lea_Martin.pdf", "application/pdf", CV),
                         ("CV_Lea_Martin (1).pdf", "application/pdf", CV),
                         ("Photo_Lea_Martin.png", "image/png", PNG_1X1)],
            message_id="<masked-1@example.com>"), source="test", now=NOW)
        assert mail.status == "application"
        assert "CV_Lea_Martin (1).pdf" in mail.note and "Photo_Lea_Martin.png" in mail.note
        application_id = mail.application_id
    login("lead@example.org")
    html = _html(client.get(f"/gestion/villes-au-carre/candidatures/{application_id}",
                            headers=EN))
    assert "Original email" in html
    for value in ("Lea_Martin", "lea.martin", "Léa", "Martin"):
        assert value.lower() not in html.lower(), value
    assert "Attachment 1: " in html and "Attachment 2: " in html
    assert "recrutement@example.org" in html  # the organisation's own address stays


# --- 5. Attach or try again twice ----------------------------------------------------------------


def test_attach_twice_makes_one_application_and_a_clear_message(app, client, login):
    with app.app_context():
        ids = make_world()
        mail_id = ingest(make_mail(subject=NEAR, attachments=[("CV.pdf", "application/pdf", CV)],
                                   message_id="<twice-1@example.com>"), now=NOW).id
    login(ADMIN)
    url = f"/gestion/villes-au-carre/courriels/{mail_id}/rattacher"
    first = client.post(url, data={"posting_id": ids["P1"]}, headers=EN)
    second = client.post(url, data={"posting_id": ids["P1"]}, headers=EN)
    assert first.status_code == 302 and second.status_code == 302
    assert "This mail has already made an application." in _html(
        client.get(second.headers["Location"], headers=EN))
    retried = client.post(f"/gestion/villes-au-carre/courriels/{mail_id}/reessayer", data={},
                          headers=EN)
    assert retried.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 1


def test_claim_sees_an_application_made_since_the_mail_was_read(app):
    """The second of two requests read the mail before the first committed: the claim reads
    the status again and refuses."""
    with app.app_context():
        ids = make_world()
        mail_id = ingest(make_mail(subject=NEAR, attachments=[("CV.pdf", "application/pdf", CV)],
                                   message_id="<twice-2@example.com>"), now=NOW).id
        db.session.commit()
    with app.app_context():
        stale = db.session.get(InboundMail, mail_id)
        assert stale.status == "triage"
        # Another request attaches it meanwhile (its own connection and transaction).
        with db.engine.begin() as connection:
            connection.execute(sa.update(InboundMail).where(InboundMail.id == mail_id)
                               .values(status=InboundStatus.APPLICATION))
        posting = db.session.get(Posting, ids["P1"])
        assert posting.status == PostingStatus.PUBLISHED
        try:
            services.attach(stale, posting, None)
        except services.TriageError as error:
            assert str(error) == "Ce mail a déjà donné lieu à une candidature."
        else:
            raise AssertionError("attached twice")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


# --- 6. Mail over INGEST_MAX_BYTES -------------------------------------------------------------


def _big_mail(number: int) -> bytes:
    return make_mail(subject=EXACT, sender=f"Gros Fichier <big{number}@example.com>",
                     message_id=f"<big-{number}@example.com>",
                     attachments=[("CV.pdf", "application/pdf", CV),
                                  ("Portfolio.pdf", "application/pdf", CV + b"%" * 200_000)])


def _too_large_checks(app, key: str, size: int) -> None:
    with app.app_context():
        mail = db.session.scalar(sa.select(InboundMail).where(InboundMail.message_key == key))
        assert (mail.status, mail.reason) == ("triage", "too_large")
        assert mail.size == size
        assert b"Content-Type: multipart/mixed" in mail.raw and b"%PDF" not in mail.raw
        assert mail.from_address.startswith("big") and mail.subject == EXACT
        assert mail.organisation_id is not None and mail.to_addresses
        # The limit, in megabytes written the French way (the default locale).
        assert "0,1\u00a0Mo" in mail.note or "0,1 Mo" in mail.note
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_a_file_over_ingest_max_bytes_is_not_read_and_waits_in_triage(app, tmp_path):
    raw = _big_mail(1)
    path = tmp_path / "big.eml"
    path.write_bytes(raw)
    app.config["INGEST_MAX_BYTES"] = 100_000
    try:
        from tracker.ingest.sources import EmlFile

        with app.app_context():
            make_world()
            source = EmlFile(path)
            outcomes = list(services.ingest_source(source))
        assert [o.reason for o in outcomes] == ["too_large"]
    finally:
        app.config["INGEST_MAX_BYTES"] = 25 * 1024 * 1024
    _too_large_checks(app, "<big-1@example.com>", len(raw))


def test_an_imap_mail_over_ingest_max_bytes_is_read_by_its_headers_and_taken(app, mailbox):
    from tests.ingest.test_imap import config_for
    from tracker.ingest.imap import ImapSource, settings_from_config

    raw = _big_mail(2)
    mailbox.append(raw)
    mailbox.append(make_mail(subject=EXACT, sender="Petit <small@example.com>",
                             message_id="<small-1@example.com>",
                             attachments=[("CV.pdf", "application/pdf", CV)]))
    app.config["INGEST_MAX_BYTES"] = 100_000
    try:
        with app.app_context():
            make_world()
            source = ImapSource(settings_from_config(config_for(mailbox)))
            try:
                outcomes = list(services.ingest_source(source))
            finally:
                source.close()
    finally:
        app.config["INGEST_MAX_BYTES"] = 25 * 1024 * 1024
    assert sorted((o.message_key, o.status, o.reason) for o in outcomes) == [
        ("<big-2@example.com>", "triage", "too_large"),
        ("<small-1@example.com>", "application", "matched")]
    # Both taken off the folder (acked).
    assert mailbox.messages("INBOX") == []
    with app.app_context():
        size = db.session.scalar(sa.select(InboundMail.size).where(
            InboundMail.message_key == "<big-2@example.com>"))
    assert abs(size - len(raw.replace(b"\n", b"\r\n"))) < 100


def test_settings_repr_hides_the_password():
    from tracker.ingest.imap import ImapSettings

    settings = ImapSettings(host="h", port=1, use_tls=True, use_starttls=False,
                            username="u", password="s3cr3t-pw")
    assert "s3cr3t-pw" not in repr(settings)


# --- 7. Texts longer than the form's limits ---------------------------------------------------


def test_a_long_body_is_cut_to_the_forms_limit_with_a_note(app):
    from tracker.applications.forms import LETTER_MAX

    body = "Madame, Monsieur,\n\n" + "Je suis très motivée. " * 2000 + "\nFIN-DU-TEXTE\n"
    raw = make_mail(subject=EXACT, body=body, message_id="<long-1@example.com>",
                    attachments=[("CV.pdf", "application/pdf", CV)])
    with app.app_context():
        make_world()
        mail = ingest(raw, now=NOW)
        assert mail.status == "application"
        application = db.session.get(Application, mail.application_id)
        submission = db.session.scalar(sa.select(Submission).where(
            Submission.application_id == application.id))
        assert len(submission.letter_text) <= LETTER_MAX
        assert "FIN-DU-TEXTE" not in submission.letter_text
        assert "coupé" in mail.note or "cut" in mail.note
        assert "FIN-DU-TEXTE" in parse.parse_mail(mail.raw).text
