"""Helpers of the dashboard, application page, viewer and redacted-copy tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Role
from tracker.applications.models import Application, Candidate, Submission
from tracker.db import db, utcnow
from tracker.postings.models import Posting, PostingStatus
from tracker.review.models import Review, Stage

EN = {"Accept-Language": "en"}


@dataclass
class Office:
    org_slug: str
    org_id: int
    admin: str
    admin_id: int
    lead: str
    lead_id: int
    posting_id: int

    @property
    def list_url(self) -> str:
        return f"/gestion/{self.org_slug}/offres/{self.posting_id}/candidatures"

    def page_url(self, application_id: int) -> str:
        return f"/gestion/{self.org_slug}/candidatures/{application_id}"

    def document_url(self, document_id: int, suffix: str = "") -> str:
        return f"/gestion/{self.org_slug}/documents/{document_id}{suffix}"


def make_office(app, **posting_fields) -> Office:
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN)
        lead = factories.user(org, Role.LEAD)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, **posting_fields)
        factories.reviewer(posting, lead)
        db.session.commit()
        return Office(org.slug, org.id, admin.email, admin.id, lead.email, lead.id, posting.id)


def add(app, office: Office, *, minutes_ago: int = 0, **fields) -> int:
    """One application (factories.application), received ``minutes_ago``; returns its id."""
    with app.app_context():
        posting = db.session.get(Posting, office.posting_id)
        application = factories.application(posting, **fields)
        application.submitted_at = utcnow() - timedelta(minutes=minutes_ago)
        application.last_submitted_at = application.submitted_at
        db.session.commit()
        return application.id


def stage_id(app, office: Office, key: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Stage.id).where(
            Stage.organisation_id == office.org_id, Stage.key == key))


def update(app, application_id: int, **values) -> None:
    with app.app_context():
        application = db.session.get(Application, application_id)
        for name, value in values.items():
            setattr(application, name, value)
        db.session.commit()


def review(app, application_id: int, user_id: int, score: str | None = "4.0") -> None:
    """A review by ``user_id`` (straight in the model), the application's score set to it."""
    with app.app_context():
        db.session.add(Review(application_id=application_id, reviewer_id=user_id,
                              recommendation="yes",
                              score=Decimal(score) if score else None))
        application = db.session.get(Application, application_id)
        application.review_count += 1
        application.score = Decimal(score) if score else None
        db.session.commit()


def bulk_applications(app, office: Office, n: int) -> list[int]:
    """``n`` applications inserted in bulk (fast), some scored and reviewed by the lead."""
    with app.app_context():
        posting = db.session.get(Posting, office.posting_id)
        stage = db.session.scalar(sa.select(Stage).where(
            Stage.organisation_id == office.org_id, Stage.key == "received"))
        now = utcnow()
        db.session.execute(sa.insert(Candidate), [
            {"organisation_id": office.org_id, "first_name": "Léa", "last_name": f"Nom{i:05d}",
             "email": f"bulk{posting.id}-{i}@example.com", "phone": "06 00 00 00 00",
             "created_at": now, "updated_at": now}
            for i in range(n)])
        candidate_ids = db.session.scalars(
            sa.select(Candidate.id).where(Candidate.email.like(f"bulk{posting.id}-%"))
            .order_by(Candidate.id)).all()
        db.session.execute(sa.insert(Application), [
            {"organisation_id": office.org_id, "posting_id": posting.id, "candidate_id": cid,
             "reference": f"B{posting.id}-{i:06d}", "channel": "form", "locale": "fr",
             "link_key": f"k{i}", "submitted_at": now - timedelta(minutes=i),
             "last_submitted_at": now - timedelta(minutes=i), "consent_at": now,
             "retain_until": now + timedelta(days=700), "stage_id": stage.id,
             "stage_changed_at": now, "decision_reason": "", "review_count": i % 2,
             "score": Decimal("3.5") if i % 2 else None,
             "created_at": now, "updated_at": now}
            for i, cid in enumerate(candidate_ids)])
        ids = db.session.scalars(sa.select(Application.id).where(
            Application.posting_id == posting.id).order_by(Application.id)).all()
        db.session.execute(sa.insert(Submission), [
            {"application_id": aid, "version": 1, "channel": "form", "message": "Bonjour",
             "letter_text": "", "submitted_at": now} for aid in ids])
        db.session.execute(sa.insert(Review), [
            {"application_id": aid, "reviewer_id": office.lead_id, "recommendation": "yes",
             "comment": "", "score": Decimal("3.5"), "created_at": now, "updated_at": now}
            for i, aid in enumerate(ids) if i % 2])
        db.session.commit()
        return list(ids)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed(html: str) -> list[str]:
    """The candidate labels of the list, in order."""
    import re

    return re.findall(r'<td class="cell-candidate">\s*<a href="[^"]*">([^<]*)</a>', html)
