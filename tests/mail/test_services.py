"""queue_message: a row in the caller's transaction, addresses checked; build_email."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.mail.conftest import CV_NAME, queue_notification
from tracker.accounts.models import Organisation
from tracker.db import db
from tracker.mail.models import Message, MessageAttachment, MessageStatus
from tracker.mail.services import FileAttachment, build_email, clean_address, queue_message


def _org(world) -> Organisation:
    return db.session.get(Organisation, world.org_id)


def test_queue_message_stores_everything_and_references_documents(app, world):
    with app.app_context():
        message_id = queue_notification(world)
        message = db.session.get(Message, message_id)
        assert (message.organisation_id, message.kind, message.status, message.attempts,
                message.posting_id, message.application_id, message.locale) == (
            world.org_id, "application.notification", "pending", 0, world.posting_id,
            world.application_id, "fr")
        assert message.recipients == ["Claire Fontaine <claire.fontaine@example.org>"]
        assert message.cc == ["ines.moreau@example.org"]
        assert message.reply_to == "Léa Martin <lea.martin@example.com>"
        assert message.next_try_at is not None and message.sent_at is None
        rows = db.session.execute(
            sa.select(MessageAttachment.filename, MessageAttachment.media_type,
                      MessageAttachment.document_id, MessageAttachment.content)
            .where(MessageAttachment.message_id == message_id).order_by(MessageAttachment.id)
        ).all()
        # Documents are referenced, not copied; other files carry their bytes.
        assert [(r.filename, r.document_id is not None, r.content) for r in rows] == [
            (CV_NAME, True, None),
            ("Lettre de motivation – Léa.docx", True, None),
            ("récapitulatif.txt", False, "Référence T1\n".encode()),
        ]
        assert rows[0].document_id == world.cv_id


def test_queue_message_sender_and_message_id_follow_the_configuration(app, monkeypatch, world):
    with app.app_context():
        message = queue_message(organisation=_org(world), kind="test", recipients=["a@example.org"],
                                subject="S", body_text="B")
        assert message.sender == "Villes au carré <no-reply@tracker.invalid>"
        assert re.fullmatch(r"<[^@<>]+@tracker\.invalid>", message.message_id)
        monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "RH <rh@example.org>")
        assert queue_message(organisation=_org(world), kind="test", recipients=["a@example.org"],
                             subject="S", body_text="B").message_id.endswith("@example.org>")
        monkeypatch.setitem(app.config, "MAIL_DOMAIN", "mail.example.net")
        other = queue_message(organisation=_org(world), kind="test",
                              recipients=["a@example.org"], subject="S", body_text="B")
        assert other.message_id.endswith("@mail.example.net>")
        assert other.sender == "Villes au carré <rh@example.org>"
        assert other.message_id != message.message_id


def test_queue_message_is_part_of_the_callers_transaction(app, world):
    with app.app_context():
        queue_message(organisation=_org(world), kind="test", recipients=["a@example.org"],
                      subject="S", body_text="B")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_queue_message_leaves_out_invalid_addresses_and_says_so(app, world):
    with app.app_context():
        message = queue_message(
            organisation=_org(world), kind="test",
            recipients=["not an address", "Claire <claire@example.org>", "CLAIRE@example.org"],
            cc=["claire@example.org", "ines@example.org", "x@", "a@b.org, c@d.org"],
            reply_to="nobody", subject="S", body_text="B",
        )
        assert message.recipients == ["Claire <claire@example.org>"]
        assert message.cc == ["ines@example.org"]
        assert message.reply_to == ""
        assert message.last_error == (
            "Invalid addresses left out: not an address, x@, a@b.org, c@d.org, nobody")


def test_queue_message_without_a_valid_recipient_is_refused(app, world):
    with app.app_context():
        with pytest.raises(ValueError, match="no valid recipient"):
            queue_message(organisation=_org(world), kind="test", recipients=["nobody", ""],
                          subject="S", body_text="B")
        with pytest.raises(ValueError, match="no valid recipient"):
            queue_message(organisation=_org(world), kind="test", recipients=[],
                          subject="S", body_text="B")


def test_queue_message_promotes_cc_when_there_is_no_to(app, world):
    with app.app_context():
        message = queue_message(organisation=_org(world), kind="test", recipients=[],
                                cc=["ines@example.org"], subject="S", body_text="B")
        assert (message.recipients, message.cc) == (["ines@example.org"], [])


def test_queue_message_draft_waits_for_a_person(app, world):
    with app.app_context():
        message = queue_message(organisation=_org(world), kind="test",
                                recipients=["a@example.org"], subject="S", body_text="B",
                                status=MessageStatus.DRAFT)
        assert (message.status, message.next_try_at) == ("draft", None)
        with pytest.raises(ValueError):
            queue_message(organisation=_org(world), kind="test", recipients=["a@example.org"],
                          subject="S", body_text="B", status=MessageStatus.SENT)


def test_queue_message_subject_is_one_line(app, world):
    with app.app_context():
        message = queue_message(organisation=_org(world), kind="test",
                                recipients=["a@example.org"],
                                subject="Candidature\r\nBcc: victim@example.org", body_text="B")
        assert message.subject == "Candidature Bcc: victim@example.org"


def test_queue_message_refuses_unknown_attachments(app, world):
    with app.app_context():
        with pytest.raises(TypeError):
            queue_message(organisation=_org(world), kind="test", recipients=["a@example.org"],
                          subject="S", body_text="B", attachments=[b"bytes"])
        with pytest.raises(ValueError, match="empty attachment"):
            queue_message(organisation=_org(world), kind="test", recipients=["a@example.org"],
                          subject="S", body_text="B",
                          attachments=[FileAttachment("vide.txt", "text/plain", b"")])


@pytest.mark.parametrize(("value", "expected"), [
    ("lea.martin@example.com", "lea.martin@example.com"),
    ("  Léa Martin <lea.martin@Example.COM> ", "Léa Martin <lea.martin@example.com>"),
    ('"Martin, Léa" <lea@example.com>', '"Martin, Léa" <lea@example.com>'),
    ("lea@example", None),
    ("lea@@example.com", None),
    ("lea@example.com\nBcc: x@example.com", None),
    ("léa@example.com", None),  # SMTPUTF8 is not universal: ASCII before the @
    ("lea@exemple-é.fr", "lea@xn--exemple--i1a.fr"),  # an international domain, as IDNA
    ("", None),
])
def test_clean_address(app, value, expected):
    assert clean_address(value) == expected


def test_build_email_without_html_or_attachments_is_plain_text(app, world):
    with app.app_context():
        message = queue_message(organisation=_org(world), kind="other",
                                recipients=["a@example.org"], subject="Bonjour",
                                body_text="Ligne accentuée\n")
        email = build_email(message)
        assert email.get_content_type() == "text/plain"
        assert email.get_content().replace("\r\n", "\n") == "Ligne accentuée\n"
        assert email["Auto-Submitted"] is None  # only the system's own kinds are marked
        assert email["Cc"] is None and email["Reply-To"] is None


def test_build_email_placeholder_sender_takes_the_configured_address(app, monkeypatch, world):
    with app.app_context():
        message = queue_message(organisation=_org(world), kind="test",
                                recipients=["a@example.org"], subject="S", body_text="B")
        monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "RH <rh@example.org>")
        assert build_email(message)["From"] == "Villes au carré <rh@example.org>"
