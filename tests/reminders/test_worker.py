"""``flask worker``: one round closes, reminds and delivers; signals stop it cleanly; a failing
round is said clearly and the loop goes on."""

from __future__ import annotations

import signal
import subprocess
import threading
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa

from tests import factories
from tests.mail.conftest import SENDER, SMTPServer, use_server
from tests.reminders.workers import TIMEOUT, WorkerProcess, flask_command, worker_env
from tracker import ROOT
from tracker.accounts.models import Organisation
from tracker.audit.models import Event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageStatus
from tracker.mail.services import queue_message
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders import worker
from tracker.reminders.models import Reminder, ReminderRule, ReminderStatus


@pytest.fixture
def outbox(app, monkeypatch, tmp_path):
    """The file backend writes under tmp_path/outbox."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", SENDER)
    return tmp_path / "outbox"


@pytest.fixture(autouse=True)
def _no_extra_tasks(monkeypatch):
    """Tests register their own tasks; none of another module's."""
    monkeypatch.setattr(worker, "TASKS", [])


def _expired_and_closing_soon(app) -> tuple[int, int, int]:
    """An offer whose deadline passed an hour ago, another closing in 12 hours (its "1 day
    left" reminder is due whatever the hour), both published 20 days ago; returns (org id,
    expired id, closing-soon id)."""
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, email="directrice@example.org")
        now = utcnow().replace(microsecond=0)
        expired = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        soon = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        for posting, deadline in ((expired, now - timedelta(hours=1)),
                                  (soon, now + timedelta(hours=12))):
            posting.published_at = now - timedelta(days=20)
            posting.deadline = deadline
        factories.application(expired, email="lea.martin@example.com")
        db.session.commit()
        return org.id, expired.id, soon.id


def _messages() -> list[Message]:
    return list(db.session.scalars(sa.select(Message).order_by(Message.id)))


