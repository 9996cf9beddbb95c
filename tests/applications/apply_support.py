"""Helpers of the application-form tests: an open offer, a filled form, row counts."""

from __future__ import annotations

import io
from dataclasses import dataclass

import sqlalchemy as sa

from tests import factories
from tests.files import make_docx, make_odt, make_pdf
from tracker.accounts.models import Organisation
from tracker.applications.models import Application, Candidate, Document, Submission
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import Message, MessageAttachment
from tracker.postings.models import PostingStatus

EN = {"Accept-Language": "en"}
COUNTED = {
    "candidate": Candidate,
    "application": Application,
    "submission": Submission,
    "document": Document,
    "message": Message,
    "message_attachment": MessageAttachment,
}


@dataclass(frozen=True)
class Offer:
    id: int
    slug: str
    organisation_slug: str

    @property
    def url(self) -> str:
        return f"/offres/{self.id}-{self.slug}"

    @property
    def apply_url(self) -> str:
        return f"{self.url}/apply"


def make_offer(app, *, status=PostingStatus.PUBLISHED, organisation_id: int | None = None,
               **fields) -> Offer:
    """An offer (published by default) of a fresh organisation (or the given one), committed."""
    with app.app_context():
        org_fields = fields.pop("org_fields", {})
        if organisation_id is not None:
            org = db.session.get(Organisation, organisation_id)
        else:
            org = factories.organisation(**org_fields)
        posting = factories.posting(org, status=status, **fields)
        db.session.commit()
        return Offer(posting.id, posting.slug, org.slug)


def form_data(**overrides) -> dict:
    """A complete, valid application: a PDF CV and a DOCX letter."""
    data = {
        "first_name": "Léa",
        "last_name": "Martin",
        "email": "lea.martin@example.com",
        "phone": "06 12 34 56 78",
        "cv": (io.BytesIO(make_pdf()), "CV Léa Martin.pdf"),
        "letter": (io.BytesIO(make_docx()), "Lettre de motivation.docx"),
        "letter_text": "",
        "message": "Je serais ravie d'échanger avec vous.",
        "consent": "y",
        "website": "",
    }
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def upload(content: bytes, filename: str):
    return (io.BytesIO(content), filename)


def odt_upload(filename: str = "Lettre.odt"):
    return upload(make_odt(), filename)


def counts(app) -> dict[str, int]:
    with app.app_context():
        result = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in COUNTED.items()
        }
        result["event"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(
                Event.object_type == "application"
            )
        )
        return result


def post_application(client, offer: Offer, headers=EN, **overrides):
    return client.post(offer.apply_url, data=form_data(**overrides), headers=headers,
                       content_type="multipart/form-data")
