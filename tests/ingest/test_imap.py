"""The IMAP source against a real dovecot on loopback (tests/ingest/dovecot.py).

Mail is put into the mailbox with IMAP APPEND; ``flask ingest --imap`` or
``services.ingest_source`` reads it; the mailbox is then looked at over IMAP again.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.files import make_pdf
from tests.ingest.world import NOW, make_mail, make_world
from tracker.applications.models import Application
from tracker.db import db
from tracker.ingest import imap
from tracker.ingest.imap import (
    TAKEN_KEYWORD,
    ImapConfigError,
    ImapError,
    ImapSource,
    encode_mailbox,
    settings_from_config,
)
from tracker.ingest.models import InboundMail, InboundStatus
from tracker.ingest.services import ingest_source

DONE = "Candidatures traitées"
SUBJECT = "Candidature stagiaire démocratie permanente"


def config_for(server, **overrides) -> dict:
    """IMAP_* settings for the test server (plain IMAP on loopback)."""
    return {
        "IMAP_HOST": server.host, "IMAP_PORT": server.port, "IMAP_USE_TLS": False,
        "IMAP_USE_STARTTLS": False, "IMAP_USERNAME": server.user,
        "IMAP_PASSWORD": server.password, "IMAP_FOLDER": "INBOX", "IMAP_DONE_FOLDER": DONE,
        "IMAP_TIMEOUT": 10, "IMAP_TLS_CA_FILE": "", "IMAP_ORGANISATION": "", **overrides,
    }


@pytest.fixture
def server(app, mailbox):
    """The test mailbox, empty, and the application configured to read it (restored after)."""
    saved = {name: app.config.get(name) for name in config_for(mailbox)}
    app.config.update(config_for(mailbox))
    yield mailbox
    app.config.update(saved)


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


_PDF = None


def cv_pdf() -> bytes:
    global _PDF
    if _PDF is None:
        _PDF = make_pdf("Curriculum vitae – Expérience, formation")
    return _PDF


def application_mail(number: int, subject: str = SUBJECT) -> bytes:
    return make_mail(
        subject=subject, sender=f"Candidate Numéro{number} <candidate{number}@example.com>",
        message_id=f"<imap-{number}@example.com>",
        attachments=[(f"CV candidate {number}.pdf", "application/pdf", cv_pdf())],
    )


def append_mails(server, count: int, first: int = 1) -> list[str]:
    ids = []
    for number in range(first, first + count):
        server.append(application_mail(number))
        ids.append(f"<imap-{number}@example.com>")
    return ids


def recorded(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(InboundMail.message_key)))


def message_ids(messages) -> list[str]:
    found = []
    for _flags, raw in messages:
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                found.append(line.split(b":", 1)[1].strip().decode())
    return sorted(found)


def source_for(server, **overrides) -> ImapSource:
    return ImapSource(settings_from_config(config_for(server, **overrides)))


# --- Taking the mail ---------------------------------------------------------------------------


def test_imap_ingest_moves_what_it_takes_and_takes_nothing_the_next_time(app, runner, server,
                                                                         world):
    ids = append_mails(server, 3)
    server.append(application_mail(4, subject="Candidature stagiaire democratie"))

    result = runner.invoke(args=["ingest", "--imap"])

    assert result.exit_code == 0, result.output
    assert "4 mails: 3 application, 1 triage." in result.output
    assert recorded(app) == sorted([*ids, "<imap-4@example.com>"])
    with app.app_context():
        mails = db.session.scalars(sa.select(InboundMail).order_by(InboundMail.id)).all()
        assert [m.status for m in mails] == [InboundStatus.APPLICATION] * 3 + [
            InboundStatus.TRIAGE]
        assert {m.source for m in mails} == {"imap:INBOX"}
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 3
    assert server.messages("INBOX") == []
    moved = server.messages(DONE)
    assert message_ids(moved) == sorted([*ids, "<imap-4@example.com>"])
    assert all("\\Seen" not in flags for flags, _raw in moved)  # BODY.PEEK: left unread
    assert "Candidatures trait&AOk-es" in server.folders()  # created, named in UTF-7

    again = runner.invoke(args=["ingest", "--imap"])

    assert again.exit_code == 0, again.output
    assert again.output.strip() == "0 mails."
    assert len(recorded(app)) == 4


def test_imap_without_done_folder_flags_the_mail_and_skips_it_afterwards(app, server, world):
    append_mails(server, 2)
    source = source_for(server, IMAP_DONE_FOLDER="")
    with app.app_context():
        outcomes = list(ingest_source(source, now=NOW))
    source.close()
    assert [o.status for o in outcomes] == ["application", "application"]
    left = server.messages("INBOX")
    assert len(left) == 2
    assert all({"\\Seen", TAKEN_KEYWORD} <= flags for flags, _raw in left)
    assert server.folders() == ["INBOX"]

    server.append(application_mail(3))
    source = source_for(server, IMAP_DONE_FOLDER="")
    with app.app_context():
        outcomes = list(ingest_source(source, now=NOW))
    source.close()

    assert [o.message_key for o in outcomes] == ["<imap-3@example.com>"]
    assert len(recorded(app)) == 3


def test_imap_server_without_move_gets_copy_delete_expunge(app, server, world):
    ids = append_mails(server, 2)
    source = source_for(server, IMAP_HOST=server.no_move_host)
    with app.app_context():
        outcomes = list(ingest_source(source, now=NOW))
    assert "MOVE" not in source._capabilities and "UIDPLUS" in source._capabilities
    source.close()

    assert [o.status for o in outcomes] == ["application", "application"]
    assert server.messages("INBOX") == []  # expunged, not merely flagged
    assert message_ids(server.messages(DONE)) == ids


def test_imap_mail_recorded_before_is_acked_without_a_second_row(app, server, world):
    """A mail read by `flask ingest` from a file first, then found in the mailbox."""
    raw = application_mail(1)
    with app.app_context():
        from tracker.ingest.services import ingest

        first = ingest(raw, source="file:/tmp/1.eml", now=NOW).id
    server.append(raw)
    source = source_for(server)
    with app.app_context():
        outcomes = list(ingest_source(source, now=NOW))
    source.close()

    assert [(o.already, o.inbound_id) for o in outcomes] == [(True, first)]
    assert recorded(app) == ["<imap-1@example.com>"]
    assert server.messages("INBOX") == []


# --- A connection dropped half-way -------------------------------------------------------------


class DroppedBy:
    """The IMAP source, with the server dropping every session of the user (``doveadm kick``,
    as an administrator or a restart would) at a chosen moment: after ``after_acks`` acks, or
    just before the ack of item number ``before_ack`` (its row is committed, not yet acked)."""

    def __init__(self, source: ImapSource, server, *, after_acks: int | None = None,
                 before_ack: int | None = None):
        self.source, self.server, self.name = source, server, source.name
        self.after_acks, self.before_ack = after_acks, before_ack
        self.acked = 0

    def __iter__(self):
        return iter(self.source)

    def ack(self, item) -> None:
        if self.before_ack == self.acked + 1:
            self.server.kick()
        self.source.ack(item)
        self.acked += 1
        if self.after_acks == self.acked:
            self.server.kick()

    def close(self) -> None:
        self.source.close()


def _run_until_dropped(app, source) -> list:
    outcomes = []
    with app.app_context(), pytest.raises(ImapError, match="connection to the IMAP server"):
        for outcome in ingest_source(source, now=NOW):
            outcomes.append(outcome)
    source.close()
    return outcomes


def test_imap_connection_dropped_half_way_then_the_next_run_takes_the_rest(app, server, world):
    ids = append_mails(server, 5)
    dropping = DroppedBy(source_for(server), server, after_acks=2)

    outcomes = _run_until_dropped(app, dropping)

    assert [o.message_key for o in outcomes] == ids[:2]
    assert recorded(app) == ids[:2]  # what was committed stays
    assert message_ids(server.messages("INBOX")) == ids[2:]  # nothing else was taken
    assert message_ids(server.messages(DONE)) == ids[:2]

    resumed = source_for(server)
    with app.app_context():
        rest = list(ingest_source(resumed, now=NOW))
    resumed.close()

    assert [o.message_key for o in rest] == ids[2:]
    assert not any(o.already for o in rest)
    assert recorded(app) == ids
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 5
    assert server.messages("INBOX") == []
    assert message_ids(server.messages(DONE)) == ids  # each exactly once


def test_imap_dropped_between_commit_and_ack_creates_nothing_twice(app, server, world):
    ids = append_mails(server, 4)
    dropping = DroppedBy(source_for(server), server, before_ack=2)

    outcomes = _run_until_dropped(app, dropping)

    # The second mail was committed, then the connection dropped before its ack.
    assert outcomes == [outcomes[0]] and outcomes[0].message_key == ids[0]
    assert recorded(app) == ids[:2]
    assert message_ids(server.messages("INBOX")) == ids[1:]

    resumed = source_for(server)
    with app.app_context():
        rest = list(ingest_source(resumed, now=NOW))
    resumed.close()

    assert [(o.message_key, o.already) for o in rest] == [
        (ids[1], True), (ids[2], False), (ids[3], False)]
    assert recorded(app) == ids
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 4
    assert server.messages("INBOX") == []
    assert message_ids(server.messages(DONE)) == ids


# --- Configuration errors say what to fix ------------------------------------------------------


def test_imap_wrong_password_is_a_clear_error(app, runner, server, world):
    append_mails(server, 1)
    app.config["IMAP_PASSWORD"] = "not-the-password"

    result = runner.invoke(args=["ingest", "--imap"])

    assert result.exit_code == 1
    assert ("imap:INBOX: stopped: The IMAP server 127.0.0.1:" in result.output
            and "refused the login of IMAP_USERNAME (candidatures): [AUTHENTICATIONFAILED] "
                "Authentication failed." in result.output)
    assert "Check IMAP_USERNAME and IMAP_PASSWORD" in result.output
    assert recorded(app) == []
    assert len(server.messages("INBOX")) == 1  # untouched


def test_imap_wrong_password_raises_imap_config_error(server):
    source = source_for(server, IMAP_PASSWORD="wrong")
    with pytest.raises(ImapConfigError, match=r"refused the login of IMAP_USERNAME "
                                              r"\(candidatures\).*AUTHENTICATIONFAILED"):
        list(source)
    source.close()


def test_imap_unknown_folder_is_a_clear_error(server):
    source = source_for(server, IMAP_FOLDER="Candidatures 2026")
    with pytest.raises(ImapConfigError, match=r"IMAP_FOLDER \(Candidatures 2026\) cannot be "
                                              r"opened"):
        list(source)
    source.close()


def test_imap_nobody_listening_is_reported(server):
    from tests.ingest.dovecot import free_port

    source = source_for(server, IMAP_PORT=free_port())
    with pytest.raises(ImapError, match="Could not connect to the IMAP server 127.0.0.1:"):
        list(source)


@pytest.mark.parametrize(("settings", "message"), [
    ({"IMAP_HOST": ""}, "IMAP_HOST is not set"),
    ({"IMAP_USE_TLS": True, "IMAP_USE_STARTTLS": True}, "exclude each other"),
    ({"IMAP_PASSWORD": ""}, "Set IMAP_USERNAME and IMAP_PASSWORD"),
    ({"IMAP_HOST": "imap.example.org"}, "password would cross the network"),
    ({"IMAP_TLS_CA_FILE": "/nonexistent/ca.pem"}, "IMAP_TLS_CA_FILE: no such file"),
    ({"IMAP_DONE_FOLDER": "INBOX"}, "IMAP_DONE_FOLDER is IMAP_FOLDER"),
    ({"IMAP_PORT": "imap"}, "IMAP_PORT must be a number"),
    ({"IMAP_PORT": 70000}, "between 1 and 65535"),
    ({"IMAP_TIMEOUT": 0}, "IMAP_TIMEOUT must be a positive"),
])
def test_imap_bad_settings_are_refused_before_connecting(settings, message):
    base = {"IMAP_HOST": "127.0.0.1", "IMAP_USERNAME": "u", "IMAP_PASSWORD": "p"}
    with pytest.raises(ImapConfigError, match=message):
        settings_from_config({**base, **settings})


def test_imap_default_ports():
    base = {"IMAP_HOST": "imap.example.org", "IMAP_USERNAME": "u", "IMAP_PASSWORD": "p"}
    assert settings_from_config({**base, "IMAP_USE_TLS": True}).port == 993
    assert settings_from_config({**base, "IMAP_USE_STARTTLS": "true"}).port == 143
    assert settings_from_config({**base, "IMAP_USE_STARTTLS": True}).folder == "INBOX"


def test_imap_ingest_command_without_host_says_so(app, runner):
    result = runner.invoke(args=["ingest", "--imap"])
    assert result.exit_code != 0
    assert "IMAP_HOST" in result.output


# --- TLS ---------------------------------------------------------------------------------------


def test_imap_over_tls_with_the_ca_file(app, server, world):
    ids = append_mails(server, 1)
    source = source_for(server, IMAP_USE_TLS=True, IMAP_PORT=server.tls_port,
                        IMAP_TLS_CA_FILE=str(server.ca_file))
    with app.app_context():
        outcomes = list(ingest_source(source, now=NOW))
    source.close()
    assert [o.message_key for o in outcomes] == ids


def test_imap_starttls_with_the_ca_file(app, server, world):
    ids = append_mails(server, 1)
    source = source_for(server, IMAP_USE_STARTTLS=True, IMAP_TLS_CA_FILE=str(server.ca_file))
    with app.app_context():
        outcomes = list(ingest_source(source, now=NOW))
    source.close()
    assert [o.message_key for o in outcomes] == ids


def test_imap_tls_certificate_not_trusted_is_a_clear_error(server):
    source = source_for(server, IMAP_USE_TLS=True, IMAP_PORT=server.tls_port)
    with pytest.raises(ImapConfigError, match=r"TLS certificate of the IMAP server .* could "
                                              r"not be verified .*IMAP_TLS_CA_FILE"):
        list(source)


def test_imap_starttls_certificate_for_another_name_is_a_clear_error(server):
    # The same server on 127.0.0.2: the CA is right, the certificate names 127.0.0.1 only.
    source = source_for(server, IMAP_HOST=server.no_move_host, IMAP_USE_STARTTLS=True,
                        IMAP_TLS_CA_FILE=str(server.ca_file))
    with pytest.raises(ImapConfigError, match=r"TLS certificate of the IMAP server "
                                              r"127\.0\.0\.2:\d+ could not be verified "
                                              r"\(IP address mismatch"):
        list(source)


def test_imap_tls_on_the_plain_port_is_a_clear_error(server):
    source = source_for(server, IMAP_USE_TLS=True, IMAP_TLS_CA_FILE=str(server.ca_file))
    with pytest.raises(ImapConfigError, match=r"TLS handshake with the IMAP server .* failed"
                                              r".*IMAP_USE_STARTTLS"):
        list(source)


# --- The worker's poll, folder names -----------------------------------------------------------


def test_imap_poll_reports_what_it_did(app, server, world):
    append_mails(server, 2)
    with app.app_context():
        report = imap.poll()
    assert report.counts == {"application": 2}
    assert report.error == ""
    assert str(report) == "imap: 2 application"


def test_imap_poll_for_one_organisation(app, server, world):
    server.append(make_mail(subject="Bonjour", message_id="<hello@example.com>",
                            to="someone@example.com"))
    app.config["IMAP_ORGANISATION"] = "les-tilleuls"
    with app.app_context():
        imap.poll()
        mail = db.session.scalar(sa.select(InboundMail))
        assert mail.organisation_id == world["org2"]


def test_imap_poll_with_an_unknown_organisation_is_refused(app, server):
    app.config["IMAP_ORGANISATION"] = "nobody-here"
    with app.app_context(), pytest.raises(ImapConfigError, match="IMAP_ORGANISATION"):
        imap.poll()


def test_mailbox_names_are_modified_utf7_and_quoted():
    assert encode_mailbox("INBOX") == '"INBOX"'
    assert encode_mailbox("Candidatures traitées") == '"Candidatures trait&AOk-es"'
    assert encode_mailbox("R&D") == '"R&-D"'
    assert encode_mailbox('Dossier "2026"') == '"Dossier \\"2026\\""'
    assert encode_mailbox("日本語") == '"&ZeVnLIqe-"'


# --- The worker --------------------------------------------------------------------------------


def test_worker_polls_the_mailbox_when_imap_host_is_set(app, server, world):
    """An application configured with IMAP_HOST registers the "imap" task: `flask worker
    --once` reads the mailbox in its round."""
    from tracker import create_app
    from tracker.reminders import worker

    ids = append_mails(server, 2)
    before = list(worker.TASKS)
    polling = None
    try:
        polling = create_app({"TESTING": True,
                              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                              **config_for(server)})
        assert [task.name for task in worker.TASKS] == [
            *(task.name for task in before), "imap"]
        result = polling.test_cli_runner().invoke(args=["worker", "--once"])
    finally:
        worker.TASKS[:] = before
        if polling is not None:
            with polling.app_context():
                db.session.remove()
                db.engine.dispose()
    assert re.search(r"; imap 2 application \(", result.output), result.output
    assert recorded(app) == ids
    assert server.messages("INBOX") == []


def test_worker_round_says_when_the_mailbox_refuses_the_login(app, server):
    from tracker.reminders import worker

    app.config["IMAP_PASSWORD"] = "wrong"
    with app.app_context():
        step = worker.run_step("imap", lambda: worker.task_step(
            worker.Task("imap", imap.worker_task)))
    assert step.error.startswith("ImapConfigError: The IMAP server 127.0.0.1:")
    assert "Check IMAP_USERNAME and IMAP_PASSWORD" in step.error


def test_no_imap_task_without_imap_host(app):
    from tracker.reminders import worker

    assert "imap" not in [task.name for task in worker.TASKS]
    with app.app_context():
        assert imap.worker_task() is None
