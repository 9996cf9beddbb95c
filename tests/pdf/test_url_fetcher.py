"""The PDF renderer fetches our static files and our logos, and nothing else."""

from __future__ import annotations

import io
import logging
import os

import pytest
from jinja2 import ChoiceLoader, DictLoader
from PIL import Image

from tests import factories
from tests.pdf.helpers import first_page_images, page_count, pdf_text
from tracker.db import db
from tracker.pdf.services import PdfURLFetcher, RefusedURL, render_pdf

BASE = "http://tracker.test/"


@pytest.fixture
def fetcher(app):
    return PdfURLFetcher(base_url=BASE, static_folder=app.static_folder,
                         static_url_path=app.static_url_path)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 95, 174)).save(buffer, "PNG")
    return buffer.getvalue()


def test_fetcher_serves_static_css_from_static_folder(app, fetcher):
    response = fetcher.fetch(BASE + "static/css/print.css")
    body = response.read()
    response.close()
    expected = os.path.join(os.path.realpath(app.static_folder), "css", "print.css")
    with open(expected, "rb") as handle:
        assert body == handle.read()
    assert response.content_type == "text/css"
    assert fetcher.opened == [expected]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://www.example.org/logo.png",
        "https://evil.example/static/css/print.css",  # our path on another host
        "http://tracker.test:8080/static/css/print.css",  # another port
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://example.org/x.css",
        "data:text/css,body{color:red}",
        "gopher://127.0.0.1:70/",
        "http://tracker.test/etc/passwd",
        "http://tracker.test/static/../../etc/passwd",
        "http://tracker.test/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "http://tracker.test/static/..%2f..%2f..%2fetc%2fpasswd",
        "http://tracker.test/static/css/..%5c..%5c..%5cetc%5cpasswd",
        "http://tracker.test/static//etc/passwd",
        "http://tracker.test/static/css/",
        "http://tracker.test/static/css/missing.css",
        "tracker-logo:1",  # a logo the document did not ask for
        "tracker-logo:../../etc/passwd",
    ],
)
def test_fetcher_refuses_everything_else(fetcher, caplog, url):
    with caplog.at_level(logging.WARNING, logger="tracker.pdf.services"), \
            pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.opened == []
    assert any(url in record.getMessage() for record in caplog.records)


def test_fetcher_refuses_symlink_out_of_static_folder(app, tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "ok.css").write_text("p { color: black }")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "css" / "link.css").symlink_to(tmp_path / "secret.txt")
    fetcher = PdfURLFetcher(base_url=BASE, static_folder=str(static), static_url_path="/static")
    with pytest.raises(RefusedURL):
        fetcher.fetch(BASE + "static/css/link.css")
    assert fetcher.fetch(BASE + "static/css/ok.css").read() == b"p { color: black }"


def test_fetcher_serves_only_logos_the_document_asked_for(app, fetcher):
    with app.app_context():
        org = factories.organisation(logo=png_bytes(), logo_media_type="image/png")
        other = factories.organisation(logo=png_bytes(), logo_media_type="image/png")
        no_logo = factories.organisation()
        db.session.commit()
        src = fetcher.logo_src(org)
        assert src == f"tracker-logo:{org.id}"
        assert fetcher.logo_src(no_logo) == ""
        response = fetcher.fetch(src)
        assert response.read() == png_bytes()
        assert response.content_type == "image/png"
        with pytest.raises(RefusedURL):
            fetcher.fetch(f"tracker-logo:{other.id}")


HOSTILE_TEMPLATE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<link rel="stylesheet" href="{{ url_for('static', filename='css/print.css') }}">
<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
<link rel="stylesheet" href="file:///etc/passwd">
<style>@import url("ftp://example.org/x.css");</style>
</head><body data-page-label="Page">
<p>Hello from the test</p>
<img src="http://127.0.0.1:9/x.png" alt="remote">
<img src="file:///etc/passwd" alt="local file">
<img src="../../../../../../etc/passwd" alt="traversal">
<img src="/static/../../../etc/passwd" alt="static traversal">
<img src="{{ logo_src(organisation) }}" alt="logo">
<iframe src="file:///etc/hostname"></iframe>
<object data="file:///etc/hostname"></object>
</body></html>
"""


@pytest.fixture
def hostile_template(app, monkeypatch):
    loader = ChoiceLoader([DictLoader({"pdf_tests/hostile.html": HOSTILE_TEMPLATE}),
                           app.jinja_loader])
    monkeypatch.setattr(app, "jinja_loader", loader)
    return "pdf_tests/hostile.html"


class SpyFetcher(PdfURLFetcher):
    """Records every URL WeasyPrint asks for, and what was refused."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.asked: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        self.asked.append(url)
        try:
            return super().fetch(url, headers)
        except RefusedURL:
            self.refused.append(url)
            raise


def test_render_pdf_applies_static_css_and_fetches_nothing_else(app, hostile_template, caplog):
    with app.app_context():
        org = factories.organisation(logo=png_bytes(), logo_media_type="image/png")
        db.session.commit()
        with app.test_request_context():
            spy = SpyFetcher(base_url="http://tracker.test/", static_folder=app.static_folder,
                             static_url_path=app.static_url_path)
            with caplog.at_level(logging.WARNING, logger="tracker.pdf.services"):
                data = render_pdf(hostile_template, url_fetcher=spy, organisation=org)
    static_css = os.path.join(os.path.realpath(app.static_folder), "css", "print.css")
    # Only print.css was read from disk; the logo came from the database.
    assert spy.opened == [static_css]
    assert f"tracker-logo:{org.id}" in spy.asked
    assert f"tracker-logo:{org.id}" not in spy.refused
    assert "http://127.0.0.1:9/x.png" in spy.refused
    assert "http://127.0.0.1:9/evil.css" in spy.refused
    assert "file:///etc/passwd" in spy.refused
    assert "http://tracker.test/etc/passwd" in spy.refused  # both traversals resolve here
    assert all(url.startswith(("http://tracker.test/static/", "tracker-logo:"))
               for url in set(spy.asked) - set(spy.refused))
    ours = [r for r in caplog.records if r.name == "tracker.pdf.services"]
    assert {r.getMessage().split("'")[1] for r in ours} >= set(spy.refused)
    text = pdf_text(data)
    assert "Hello from the test" in text
    # print.css was applied: the footer's page counter comes from its @page rule.
    assert "Page 1 / 1" in text
    assert "root:" not in text
    assert page_count(data) == 1
    assert first_page_images(data) == 1  # the logo, and only the logo
