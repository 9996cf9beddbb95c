"""Which organisation and which offer a mail is for (tracker.ingest.routing, through ingest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.files import make_pdf
from tests.ingest.world import NOW, make_mail, make_world
from tracker.db import db
from tracker.ingest import routing
from tracker.ingest.models import InboundMail
from tracker.ingest.services import ingest
from tracker.postings.models import Posting, PostingStatus

CV = [("CV Léa Martin.pdf", "application/pdf", make_pdf("Léa Martin – CV"))]


@pytest.mark.parametrize("subject, name, expected", [
    ("TR: RE: Candidature stagiaire - Démocratie permanente (Léa MARTIN)", "Léa Martin",
     "stagiaire democratie permanente"),
    ("Fwd: FW: AW: WG: Réf. : Candidature stagiaire démocratie permanente", "",
     "stagiaire democratie permanente"),
    ("RE[2]: TR : [EXT] Candidature   STAGIAIRE,   démocratie... permanente!", "",
     "stagiaire democratie permanente"),
    ("Candidature stagiaire démocratie permanente – Léa MARTIN", "Léa Martin",
     "stagiaire democratie permanente"),
    ("Léa Martin - Candidature stagiaire démocratie permanente", "Léa Martin",
     "stagiaire democratie permanente"),
    ("Candidature stagiaire démocratie permanente Léa Martin", "Léa Martin",
     "stagiaire democratie permanente"),
    ("Ma candidature au poste de chargé·e de mission", "", "charge e de mission"),
    ("Candiature stagiaire", "", "stagiaire"),
    ("Candidature", "", ""),
])
def test_normalise(subject, name, expected):
    assert routing.normalise(subject, name) == expected


def test_score_exact_close_and_far():
    line = routing.normalise_line("Candidature stagiaire démocratie permanente")
    assert routing.score(routing.normalise("candidature stagiaire démocratie permanente"),
                         line) == 1.0
    assert 0.85 <= routing.score(routing.normalise("Candidature stage démocratie permanente"),
                                 line) < 1.0
    assert routing.score(routing.normalise("Candidature stage démocratie"), line) < 0.85
    assert routing.score(routing.normalise("Demande de renseignements"), line) < 0.5
    assert routing.score("", line) == 0.0


def _ingest(app, raw, **kwargs) -> dict:
    with app.app_context():
        mail = ingest(raw, source="test", now=kwargs.pop("now", NOW), **kwargs)
        return {"status": mail.status, "reason": mail.reason, "posting_id": mail.posting_id,
                "organisation_id": mail.organisation_id, "candidates": mail.candidates,
                "score": mail.match_score}


def test_draft_offers_are_never_matched(app):
    with app.app_context():
        ids = make_world()
    got = _ingest(app, make_mail(subject="Candidature stagiaire démocratie permanente",
                                 attachments=CV))
    assert got["posting_id"] == ids["P1"]  # not the draft P10 with the same line
    assert ids["P10"] not in [c["posting_id"] for c in got["candidates"]]


def test_plus_addressing_on_another_address_is_not_an_offer(app):
    with app.app_context():
        ids = make_world()
    got = _ingest(app, make_mail(subject="Bonjour", attachments=CV,
                                 to="autre+stagiaire-democratie-permanente@example.org"))
    assert got["status"] == "triage" and got["reason"] == "no_subject_match"
    got = _ingest(app, make_mail(subject="Bonjour", attachments=CV,
                                 to="Recrutement+STAGIAIRE-Democratie-Permanente@Example.org"))
    assert (got["status"], got["reason"], got["posting_id"]) == (
        "application", "matched_by_address", ids["P1"])


def test_plus_addressing_to_a_closed_offer_goes_to_triage(app):
    with app.app_context():
        ids = make_world()
    got = _ingest(app, make_mail(subject="Candidature", attachments=CV,
                                 to="recrutement+VAC-2026-01@example.org"))
    assert (got["status"], got["reason"], got["posting_id"]) == ("triage", "closed", ids["P5"])


def test_organisation_by_its_address_even_with_another_subject(app):
    with app.app_context():
        ids = make_world()
    got = _ingest(app, make_mail(subject="Question", to="emplois@example.net"))
    assert got["organisation_id"] == ids["org2"]
    got = _ingest(app, make_mail(subject="Question", to="emplois+info@example.net"))
    assert got["organisation_id"] == ids["org2"]


def test_organisation_by_a_unique_certain_subject_when_the_address_says_nothing(app):
    with app.app_context():
        ids = make_world()
    got = _ingest(app, make_mail(subject="Candidature coordinateur centre social",
                                 to="someone@example.com", attachments=CV))
    assert (got["status"], got["organisation_id"], got["posting_id"]) == (
        "application", ids["org2"], ids["P7"])


def test_no_organisation_when_nothing_tells(app):
    with app.app_context():
        make_world()
    got = _ingest(app, make_mail(subject="Bonjour", to="someone@example.com"))
    assert got["organisation_id"] is None and got["status"] == "triage"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(InboundMail.id)).where(
            InboundMail.organisation_id.is_(None))) == 1


def test_single_organisation_instance_takes_every_mail(app):
    with app.app_context():
        org = factories.organisation(email="")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED,
                                    subject_line="Candidature CDI accueil")
        db.session.commit()
        org_id, posting_id = org.id, posting.id
    got = _ingest(app, make_mail(subject="Bonjour", to="someone@example.com"))
    assert got["organisation_id"] == org_id
    got = _ingest(app, make_mail(subject="candidature cdi accueil", to="x@example.com",
                                 attachments=CV), now=datetime.now(UTC))
    assert (got["status"], got["posting_id"]) == ("application", posting_id)


def test_threshold_comes_from_the_configuration(app):
    with app.app_context():
        ids = make_world()
    subject = "Candidature stagiaire démocratie participative"  # 0.77 from P1's line
    assert _ingest(app, make_mail(subject=subject, attachments=CV))["reason"] == "near_miss"
    app.config["INGEST_MATCH_THRESHOLD"] = 0.7
    try:
        got = _ingest(app, make_mail(subject=subject, attachments=CV,
                                     sender="Zoé André <zoe.andre@example.net>"))
    finally:
        app.config["INGEST_MATCH_THRESHOLD"] = routing.DEFAULT_THRESHOLD
    assert (got["status"], got["posting_id"]) == ("application", ids["P1"])


def test_a_closed_offer_named_better_than_the_open_one_is_for_a_person(app):
    """A subject that is exactly a closed offer's line and close to an open one's: triage."""
    with app.app_context():
        ids = make_world()
        closed = db.session.get(Posting, ids["P4"])
        closed.subject_line = "Candidature alternance communication 2025"
        closed.status, closed.closed_at = PostingStatus.CLOSED, datetime(2026, 1, 1, tzinfo=UTC)
        db.session.commit()
    got = _ingest(app, make_mail(subject="Candidature alternance communication 2025",
                                 attachments=CV))
    assert (got["status"], got["reason"]) == ("triage", "ambiguous")


def test_deadline_judged_at_arrival_by_our_server_not_the_date_header(app):
    """The Date header is the sender's clock; our server's Received stamp decides, and
    nothing can arrive after we read it."""
    with app.app_context():
        ids = make_world()
    deadline = datetime(2026, 3, 5, 22, 59, tzinfo=UTC)  # P6
    before = (deadline - timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    after = (deadline + timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    forged = make_mail(subject="Candidature animateur jeunesse", attachments=CV,
                       date=deadline - timedelta(days=1),
                       headers={"Received": f"by mx.example.org; {after}"})
    assert _ingest(app, forged)["reason"] == "past_deadline"
    on_time = make_mail(subject="Candidature animateur jeunesse", attachments=CV,
                        sender="Noé <noe@example.com>", date=deadline + timedelta(days=3),
                        headers={"Received": f"by mx.example.org; {before}"})
    assert (_ingest(app, on_time)["status"], ids["P6"]) == ("application", ids["P6"])
    # No Received header, a Date in the future: read now, so judged now.
    future = make_mail(subject="Candidature stagiaire démocratie permanente", attachments=CV,
                       sender="Ugo <ugo@example.com>", date=datetime(2027, 1, 1, tzinfo=UTC))
    assert _ingest(app, future, now=datetime(2026, 3, 25, tzinfo=UTC))["reason"] == \
        "past_deadline"


def test_offer_closed_after_the_mail_arrived_still_takes_it(app):
    """The worker closed the offer at its deadline; the mail had arrived before."""
    with app.app_context():
        ids = make_world()
        posting = db.session.get(Posting, ids["P1"])
        posting.deadline = posting.closed_at = datetime(2026, 3, 10, 22, 59, tzinfo=UTC)
        posting.status = PostingStatus.CLOSED
        db.session.commit()
    early = make_mail(subject="Candidature stagiaire démocratie permanente", attachments=CV,
                      date=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    assert _ingest(app, early)["status"] == "application"
    late = make_mail(subject="Candidature stagiaire démocratie permanente", attachments=CV,
                     sender="Noé <noe@example.com>",
                     date=datetime(2026, 3, 11, 12, 0, tzinfo=UTC))
    assert _ingest(app, late)["reason"] == "closed"


def _forward(*, forwarder: str, inner_from: str, inner_date: str) -> bytes:
    body = ("Reçue hier, je transfère.\n\n-------- Message transféré --------\n"
            "Sujet : \tCandidature animateur jeunesse\n"
            f"Date : \t{inner_date}\nDe : \t{inner_from}\nPour : \taccueil@example.org\n\n"
            "Bonjour,\n\nMa candidature.\n")
    return make_mail(subject="Fwd: Candidature animateur jeunesse", sender=forwarder,
                     body=body, attachments=CV, date=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))


def test_a_colleagues_forward_is_judged_when_the_candidate_sent_it(app):
    """Sent to a colleague before the deadline (5 March, 23:59 in Paris), forwarded after."""
    with app.app_context():
        ids = make_world()
    forwarded = _forward(forwarder="Accueil <accueil@example.org>",
                         inner_from="Noé Petit <noe.petit@example.com>",
                         inner_date="Thu, 5 Mar 2026 21:30:00 +0100")
    got = _ingest(app, forwarded)
    assert (got["status"], got["posting_id"]) == ("application", ids["P6"])
    late = _forward(forwarder="Accueil <accueil@example.org>",
                    inner_from="Ugo Blanc <ugo.blanc@example.com>",
                    inner_date="Fri, 6 Mar 2026 08:00:00 +0100")
    assert _ingest(app, late)["reason"] == "past_deadline"
    # Candidates forwarding their own mail do not choose their date.
    own = _forward(forwarder="Ana Roy <ana.roy@example.com>",
                   inner_from="Ana Roy <ana.roy@example.com>",
                   inner_date="Thu, 5 Mar 2026 21:30:00 +0100")
    assert _ingest(app, own)["reason"] == "past_deadline"
