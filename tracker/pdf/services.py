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

Speed (see ``tracker.pdf.cache`` for the other half: public PDFs are rendered once per change):

- print.css is parsed once per process and thread (re-parsed when the file changes) and given
  to WeasyPrint as a ready ``CSS`` object, with a long-lived ``FontConfiguration`` (fontconfig
  set-up and Pango's font caches survive between renders);
- print.css avoids what WeasyPrint lays out slowly: the running footer is made of ``string-set``
  values printed in fixed-width page-margin boxes (a running element re-lays out the pages it
  appears on, and flex or auto-width margin boxes measure their content on every page), and
  the summary table has a fixed layout (no min/max-content measuring of every cell).
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import weasyprint
from babel import Locale
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy.orm import selectinload
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.routing import BuildError
from werkzeug.security import safe_join

from tracker.accounts.models import Organisation
from tracker.board.services import open_postings_filter
from tracker.db import db, utcnow
from tracker.i18n.formatting import NBSP
from tracker.pdf.cache import PdfCache
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


class _RefuseImports(URLFetcher):
    """print.css is ours and self-contained: it may not ``@import`` or load fonts."""

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        raise RefusedURL(f"print.css may not fetch {url!r}")


# One FontConfiguration and one parsed print.css per thread: Pango font maps are not meant to
# be shared between threads, and gunicorn's sync workers have a single thread anyway.
_renderer = threading.local()


def font_configuration() -> FontConfiguration:
    """This thread's long-lived font configuration (fonts come from fontconfig only)."""
    config = getattr(_renderer, "font_config", None)
    if config is None:
        config = _renderer.font_config = FontConfiguration()
    return config


def print_css_path(app=None) -> str:
    app = app or current_app
    return os.path.join(app.static_folder, "css", "print.css")


def print_stylesheet(app=None) -> CSS:
    """print.css, parsed once per thread and again only when the file changes."""
    path = print_css_path(app)
    stat = os.stat(path)
    version = (path, stat.st_mtime_ns, stat.st_size)
    cached = getattr(_renderer, "stylesheet", None)
    if cached is None or cached[0] != version:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        stylesheet = CSS(string=text, media_type="print", url_fetcher=_RefuseImports(),
                         font_config=font_configuration())
        cached = _renderer.stylesheet = (version, stylesheet)
    return cached[1]


def render_pdf(template_name: str, *, url_fetcher: PdfURLFetcher | None = None,
               **context) -> bytes:
    """Render ``template_name`` with ``context`` and return the PDF bytes.

    Templates get ``logo_src(organisation)`` for logos; print.css is applied to every document
    (parsed once, see ``print_stylesheet``). A template may still link a static stylesheet,
    fetched through ``PdfURLFetcher``; nothing else is fetched.
    """
    fetcher = url_fetcher or PdfURLFetcher.for_app()
    html = render_template(template_name, logo_src=fetcher.logo_src, notice_for=notice_for,
                           documents_text=documents_text, **context)
    document = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher,
                    media_type="print")
    return document.write_pdf(stylesheets=[print_stylesheet()],
                              font_config=font_configuration())


# -- what a public PDF depends on, and the cache ----------------------------------------------

# Bump when the output changes in a way the fingerprinted files below do not show (e.g. a
# WeasyPrint option): every cached PDF then gets a new key.
RENDER_VERSION = "2"
# The code that words the documents; it changes only with a deployment (a restart).
_WORDING_MODULES = (
    "tracker.pdf.services",
    "tracker.postings.display",
    "tracker.postings.markdown",
    "tracker.i18n.formatting",
)
_file_digests: dict[tuple[str, int, int], str] = {}
_file_digests_lock = threading.Lock()


def _file_digest(path: str) -> str:
    """sha256 of a file, memoised by (path, mtime, size): a stat per call, not a read."""
    try:
        stat = os.stat(path)
    except OSError:
        return "-"
    memo = (path, stat.st_mtime_ns, stat.st_size)
    digest = _file_digests.get(memo)
    if digest is None:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        with _file_digests_lock:
            _file_digests[memo] = digest
    return digest


def renderer_fingerprint(locale: str, app=None) -> str:
    """What every PDF depends on besides its data: templates, print.css, the catalogue of
    ``locale``, the wording code, WeasyPrint's version."""
    app = app or current_app
    files = []
    pdf_templates = os.path.join(app.template_folder, "pdf")
    files.extend(sorted(entry.path for entry in os.scandir(pdf_templates)
                        if entry.name.endswith(".html")))
    files.append(print_css_path(app))
    directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES") or ""
    for directory in directories.split(";"):
        if directory:
            files.append(os.path.join(directory, locale, "LC_MESSAGES", "messages.mo"))
    files.extend(getattr(sys.modules.get(name), "__file__", "") or name
                 for name in _WORDING_MODULES)
    parts = [RENDER_VERSION, weasyprint.__version__, locale]
    parts.extend(f"{os.path.basename(path)}:{_file_digest(path)}" for path in files)
    return _digest(parts)


