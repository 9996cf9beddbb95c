"""The public job board: open offers, organisation pages, offer pages, the Atom feed, logos."""

from __future__ import annotations

import hashlib
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from tracker.board import services
from tracker.board.feed import atom_feed
from tracker.board.forms import BoardFilterForm
from tracker.board.jsonld import safe_http_url
from tracker.board.offer_page import build_offer_page
from tracker.db import utcnow

bp = Blueprint("board", __name__)

LOGO_MAX_AGE = 3600
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.app_template_global()
def offer_page(posting, preview=False):
    """Everything detail.html shows of ``posting`` (see tracker.board.offer_page)."""
    return build_offer_page(posting, preview=bool(preview))


@bp.get("/")
def index():
    now = utcnow()
    form = BoardFilterForm(formdata=request.args, organisations=services.board_organisations(now))
    filters = form.filters()
    page = services.page_number(request.args.get("page"))
    pagination = services.search_open_postings(
        filters, now=now, page=page, per_page=current_app.config["BOARD_PAGE_SIZE"]
    )
    return render_template(
        "board/index.html",
        form=form,
        filters=filters,
        filter_args=form.query_args(filters),
        cities=services.board_cities(now),
        pagination=pagination,
    )


@bp.get("/organisations/<org_slug>")
def organisation(org_slug: str):
    now = utcnow()
    org = services.organisation_or_404(org_slug)
    return render_template(
        "board/organisation.html",
        organisation=org,
        website=safe_http_url(org.website),
        open_postings=services.organisation_open_postings(org, now),
        closed_postings=services.organisation_recently_closed(org, now),
    )


def _canonical_redirect(posting):
    target = url_for("board.detail", posting_id=posting.id, slug=posting.slug)
    query = request.query_string.decode("utf-8", "replace")
    return redirect(f"{target}?{query}" if query else target, code=301)


@bp.get("/offres/<int:posting_id>")
def detail_short(posting_id: int):
    return _canonical_redirect(services.public_posting_or_abort(posting_id))


@bp.get("/offres/<int:posting_id>-<slug:slug>")
def detail(posting_id: int, slug: str):
    posting = services.public_posting_or_abort(posting_id)
    if slug != posting.slug:
        return _canonical_redirect(posting)
    return render_template("board/detail.html", posting=posting, preview=False)


@bp.get("/offres.atom")
def feed():
    now = utcnow()
    body = atom_feed(services.feed_postings(now), now=now)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


@bp.get("/organisations/<org_slug>/logo")
def logo(org_slug: str):
    org = services.organisation_or_404(org_slug, with_logo=True)
    if org.logo is None or not org.logo_media_type:
        abort(404)
    response = send_file(
        BytesIO(org.logo),
        mimetype=org.logo_media_type,
        etag=hashlib.sha256(org.logo).hexdigest(),
        max_age=LOGO_MAX_AGE,
        conditional=True,
        last_modified=org.updated_at,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own must not run scripts in the site's origin.
    response.headers["Content-Security-Policy"] = LOGO_CSP
    response.cache_control.public = True
    return response
