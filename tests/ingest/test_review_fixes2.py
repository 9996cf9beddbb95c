"""Second review of the email ingestion (issue 6, findings 8-11): forged inline forwards,
mails the parser cannot read, raw 8-bit headers, subject lines made of generic words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.files import make_pdf
from tests.ingest.world import NOW, PUBLISHED_AT, make_mail, make_world
from tracker.db import db
from tracker.ingest import parse, routing, services
from tracker.ingest.models import InboundStatus
from tracker.ingest.services import ingest
from tracker.postings.models import Posting, PostingStatus

CV = [("CV.pdf", "application/pdf", make_pdf("Curriculum vitae – Expérience – Formation"))]


def _ingest(app, raw, **kwargs) -> dict:
    with app.app_context():
        mail = ingest(raw, source="test", now=kwargs.pop("now", NOW), **kwargs)
        return {"status": mail.status, "reason": mail.reason, "posting_id": mail.posting_id,
                "id": mail.id, "key": mail.message_key}


# --- 8. A forged inline forward does not choose its date -------------------------------------


def _forward(*, forwarder: str, inner_from: str, inner_date: str) -> bytes:
    body = ("Je transfère.\n\n---------- Forwarded message ----------\n"
            f"From: {inner_from}\nDate: {inner_date}\n"
            "Subject: Candidature animateur jeunesse\nTo: recrutement@example.org\n\n"
            "Bonjour,\n\nMa candidature.\n")
    return make_mail(subject="Fwd: Candidature animateur jeunesse", sender=forwarder,
                     body=body, attachments=CV, date=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))


def test_a_candidate_faking_a_forward_from_a_second_address_is_judged_on_arrival(app):
    """P6's deadline is 5 March (23:59 in Paris); the mail arrives on 9 March."""
    with app.app_context():
        ids = make_world()
    faked = _forward(forwarder="Ugo Blanc <ugo.blanc@example.com>",
                     inner_from="Ugo B. <ugo.b@example.net>",
                     inner_date="Thu, 5 Mar 2026 21:30:00 +0100")
    got = _ingest(app, faked)
    assert (got["status"], got["reason"]) == ("triage", "past_deadline")
    assert got["posting_id"] == ids["P6"]


def test_a_members_forward_keeps_the_candidates_date(app):
    with app.app_context():
        ids = make_world()
    forwarded = _forward(forwarder="Claire Fontaine <claire.fontaine@example.org>",
                         inner_from="Noé Petit <noe.petit@example.com>",
                         inner_date="Thu, 5 Mar 2026 21:30:00 +0100")
    got = _ingest(app, forwarded)
    assert (got["status"], got["posting_id"]) == ("application", ids["P6"])


def test_arrival_of_trusts_the_forwarded_date_only_from_the_organisation(app):
    raw = _forward(forwarder="Ugo Blanc <ugo.blanc@example.com>",
                   inner_from="Ugo B. <ugo.b@example.net>",
                   inner_date="Thu, 5 Mar 2026 21:30:00 +0100")
    parsed = parse.parse_mail(raw)
    assert parsed.forwarded and parsed.forwarded_sent_at is not None
    with app.app_context():
        make_world()
        home = routing.organisations_by_address(["recrutement@example.org"])
        assert services.arrival_of(parsed, NOW, home) == parsed.sent_at
        assert services.arrival_of(parsed, NOW) == parsed.sent_at


# --- 9. A mail nested thousands of levels deep -----------------------------------------------


def _deep(levels: int = 3000, message_id: str = "<deep@example.com>",
          text: bytes = b"hi") -> bytes:
    parts = [b"From: Lea Martin <lea.martin@example.com>\r\nTo: recrutement@example.org\r\n"
             b"Subject: Candidature stagiaire democratie permanente\r\n"
             b"Message-ID: " + message_id.encode() + b"\r\n"
             b"Date: Tue, 10 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"]
    for i in range(levels):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    parts.append(b"Content-Type: text/plain\r\n\r\n" + text + b"\r\n")
    for i in reversed(range(levels)):
        parts.append(b"--b%d--\r\n" % i)
    return b"".join(parts)


