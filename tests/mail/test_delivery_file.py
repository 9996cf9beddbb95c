"""Without MAIL_SERVER, delivery writes .eml files a person can open, and marks them sent."""

from __future__ import annotations

import hashlib
from email import policy
from email.parser import BytesParser

import pytest

from tests.mail.conftest import CV_NAME, LETTER_NAME, SUBJECT, queue_notification, soon, text_of
from tracker.db import db
from tracker.mail.delivery import FileBackend, MailConfigError, backend_from_config, deliver_due
from tracker.mail.models import Message


def test_file_backend_is_the_default(app):
    with app.app_context():
        backend = backend_from_config()
    assert isinstance(backend, FileBackend)


def test_file_backend_writes_a_readable_eml_and_marks_it_sent(app, outbox_dir, world):
    now = soon()
    with app.app_context():
        message_id = queue_notification(world)
        [result] = deliver_due(now=now).results
        message = db.session.get(Message, message_id)
        assert (message.status, message.sent_at, message.last_error) == ("sent", now, "")
        stored_id = message.message_id
    path = outbox_dir / f"{now:%Y%m%dT%H%M%S}Z-{message_id}.eml"
    assert result.note == f"written to {path}"
    assert sorted(p.name for p in outbox_dir.iterdir()) == [path.name]  # no temporary left
    email = BytesParser(policy=policy.default).parse(path.open("rb"))
    assert (email["From"], email["To"], email["Cc"], email["Reply-To"], email["Subject"],
            email["Message-ID"]) == (
        "Villes au carré <recrutement@example.org>",
        "Claire Fontaine <claire.fontaine@example.org>",
        "ines.moreau@example.org",
        "Léa Martin <lea.martin@example.com>",
        SUBJECT,
        stored_id,
    )
    assert text_of(email, "plain") == "Léa MARTIN a envoyé sa candidature.\n"
    assert [(part.get_filename(), hashlib.sha256(part.get_payload(decode=True)).hexdigest())
            for part in email.iter_attachments()][:2] == [
        (CV_NAME, world.cv_sha256), (LETTER_NAME, world.letter_sha256)]


def test_file_backend_sends_each_message_once(app, outbox_dir, world):
    with app.app_context():
        queue_notification(world)
        queue_notification(world)
        assert len(deliver_due(now=soon()).results) == 2
        assert deliver_due(now=soon(hours=1)).results == []
    assert len(list(outbox_dir.glob("*.eml"))) == 2


def test_file_backend_unwritable_directory_is_retried(app, outbox_dir, world):
    outbox_dir.write_text("a file where the folder should be")
    now = soon()
    with app.app_context():
        message_id = queue_notification(world)
        [result] = deliver_due(now=now).results
        message = db.session.get(Message, message_id)
        assert (result.status, message.status, message.attempts) == ("pending", "pending", 1)
        assert message.last_error.startswith("Could not write the message file: ")


@pytest.mark.parametrize(("settings", "message"), [
    ({"MAIL_BACKEND": "pigeon"},
     "MAIL_BACKEND must be one of file, smtp (or empty), not 'pigeon'."),
    ({"MAIL_BACKEND": "smtp"}, "MAIL_BACKEND is 'smtp' but MAIL_SERVER is not set."),
    ({"MAIL_SERVER": "smtp.example.org", "MAIL_USE_TLS": True, "MAIL_USE_STARTTLS": True},
     "MAIL_USE_TLS (TLS from the first byte, usually port 465) and MAIL_USE_STARTTLS (a plain "
     "connection upgraded, usually port 587) exclude each other: set only one."),
    ({"MAIL_SERVER": "smtp.example.org", "MAIL_USE_STARTTLS": True, "MAIL_USERNAME": "me"},
     "MAIL_USERNAME and MAIL_PASSWORD go together: set both to log in, or neither."),
    ({"MAIL_SERVER": "smtp.example.org", "MAIL_USERNAME": "me", "MAIL_PASSWORD": "pw"},
     "MAIL_USERNAME is set but neither MAIL_USE_TLS nor MAIL_USE_STARTTLS: the password "
     "would cross the network to smtp.example.org unencrypted. Turn one of them on."),
    ({"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 70000},
     "MAIL_PORT must be between 1 and 65535, not 70000."),
    ({"MAIL_SERVER": "smtp.example.org", "MAIL_TLS_CA_FILE": "/nowhere/ca.pem"},
     "MAIL_TLS_CA_FILE: no such file: /nowhere/ca.pem"),
    ({"MAIL_SERVER": "smtp.example.org",
      "MAIL_DEFAULT_SENDER": "tracker <no-reply@tracker.invalid>"},
     "Set MAIL_DEFAULT_SENDER to an address of your own domain before sending through SMTP "
     "(now no-reply@tracker.invalid); for example "
     "MAIL_DEFAULT_SENDER='Recrutement <recrutement@example.org>'."),
])
def test_configuration_errors_are_clear_and_touch_nothing(app, monkeypatch, world, settings,
                                                          message):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Recrutement <rh@example.org>")
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    with app.app_context():
        message_id = queue_notification(world)
        with pytest.raises(MailConfigError) as error:
            deliver_due(now=soon())
        assert str(error.value) == message
        stored = db.session.get(Message, message_id)
        assert (stored.status, stored.attempts, stored.last_error) == ("pending", 0, "")


def test_smtp_port_defaults_follow_the_security(app, monkeypatch):
    from tracker.mail.delivery import SMTPBackend

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "rh@example.org")
    ports = []
    with app.app_context():
        for tls, starttls in ((False, False), (True, False), (False, True)):
            monkeypatch.setitem(app.config, "MAIL_USE_TLS", tls)
            monkeypatch.setitem(app.config, "MAIL_USE_STARTTLS", starttls)
            backend = backend_from_config()
            assert isinstance(backend, SMTPBackend)
            ports.append(backend.port)
    assert ports == [25, 465, 587]


class ExplodingBackend:
    name = "exploding"

    def send(self, message, email, *, sender, recipients, now):
        raise RuntimeError("boom")

    def close(self):
        pass


def test_unexpected_backend_error_is_recorded_never_left_sending(app, world):
    now = soon()
    with app.app_context():
        message_id = queue_notification(world)
        [result] = deliver_due(now=now, backend=ExplodingBackend()).results
        message = db.session.get(Message, message_id)
        assert (result.status, message.status, message.attempts, message.sending_since) == (
            "pending", "pending", 1, None)
        assert message.last_error == "Unexpected error while sending: RuntimeError('boom')"
