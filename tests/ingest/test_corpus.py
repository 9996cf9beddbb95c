"""The corpus (tests/ingest/corpus/*.eml) routes as tests/ingest/corpus/expected.toml says,
and reading it again creates nothing new."""

from __future__ import annotations

import tomllib
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.ingest.world import CORPUS, NOW, corpus_files, make_world
from tracker.applications.models import Application, Document, Submission
from tracker.audit.models import Event
from tracker.db import db
from tracker.ingest.models import InboundMail
from tracker.ingest.services import ingest, ingest_once
from tracker.mail.models import Message

EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))


@pytest.fixture
def corpus(app):
    """The world, then every corpus message ingested once (in file order)."""
    with app.app_context():
        ids = make_world()
        mails = {}
        for path in corpus_files():
            mails[path.name] = ingest(path.read_bytes(), source=f"file:{path.name}",
                                      now=NOW).id
    return ids, mails


def test_corpus_every_message_has_an_expectation():
    assert sorted(EXPECTED) == [path.name for path in corpus_files()]


def test_corpus_has_what_the_issue_asks_for():
    tags = Counter(tag for expected in EXPECTED.values() for tag in expected.get("tags", []))
    assert len(EXPECTED) >= 30
    assert tags["near_miss"] >= 8
    assert tags["forwarded"] >= 3
    assert tags["auto_reply"] >= 2
    assert tags["bounce"] >= 1
    assert tags["closed_offer"] >= 1
    for tag in ("iso_8859_1", "rfc2231", "no_message_id", "corrupt_pdf", "winmail",
                "html_only", "nested", "phone"):
        assert tags[tag] >= 1, tag
    # The near misses are real: each has a closest offer and stays in triage.
    for expected in EXPECTED.values():
        if "near_miss" in expected.get("tags", []):
            assert expected["status"] == "triage" and expected["reason"] == "near_miss"


def _check(name: str, expected: dict, mail: InboundMail, ids: dict, mails: dict) -> list[str]:
    problems = []

    def differ(what, got, want):
        if got != want:
            problems.append(f"{name}: {what} is {got!r}, expected {want!r}")

    differ("status", mail.status, expected["status"])
    differ("reason", mail.reason, expected["reason"])
    differ("offer", mail.posting_id, ids.get(expected.get("offer")))
    differ("organisation", mail.organisation_id, ids[expected.get("organisation", "org")])
    if "considered" in expected:
        considered = [c["posting_id"] for c in mail.candidates][: len(expected["considered"])]
        differ("offers considered", considered, [ids[k] for k in expected["considered"]])
    if "note" in expected and expected["note"] not in mail.note:
        problems.append(f"{name}: note {mail.note!r} does not mention {expected['note']!r}")
    if expected["status"] != "application":
        differ("application", mail.application_id, None)
        return problems
    application = db.session.get(Application, mail.application_id)
    submission = db.session.get(Submission, mail.submission_id)
    if application is None or submission is None:
        return [*problems, f"{name}: no application or submission"]
    candidate = application.candidate
    differ("candidate", [candidate.first_name, candidate.last_name, candidate.email],
           expected["candidate"])
    differ("documents", [[d.kind, d.filename] for d in submission.documents],
           expected["documents"])
    differ("channel", (application.channel, submission.channel), ("email", "email"))
    differ("version", submission.version, expected.get("version", 1))
    differ("locale", application.locale, expected.get("locale", "fr"))
    if "phone" in expected:
        differ("phone", candidate.phone, expected["phone"])
    body = expected.get("body")
    if body == "message":
        differ("letter_text", submission.letter_text, "")
        if not submission.message:
            problems.append(f"{name}: the body should be the message")
    elif body == "letter_text":
        differ("message", submission.message, "")
        if not submission.letter_text:
            problems.append(f"{name}: the body should be the typed letter")
    if "same_application_as" in expected:
        first = db.session.get(InboundMail, mails[expected["same_application_as"]])
        differ("application", mail.application_id, first.application_id)
    return problems


def test_corpus_routes_each_message_as_expected(app, corpus):
    ids, mails = corpus
    problems = []
    with app.app_context():
        for name, expected in EXPECTED.items():
            mail = db.session.get(InboundMail, mails[name])
            problems += _check(name, expected, mail, ids, mails)
    assert problems == []


def test_corpus_applications_send_the_form_emails(app, corpus):
    """Each new application: the acknowledgement to the candidate and the notification to the
    offer's contacts; a second version, the "new version" acknowledgement. Triage: nothing."""
    ids, mails = corpus
    with app.app_context():
        for name, expected in EXPECTED.items():
            mail = db.session.get(InboundMail, mails[name])
            if expected["status"] != "application":
                continue
            kinds = [
                (m.kind, tuple(m.recipients))
                for m in db.session.scalars(sa.select(Message).where(
                    Message.application_id == mail.application_id).order_by(Message.id))
            ]
            email = expected["candidate"][2]
            ack = ("application.acknowledgement_update" if expected.get("version", 1) > 1
                   else "application.acknowledgement")
            assert (ack, (email,)) in kinds, name
            assert any(kind == "application.notification" and "claire.fontaine@example.org"
                       in recipients for kind, recipients in kinds), name
        triaged = [mails[n] for n, e in EXPECTED.items() if e["status"] != "application"]
        applications = db.session.scalars(
            sa.select(InboundMail.application_id).where(InboundMail.id.in_(triaged))).all()
        assert set(applications) == {None}


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (InboundMail, Application, Submission, Document, Message, Event)
    }


def test_corpus_read_again_creates_nothing_new(app, corpus):
    ids, mails = corpus
    with app.app_context():
        before = _counts()
        statuses = dict(db.session.execute(sa.select(InboundMail.id, InboundMail.status)).all())
        for path in corpus_files():
            mail, new = ingest_once(path.read_bytes(), source="file:again", now=NOW)
            assert not new, path.name
            assert mail.id == mails[path.name]
        assert _counts() == before
        assert dict(db.session.execute(
            sa.select(InboundMail.id, InboundMail.status)).all()) == statuses
        assert before["InboundMail"] == len(corpus_files())