def _digest(parts) -> str:
    return hashlib.sha256(repr(list(parts)).encode("utf-8")).hexdigest()


def _organisation_part(organisation: Organisation) -> tuple:
    # updated_at moves with every edit of the row: name, address, presentation, logo...
    return (organisation.id, organisation.updated_at.isoformat(), organisation.locale,
            organisation.timezone, organisation.logo_media_type)


def _posting_part(posting: Posting, now: datetime) -> tuple:
    # Contacts are rows of their own (editing them does not touch the posting's updated_at),
    # and a contact who is a user is printed with the user's current name and address.
    contacts = tuple(
        (c.role, c.position, c.display_name, c.display_email, c.job_title)
        for c in posting.contacts
    )
    return (posting.id, posting.slug, posting.updated_at.isoformat(), posting.status,
            posting.is_open(now), contacts)


@dataclass(frozen=True)
class PublicPdf:
    """A public PDF before it is rendered: its cache key (also its ETag), its file name, and
    how to render it."""

    key: str
    filename: str
    render: Callable[[], bytes]


def pdf_cache(app=None) -> PdfCache | None:
    """The instance's cache of public PDFs, or None when PDF_CACHE_ENABLED is off."""
    app = app or current_app
    if not app.config.get("PDF_CACHE_ENABLED", True):
        return None
    return PdfCache(
        os.path.join(app.instance_path, "pdf-cache"),
        max_files=app.config.get("PDF_CACHE_MAX_FILES", 200),
        max_bytes=app.config.get("PDF_CACHE_MAX_BYTES", 100 * 1024 * 1024),
    )


def public_pdf_bytes(document: PublicPdf) -> bytes:
    """The PDF, from the cache when it holds it, else rendered now (and cached)."""
    cache = pdf_cache()
    if cache is None:
        return document.render()
    return cache.get_or_render(document.key, document.render)


def offer_sheet_document(posting: Posting, now: datetime) -> PublicPdf:
    """The public sheet of a published, closed or filled offer."""
    organisation = posting.organisation
    key = _digest((
        "sheet", renderer_fingerprint(organisation.locale), site_root_url(), public_url(posting),
        _organisation_part(organisation), _posting_part(posting, now),
    ))
    return PublicPdf(key=key, filename=sheet_filename(posting),
                     render=lambda: offer_sheet_pdf(posting, now=now))


def booklet_document(organisation: Organisation, now: datetime) -> PublicPdf:
    """The booklet of the organisation's open offers (at most BOOKLET_MAX_OFFERS)."""
    postings, more = booklet_postings(organisation, now)
    key = _digest((
        "booklet", renderer_fingerprint(organisation.locale), site_root_url(),
        organisation_url(organisation), _organisation_part(organisation),
        organisation_today(organisation, now).isoformat(), more,
        *(_posting_part(posting, now) for posting in postings),
    ))
    return PublicPdf(
        key=key, filename=booklet_filename(organisation),
        render=lambda: booklet_pdf(organisation, now=now, postings=postings, more=more),
    )


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


def open_postings(organisation: Organisation, now: datetime,
                  limit: int | None = None) -> list[Posting]:
    """The organisation's offers taking applications at ``now``, soonest deadline first."""
    query = (
        sa.select(Posting)
        .where(Posting.organisation_id == organisation.id, open_postings_filter(now))
        .options(selectinload(Posting.contacts).joinedload(PostingContact.user))
        .order_by(Posting.deadline, Posting.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def booklet_postings(organisation: Organisation, now: datetime) -> tuple[list[Posting], int]:
    """The open offers a booklet prints (at most BOOKLET_MAX_OFFERS, soonest deadline first)
    and how many more are open but left out."""
    limit = max(int(current_app.config.get("BOOKLET_MAX_OFFERS", 50)), 1)
    postings = open_postings(organisation, now, limit=limit)
    if len(postings) < limit:
        return postings, 0
    total = db.session.scalar(
        sa.select(sa.func.count(Posting.id)).where(
            Posting.organisation_id == organisation.id, open_postings_filter(now)
        )
    )
    return postings, max(total - len(postings), 0)


def organisation_today(organisation: Organisation, now: datetime):
    return now.astimezone(ZoneInfo(organisation.timezone)).date()


def booklet_pdf(organisation: Organisation, *, now: datetime | None = None,
                postings: list[Posting] | None = None, more: int = 0) -> bytes:
    """A cover page, then one sheet per open offer (each on new pages).

    ``postings`` (and ``more``, how many open offers are left out) default to
    ``booklet_postings()``. With no open offer the booklet is a single page saying so,
    linking to the board.
    """
    now = now or utcnow()
    if postings is None:
        postings, more = booklet_postings(organisation, now)
    with force_locale(organisation.locale):
        return render_pdf(
            "pdf/booklet.html",
            organisation=organisation,
            postings=postings,
            more_count=more,
            offer_urls={p.id: public_url(p) for p in postings},
            organisation_url=organisation_url(organisation),
            now=now,
            today=organisation_today(organisation, now),
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
