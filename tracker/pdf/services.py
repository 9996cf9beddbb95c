"""PDF documents, made in one place (like Indico's ``create_pdf``).

``render_pdf(template, **context)`` renders a Jinja template to HTML and hands it to WeasyPrint
with ``PdfURLFetcher``, a fetcher that refuses every URL except

- the project's own static files (``<site root>/static/...``, read from ``app.static_folder``,
  never outside it), and
- the logos of the organisations the template asked for, read from the database through the
  private ``tracker-logo:<organisation id>`` scheme (see ``PdfURLFetcher.logo_src``).

External http(s), ``file:``, ``ftp:``, ``data:`` and anything else raise ``RefusedURL``:
WeasyPrint then logs a warning and leaves the resource out, and we log the refusal too. So
nothing typed into an offer (or a compromised template) can make the server read its own files
or call another host while printing.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from datetime import datetime
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel import Locale
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy.orm import selectinload
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.routing import BuildError
from werkzeug.security import safe_join

from tracker.accounts.models import Organisation
from tracker.board.services import open_postings_filter
from tracker.db import db, utcnow
from tracker.i18n.formatting import NBSP
from tracker.postings.display import documents_text
from tracker.postings.models import Posting, PostingContact, PostingStatus

log = logging.getLogger(__name__)

LOGO_SCHEME = "tracker-logo"
# Used as the document's base URL when no public address is known (command line, no
# SERVER_NAME): relative URLs resolve against it and only its /static/ files are served.
FALLBACK_BASE_URL = "http://localhost/"


class RefusedURL(ValueError):
    """A URL the PDF renderer will not fetch."""


class PdfURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher limited to our static files and our organisations' logos."""

    def __init__(self, *, base_url: str, static_folder: str, static_url_path: str) -> None:
        # No network, no redirects: the parent's opener is never used (fetch is replaced).
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False)
        parts = urlsplit(base_url)
        self.base_url = base_url
        self._origin = (parts.scheme.lower(), parts.netloc.lower())
        self._static_root = os.path.realpath(static_folder)
        self._static_prefix = static_url_path.rstrip("/") + "/"
        self._logo_ids: set[int] = set()
        self.opened: list[str] = []  # files actually read, for tests and logs

    @classmethod
    def for_app(cls, app=None) -> PdfURLFetcher:
        app = app or current_app
        return cls(
            base_url=site_root_url(),
            static_folder=app.static_folder,
            static_url_path=app.static_url_path,
        )

    # -- what templates call ------------------------------------------------------------------
    def logo_src(self, organisation: Organisation | None) -> str:
        """The ``src`` for an organisation's logo, or '' when it has none."""
        if organisation is None or not organisation.has_logo:
            return ""
        self._logo_ids.add(organisation.id)
        return f"{LOGO_SCHEME}:{organisation.id}"

    # -- what WeasyPrint calls ----------------------------------------------------------------
    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            return self._fetch(url)
        except RefusedURL as refusal:
            log.warning("PDF: refused to fetch %r: %s", url, refusal)
            raise

    def _fetch(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == LOGO_SCHEME:
            return self._logo(url, parts.path)
        if scheme not in ("http", "https"):
            raise RefusedURL(f"scheme {scheme or '(none)'!r} is not allowed")
        if (scheme, parts.netloc.lower()) != self._origin:
            raise RefusedURL("not this site")
        if not parts.path.startswith(self._static_prefix):
            raise RefusedURL("not a static file")
        relative = unquote(parts.path[len(self._static_prefix):])
        if "\x00" in relative or "\\" in relative:
            raise RefusedURL("invalid path")
        path = safe_join(self._static_root, relative)
        if path is None:
            raise RefusedURL("path leaves the static folder")
        real = os.path.realpath(path)
        if not real.startswith(self._static_root + os.sep) or not os.path.isfile(real):
            raise RefusedURL("no such static file")
        media_type = mimetypes.guess_type(real)[0] or "application/octet-stream"
        with open(real, "rb") as handle:
            body = handle.read()
        self.opened.append(real)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})

    def _logo(self, url: str, path: str) -> URLFetcherResponse:
        try:
            organisation_id = int(path)
        except ValueError:
            raise RefusedURL("malformed logo URL") from None
        if organisation_id not in self._logo_ids:
            raise RefusedURL("logo not asked for by this document")
        row = db.session.execute(
            sa.select(Organisation.logo, Organisation.logo_media_type).where(
                Organisation.id == organisation_id
            )
        ).one_or_none()
        if row is None or row.logo is None:
            raise RefusedURL("no such logo")
        return URLFetcherResponse(url, body=bytes(row.logo),
                                  headers={"Content-Type": row.logo_media_type})


