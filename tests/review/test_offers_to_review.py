"""The offers list tells each reviewer how many applications still wait for their review."""

from __future__ import annotations

import re

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus
from tracker.review.models import Recommendation, Review
from tracker.review.stages import move_application, stage_of_kind

EN = {"Accept-Language": "en"}


def _badges(html: str) -> dict[str, str]:
    """offer id -> the text of its 'to review by me' badge."""
    found = re.findall(r'offres/(\d+)/candidatures\?vue=a-evaluer">([^<]+)</a>', html)
    return {posting_id: text for posting_id, text in found}


def test_offers_list_counts_what_i_have_left_to_review(app, client, login):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN)
        lead = factories.user(org, Role.LEAD)
        mine = factories.posting(org, status=PostingStatus.PUBLISHED, title="Stage")
        other = factories.posting(org, status=PostingStatus.PUBLISHED, title="CDD")
        factories.reviewer(mine, lead)
        factories.reviewer(other, admin)
        apps = [factories.application(mine, email=f"c{i}@example.com") for i in range(4)]
        factories.application(other)
        # Reviewed by me, rejected, withdrawn: none of these is left to review.
        db.session.add(Review(application_id=apps[0].id, reviewer_id=lead.id,
                              recommendation=Recommendation.YES))
        move_application(apps[1], stage_of_kind(org.id, "rejected"), actor=admin,
                         reason="profile", queue_email=False)
        apps[2].withdrawn_at = utcnow()
        db.session.commit()
        ids = {"mine": str(mine.id), "other": str(other.id)}
        emails = {"lead": lead.email, "admin": admin.email}
        slug = org.slug

    login(emails["lead"])
    html = client.get(f"/gestion/{slug}/offres/", headers=EN).get_data(as_text=True)
    assert _badges(html) == {ids["mine"]: "1 to review by me"}

    client.post("/deconnexion")
    login(emails["admin"])
    html = client.get(f"/gestion/{slug}/offres/", headers=EN).get_data(as_text=True)
    # The admin reviews only the other offer: no reminder on the lead's.
    assert _badges(html) == {ids["other"]: "1 to review by me"}
