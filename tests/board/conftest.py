"""Board fixtures: an English-speaking client and an English request context."""

from __future__ import annotations

import pytest


@pytest.fixture
def en_client(client):
    """The test client, asking for English pages (French is the default UI language)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def en_request(app):
    """``with en_request(): ...`` gives a request context in English (for display helpers)."""
    return lambda: app.test_request_context("/", headers={"Accept-Language": "en"})

