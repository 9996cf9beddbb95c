"""Fixtures of the outbox tests: a real SMTP server on loopback (aiosmtpd), an organisation
with an offer, an application with real documents, and queued messages.

The server runs in a thread on 127.0.0.1 on a free port and records every envelope it
accepts. ``smtp_server.stop()`` / ``.start()`` take it down and bring it back on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from tests import factories
from tests.files import make_docx, make_pdf
from tracker.db import db
from tracker.mail.services import FileAttachment, queue_message
from tracker.postings.models import PostingStatus

SENDER = "Recrutement <recrutement@example.org>"


def soon(**delta) -> datetime:
    """A moment just after now (messages queued in the test are due), plus ``delta``."""
    return (datetime.now(UTC) + timedelta(seconds=2, **delta)).replace(microsecond=0)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None

    @property
    def email(self):
        return BytesParser(policy=policy.default).parsebytes(self.data)


@dataclass
class RecordingHandler:
    """Accepts everything (unless told to refuse some recipients) and records it."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply ("550 ...")
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        login = session.auth_data if session.authenticated else None
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content,
                                          login))
        return "250 Message accepted for delivery"


def text_of(email, subtype: str) -> str:
    """The text of the plain or HTML part, with the wire's CRLF read back as newlines."""
    return email.get_body((subtype,)).get_content().replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    def __init__(self, **options):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> SMTPServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **self.options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def message_ids(self) -> list[str]:
        return [r.email["Message-ID"] for r in self.received]


def use_server(app, monkeypatch, server: SMTPServer, **config) -> None:
    settings = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.port,
        "MAIL_DEFAULT_SENDER": SENDER,
        "MAIL_TIMEOUT": 5,
        **config,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A plain SMTP server on loopback, configured as the app's MAIL_SERVER."""
    server = SMTPServer().start()
    use_server(app, monkeypatch, server)
    yield server
    server.stop()


@pytest.fixture
def outbox_dir(app, monkeypatch, tmp_path):
    """The file backend writes under tmp_path/outbox (the instance is this test's)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", SENDER)
    return tmp_path / "outbox"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate, key) paths."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass
class World:
    org_id: int
    posting_id: int
    application_id: int
    cv_id: int
    cv_sha256: str
    letter_sha256: str


CV_NAME = "CV Léa Martin.pdf"
LETTER_NAME = "Lettre de motivation – Léa.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def world(app) -> World:
    """Villes au carré, a published offer, Léa Martin's application with a PDF and a DOCX."""
    import hashlib

    cv, letter = make_pdf(), make_docx()
    with app.app_context():
        org = factories.organisation(name="Villes au carré", slug="villes-au-carre")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED,
                                    subject_line="Candidature alternance Implication citoyenne")
        application = factories.application(
            posting, email="lea.martin@example.com",
            documents=[("cv", CV_NAME, "application/pdf", cv),
                       ("letter", LETTER_NAME, DOCX, letter)],
        )
        db.session.commit()
        return World(org.id, posting.id, application.id,
                     application.submissions[0].documents[0].id,
                     hashlib.sha256(cv).hexdigest(), hashlib.sha256(letter).hexdigest())


SUBJECT = "Candidature alternance Implication citoyenne – Léa MARTIN"


def queue_notification(world: World, **overrides) -> int:
    """Queue the email a form application sends to the contacts; returns the Message id.

    Call inside an application context; commits.
    """
    from tracker.accounts.models import Organisation
    from tracker.applications.models import Application

    organisation = db.session.get(Organisation, world.org_id)
    application = db.session.get(Application, world.application_id)
    values = dict(
        organisation=organisation,
        kind="application.notification",
        recipients=["Claire Fontaine <claire.fontaine@example.org>"],
        cc=["ines.moreau@example.org"],
        reply_to="Léa Martin <lea.martin@example.com>",
        subject=SUBJECT,
        body_text="Léa MARTIN a envoyé sa candidature.\n",
        body_html="<p>Léa MARTIN a envoyé sa candidature.</p>",
        attachments=[*application.submissions[0].documents,
                     FileAttachment("récapitulatif.txt", "text/plain", "Référence T1\n".encode())],
        posting=application.posting,
        application=application,
    )
    values.update(overrides)
    message = queue_message(**values)
    db.session.commit()
    return message.id


def queue_simple(world: World, n: int = 1, **overrides) -> list[int]:
    """Queue ``n`` small acknowledgements (no attachment); returns their ids. Commits."""
    from tracker.accounts.models import Organisation

    organisation = db.session.get(Organisation, world.org_id)
    ids = []
    for i in range(n):
        values = dict(
            organisation=organisation, kind="application.acknowledgement",
            recipients=[f"candidate{i}@example.com"], subject=f"Candidature bien reçue {i}",
            body_text=f"Bonjour {i}\n",
        )
        values.update(overrides)
        ids.append(queue_message(**values).id)
    db.session.commit()
    return ids
