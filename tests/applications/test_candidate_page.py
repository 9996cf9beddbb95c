"""The candidate's private link: what it shows, how it protects itself, the candidate's files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.files import make_odt, make_pdf
from tracker.applications.links import make_token, new_link_key
from tracker.applications.models import Application, Document
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus

EN = {"Accept-Language": "en"}
CV = make_pdf("Léa Martin – CV 2026")
LETTER = make_odt("Lettre de Léa Martin")


@dataclass
class Made:
    token: str
    application_id: int
    posting_id: int
    posting_slug: str
    title: str
    organisation: str
    reference: str
    document_ids: list[int]


def make_application(app, *, status=PostingStatus.PUBLISHED, **fields) -> Made:
    """A published offer and one application to it (CV and letter, typed letter, message)."""
    with app.app_context():
        org = factories.organisation(name="Villes au carré")
        posting = factories.posting(org, status=status, title="Chargé·e de mission citoyenne")
        values = dict(
            documents=[("cv", "CV Léa Martin.pdf", "application/pdf", CV),
                       ("letter", "Lettre.odt", "application/vnd.oasis.opendocument.text",
                        LETTER)],
            message="Je suis disponible dès septembre.",
            letter_text="Madame, Monsieur,\nJ'anime des ateliers depuis trois ans.",
        )
        values.update(fields)
        application = factories.application(posting, **values)
        db.session.commit()
        return Made(
            token=make_token(application), application_id=application.id,
            posting_id=posting.id, posting_slug=posting.slug, title=posting.title,
            organisation=org.name, reference=application.reference,
            document_ids=[d.id for d in application.submissions[0].documents],
        )


def set_fields(app, model, object_id: int, **values) -> None:
    with app.app_context():
        item = db.session.get(model, object_id)
        for name, value in values.items():
            setattr(item, name, value)
        db.session.commit()


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_private(response) -> None:
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] in ("no-store", "private, no-store")
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


# --- The page --------------------------------------------------------------------------------


def test_candidate_page_shows_the_offer_and_what_was_sent(app, client):
    made = make_application(app)
    response = client.get(f"/candidature/{made.token}", headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert_private(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert f'href="/offres/{made.posting_id}-{made.posting_slug}">{made.title}</a>' in page.replace(
        "&#183;", "·")
    assert "Villes au carré" in page
    assert f"Reference {made.reference}" in page
    assert "Je suis disponible dès septembre." in page
    assert "Madame, Monsieur,\nJ&#39;anime des ateliers depuis trois ans." in page
    assert "CV Léa Martin.pdf" in page and "Lettre.odt" in page
    assert f"({round(len(CV) / 1000)} kB)" in page
    for document_id in made.document_ids:
        assert f'href="/candidature/{made.token}/documents/{document_id}"' in page
    assert "Sent as Léa Martin, " in page
    # Buttons to withdraw and to erase, each behind a confirmation box.
    assert f'action="/candidature/{made.token}/retrait#withdraw"' in page
    assert f'action="/candidature/{made.token}/effacement#erase"' in page
    assert 'name="withdraw-confirm"' in page and 'name="erase-confirm"' in page


def test_candidate_page_status_received_before_the_deadline(app, client):
    made = make_application(app)
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert 'class="badge badge-application-received">Received</span>' in page
    assert "The offer takes applications until " in page
    assert "has promised an answer to every candidate." in page


def test_candidate_page_status_under_review_after_the_deadline(app, client):
    made = make_application(app)
    with app.app_context():
        from tracker.postings.models import Posting

        db.session.get(Posting, made.posting_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert 'class="badge badge-application-review">Under review</span>' in page
    assert "is being reviewed" in page


def test_candidate_page_status_under_review_when_the_offer_is_closed(app, client):
    made = make_application(app, status=PostingStatus.CLOSED)
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert ">Under review</span>" in page


def test_candidate_page_status_answered(app, client):
    made = make_application(app)
    set_fields(app, Application, made.application_id, answered_at=utcnow())
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert 'class="badge badge-application-answered">Answered</span>' in page
    assert "The organisation answered you on " in page
    assert "has promised an answer" not in page


def test_candidate_page_status_withdrawn_has_no_withdraw_button(app, client):
    made = make_application(app)
    set_fields(app, Application, made.application_id, withdrawn_at=utcnow())
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert 'class="badge badge-application-withdrawn">Withdrawn</span>' in page
    assert "/retrait" not in page
    assert f'action="/candidature/{made.token}/effacement#erase"' in page


def test_candidate_page_of_an_archived_offer_has_no_public_link(app, client):
    made = make_application(app, status=PostingStatus.ARCHIVED)
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert f"<h1>{made.title}</h1>" in page.replace("&#183;", "·")
    assert f"/offres/{made.posting_id}-" not in page


def test_candidate_page_shows_every_version_newest_first(app, client):
    made = make_application(app)
    with app.app_context():
        from tracker.applications.models import Submission

        application = db.session.get(Application, made.application_id)
        application.submissions.append(Submission(
            version=2, channel="form", message="Voici mon CV mis à jour.",
            submitted_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    assert page.index("Version 2") < page.index("Version 1")
    assert page.index("Voici mon CV mis à jour.") < page.index("Je suis disponible")


# --- Bad links -------------------------------------------------------------------------------


def _without(page: str, token: str) -> str:
    return page.replace(token, "TOKEN")


def test_candidate_page_bad_tokens_are_404_and_say_nothing_more(app, client):
    made = make_application(app)
    tampered = made.token[:-2] + ("AA" if not made.token.endswith("AA") else "BB")
    with app.app_context():
        from itsdangerous import URLSafeSerializer

        from tracker.applications.links import SALT

        unknown = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(
            [made.application_id + 1000, "whatever"])
        forged = URLSafeSerializer("another-key", salt=SALT).dumps([made.application_id, "x"])
    pages = []
    for token in ("garbage", tampered, unknown, forged, "WzEsMl0"):
        response = client.get(f"/candidature/{token}", headers=EN)
        assert response.status_code == 404, token
        assert_private(response)
        page = text(response)
        assert "This link does not work" in page
        assert '<meta name="robots" content="noindex, nofollow">' in page
        assert made.title not in page
        pages.append(_without(page, token))
    assert all(page == pages[0] for page in pages)


def test_candidate_page_revoked_link_looks_like_any_bad_link(app, client):
    made = make_application(app)
    garbage = text(client.get("/candidature/garbage", headers=EN))
    set_fields(app, Application, made.application_id, link_key=new_link_key())
    response = client.get(f"/candidature/{made.token}", headers=EN)
    assert response.status_code == 404
    assert _without(text(response), made.token) == _without(garbage, "garbage")
    for document_id in made.document_ids:
        assert client.get(f"/candidature/{made.token}/documents/{document_id}").status_code == 404
    assert client.post(f"/candidature/{made.token}/retrait",
                       data={"withdraw-confirm": "y"}).status_code == 404
    with app.app_context():
        assert db.session.get(Application, made.application_id).withdrawn_at is None


# --- The candidate's own documents -----------------------------------------------------------


def test_candidate_downloads_their_own_document_as_an_attachment(app, client):
    made = make_application(app)
    response = client.get(f"/candidature/{made.token}/documents/{made.document_ids[0]}")
    assert response.status_code == 200
    assert response.data == CV
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"CV Lea Martin.pdf\"; filename*=UTF-8''CV%20L%C3%A9a%20Martin.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert_private(response)
    letter = client.get(f"/candidature/{made.token}/documents/{made.document_ids[1]}")
    assert letter.data == LETTER
    assert letter.headers["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert letter.headers["Content-Disposition"] == 'attachment; filename="Lettre.odt"'


def test_candidate_cannot_download_another_candidates_document(app, client):
    mine = make_application(app)
    theirs = make_application(app, email="someone.else@example.com")
    for document_id in theirs.document_ids:
        response = client.get(f"/candidature/{mine.token}/documents/{document_id}")
        assert response.status_code == 404
    assert client.get(f"/candidature/{mine.token}/documents/999999").status_code == 404


def test_candidate_page_links_nowhere_outside_the_site(app, client):
    """No link on the page leads off the site with the token in a Referer."""
    made = make_application(app)
    page = text(client.get(f"/candidature/{made.token}", headers=EN))
    external = [h for h in re.findall(r'href="([^"]+)"', page) if h.startswith("http")]
    assert external == []


def test_candidate_page_runs_few_queries(app, client, queries):
    made = make_application(app)
    with queries() as count:
        assert client.get(f"/candidature/{made.token}").status_code == 200
    assert count() <= 8
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 2
