"""PDF offer sheets: one offer, or every open offer of an organisation in one booklet."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, request, url_for
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Organisation
from tracker.accounts.rules import org_required
from tracker.review.access import posting_or_404
from tracker.board.services import public_posting_or_abort
from tracker.db import db, utcnow
from tracker.pdf import services
from tracker.postings.models import Posting, PostingContact

bp = Blueprint("pdf", __name__)
bp.add_app_template_filter(services.quoted, "quoted")

# Public sheets may be cached briefly by browsers and proxies: they change only when the offer
# is edited or closed, and are the same for every visitor (printed in the organisation's
# language, not the visitor's). After that, the ETag (the server cache's key) lets a browser
# revalidate with a 304 instead of downloading the file again.
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-store"


def pdf_response(data: bytes, filename: str, cache_control: str,
                 etag: str | None = None) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=filename)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    if etag:
        response.set_etag(etag)
    return response


def public_pdf_response(document: services.PublicPdf) -> Response:
    """304 when the visitor holds this very PDF, else the PDF (from the server's cache)."""
    if request.if_none_match.contains_weak(document.key):
        response = Response(status=304)
        response.set_etag(document.key)
        response.headers["Cache-Control"] = PUBLIC_CACHE
        return response
    data = services.public_pdf_bytes(document)
    return pdf_response(data, document.filename, PUBLIC_CACHE, etag=document.key)


@bp.get("/offres/<int:posting_id>-<slug:slug>.pdf")
def offer_sheet(posting_id: int, slug: str):
    posting = public_posting_or_abort(posting_id)
    if slug != posting.slug:
        return redirect(
            url_for(".offer_sheet", posting_id=posting.id, slug=posting.slug), code=301
        )
    return public_pdf_response(services.offer_sheet_document(posting, utcnow()))


@bp.get("/gestion/<org_slug>/offres/<int:posting_id>/fiche.pdf")
@org_required()
def offer_sheet_draft(posting_id: int):
    """Any offer of the organisation, drafts included, for its members (never cached: a
    draft changes at every save and is seen by a few people)."""
    posting = posting_or_404(
        posting_id, selectinload(Posting.contacts).joinedload(PostingContact.user))
    data = services.offer_sheet_pdf(posting)
    return pdf_response(data, services.sheet_filename(posting), PRIVATE_CACHE)


@bp.get("/organisations/<org_slug>/offres.pdf")
def booklet(org_slug: str):
    organisation = db.first_or_404(sa.select(Organisation).where(Organisation.slug == org_slug))
    return public_pdf_response(services.booklet_document(organisation, utcnow()))
