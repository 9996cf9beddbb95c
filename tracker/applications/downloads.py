"""Handing a candidate's document out: as an attachment, never rendered by the browser.

Shared by the back office (members of the organisation) and the candidate's private link
(their own documents). Callers authorise; this only builds the response.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response
from flask_babel import get_locale

from tracker.applications.models import Document

# Characters never allowed in a download name: controls (incl. the bidirectional ones that
# make "cv[RLO]fdp.exe" read as "cvexe.pdf"), path separators, quotes and the characters
# Windows refuses.
_UNSAFE = re.compile(
    r'[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff/\\"<>:|?*;]+'
)
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]+")


def safe_filename(name: str, fallback: str = "document") -> str:
    """The stored name without anything that could break a header or a file system."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.sub(r"\s+", " ", _UNSAFE.sub("_", name)).strip(" ._")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        keep = dot + extension if dot and stem and len(extension) <= 10 else ""
        name = name[: 200 - len(keep)].rstrip(" ._") + keep
    return name or fallback


def ascii_filename(name: str, fallback: str = "document") -> str:
    """An ASCII stand-in for old clients: accents dropped, anything else replaced."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""

    def simplify(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        text = _ASCII_UNSAFE.sub("_", text)
        return re.sub(r"\s+", " ", re.sub(r"_+", "_", text)).strip(" ._")

    stem = simplify(stem)
    if not re.search(r"[A-Za-z0-9]", stem):
        stem = fallback
    extension = re.sub(r"[^A-Za-z0-9]", "", simplify(extension))[:10]
    return f"{stem}.{extension}" if extension else stem


def content_disposition(name: str) -> str:
    """``attachment`` with the file name per RFC 6266, UTF-8 (RFC 5987) when not ASCII."""
    name = safe_filename(name)
    plain = ascii_filename(name)
    value = f'attachment; filename="{plain}"'
    if plain != name:
        value += "; filename*=UTF-8''" + quote(name, safe="!#$&+-.^_`|~")
    return value


def document_response(document: Document, filename: str | None = None) -> Response:
    """The document's bytes as a download; the content must be loaded (undefer it).

    ``filename`` replaces the stored name (anonymised screening: no name in the file name).
    """
    response = Response(document.content, mimetype=document.media_type)
    response.headers["Content-Disposition"] = content_disposition(filename or document.filename)
    response.headers["Content-Length"] = str(len(document.content))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # Should a browser open it anyway, nothing in it may run in the site's origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def format_size(size: int) -> str:
    """182 ko / 182 kB, 1,4 Mo / 1.4 MB: as the emails write it, in the current language."""
    from tracker.mail.templates import size_text

    return size_text(size, str(get_locale() or "fr"))
