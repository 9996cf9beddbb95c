"""Documents in the browser: the inline PDF endpoint, DOCX/ODT conversion, the fallback."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests.files import make_docx, make_odt, make_pdf
from tests.review.dashboard_support import EN, add, html_of, make_office
from tracker.applications import viewer
from tracker.applications.documents import DOCX, ODT
from tracker.applications.models import Document
from tracker.db import db

HAS_CONVERTER = bool(shutil.which("soffice") or shutil.which("libreoffice"))
needs_converter = pytest.mark.skipif(not HAS_CONVERTER, reason="LibreOffice is not installed "
                                     "(.ci/system-deps installs it)")


@pytest.fixture(autouse=True)
def _empty_preview_cache(app):
    folder = Path(app.instance_path) / viewer.PREVIEW_DIR
    shutil.rmtree(folder, ignore_errors=True)
    yield
    shutil.rmtree(folder, ignore_errors=True)


def document_ids(app, application_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.text(
            "SELECT document.id FROM document JOIN submission ON submission.id = "
            "document.submission_id WHERE submission.application_id = :a ORDER BY document.id"),
            {"a": application_id}))


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_preview_is_inline_sandboxed_and_framable_by_us_only(app, client, login):
    office = make_office(app)
    cv = make_pdf("CV de Léa")
    application_id = add(app, office, documents=[("cv", "CV «Léa».pdf", "application/pdf", cv)])
    [document_id] = document_ids(app, application_id)
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    preview = office.document_url(document_id, "/apercu")
    assert f'<iframe class="document-frame" src="{preview}"' in html
    response = client.get(preview)
    assert response.status_code == 200
    assert response.data == cv
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="CV Lea.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "private, no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and csp.endswith("sandbox")
    # The download stays an attachment.
    download = client.get(office.document_url(document_id))
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_preview_of_another_organisation_or_offer_is_404(app, client, login):
    office, other = make_office(app), make_office(app)
    application_id = add(app, other)
    [document_id] = document_ids(app, application_id)
    login(office.admin)
    assert client.get(office.document_url(document_id, "/apercu")).status_code == 404
    assert client.get(office.document_url(99999999, "/apercu")).status_code == 404


@needs_converter
@pytest.mark.parametrize(("maker", "media_type", "name"), [
    (make_docx, DOCX, "Lettre.docx"), (make_odt, ODT, "Lettre.odt")])
def test_docx_and_odt_are_converted_once_and_cached(app, client, login, maker, media_type,
                                                    name, monkeypatch):
    office = make_office(app)
    content = maker(f"Lettre de motivation {name}")
    application_id = add(app, office, documents=[("letter", name, media_type, content)])
    [document_id] = document_ids(app, application_id)
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    preview = office.document_url(document_id, "/apercu")
    assert f'<iframe class="document-frame" src="{preview}"' in html
    response = client.get(preview)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="Lettre.pdf"'
    assert f"Lettre de motivation {name}" in pdf_text(response.data)
    with app.app_context():
        sha = db.session.get(Document, document_id).sha256
    cached = Path(app.instance_path) / viewer.PREVIEW_DIR / f"{sha}.pdf"
    assert cached.read_bytes() == response.data
    # Served from the cache afterwards, even with no converter left.
    monkeypatch.setitem(app.config, "DOCUMENT_CONVERTER", "/nonexistent/soffice")
    again = client.get(preview)
    assert again.data == response.data


def test_without_a_converter_docx_falls_back_to_download(app, client, login, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_CONVERTER", "/nonexistent/soffice")
    office = make_office(app)
    application_id = add(app, office, documents=[
        ("letter", "Lettre.docx", DOCX, make_docx("Sans convertisseur"))])
    [document_id] = document_ids(app, application_id)
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "Preview not available for this file: download it to read it." in html
    assert "<iframe" not in html
    assert f'href="{office.document_url(document_id)}" download>Lettre.docx</a>' in html
    # Asked for anyway, the preview says the same, with the download, never a 500.
    response = client.get(office.document_url(document_id, "/apercu"), headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "Preview not available" in text and office.document_url(document_id) in text


def test_a_failed_conversion_falls_back_and_is_not_retried(app, client, login, monkeypatch):
    false = shutil.which("false")
    monkeypatch.setitem(app.config, "DOCUMENT_CONVERTER", false)
    office = make_office(app)
    application_id = add(app, office, documents=[
        ("letter", "Lettre.odt", ODT, make_odt("Conversion ratée"))])
    [document_id] = document_ids(app, application_id)
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "<iframe" in html  # a converter is there: the page tries
    response = client.get(office.document_url(document_id, "/apercu"), headers=EN)
    assert response.status_code == 200 and "Preview not available" in response.get_data(
        as_text=True)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "<iframe" not in html and "Preview not available" in html


def test_a_conversion_that_takes_too_long_is_stopped(app, tmp_path):
    slow = tmp_path / "slow-converter"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    assert viewer.convert_to_pdf(str(slow), make_docx(), "docx", timeout=0.5) is None


@needs_converter
def test_convert_to_pdf_really_converts(app):
    pdf = viewer.convert_to_pdf(shutil.which("soffice") or shutil.which("libreoffice"),
                                make_odt("Bonjour Tours"), "odt", timeout=120)
    assert pdf is not None and "Bonjour Tours" in pdf_text(pdf)
