"""Showing candidates' documents in the browser: PDF as they are, DOCX and ODT as PDF.

A PDF is shown inline as sent. A DOCX or ODT is converted to PDF by LibreOffice in headless
mode when it is installed (``soffice`` or ``libreoffice`` on the PATH, or the program named by
the ``DOCUMENT_CONVERTER`` setting), once per content: the PDF is kept under
``<instance>/document-previews/<sha256>.pdf`` and shared by every process of the instance.
A conversion that fails or takes longer than ``DOCUMENT_CONVERTER_TIMEOUT`` seconds leaves a
``<sha256>.failed`` marker so it is not tried again on every page view; the page then offers
the download, as it does when no converter is installed.

Only files that passed ``tracker.applications.documents.check_upload`` are stored, so the
converter only ever sees readable PDF, DOCX and ODT files without macros.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Response, current_app, has_app_context
from sqlalchemy.orm import Session

from tracker.applications.documents import DOCX, ODT, PDF
from tracker.applications.downloads import ascii_filename, safe_filename
from tracker.applications.models import Document
from tracker.db import db

log = logging.getLogger(__name__)

CONVERTIBLE = {DOCX: "docx", ODT: "odt"}
DEFAULT_TIMEOUT = 60  # seconds
PREVIEW_DIR = "document-previews"
# What the preview may do once in the browser: nothing but show itself. ``sandbox`` without
# any allow-* token gives the document an opaque origin, no scripts, no forms, no popups.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def converter() -> str | None:
    """The converter program's path, or None when documents cannot be converted here."""
    configured = current_app.config.get("DOCUMENT_CONVERTER")
    if configured is not None:
        return shutil.which(configured) if configured else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def can_preview(document: Document) -> bool:
    """Whether the browser can be shown this document (as PDF)."""
    if document.media_type == PDF:
        return True
    if document.media_type not in CONVERTIBLE:
        return False
    if _cached(document) is not None:
        return True
    return converter() is not None and not _failed_marker(document).exists()


def preview_pdf(document: Document) -> bytes | None:
    """The document as PDF bytes for viewing, or None (no converter, conversion failed).

    ``document.content`` must be loaded for a PDF or a document not converted yet.
    """
    if document.media_type == PDF:
        return document.content
    if document.media_type not in CONVERTIBLE:
        return None
    cached = _cached(document)
    if cached is not None:
        return cached
    program = converter()
    if program is None or _failed_marker(document).exists():
        return None
    pdf = convert_to_pdf(program, document.content, CONVERTIBLE[document.media_type],
                         timeout=_timeout())
    if pdf is None:
        _write_atomically(_failed_marker(document), b"")
        return None
    _write_atomically(_cache_path(document), pdf)
    return pdf


def convert_to_pdf(program: str, content: bytes, extension: str, *,
                   timeout: float) -> bytes | None:
    """Run LibreOffice on ``content`` in a private temporary directory; None on any failure.

    Each run gets its own LibreOffice profile: two conversions at once (two requests, two
    processes) would otherwise fight over one profile's lock.
    """
    with tempfile.TemporaryDirectory(prefix="tracker-convert-") as work:
        folder = Path(work)
        source = folder / f"document.{extension}"
        source.write_bytes(content)
        command = [
            program, "--headless", "--norestore", "--nolockcheck", "--nodefault",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--convert-to", "pdf", "--outdir", str(folder / "out"), str(source),
        ]
        if not _run(command, folder, timeout):
            return None
        result = folder / "out" / "document.pdf"
        if not result.is_file():
            log.warning("document conversion produced no PDF (%s)", program)
            return None
        pdf = result.read_bytes()
    return pdf if pdf.startswith(b"%PDF-") else None


def _run(command: list[str], folder: Path, timeout: float) -> bool:
    """Run the converter in its own process group, killed whole when it takes too long."""
    try:
        process = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=_environment(folder), start_new_session=True)
    except OSError as error:
        log.warning("document converter could not start: %s", error)
        return False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("document conversion took longer than %s s: stopped", timeout)
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False
    return True


def inline_response(document: Document, pdf: bytes, filename: str | None = None) -> Response:
    """The PDF to show in a frame of our own pages, unable to run anything.

    Browsers show the file name in their PDF viewer: ``filename`` replaces the stored one
    while the candidate's identity is hidden.
    """
    name = safe_filename(filename or document.filename)
    if document.media_type != PDF:
        stem = name.rsplit(".", 1)[0] if "." in name else name
        name = f"{stem}.pdf"
    response = Response(pdf, mimetype=PDF)
    response.headers["Content-Disposition"] = f'inline; filename="{ascii_filename(name)}"'
    response.headers["Content-Length"] = str(len(pdf))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- The cache ------------------------------------------------------------------------------


def _folder() -> Path:
    return Path(current_app.instance_path) / PREVIEW_DIR


def _cache_path(document: Document) -> Path:
    return _folder() / f"{document.sha256}.pdf"


def _failed_marker(document: Document) -> Path:
    return _folder() / f"{document.sha256}.failed"


def _cached(document: Document) -> bytes | None:
    try:
        return _cache_path(document).read_bytes()
    except OSError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as error:  # a read-only instance folder: convert again next time
        log.warning("could not keep the document preview %s: %s", path, error)


def _timeout() -> float:
    try:
        return float(current_app.config.get("DOCUMENT_CONVERTER_TIMEOUT", DEFAULT_TIMEOUT))
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT


def _environment(folder: Path) -> dict[str, str]:
    """A minimal environment: LibreOffice writes to HOME; nothing else of ours leaks in."""
    env = {"HOME": str(folder), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LANG": "C.UTF-8"}
    return env


# --- Erasure --------------------------------------------------------------------------------

_FORGET = "erased_preview_hashes"


def forget_previews_after_commit(hashes) -> None:
    """Delete the cached previews of these documents when the session commits (erasure).

    After the commit, not before: a rolled-back erasure keeps its documents, and their
    previews with them. A preview is shared by documents with the same bytes: pass only the
    hashes no remaining document has.
    """
    if hashes:
        db.session.info.setdefault(_FORGET, set()).update(hashes)


@sa.event.listens_for(Session, "after_commit")
def _forget_previews(session: Session) -> None:
    hashes = session.info.pop(_FORGET, None)
    if not hashes or not has_app_context():
        return
    folder = _folder()
    for sha256 in hashes:
        if not (len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256)):
            continue  # only our own hex digests name files in the folder
        for suffix in (".pdf", ".failed"):
            (folder / f"{sha256}{suffix}").unlink(missing_ok=True)


@sa.event.listens_for(Session, "after_rollback")
def _keep_previews(session: Session) -> None:
    session.info.pop(_FORGET, None)
