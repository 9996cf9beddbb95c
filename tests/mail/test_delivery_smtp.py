"""Delivery over SMTP to a real server on loopback: exact emails, retries, never twice."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.mail.conftest import (
    CV_NAME,
    DOCX,
    LETTER_NAME,
    SUBJECT,
    SMTPServer,
    queue_notification,
    queue_simple,
    soon,
    text_of,
    use_server,
)
from tracker.db import db
from tracker.mail.delivery import MailConfigError, deliver_due
from tracker.mail.models import Message, MessageStatus


def _message(message_id: int) -> Message:
    return db.session.get(Message, message_id, populate_existing=True)


def _statuses() -> dict[int, tuple[str, int]]:
    return {m.id: (m.status, m.attempts)
            for m in db.session.scalars(sa.select(Message).order_by(Message.id))}


def test_delivery_sends_the_exact_headers_body_and_attachments(app, smtp_server, world):
    now = soon()
    with app.app_context():
        message_id = queue_notification(world)
        stored_id = _message(message_id).message_id
        report = deliver_due(now=now)
        assert [(r.id, r.kind, r.status, r.attempts) for r in report.results] == [
            (message_id, "application.notification", "sent", 1)]
        message = _message(message_id)
        assert (message.status, message.sent_at, message.attempts, message.last_error,
                message.sending_since, message.next_try_at) == ("sent", now, 1, "", None, None)

    [received] = smtp_server.received
    assert received.mail_from == "recrutement@example.org"
    assert received.rcpt_tos == ["claire.fontaine@example.org", "ines.moreau@example.org"]
    email = received.email
    assert email["From"] == "Villes au carré <recrutement@example.org>"
    assert email["To"] == "Claire Fontaine <claire.fontaine@example.org>"
    assert email["Cc"] == "ines.moreau@example.org"
    assert email["Reply-To"] == "Léa Martin <lea.martin@example.com>"
    assert email["Subject"] == SUBJECT
    assert email["Message-ID"] == stored_id
    assert stored_id.endswith("@example.org>")
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["Content-Language"] == "fr"
    assert email["Date"]
    # On the wire the non-ASCII subject is encoded (RFC 2047), the file names too (RFC 2231).
    raw = received.data.decode("ascii")
    assert re.search(r"^Subject: [^\r\n]*=\?utf-8\?", raw, re.MULTILINE)
    assert "filename*=utf-8''CV%20L%C3%A9a%20Martin.pdf" in raw
    assert text_of(email, "plain") == "Léa MARTIN a envoyé sa candidature.\n"
    assert text_of(email, "html") == "<p>Léa MARTIN a envoyé sa candidature.</p>\n"
    attachments = [
        (part.get_filename(), part.get_content_type(),
         hashlib.sha256(part.get_payload(decode=True)).hexdigest())
        for part in email.iter_attachments()
    ]
    assert attachments == [
        (CV_NAME, "application/pdf", world.cv_sha256),
        (LETTER_NAME, DOCX, world.letter_sha256),
        ("récapitulatif.txt", "text/plain",
         hashlib.sha256("Référence T1\n".encode()).hexdigest()),
    ]


def test_delivery_server_down_keeps_messages_pending_then_sends_them_once(app, monkeypatch,
                                                                           world):
    server = SMTPServer()  # not started: nothing listens on its port
    use_server(app, monkeypatch, server)
    now = soon()
    with app.app_context():
        ids = queue_simple(world, 2)
        report = deliver_due(now=now)
        assert [(r.status, r.attempts) for r in report.results] == [("pending", 1)] * 2
        for message_id in ids:
            message = _message(message_id)
            assert (message.status, message.attempts, message.next_try_at, message.sent_at) == (
                "pending", 1, now + timedelta(minutes=1), None)
            assert message.last_error.startswith(
                f"Could not connect to the SMTP server 127.0.0.1:{server.port}: ")

    server.start()
    try:
        with app.app_context():
            # Not due yet: the retry waits for its time.
            assert deliver_due(now=now + timedelta(seconds=30)).results == []
            later = now + timedelta(minutes=2)
            report = deliver_due(now=later)
            assert [(r.id, r.status, r.attempts) for r in report.results] == [
                (ids[0], "sent", 2), (ids[1], "sent", 2)]
            assert [(_message(i).status, _message(i).sent_at, _message(i).last_error)
                    for i in ids] == [("sent", later, "")] * 2
            # Never twice: a later pass finds nothing to send.
            assert deliver_due(now=later + timedelta(days=1)).results == []
            expected = sorted(_message(i).message_id for i in ids)
        assert sorted(server.message_ids()) == expected
    finally:
        server.stop()


def test_delivery_concurrent_runs_send_each_message_exactly_once(app, smtp_server, world):
    smtp_server.handler.delay = 0.01  # keep both runs busy at the same time
    now = soon()
    with app.app_context():
        ids = queue_simple(world, 30)
        expected = sorted(_message(i).message_id for i in ids)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(deliver_due(now=now))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(smtp_server.message_ids()) == expected  # each Message-ID exactly once
    assert sorted(r.id for report in reports for r in report.results) == ids
    assert all(r.status == "sent" for report in reports for r in report.results)
    with app.app_context():
        assert set(_statuses().values()) == {("sent", 1)}


def test_delivery_resets_messages_stuck_in_sending(app, smtp_server, world):
    now = soon()
    with app.app_context():
        stuck, recent = queue_simple(world, 2)
        db.session.execute(sa.update(Message).where(Message.id == stuck).values(
            status="sending", sending_since=now - timedelta(minutes=16)))
        db.session.execute(sa.update(Message).where(Message.id == recent).values(
            status="sending", sending_since=now - timedelta(minutes=5)))
        db.session.commit()
        report = deliver_due(now=now)
        assert report.reset == 1
        assert [(r.id, r.status) for r in report.results] == [(stuck, "sent")]
        assert _message(stuck).attempts == 2  # the interrupted try counts
        recent_message = _message(recent)
        assert (recent_message.status, recent_message.sending_since) == (
            "sending", now - timedelta(minutes=5))
    assert len(smtp_server.received) == 1


def test_delivery_stuck_message_at_its_last_attempt_fails(app, smtp_server, monkeypatch, world):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    now = soon()
    with app.app_context():
        [message_id] = queue_simple(world, 1)
        db.session.execute(sa.update(Message).where(Message.id == message_id).values(
            status="sending", attempts=2, sending_since=now - timedelta(hours=1)))
        db.session.commit()
        assert deliver_due(now=now).reset == 1
        message = _message(message_id)
        assert (message.status, message.attempts, message.next_try_at) == ("failed", 3, None)
        assert message.last_error == (
            "The sender stopped while sending this message; it is tried again.")
    assert smtp_server.received == []


def test_delivery_gives_up_after_max_attempts_with_backoff(app, monkeypatch, world):
    server = SMTPServer()  # never started
    use_server(app, monkeypatch, server, MAIL_MAX_ATTEMPTS=4)
    now = soon()
    with app.app_context():
        [message_id] = queue_simple(world, 1)
        tries = []
        moment = now
        for _ in range(4):
            [result] = deliver_due(now=moment).results
            message = _message(message_id)
            tries.append((result.status, message.attempts,
                          message.next_try_at - moment if message.next_try_at else None))
            moment = message.next_try_at or moment
        assert tries == [
            ("pending", 1, timedelta(minutes=1)),
            ("pending", 2, timedelta(minutes=5)),
            ("pending", 3, timedelta(minutes=15)),
            ("failed", 4, None),
        ]
        assert _message(message_id).status == MessageStatus.FAILED
        assert deliver_due(now=moment + timedelta(days=1)).results == []


def test_delivery_permanent_refusal_fails_at_once(app, smtp_server, world):
    smtp_server.handler.refuse["candidate0@example.com"] = "550 5.1.1 No such user"
    now = soon()
    with app.app_context():
        [message_id] = queue_simple(world, 1)
        [result] = deliver_due(now=now).results
        message = _message(message_id)
        assert (result.status, message.status, message.attempts, message.next_try_at) == (
            "failed", "failed", 1, None)
        assert message.last_error == (
            "Every recipient was refused (candidate0@example.com: 550 5.1.1 No such user)")


def test_delivery_temporary_refusal_is_retried(app, smtp_server, world):
    smtp_server.handler.refuse["candidate0@example.com"] = "450 4.2.1 Mailbox busy"
    now = soon()
    with app.app_context():
        first, second = queue_simple(world, 2)
        results = deliver_due(now=now).results
        # The same connection serves the next message after a refusal.
        assert [(r.id, r.status) for r in results] == [(first, "pending"), (second, "sent")]
        assert _message(first).next_try_at == now + timedelta(minutes=1)


def test_delivery_partial_refusal_sends_and_notes_the_refused(app, smtp_server, world):
    smtp_server.handler.refuse["ines.moreau@example.org"] = "550 5.1.1 No such user"
    now = soon()
    with app.app_context():
        message_id = queue_notification(world)
        [result] = deliver_due(now=now).results
        message = _message(message_id)
        assert (result.status, message.status) == ("sent", "sent")
        assert message.last_error == (
            "Refused recipients: ines.moreau@example.org: 550 5.1.1 No such user")
    [received] = smtp_server.received
    assert received.rcpt_tos == ["claire.fontaine@example.org"]


def test_delivery_draft_messages_wait(app, smtp_server, world):
    with app.app_context():
        [draft] = queue_simple(world, 1, status=MessageStatus.DRAFT)
        assert deliver_due(now=soon(days=30)).results == []
        assert _message(draft).status == "draft"
    assert smtp_server.received == []


def test_delivery_limit_caps_one_pass(app, smtp_server, world):
    with app.app_context():
        ids = queue_simple(world, 3)
        assert [r.id for r in deliver_due(now=soon(), limit=2).results] == ids[:2]
        assert [r.id for r in deliver_due(now=soon(), limit=2).results] == ids[2:]


# --- Login and encryption ----------------------------------------------------------------------


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    ok = (auth_data.login, auth_data.password) == (b"tracker", b"s3cret-password")
    # handled=False: the server answers (235 or 535) itself.
    return AuthResult(success=ok, handled=False,
                      auth_data=auth_data.login.decode() if ok else None)


@pytest.fixture
def auth_server(app, monkeypatch):
    server = SMTPServer(authenticator=_authenticator, auth_require_tls=False).start()
    use_server(app, monkeypatch, server, MAIL_USERNAME="tracker",
               MAIL_PASSWORD="s3cret-password")
    yield server
    server.stop()


def test_delivery_logs_in_when_configured(app, auth_server, world):
    with app.app_context():
        queue_simple(world, 1)
        [result] = deliver_due(now=soon()).results
        assert result.status == "sent"
    assert [r.login for r in auth_server.received] == ["tracker"]


def test_delivery_wrong_password_is_a_configuration_error(app, auth_server, monkeypatch,
                                                          world):
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "wrong")
    with app.app_context():
        [message_id] = queue_simple(world, 1)
        with pytest.raises(MailConfigError) as error:
            deliver_due(now=soon())
        assert str(error.value).startswith(
            f"The SMTP server 127.0.0.1:{auth_server.port} refused the login of MAIL_USERNAME "
            f"(tracker): 535 ")
        assert str(error.value).endswith("Check MAIL_USERNAME and MAIL_PASSWORD.")
        # The message is not blamed: back in the queue, no attempt counted, reason visible.
        message = _message(message_id)
        assert (message.status, message.attempts, message.sending_since) == ("pending", 0, None)
        assert message.last_error == str(error.value)
    assert auth_server.received == []


def test_delivery_login_on_a_server_without_auth_is_a_configuration_error(
        app, smtp_server, monkeypatch, world):
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "tracker")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret-password")
    with app.app_context():
        queue_simple(world, 1)
        with pytest.raises(MailConfigError, match=r"does not offer to log in without "
                                                  r"encryption \(no AUTH\)"):
            deliver_due(now=soon())


def test_delivery_starttls_not_offered_is_a_configuration_error(app, smtp_server, monkeypatch,
                                                                world):
    monkeypatch.setitem(app.config, "MAIL_USE_STARTTLS", True)
    with app.app_context():
        [message_id] = queue_simple(world, 1)
        with pytest.raises(MailConfigError) as error:
            deliver_due(now=soon())
        assert str(error.value) == (
            f"MAIL_USE_STARTTLS is on but the SMTP server 127.0.0.1:{smtp_server.port} does "
            f"not offer STARTTLS. Check MAIL_SERVER and MAIL_PORT (usually 587), or use "
            f"MAIL_USE_TLS if the server speaks TLS from the first byte (usually port 465).")
        assert _message(message_id).status == "pending"


def test_delivery_implicit_tls_to_a_plain_server_is_a_configuration_error(
        app, smtp_server, monkeypatch, world):
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    with app.app_context():
        queue_simple(world, 1)
        with pytest.raises(MailConfigError, match="use MAIL_USE_STARTTLS instead"):
            deliver_due(now=soon())


def _server_tls_context(tls_files):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


def test_delivery_over_starttls_with_login(app, monkeypatch, tls_files, world):
    server = SMTPServer(tls_context=_server_tls_context(tls_files), require_starttls=True,
                        authenticator=_authenticator).start()
    try:
        use_server(app, monkeypatch, server, MAIL_USE_STARTTLS=True, MAIL_USERNAME="tracker",
                   MAIL_PASSWORD="s3cret-password", MAIL_TLS_CA_FILE=str(tls_files[0]))
        with app.app_context():
            queue_simple(world, 1)
            [result] = deliver_due(now=soon()).results
            assert result.status == "sent"
        assert [r.login for r in server.received] == ["tracker"]
    finally:
        server.stop()


def test_delivery_over_implicit_tls(app, monkeypatch, tls_files, world):
    server = SMTPServer(ssl_context=_server_tls_context(tls_files)).start()
    try:
        use_server(app, monkeypatch, server, MAIL_USE_TLS=True,
                   MAIL_TLS_CA_FILE=str(tls_files[0]))
        with app.app_context():
            queue_simple(world, 1)
            [result] = deliver_due(now=soon()).results
            assert result.status == "sent"
        assert len(server.received) == 1
    finally:
        server.stop()


def test_delivery_unknown_certificate_is_a_configuration_error(app, monkeypatch, tls_files,
                                                               world):
    server = SMTPServer(ssl_context=_server_tls_context(tls_files)).start()
    try:
        use_server(app, monkeypatch, server, MAIL_USE_TLS=True)  # no MAIL_TLS_CA_FILE
        with app.app_context():
            queue_simple(world, 1)
            with pytest.raises(MailConfigError, match="could not be verified"):
                deliver_due(now=soon())
        assert server.received == []
    finally:
        server.stop()