def test_parse_mail_never_raises_on_a_deeply_nested_mail():
    parsed = parse.parse_mail(_deep())
    assert parsed.unreadable
    assert parsed.notes
    assert parsed.sender.address == "lea.martin@example.com"
    assert parsed.message_key == "<deep@example.com>"
    assert parsed.subject == "Candidature stagiaire democratie permanente"


def test_a_deeply_nested_mail_is_kept_and_cannot_be_attached(app):
    with app.app_context():
        ids = make_world()
        mail = ingest(_deep(), source="test", now=NOW)
        assert mail.status == InboundStatus.ERROR
        assert "unreadable" in mail.error.lower() or "Recursion" in mail.error
        posting = db.session.get(Posting, ids["P1"])
        with pytest.raises(services.TriageError):
            services.attach(mail, posting, None, now=NOW)
        assert mail.application_id is None


def test_a_different_unreadable_mail_reusing_a_message_id_is_not_lost(app):
    with app.app_context():
        make_world()
        first = ingest(_deep(text=b"one"), source="test", now=NOW)
        second = ingest(_deep(text=b"two"), source="test", now=NOW)
        assert first.id != second.id
        assert second.message_key.startswith("sha256:")
        again = ingest(_deep(text=b"two"), source="test", now=NOW)
        assert again.id == second.id


# --- 10. Raw 8-bit header bytes --------------------------------------------------------------


@pytest.mark.parametrize("raw_from", [b"From: L\xe9a Martin <lea@example.org>",
                                      b"From: L\xc3\xa9a Martin <lea@example.org>"])
def test_raw_8bit_sender_names_decode_without_replacement_characters(raw_from):
    raw = raw_from + b"\r\nTo: recrutement@example.org\r\nSubject: Candidature\r\n\r\nBonjour\r\n"
    parsed = parse.parse_mail(raw)
    assert parsed.sender.name == "Léa Martin"
    assert (parsed.sender.first_name, parsed.sender.last_name) == ("Léa", "Martin")


def test_safe_text_decodes_escaped_bytes_strictly_then_as_cp1252():
    assert parse.safe_text(b"\xe9t\xe9 \x80".decode("ascii", "surrogateescape")) == "été €"
    assert parse.safe_text(b"\xc3\xa9t\xc3\xa9".decode("ascii", "surrogateescape")) == "été"
    assert "\ufffd" not in parse.safe_text(b"\x81\x8d".decode("ascii", "surrogateescape"))
    assert parse.safe_text("a\x00b") == "ab"


def test_raw_8bit_subject_decodes_as_cp1252():
    raw = (b"From: lea@example.org\r\nTo: recrutement@example.org\r\n"
           b"Subject: Candidature \xe9t\xe9\r\n\r\nBonjour\r\n")
    assert parse.parse_mail(raw).subject == "Candidature été"


# --- 11. A subject line made of generic words only -------------------------------------------


@pytest.mark.parametrize("subject", ["Candidature", "RE: candidature"])
def test_a_subject_line_of_generic_words_matches_its_exact_subject(app, subject):
    with app.app_context():
        ids = make_world()
        # Keep only one offer open: the one asking for "Candidature".
        for posting in db.session.query(Posting).all():
            if posting.status == PostingStatus.PUBLISHED:
                posting.status = PostingStatus.ARCHIVED
        generic = db.session.get(Posting, ids["P3"])
        generic.status = PostingStatus.PUBLISHED
        generic.published_at = PUBLISHED_AT
        generic.subject_line = "Candidature"
        db.session.commit()
    assert routing.score(routing.normalise(subject, keep_generic=True),
                         routing.normalise_line("Candidature")) == 1.0
    got = _ingest(app, make_mail(subject=subject, attachments=CV))
    assert (got["status"], got["posting_id"]) == ("application", ids["P3"])
