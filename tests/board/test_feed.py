"""The Atom feed of open offers."""

from __future__ import annotations

from datetime import timedelta

import feedparser

from tests import factories
from tests.board.helpers import expired, published
from tracker.db import db
from tracker.postings.models import PostingStatus


def test_feed_is_valid_atom_with_open_offers_newest_first(app, en_client):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré")
        older = published(org, title="Older offer")
        older.published_at = older.published_at - timedelta(days=3)
        newer = published(org, title="Newer offer")
        factories.posting(org, title="Draft offer")
        factories.posting(org, title="Closed offer", status=PostingStatus.CLOSED)
        expired(org, title="Expired offer")
        db.session.commit()
        newer_url = f"http://tracker.test/offres/{newer.id}-{newer.slug}"
        older_url = f"http://tracker.test/offres/{older.id}-{older.slug}"
        org_url = f"http://tracker.test/organisations/{org.slug}"
        newer_id, older_id = newer.id, older.id

    response = en_client.get("/offres.atom")
    parsed = feedparser.parse(response.data)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Job offers"
    assert parsed.feed.id == "http://tracker.test/"
    assert parsed.feed.link == "http://tracker.test/"
    assert [e.title for e in parsed.entries] == ["Newer offer", "Older offer"]
    assert [e.link for e in parsed.entries] == [newer_url, older_url]
    assert parsed.entries[0].id.startswith("tag:tracker.test,")
    assert parsed.entries[0].id.endswith(f":offre-{newer_id}")
    assert parsed.entries[1].id.endswith(f":offre-{older_id}")
    assert parsed.entries[0].author == "Villes au Carré"
    assert parsed.entries[0].author_detail.href == org_url
    assert parsed.entries[0].tags[0].term == "cdd"
    assert parsed.entries[0].updated_parsed is not None
    summary = parsed.entries[0].summary
    assert summary.startswith("Fixed-term contract (CDD) · Nantes · 12 months")
    assert "Deadline: until" in summary
    assert "Soutenir le fonctionnement animer les réunions Être en veille" in summary


def test_feed_keeps_ampersand_and_angle_brackets_escaped(app, en_client):
    with app.app_context():
        org = factories.organisation(name="Arts & <Quartiers>")
        published(org, title="Médiation <numérique> & culture", missions="- Ateliers <b> & co")
        db.session.commit()

    response = en_client.get("/offres.atom")
    raw = response.get_data(as_text=True)
    parsed = feedparser.parse(response.data)

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert "Médiation &lt;numérique&gt; &amp; culture" in raw
    assert "Arts &amp; &lt;Quartiers&gt;" in raw
    assert parsed.entries[0].title == "Médiation <numérique> & culture"
    assert parsed.entries[0].author == "Arts & <Quartiers>"
    assert "Ateliers <b> & co" in parsed.entries[0].summary


def test_feed_drops_characters_xml_forbids(app, en_client):
    with app.app_context():
        published(factories.organisation(), title="Offre\x0b copiée d'un PDF\x01")
        db.session.commit()

    parsed = feedparser.parse(en_client.get("/offres.atom").data)

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries[0].title == "Offre copiée d'un PDF"


def test_feed_empty_is_still_valid(app, en_client):
    parsed = feedparser.parse(en_client.get("/offres.atom").data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries == []
    assert parsed.feed.updated_parsed is not None
