"""``flask --app tracker send-mail``: one pass, one line per message, a summary."""

from __future__ import annotations

import re

from tests.mail.conftest import SMTPServer, queue_notification, queue_simple, use_server
from tracker.db import db
from tracker.mail.models import Message


def test_send_mail_writes_files_and_reports(app, runner, outbox_dir, world):
    with app.app_context():
        first = queue_notification(world)
        [second] = queue_simple(world, 1)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        rf"#{first} application\.notification: sent \(written to {re.escape(str(outbox_dir))}"
        rf"/\d{{8}}T\d{{6}}Z-{first}\.eml\)", lines[0])
    assert lines[1].startswith(f"#{second} application.acknowledgement: sent (written to ")
    assert lines[2] == "2 message(s) through the file backend: 2 sent, 0 to retry later, 0 failed."


def test_send_mail_with_nothing_due(runner, outbox_dir):
    result = runner.invoke(args=["send-mail"])
    assert (result.exit_code, result.output) == (0, "No message due (file backend).\n")


def test_send_mail_limit(app, runner, outbox_dir, world):
    with app.app_context():
        ids = queue_simple(world, 3)
    result = runner.invoke(args=["send-mail", "--limit", "2"])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "2 message(s) through the file backend: 2 sent, 0 to retry later, 0 failed.")
    with app.app_context():
        assert db.session.get(Message, ids[2]).status == "pending"
    assert runner.invoke(args=["send-mail", "--limit", "0"]).exit_code == 2


def test_send_mail_server_down_exits_0_and_says_when_it_retries(app, runner, monkeypatch,
                                                                 world):
    server = SMTPServer()  # never started
    use_server(app, monkeypatch, server)
    with app.app_context():
        [message_id] = queue_simple(world, 1)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    line, summary = result.output.splitlines()
    assert re.fullmatch(
        rf"#{message_id} application\.acknowledgement: pending, attempt 1 of 8 failed, next try "
        rf"at \d{{4}}-\d\d-\d\d \d\d:\d\d UTC: Could not connect to the SMTP server "
        rf"127\.0\.0\.1:{server.port}: .+", line)
    assert summary == "1 message(s) through the smtp backend: 0 sent, 1 to retry later, 0 failed."


def test_send_mail_configuration_error_exits_1(app, runner, monkeypatch, world):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    with app.app_context():
        queue_simple(world, 1)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: Mail configuration: MAIL_BACKEND must be one of file, smtp (or empty), "
        "not 'pigeon'.\n")


def test_send_mail_delivers_over_smtp(app, runner, smtp_server, world):
    with app.app_context():
        message_id = queue_notification(world)
    result = runner.invoke(args=["send-mail"])
    assert result.output.splitlines() == [
        f"#{message_id} application.notification: sent",
        "1 message(s) through the smtp backend: 1 sent, 0 to retry later, 0 failed.",
    ]
    assert len(smtp_server.received) == 1
