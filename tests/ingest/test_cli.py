"""``flask ingest``: .eml files, mbox, Maildir; dry run, organisation, unassigned, errors."""

from __future__ import annotations

import mailbox
import shutil

import sqlalchemy as sa

from tests.files import make_pdf
from tests.ingest.world import CORPUS, make_mail, make_world
from tracker.applications.models import Application
from tracker.db import db
from tracker.ingest.models import InboundMail

CV = [("CV.pdf", "application/pdf", make_pdf("Léa Martin – CV"))]
# Messages dated March 2026, routed by plus addressing or triaged, whatever the day the test
# runs: the CLI reads them "now", and P1..P4 are open until mid-March or April 2026 only.
FILES = ["12-auto-reply-outlook.eml", "14-bounce.eml", "26-no-subject-match.eml",
         "18-near-miss-missing-words.eml"]


def rows() -> int:
    return db.session.scalar(sa.select(sa.func.count(InboundMail.id)))


def test_ingest_eml_files_one_line_each_and_a_summary(app, runner):
    with app.app_context():
        make_world()
    paths = [str(CORPUS / name) for name in FILES]
    result = runner.invoke(args=["ingest", *paths])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 5
    assert lines[0] == "<DB5PR03MB1234AUTO@DB5PR03MB1234.eurprd03.prod.outlook.com> ignored " \
                       "(auto_reply)"
    assert lines[2] == "<question-1@example.com> triage (no_subject_match)"
    assert "closest offer #" in lines[3]
    assert lines[4] == "4 mails: 2 triage, 2 ignored."
    # Again: nothing new, each one said to be there already.
    again = runner.invoke(args=["ingest", *paths])
    assert again.exit_code == 0
    assert again.output.strip().splitlines()[-1] == "4 mails: 4 already."
    assert "already recorded: ignored" in again.output
    with app.app_context():
        assert rows() == 4
        sources = set(db.session.scalars(sa.select(InboundMail.source)))
        assert sources == {f"file:{CORPUS / name}" for name in FILES}


def test_ingest_an_mbox_and_a_maildir(app, runner, tmp_path):
    """Three applications in an mbox (sent 10 March, judged then), a question and a bounce in
    a Maildir (one in new/, one in cur/)."""
    with app.app_context():
        make_world()
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    for index in range(3):
        box.add(make_mail(subject="Ma candidature", attachments=CV,
                          sender=f"Personne {index} <p{index}@example.com>",
                          to="recrutement+stagiaire-democratie-permanente@example.org"))
    box.close()
    folder = mailbox.Maildir(tmp_path / "Maildir", create=True)
    folder.add(make_mail(subject="Bonjour", sender="Quelqu'un <q@example.com>"))
    shutil.copy(CORPUS / "14-bounce.eml", tmp_path / "Maildir" / "cur" / "1773065098.x:2,S")
    args = ["ingest", str(tmp_path / "inbox.mbox"), str(tmp_path / "Maildir")]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.count("→ offer #") == 3
    assert result.output.strip().splitlines()[-1] == (
        "5 mails: 3 application, 1 triage, 1 ignored.")
    with app.app_context():
        sources = sorted(db.session.scalars(sa.select(InboundMail.source)))
        assert sources == [f"maildir:{tmp_path / 'Maildir'}"] * 2 + [
            f"mbox:{tmp_path / 'inbox.mbox'}"] * 3
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 3
    # The files are left as they were; reading them again changes nothing.
    assert len(list((tmp_path / "Maildir" / "new").iterdir())) == 1
    again = runner.invoke(args=args)
    assert again.output.strip().splitlines()[-1] == "5 mails: 5 already."


def test_dry_run_records_nothing(app, runner):
    with app.app_context():
        make_world()
    paths = [str(CORPUS / name) for name in FILES]
    result = runner.invoke(args=["ingest", "--dry-run", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        "Dry run, nothing recorded: 4 mails: 2 triage, 2 ignored.")
    with app.app_context():
        assert rows() == 0


def test_organisation_option_and_unassigned_list(app, runner, tmp_path):
    with app.app_context():
        ids = make_world()
    stray = tmp_path / "stray.eml"
    stray.write_bytes(make_mail(subject="Bonjour", to="someone@example.com",
                                sender="Inconnu <inconnu@example.com>"))
    assert runner.invoke(args=["ingest", str(stray)]).exit_code == 0
    listed = runner.invoke(args=["ingest", "--unassigned"])
    assert listed.exit_code == 0
    assert "from inconnu@example.com to someone@example.com: Bonjour" in listed.output
    assert listed.output.strip().splitlines()[-1] == "1 mail without an organisation."
    # The same kind of mail, read from a mailbox known to be the organisation's.
    other = tmp_path / "other.eml"
    other.write_bytes(make_mail(subject="Bonjour", to="someone@example.com",
                                sender="Autre <autre@example.com>"))
    result = runner.invoke(args=["ingest", "--organisation", "les-tilleuls", str(other)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        mail = db.session.scalar(sa.select(InboundMail).where(
            InboundMail.from_address == "autre@example.com"))
        assert mail.organisation_id == ids["org2"]
    unknown = runner.invoke(args=["ingest", "--organisation", "nope", str(other)])
    assert unknown.exit_code == 1 and "No organisation with the slug" in unknown.output


def test_bad_paths_and_missing_arguments_are_clear_errors(app, runner, tmp_path):
    with app.app_context():
        make_world()
    result = runner.invoke(args=["ingest", str(CORPUS / FILES[0]), str(tmp_path / "nope.eml")])
    assert result.exit_code == 1 and "no such file" in result.output
    (tmp_path / "folder").mkdir()
    result = runner.invoke(args=["ingest", str(tmp_path / "folder")])
    assert result.exit_code == 1 and "not a Maildir" in result.output
    result = runner.invoke(args=["ingest"])
    assert result.exit_code == 2 and "--imap" in result.output
    with app.app_context():
        assert rows() == 0  # nothing read when one path is wrong


def test_imap_without_configuration_is_a_clear_error(app, runner):
    saved = app.config.get("IMAP_HOST")
    app.config["IMAP_HOST"] = ""
    try:
        result = runner.invoke(args=["ingest", "--imap"])
    finally:
        app.config["IMAP_HOST"] = saved
    assert result.exit_code == 1
    assert "IMAP" in result.output


def test_without_server_name_the_acknowledgement_links_to_a_trusted_host(app, runner, tmp_path):
    """Outside a request the candidate's link is built from TRUSTED_HOSTS (as reminders do),
    instead of the mail failing."""
    from tracker.mail.models import Message

    with app.app_context():
        make_world()
    path = tmp_path / "one.eml"
    path.write_bytes(make_mail(subject="Ma candidature", attachments=CV,
                               to="recrutement+stagiaire-democratie-permanente@example.org"))
    saved = app.config["SERVER_NAME"], app.config.get("TRUSTED_HOSTS")
    app.config["SERVER_NAME"], app.config["TRUSTED_HOSTS"] = None, ["jobs.example.org"]
    try:
        result = runner.invoke(args=["ingest", str(path)])
    finally:
        app.config["SERVER_NAME"], app.config["TRUSTED_HOSTS"] = saved
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1 mail: 1 application."
    with app.app_context():
        ack = db.session.scalar(sa.select(Message).where(
            Message.kind == "application.acknowledgement"))
        assert "http://jobs.example.org/candidature/" in ack.body_text
