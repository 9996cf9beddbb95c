"""An organisation's public page and its logo."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from tests import factories
from tests.board.helpers import expired, main_html, published
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_organisation_page_shows_presentation_website_offers_and_booklet(app, en_client):
    with app.app_context():
        org = factories.organisation(
            name="Villes au Carré",
            presentation="Centre de ressources **depuis 2007**.\n\n- Tours\n- Orléans",
            website="https://www.villesaucarre.example.org/",
        )
        other = factories.organisation(name="RésO Villes")
        published(org, title="Open later", deadline=factories.future(20))
        published(org, title="Open soon", deadline=factories.future(5))
        factories.posting(org, title="Closed offer", status=PostingStatus.CLOSED)
        factories.posting(org, title="Filled offer", status=PostingStatus.FILLED)
        expired(org, title="Expired offer")
        factories.posting(org, title="Draft offer")
        factories.posting(org, title="Archived offer", status=PostingStatus.ARCHIVED)
        published(other, title="Someone else's offer")
        db.session.commit()
        slug = org.slug

    response = en_client.get(f"/organisations/{slug}")
    html = main_html(response.get_data(as_text=True))

    assert response.status_code == 200
    assert "<h1>Villes au Carré</h1>" in html
    assert "Centre de ressources <strong>depuis 2007</strong>." in html
    assert "<li>Tours</li>" in html
    assert 'href="https://www.villesaucarre.example.org/"' in html
    assert f'href="/organisations/{slug}/offres.pdf"' in html
    open_part, closed_part = html.split("Recently closed offers")
    assert open_part.index("Open soon") < open_part.index("Open later")
    assert "Open offers <span class=\"muted\">(2)</span>" in open_part
    for title in ("Closed offer", "Filled offer", "Expired offer"):
        assert title in closed_part, title
        assert title not in open_part, title
    for title in ("Draft offer", "Archived offer", "Someone else's offer", "RésO Villes"):
        assert title not in html, title


def test_organisation_page_without_open_offers(app, en_client):
    with app.app_context():
        org = factories.organisation(website="javascript:alert(1)")
        old = factories.posting(org, title="Old closed offer", status=PostingStatus.CLOSED)
        old.closed_at = utcnow() - timedelta(days=400)
        db.session.commit()
        slug = org.slug

    html = en_client.get(f"/organisations/{slug}").get_data(as_text=True)

    assert "This organisation has no open offer at the moment." in html
    assert "offres.pdf" not in html
    assert "Old closed offer" not in html
    assert "javascript:" not in html


def test_organisation_unknown_slug_is_404(app, en_client):
    assert en_client.get("/organisations/nobody").status_code == 404
    assert en_client.get("/organisations/nobody/logo").status_code == 404


def test_logo_served_with_media_type_nosniff_and_cache_headers(app, client):
    with app.app_context():
        org = factories.organisation(logo=PNG, logo_media_type="image/png")
        db.session.commit()
        slug = org.slug

    response = client.get(f"/organisations/{slug}/logo")

    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_logo_conditional_request_gets_304(app, client):
    with app.app_context():
        org = factories.organisation(logo=PNG, logo_media_type="image/png")
        db.session.commit()
        slug = org.slug
    etag = client.get(f"/organisations/{slug}/logo").headers["ETag"]

    response = client.get(f"/organisations/{slug}/logo", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""


def test_logo_missing_is_404(app, client):
    with app.app_context():
        org = factories.organisation()
        db.session.commit()
        slug = org.slug

    assert client.get(f"/organisations/{slug}/logo").status_code == 404