def site_root_url() -> str:
    """The site's public root ('https://emplois.example.org/'), or a local stand-in."""
    try:
        return url_for("board.index", _external=True)
    except (RuntimeError, BuildError):
        return FALLBACK_BASE_URL


def render_pdf(template_name: str, *, url_fetcher: PdfURLFetcher | None = None,
               **context) -> bytes:
    """Render ``template_name`` with ``context`` and return the PDF bytes.

    Templates get ``logo_src(organisation)`` for logos and load ``print.css`` with
    ``url_for('static', ...)``; nothing else is fetched.
    """
    fetcher = url_fetcher or PdfURLFetcher.for_app()
    html = render_template(template_name, logo_src=fetcher.logo_src, notice_for=notice_for,
                           documents_text=documents_text, **context)
    document = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher,
                    media_type="print")
    return document.write_pdf()


# -- the documents --------------------------------------------------------------------------

def quoted(text: str, locale: str | None = None) -> str:
    """Text between the language's quotation marks: « objet » in French, “subject” in English."""
    from flask_babel import get_locale

    loc = Locale.parse(locale or str(get_locale() or "fr"))
    if loc.language == "fr":
        return f"«{NBSP}{text}{NBSP}»"
    return f"{loc.quotation_start}{text}{loc.quotation_end}"


def public_url(posting: Posting) -> str:
    """The offer's public page, absolute (printed on the sheet)."""
    try:
        return url_for("board.detail", posting_id=posting.id, slug=posting.slug, _external=True)
    except BuildError:
        # The board's detail view is registered by the board domain; until it is, build the
        # agreed address (/offres/<id>-<slug>) so the sheet never loses its link.
        return f"{site_root_url().rstrip('/')}/offres/{posting.id}-{posting.slug}"


def sheet_filename(posting: Posting) -> str:
    return f"{posting.organisation.slug}-{posting.slug}.pdf"


def booklet_filename(organisation: Organisation) -> str:
    return f"{organisation.slug}-offres.pdf"


def offer_sheet_pdf(posting: Posting, *, now: datetime | None = None) -> bytes:
    """One offer on its own, in the organisation's language."""
    now = now or utcnow()
    with force_locale(posting.organisation.locale):
        return render_pdf(
            "pdf/offer.html",
            posting=posting,
            organisation=posting.organisation,
            now=now,
            offer_url=public_url(posting),
        )


def open_postings(organisation: Organisation, now: datetime) -> list[Posting]:
    """The organisation's offers taking applications at ``now``, soonest deadline first."""
    return list(
        db.session.scalars(
            sa.select(Posting)
            .where(Posting.organisation_id == organisation.id, open_postings_filter(now))
            .options(selectinload(Posting.contacts).joinedload(PostingContact.user))
            .order_by(Posting.deadline, Posting.id)
        )
    )


def booklet_pdf(organisation: Organisation, *, now: datetime | None = None) -> bytes:
    """A cover page, then one sheet per open offer (each on new pages).

    With no open offer the booklet is a single page saying so, linking to the board.
    """
    now = now or utcnow()
    postings = open_postings(organisation, now)
    with force_locale(organisation.locale):
        return render_pdf(
            "pdf/booklet.html",
            organisation=organisation,
            postings=postings,
            offer_urls={p.id: public_url(p) for p in postings},
            organisation_url=organisation_url(organisation),
            now=now,
            today=now.astimezone(ZoneInfo(organisation.timezone)).date(),
        )


def organisation_url(organisation: Organisation) -> str:
    try:
        return url_for("board.organisation", org_slug=organisation.slug, _external=True)
    except BuildError:
        return f"{site_root_url().rstrip('/')}/organisations/{organisation.slug}"


def notice_for(posting: Posting, now: datetime) -> str:
    """Why this sheet is not (or no longer) an open call, or ''."""
    from flask_babel import gettext as _

    status = PostingStatus(posting.status)
    if status == PostingStatus.DRAFT:
        return _("Draft: this offer is not published.")
    if status == PostingStatus.FILLED:
        return _("This position has been filled.")
    if status == PostingStatus.ARCHIVED:
        return _("This offer has been withdrawn.")
    if not posting.is_open(now):
        return _("This offer is closed: applications are no longer accepted.")
    return ""
