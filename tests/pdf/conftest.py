"""PDF tests start from an empty PDF cache (the app, hence its instance folder, lives for the
whole session) and can count the documents actually rendered."""

from __future__ import annotations

import os
import shutil

import pytest

from tracker.pdf import services


@pytest.fixture(autouse=True)
def _empty_pdf_cache(app):
    shutil.rmtree(cache_dir(app), ignore_errors=True)
    yield


def cache_dir(app) -> str:
    return os.path.join(app.instance_path, "pdf-cache")


@pytest.fixture
def renders(monkeypatch):
    """``renders`` lists the template of every PDF rendered (cache misses) during the test."""
    rendered: list[str] = []
    real = services.render_pdf

    def counting(template_name, **kwargs):
        rendered.append(template_name)
        return real(template_name, **kwargs)

    monkeypatch.setattr(services, "render_pdf", counting)
    return rendered
