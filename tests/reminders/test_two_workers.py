"""Several ``flask worker`` processes at once: each offer closes once, each reminder is queued
once, each message goes out exactly once, over a real SMTP server on loopback.

The concurrent runs need PostgreSQL (row locks with SKIP LOCKED); on SQLite one worker is the
rule and the last test shows that a second one started by mistake does no harm.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa

from tests import factories
from tests.mail.conftest import SENDER, SMTPServer
from tests.reminders.workers import (
    TIMEOUT,
    WorkerProcess,
    flask_command,
    mail_sent,
    wait_until,
    worker_env,
)
from tracker import ROOT
from tracker.audit.models import Event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageStatus
from tracker.mail.services import queue_message
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders.models import Reminder, ReminderRule

MESSAGES = 1000


@pytest.fixture
def postgresql(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several workers at once need PostgreSQL (SKIP LOCKED); on SQLite one "
                    "worker is the rule: see test_a_second_worker_on_the_same_database_"
                    "does_no_harm; `make test` runs this on PostgreSQL")


def _url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _smtp_env(app, tmp_path, server: SMTPServer) -> dict[str, str]:
    return worker_env(_url(app), tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      MAIL_DEFAULT_SENDER=SENDER, MAIL_TIMEOUT=10)


def _queue(app, n: int) -> list[str]:
    """``n`` pending acknowledgements; returns their Message-IDs."""
    with app.app_context():
        org = factories.organisation()
        message_ids = [
            queue_message(organisation=org, kind="application.acknowledgement",
                          recipients=[f"candidate{i}@example.com"],
                          subject=f"Candidature bien reçue {i}", body_text=f"Bonjour {i}\n"
                          ).message_id
            for i in range(n)
        ]
        db.session.commit()
        return message_ids


def _expired_offers(app, n: int) -> list[int]:
    """``n`` offers of one organisation whose deadline passed a minute ago (each with its two
    outside contacts, the default of the factory); returns their ids."""
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org)
        now = utcnow().replace(microsecond=0)
        ids = []
        for i in range(n):
            posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
            posting.published_at = now - timedelta(days=30)
            posting.deadline = now - timedelta(minutes=1, seconds=i)
            ids.append(posting.id)
        db.session.commit()
        return ids


def _outbox() -> dict[str, int]:
    """Messages by status."""
    rows = db.session.execute(
        sa.select(Message.status, sa.func.count()).group_by(Message.status)).all()
    return {status: count for status, count in rows}


def _outbox_done(app, expected: int):
    with app.app_context():
        counts = _outbox()
        return (sum(counts.values()) == expected
                and counts.get(MessageStatus.SENT, 0) == expected)


def _start(env, n: int = 2, *args: str) -> list[WorkerProcess]:
    return [WorkerProcess(env, "--interval", "0.2", *args) for _ in range(n)]


def _stop(workers: list[WorkerProcess]) -> None:
    codes = []
    for process in workers:
        try:
            codes.append(process.stop(signal.SIGTERM))
        finally:
            process.kill()
    assert codes == [0] * len(workers), "\n---\n".join(p.output() for p in workers)
    for number, process in enumerate(workers, 1):  # shown with pytest -s
        print(f"worker {number}:", *(line for line in process.lines if " round " in line
                                     and " 0 sent" not in line), sep="\n  ")


def _sent_by(process: WorkerProcess) -> int:
    return sum(mail_sent(line) for line in process.lines if " round " in line)


def test_two_workers_send_1000_messages_exactly_once(app, tmp_path, postgresql):
    message_ids = _queue(app, MESSAGES)
    server = SMTPServer().start()
    workers = _start(_smtp_env(app, tmp_path, server))
    try:
        wait_until(lambda: _outbox_done(app, MESSAGES), "the outbox to be empty")
    finally:
        _stop(workers)
        server.stop()

    received = Counter(server.message_ids())
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}
    with app.app_context():
        assert _outbox() == {MessageStatus.SENT: MESSAGES}
        assert db.session.scalar(sa.select(sa.func.max(Message.attempts))) == 1
    shares = [_sent_by(process) for process in workers]
    assert sum(shares) == MESSAGES
    assert all(share > 0 for share in shares), shares  # both worked: a real race


def test_two_workers_close_each_expired_offer_once(app, tmp_path, postgresql):
    posting_ids = _expired_offers(app, 40)
    server = SMTPServer().start()
    workers = _start(_smtp_env(app, tmp_path, server))
    try:
        # The closing summary of each offer goes to its two contacts: 80 reminders, 80 emails.
        wait_until(lambda: _outbox_done(app, 2 * len(posting_ids)),
                   "every offer closed and its summary delivered")
    finally:
        _stop(workers)
        server.stop()

    with app.app_context():
        statuses = db.session.scalars(sa.select(Posting.status).where(
            Posting.id.in_(posting_ids))).all()
        assert statuses == [PostingStatus.CLOSED] * len(posting_ids)
        closings = Counter(db.session.scalars(sa.select(Event.object_id).where(
            Event.object_type == "posting", Event.action == "posting.close")))
        assert closings == Counter(posting_ids)  # one audit event each
        summaries = db.session.execute(sa.select(Reminder.posting_id, Reminder.recipient,
                                                 Reminder.message_id).where(
            Reminder.rule == ReminderRule.DEADLINE_REACHED)).all()
        assert Counter(row.posting_id for row in summaries) == Counter(posting_ids * 2)
        assert {(row.posting_id, row.recipient) for row in summaries} == {
            (pid, address) for pid in posting_ids
            for address in ("claire.fontaine@example.org", "ines.moreau@example.org")}
        queued = {row.message_id for row in summaries}
        assert len(queued) == len(summaries)
        message_ids = db.session.scalars(sa.select(Message.message_id)).all()
    received = Counter(server.message_ids())
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}


def test_smtp_down_messages_wait_then_each_arrives_once(app, tmp_path, postgresql):
    message_ids = _queue(app, 300)
    server = SMTPServer()  # not started yet: the port refuses connections
    workers = _start(_smtp_env(app, tmp_path, server))
    try:
        def every_message_tried():
            with app.app_context():
                return db.session.scalar(sa.select(sa.func.min(Message.attempts))) >= 1
        wait_until(every_message_tried, "every message to be tried once")
        with app.app_context():
            rows = db.session.execute(sa.select(Message.status, Message.attempts,
                                                Message.last_error, Message.sent_at)).all()
            assert len(rows) == len(message_ids)  # nothing lost
            assert {(row.status, row.attempts, row.sent_at) for row in rows} == {
                (MessageStatus.PENDING, 1, None)}
            assert all(row.last_error.startswith(
                f"Could not connect to the SMTP server 127.0.0.1:{server.port}")
                for row in rows)

        server.start()
        # The next try is a minute away: move it to the past, as time passing would.
        with app.app_context():
            db.session.execute(sa.update(Message).values(
                next_try_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        wait_until(lambda: _outbox_done(app, len(message_ids)), "the outbox to be empty")
    finally:
        _stop(workers)
        server.stop()

    received = Counter(server.message_ids())
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}
    with app.app_context():
        attempts = db.session.scalars(sa.select(Message.attempts).distinct()).all()
        assert attempts == [2]


def _read(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def test_a_second_worker_on_the_same_database_does_no_harm(app, tmp_path):
    """The SQLite rule is one worker; two `--once` started together (an overlapping cron)
    still close each offer once and write each message once. Runs on both databases."""
    posting_ids = _expired_offers(app, 10)
    message_ids = _queue(app, 200)
    env = worker_env(_url(app), tmp_path, MAIL_DEFAULT_SENDER=SENDER)
    runs = [subprocess.Popen(flask_command("worker", "--once"), env=env, cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    try:
        outputs = [run.communicate(timeout=TIMEOUT) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all(stderr == "" for _stdout, stderr in outputs), outputs
    print(*(stdout for stdout, _stderr in outputs))

    with app.app_context():
        assert _outbox() == {MessageStatus.SENT: len(message_ids) + 2 * len(posting_ids)}
        stored = sorted(db.session.scalars(sa.select(Message.message_id)))
        closings = Counter(db.session.scalars(sa.select(Event.object_id).where(
            Event.object_type == "posting", Event.action == "posting.close")))
        assert closings == Counter(posting_ids)
        summaries = Counter(db.session.scalars(sa.select(Reminder.posting_id).where(
            Reminder.rule == ReminderRule.DEADLINE_REACHED)))
        assert summaries == Counter(posting_ids * 2)
    written = [_read(path)["Message-ID"] for path in (tmp_path / "outbox").glob("*.eml")]
    assert sorted(written) == stored  # each message once, none twice
