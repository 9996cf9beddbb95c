"""Leads see the offers they review only: in the offers list, its counts, and the dashboards."""

from __future__ import annotations

import re

from tests import factories
from tests.review.dashboard_support import EN, add, html_of, make_office
from tracker.accounts.models import Organisation
from tracker.db import db
from tracker.postings.models import PostingStatus


def test_a_lead_sees_only_the_offers_they_review_and_their_counts(app, client, login):
    office = make_office(app, title="Offre relue")
    add(app, office)
    with app.app_context():
        org = db.session.get(Organisation, office.org_id)
        hidden = factories.posting(org, status=PostingStatus.PUBLISHED, title="Offre cachée")
        factories.posting(org, title="Brouillon caché")
        factories.application(hidden)
        db.session.commit()
        hidden_id = hidden.id
    login(office.lead)
    html = html_of(client.get(f"/gestion/{office.org_slug}/offres/", headers=EN))
    assert "Offre relue" in html
    assert "Offre cachée" not in html and "Brouillon caché" not in html
    tabs = dict(re.findall(r'\n\s*([A-Za-z]+)\n\s*<span class="tab-count">(\d+)</span>', html))
    assert tabs["All"] == "1" and tabs["Published"] == "1" and tabs["Draft"] == "0"
    assert client.get(f"/gestion/{office.org_slug}/offres/{hidden_id}/candidatures"
                      ).status_code == 404
    client.post("/deconnexion")
    login(office.admin)
    html = html_of(client.get(f"/gestion/{office.org_slug}/offres/", headers=EN))
    assert "Offre relue" in html and "Offre cachée" in html and "Brouillon caché" in html
    tabs = dict(re.findall(r'\n\s*([A-Za-z]+)\n\s*<span class="tab-count">(\d+)</span>', html))
    assert tabs["All"] == "3" and tabs["Published"] == "2" and tabs["Draft"] == "1"


def test_a_removed_reviewer_loses_the_offer(app, client, login):
    office = make_office(app)
    with app.app_context():
        from tracker.review.models import PostingReviewer

        row = db.session.scalar(db.select(PostingReviewer).where(
            PostingReviewer.posting_id == office.posting_id))
        row.active = False
        db.session.commit()
    login(office.lead)
    assert client.get(office.list_url).status_code == 404
    html = html_of(client.get(f"/gestion/{office.org_slug}/offres/", headers=EN))
    assert "No offer yet." in html