def _read(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


# --- One round -----------------------------------------------------------------------------


def test_once_closes_reminds_and_delivers_to_files(app, runner, outbox):
    org_id, expired_id, soon_id = _expired_and_closing_soon(app)

    result = runner.invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert " round 1: reminders 1 closed, " in line
    with app.app_context():
        expired = db.session.get(Posting, expired_id)
        assert expired.status == PostingStatus.CLOSED
        assert expired.closed_at == expired.deadline
        closings = db.session.scalars(sa.select(Event).where(
            Event.object_type == "posting", Event.object_id == expired_id,
            Event.action == "posting.close")).all()
        assert [e.actor_id for e in closings] == [None]
        assert db.session.get(Posting, soon_id).status == PostingStatus.PUBLISHED
        reminders = db.session.scalars(sa.select(Reminder).order_by(Reminder.id)).all()
        rules = {(r.rule, r.posting_id) for r in reminders}
        assert rules == {(ReminderRule.DEADLINE_REACHED, expired_id),
                         (ReminderRule.DEADLINE_APPROACHING, soon_id)}
        assert {r.status for r in reminders} == {ReminderStatus.QUEUED}
        # The closing summary goes to the two outside contacts; "1 day left" to them and to
        # the organisation's admin.
        summary_to = sorted(r.recipient for r in reminders
                            if r.rule == ReminderRule.DEADLINE_REACHED)
        assert summary_to == ["claire.fontaine@example.org", "ines.moreau@example.org"]
        assert len([r for r in reminders if r.rule == ReminderRule.DEADLINE_APPROACHING]) == 3
        messages = _messages()
        assert {m.status for m in messages} == {MessageStatus.SENT}
        assert {r.message_id for r in reminders} == {m.id for m in messages}
        expected = {m.message_id: m for m in messages}
    assert f"mail {len(expected)} sent, 0 to retry, 0 failed" in line
    # Every message was written once, as an .eml file carrying its Message-ID.
    files = sorted(outbox.glob("*.eml"))
    emails = [_read(path) for path in files]
    assert sorted(e["Message-ID"] for e in emails) == sorted(expected)
    for email in emails:
        message = expected[email["Message-ID"]]
        assert email["Subject"] == message.subject
        assert email["To"] == ", ".join(message.recipients)

    # A second round finds nothing new to do.
    again = runner.invoke(args=["worker", "--once"])
    assert again.exit_code == 0, again.output
    assert ("reminders 0 closed, 0 queued, 0 for digests, 0 skipped, 0 errors; "
            "mail 0 sent, 0 to retry, 0 failed") in again.output
    assert len(list(outbox.glob("*.eml"))) == len(files)


def _queue(app, n: int) -> list[int]:
    with app.app_context():
        org = factories.organisation()
        ids = [queue_message(organisation=org, kind="application.acknowledgement",
                             recipients=[f"candidate{i}@example.com"],
                             subject=f"Candidature bien reçue {i}", body_text=f"Bonjour {i}\n").id
               for i in range(n)]
        db.session.commit()
        return ids


def test_mail_is_delivered_in_batches_until_nothing_is_due(app, runner, outbox):
    ids = _queue(app, 2 * worker.MAIL_BATCH + 30)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert f"mail {len(ids)} sent, 0 to retry, 0 failed" in result.output
    assert len(list(outbox.glob("*.eml"))) == len(ids)


def test_mail_limit_leaves_the_rest_for_the_next_round(app, runner, outbox):
    ids = _queue(app, 130)
    result = runner.invoke(args=["worker", "--once", "--mail-limit", "120"])
    assert result.exit_code == 0, result.output
    assert "mail 120 sent, 0 to retry, 0 failed" in result.output
    with app.app_context():
        pending = db.session.scalars(sa.select(Message.id).where(
            Message.status == MessageStatus.PENDING).order_by(Message.id)).all()
    assert pending == ids[120:]
    assert runner.invoke(args=["worker", "--once", "--mail-limit", "0"]).exit_code == 2


def test_smtp_down_one_batch_is_tried_and_the_rest_waits(app, runner, monkeypatch):
    server = SMTPServer()  # never started: nothing listens on its port
    use_server(app, monkeypatch, server)
    ids = _queue(app, worker.MAIL_BATCH + 20)
    result = runner.invoke(args=["worker", "--once"])
    # The server being down is not a failure of the worker: messages wait and retry.
    assert result.exit_code == 0, result.output
    assert f"mail 0 sent, {worker.MAIL_BATCH} to retry, 0 failed" in result.output
    with app.app_context():
        rows = db.session.execute(sa.select(Message.status, Message.attempts,
                                            Message.last_error).order_by(Message.id)).all()
    assert [row.status for row in rows] == ["pending"] * len(ids)
    assert [row.attempts for row in rows] == [1] * worker.MAIL_BATCH + [0] * 20
    assert all(row.last_error.startswith("Could not connect to the SMTP server")
               for row in rows[:worker.MAIL_BATCH])


def test_mail_configuration_error_fails_the_round_clearly_after_the_pass(app, runner,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    _org_id, expired_id, _soon_id = _expired_and_closing_soon(app)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert " round 1: reminders 1 closed, " in line
    assert ("; mail FAILED: mail configuration: MAIL_BACKEND must be one of file, smtp "
            "(or empty), not 'pigeon'.") in line
    with app.app_context():
        assert db.session.get(Posting, expired_id).status == PostingStatus.CLOSED
        assert {m.status for m in _messages()} == {MessageStatus.PENDING}


def test_a_failing_rule_fails_the_round_and_the_rest_goes_on(app, runner, outbox,
                                                             monkeypatch):
    from tracker.reminders import rules

    def broken(context):
        raise RuntimeError("the rule tripped")

    monkeypatch.setattr(rules, "RULES", (broken, *rules.RULES))
    _org_id, expired_id, _soon_id = _expired_and_closing_soon(app)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert (" round 1: reminders 1 closed, 5 queued, 0 for digests, 0 skipped, 1 errors, "
            "FAILED: 1 failed (the rest went on; tracebacks in the log), first: ") in line
    assert " error broken - RuntimeError: the rule tripped; mail 5 sent, 0 to retry" in line
    with app.app_context():
        assert db.session.get(Posting, expired_id).status == PostingStatus.CLOSED


# --- Tasks, stops and sessions (in process) ---------------------------------------------------


def test_registered_tasks_run_after_the_outbox_and_a_failure_is_isolated(app, outbox):
    calls = []

    def probe():
        calls.append(db.session.scalar(sa.select(sa.func.count()).select_from(Message)))
        return "2 seen"

    def broken():
        calls.append("broken")
        raise RuntimeError("the mailbox answered nonsense")

    worker.register_task("probe", lambda: "replaced")
    worker.register_task("broken", broken)
    worker.register_task("probe", probe)  # the same name again replaces the first one
    assert [task.name for task in worker.TASKS] == ["broken", "probe"]

    _queue(app, 2)
    result = worker.run_round(app, 7)

    assert calls == ["broken", 2]
    assert result.failed
    assert [step.name for step in result.steps] == ["reminders", "mail", "broken", "probe"]
    line = result.line()
    assert " round 7: reminders 0 closed, " in line
    assert ("; mail 2 sent, 0 to retry, 0 failed; broken FAILED: RuntimeError: the mailbox "
            "answered nonsense; probe 2 seen (") in line


def test_a_stop_skips_the_rest_of_the_round(app, outbox):
    stop = threading.Event()
    ran = []

    def stopper():
        ran.append("stopper")
        stop.set()  # as SIGTERM would, in the middle of the round

    worker.register_task("stopper", stopper)
    worker.register_task("after", lambda: ran.append("after"))
    result = worker.run_round(app, 1, stop=stop)
    assert ran == ["stopper"]
    assert [step.name for step in result.steps] == ["reminders", "mail", "stopper"]
    assert result.interrupted_before == "after"
    assert "; stopped before after (" in result.line()
    assert not result.failed


def test_each_round_has_a_fresh_session(app, outbox):
    with app.app_context():
        org_id = factories.organisation().id
        db.session.commit()
    sessions = []

    def remember():
        sessions.append(db.session())
        db.session.get(Organisation, org_id)
        assert len(sessions[-1].identity_map) == 1

    worker.register_task("remember", remember)
    worker.run_round(app, 1)
    worker.run_round(app, 2)
    first, second = sessions
    assert first is not second
    assert len(first.identity_map) == 0  # closed with its round


# --- Real processes: signals, failures ----------------------------------------------------------


def _database_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_wakes_the_sleeping_worker_which_exits_0(app, tmp_path, signum):
    env = worker_env(_database_url(app), tmp_path)
    # An hour between rounds: only waking on the signal lets it exit within the timeout.
    process = WorkerProcess(env, "--interval", "3600")
    try:
        process.wait_for(r" round 1: reminders ")
        code = process.stop(signum)
    finally:
        process.kill()
    assert code == 0, process.output()
    output = process.output()
    assert "worker started: a round every 3600 s" in output
    assert f"worker stopped ({signal.Signals(signum).name})." in output
    assert " round 2:" not in output


def test_the_loop_goes_on_after_failed_rounds(app, tmp_path):
    env = worker_env(_database_url(app), tmp_path, MAIL_BACKEND="pigeon")
    process = WorkerProcess(env, "--interval", "0.1")
    try:
        process.wait_for(r" round 3: .*mail FAILED: mail configuration: MAIL_BACKEND must be")
        code = process.stop()
    finally:
        process.kill()
    assert code == 0, process.output()


def test_database_down_is_said_clearly_and_the_worker_resumes_when_it_is_back(tmp_path):
    folder = tmp_path / "not-yet"  # SQLite cannot open a file in a missing folder
    url = f"sqlite:///{folder}/tracker.db"
    env = worker_env(url, tmp_path)
    once = subprocess.run(flask_command("worker", "--once"), env=env, cwd=ROOT,
                          capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert once.returncode == 1
    assert once.stdout == ""
    assert ("reminders FAILED: database unavailable: unable to open database file; "
            "mail FAILED: database unavailable: unable to open database file") in once.stderr

    process = WorkerProcess(env, "--interval", "0.1")
    try:
        process.wait_for(r" round 2: reminders FAILED: database unavailable")
        folder.mkdir()
        upgrade = subprocess.run(flask_command("db", "upgrade"), env=env, cwd=ROOT,
                                 capture_output=True,
                                 text=True, timeout=TIMEOUT)
        assert upgrade.returncode == 0, upgrade.stderr
        process.wait_for(r" round \d+: reminders 0 closed, .*; mail 0 sent, 0 to retry")
        code = process.stop()
    finally:
        process.kill()
    assert code == 0, process.output()
