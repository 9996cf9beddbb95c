"""Ingesting: once, never lost, the form's path; triage actions (tracker.ingest.services)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.files import make_docx, make_pdf
from tests.ingest.world import NOW, make_mail, make_world
from tracker.accounts.models import User
from tracker.applications.models import Application, Candidate, Document, Submission
from tracker.audit.models import Event
from tracker.db import db
from tracker.ingest import services
from tracker.ingest.models import InboundMail, InboundStatus
from tracker.ingest.services import TriageError, attach, ingest, ingest_once, retry, set_aside
from tracker.mail.models import Message
from tracker.postings.models import Posting

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CV = ("CV Léa Martin.pdf", PDF, make_pdf("Léa Martin – CV"))
LETTER = ("Lettre.docx", DOCX, make_docx("Madame, Monsieur, je vous prie d'agréer..."))
SUBJECT_P1 = "Candidature stagiaire démocratie permanente"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_same_mail_twice_is_recorded_once(app):
    with app.app_context():
        make_world()
        raw = make_mail(subject=SUBJECT_P1, attachments=[CV, LETTER])
        first, new = ingest_once(raw, source="a", now=NOW)
        assert new and first.status == InboundStatus.APPLICATION
        second, new = ingest_once(raw, source="b", now=NOW)
        assert not new and second.id == first.id and second.source == "a"
        # A copy in another folder (a server added its headers): the same mail.
        copy = b"Received: by imap.example.org; Tue, 10 Mar 2026 10:00:00 +0100\n" + raw
        again, new = ingest_once(copy, source="c", now=NOW)
        assert not new and again.id == first.id
        assert (count(InboundMail), count(Application), count(Submission)) == (1, 1, 1)


def test_a_different_mail_reusing_a_message_id_is_not_lost(app):
    with app.app_context():
        make_world()
        first = ingest(make_mail(subject=SUBJECT_P1, attachments=[CV],
                                 message_id="<same@example.com>"), now=NOW)
        other_raw = make_mail(subject=SUBJECT_P1, attachments=[CV], message_id="<same@example.com>",
                              sender="Noé Petit <noe.petit@example.com>")
        other, new = ingest_once(other_raw, now=NOW)
        assert new and other.id != first.id and other.message_key.startswith("sha256:")
        assert count(Application) == 2
        again, new = ingest_once(other_raw, now=NOW)
        assert not new and again.id == other.id


def test_two_ingesters_at_once_make_one_row_and_one_application(app, monkeypatch):
    """Both ingesters look the mail up, find nothing, and insert: the unique key lets one
    win; the other rolls back and returns the winner's row. (The look-up waits for the other
    thread, so that the race happens every time.)"""
    with app.app_context():
        make_world()
    raw = make_mail(subject=SUBJECT_P1, attachments=[CV, LETTER])
    barrier = threading.Barrier(2)
    local = threading.local()
    real_find = services.find

    def find_then_wait(key):
        found = real_find(key)
        if not getattr(local, "waited", False):
            local.waited = True
            db.session.rollback()  # hold no lock while waiting
            barrier.wait(timeout=30)
        return found

    monkeypatch.setattr(services, "find", find_then_wait)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                mail, new = ingest_once(raw, source="thread", now=NOW)
                results.append((mail.id, new))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len({mail_id for mail_id, _new in results}) == 1
    assert sorted(new for _id, new in results) == [False, True]
    with app.app_context():
        assert (count(InboundMail), count(Application), count(Submission)) == (1, 1, 1)


def test_a_failure_keeps_the_mail_with_its_error_and_the_next_one_goes_on(app, monkeypatch):
    """A fault injected after the application was written: the savepoint takes back the
    application, its documents and emails; the mail stays, status error, traceback kept."""
    real = services.submit_application

    def submit_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("disk on fire")

    with app.app_context():
        make_world()
        monkeypatch.setattr(services, "submit_application", submit_then_fail)
        failed = ingest(make_mail(subject=SUBJECT_P1, attachments=[CV]), source="t", now=NOW)
        monkeypatch.setattr(services, "submit_application", real)
        assert failed.status == InboundStatus.ERROR and failed.reason == "error"
        assert "RuntimeError: disk on fire" in failed.error
        assert failed.from_address == "lea.martin@example.com"
        assert failed.subject == SUBJECT_P1
        assert failed.retain_until is not None  # removed by the retention rules in time
        assert (count(Application), count(Document), count(Message), count(Candidate)) == (
            0, 0, 0, 0)
        following = ingest(make_mail(subject=SUBJECT_P1, attachments=[CV],
                                     sender="Noé Petit <noe.petit@example.com>"),
                           source="t", now=NOW)
        assert following.status == InboundStatus.APPLICATION
        failed_id = failed.id
        db.session.commit()
    # Tried again once the cause is gone: it becomes the application it should have been.
    with app.app_context():
        mail = db.session.get(InboundMail, failed_id)
        admin = db.session.scalar(sa.select(User).where(
            User.email == "claire.fontaine@example.org"))
        retry(mail, actor=admin, now=NOW)
        db.session.commit()
        assert (mail.status, mail.error) == (InboundStatus.APPLICATION, "")
        assert count(Application) == 2
        assert db.session.scalar(sa.select(Event.action).where(
            Event.object_type == "inbound_mail")) == "inbound.retry"


def test_retry_refuses_a_mail_that_made_an_application(app):
    with app.app_context():
        make_world()
        mail = ingest(make_mail(subject=SUBJECT_P1, attachments=[CV]), now=NOW)
        with pytest.raises(TriageError):
            retry(mail)


def test_emailed_application_takes_the_form_path(app):
    with app.app_context():
        ids = make_world()
        mail = ingest(make_mail(subject=SUBJECT_P1, attachments=[LETTER, CV],
                                body="Bonjour,\n\nMa candidature.\n\nLéa Martin\n"), now=NOW)
        application = db.session.get(Application, mail.application_id)
        assert application.posting_id == ids["P1"] and application.channel == "email"
        assert application.stage.key == "received"
        assert application.retain_until == mail.retain_until
        submission = application.latest
        assert [(d.kind, d.filename) for d in submission.documents] == [
            ("cv", "CV Léa Martin.pdf"), ("letter", "Lettre.docx")]
        assert submission.message.startswith("Bonjour") and submission.letter_text == ""
        event = db.session.scalar(sa.select(Event).where(Event.action == "application.submit"))
        assert event.data["channel"] == "email"
        kinds = sorted(db.session.scalars(sa.select(Message.kind).where(
            Message.application_id == application.id)))
        assert kinds == ["application.acknowledgement", "application.notification"]


def test_english_mail_gets_the_english_acknowledgement(app):
    with app.app_context():
        make_world()
        raw = make_mail(subject=SUBJECT_P1, attachments=[CV], body=(
            "Dear Sir or Madam,\n\nPlease find attached my application for the internship. "
            "I would be glad to meet you and thank you for your time.\n\nKind regards,\nLea"))
        mail = ingest(raw, now=NOW)
        ack = db.session.scalar(sa.select(Message).where(
            Message.application_id == mail.application_id,
            Message.kind == "application.acknowledgement"))
        assert ack.locale == "en"
        assert db.session.get(Application, mail.application_id).locale == "en"


def test_oversize_attachment_goes_to_triage_with_the_reason(app):
    """An attachment over UPLOAD_MAX_BYTES (10 MB), generated here rather than committed."""
    big = make_pdf("Léa Martin – portfolio") + b"%" + b"0" * (10 * 1024 * 1024)
    with app.app_context():
        ids = make_world()
        mail = ingest(make_mail(subject=SUBJECT_P1,
                                attachments=[CV, ("Portfolio.pdf", PDF, big)]), now=NOW)
        assert (mail.status, mail.reason, mail.posting_id) == (
            "triage", "invalid_attachment", ids["P1"])
        assert "Portfolio.pdf" in mail.note and "10" in mail.note
        assert count(Application) == 0
        assert mail.size > len(big)  # nothing lost: the whole mail is kept


def test_from_organisation_members_is_not_an_application(app):
    with app.app_context():
        make_world()
        mail = ingest(make_mail(subject="RE: " + SUBJECT_P1, attachments=[CV],
                                sender="Claire Fontaine <Claire.Fontaine@example.org>"), now=NOW)
        assert (mail.status, mail.reason) == ("triage", "from_organisation")


def test_images_beside_the_documents_do_not_block(app):
    photo = ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with app.app_context():
        make_world()
        mail = ingest(make_mail(subject=SUBJECT_P1, attachments=[CV, photo]), now=NOW)
        assert mail.status == "application"
        assert "photo.png" in mail.note


# --- Triage actions --------------------------------------------------------------------------


def _triaged(app, subject="Candidature stage démocratie", attachments=(CV,), **kwargs):
    with app.app_context():
        ids = make_world()
        mail = ingest(make_mail(subject=subject, attachments=list(attachments), **kwargs),
                      now=NOW)
        assert mail.status == "triage"
        return ids, mail.id


def _admin():
    return db.session.scalar(sa.select(User).where(User.email == "claire.fontaine@example.org"))


def test_attach_makes_the_application_from_triage(app):
    ids, mail_id = _triaged(app)
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        posting = db.session.get(Posting, ids["P1"])
        application = attach(mail, posting, _admin(), now=NOW)
        db.session.commit()
        assert (mail.status, mail.reason) == ("application", "attached")
        assert mail.application_id == application.id and mail.posting_id == ids["P1"]
        assert mail.handled_by_id == _admin().id and mail.handled_at == NOW
        assert application.channel == "email"
        assert application.submitted_at < NOW  # the mail's arrival, not the click
        event = db.session.scalar(sa.select(Event).where(Event.action == "inbound.attach"))
        assert event.object_id == mail.id and event.data["application_id"] == application.id
        assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(
            Message.application_id == application.id,
            Message.kind == "application.acknowledgement")) == 1
        with pytest.raises(TriageError):
            attach(mail, posting, _admin())


def test_attach_to_a_closed_offer_is_the_admins_choice(app):
    ids, mail_id = _triaged(app, subject="Candidature service civique médiation")
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        assert mail.reason == "closed"
        application = attach(mail, db.session.get(Posting, ids["P5"]), _admin())
        assert application.posting_id == ids["P5"]


def test_attach_refuses_another_organisations_offer_a_draft_and_no_sender(app):
    from flask_babel import force_locale

    ids, mail_id = _triaged(app)
    with app.app_context(), force_locale("en"):
        mail = db.session.get(InboundMail, mail_id)
        with pytest.raises(TriageError, match="another organisation"):
            attach(mail, db.session.get(Posting, ids["P7"]), _admin())
        with pytest.raises(TriageError, match="draft"):
            attach(mail, db.session.get(Posting, ids["P10"]), _admin())
        raw = b"To: recrutement@example.org\nSubject: " + SUBJECT_P1.encode() + b"\n\nx\n"
        anonymous = ingest(raw, now=NOW)
        assert anonymous.reason == "no_sender"
        with pytest.raises(TriageError, match="sender"):
            attach(anonymous, db.session.get(Posting, ids["P1"]), _admin())
        assert count(Application) == 0


def test_attach_keeps_only_the_valid_documents(app):
    from tests.files import CORRUPT_PDF

    ids, mail_id = _triaged(app, subject=SUBJECT_P1,
                            attachments=[("CV.pdf", PDF, CORRUPT_PDF), LETTER])
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        assert mail.reason == "invalid_attachment"
        application = attach(mail, db.session.get(Posting, ids["P1"]), _admin())
        assert [d.filename for d in application.latest.documents] == ["Lettre.docx"]


def test_set_aside_keeps_the_mail_listed_with_the_reason(app):
    ids, mail_id = _triaged(app)
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        for empty in ("", "   "):
            with pytest.raises(TriageError):
                set_aside(mail, empty, _admin())
        with pytest.raises(TriageError):
            set_aside(mail, "x" * 501, _admin())
        set_aside(mail, "  Démarchage   commercial ", _admin(), now=NOW)
        db.session.commit()
        assert (mail.status, mail.note, mail.reason) == (
            "set_aside", "Démarchage commercial", "near_miss")
        assert mail.organisation_id == ids["org"] and mail.raw  # still there, still searchable
        event = db.session.scalar(sa.select(Event).where(Event.action == "inbound.set_aside"))
        assert event.data == {"reason": "Démarchage commercial"}
        # A change of mind: set-aside mail can still be attached.
        attach(mail, db.session.get(Posting, ids["P1"]), _admin())
        with pytest.raises(TriageError):
            set_aside(mail, "Plus une candidature", _admin())


def test_read_documents_verdicts_for_the_triage_page(app):
    from tests.files import CORRUPT_PDF
    from tracker.ingest.parse import parse_mail

    raw = make_mail(subject="s", attachments=[
        ("Lettre.docx", DOCX, LETTER[2]), ("CV.pdf", PDF, CORRUPT_PDF), CV,
        ("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20), CV])
    with app.app_context(), force_locale("en"):
        documents = services.read_documents(parse_mail(raw))
    assert [(v.filename, v.outcome) for v in documents.verdicts] == [
        ("Lettre.docx", "letter"), ("CV.pdf", "refused"), ("CV Léa Martin.pdf", "cv"),
        ("photo.jpg", "not_kept"), ("CV Léa Martin.pdf", "not_kept")]
    assert "damaged" in documents.verdicts[1].message


@pytest.mark.parametrize("names, expected", [
    (["CV.pdf", "LM.pdf"], ["cv", "letter"]),
    (["Lettre de motivation.pdf", "Curriculum vitae.pdf"], ["letter", "cv"]),
    (["Martin_Lea_LM.pdf", "Martin_Lea_CV.pdf"], ["letter", "cv"]),
    (["Cover letter.pdf", "Resume.pdf"], ["letter", "cv"]),
    (["CVLeaMartin.pdf", "motivation.pdf"], ["cv", "letter"]),
    (["a.pdf", "b.pdf", "c.pdf"], ["cv", "letter", "other"]),
])
def test_choose_kinds_by_name_then_order(app, names, expected):
    from tracker.applications.documents import check_upload

    pdf = make_pdf("Document")
    with app.app_context():
        files = [check_upload(name, pdf + str(i).encode(), max_bytes=10**7)
                 for i, name in enumerate(names)]
    cv, letter, others = services.choose_kinds(files)
    kinds = {id(cv): "cv", id(letter): "letter"}
    assert [kinds.get(id(f), "other") for f in files] == expected


def test_choose_kinds_by_content(app):
    from tracker.applications.documents import check_upload
    from weasyprint import HTML

    letter = HTML(string="<p>Madame, Monsieur, je vous prie d'agréer mes salutations.</p>"
                  ).write_pdf()
    cv = make_docx("Expérience : animatrice. Formation : licence. Compétences : médiation.")
    with app.app_context():
        files = [check_upload("Scan1.pdf", letter, max_bytes=10**7),
                 check_upload("Document.docx", cv, max_bytes=10**7)]
    chosen_cv, chosen_letter, others = services.choose_kinds(files)
    assert (chosen_cv.filename, chosen_letter.filename, others) == (
        "Document.docx", "Scan1.pdf", [])
