"""The answer and interview emails: their defaults are valid and editable in the editor."""

from __future__ import annotations

import pytest

from tests import factories
from tracker.db import db
from tracker.mail.templates import KIND_SLUGS, KINDS, check_template, default_template

NEW_KINDS = ["answer.retained", "answer.not_retained", "interview.invitation",
             "interview.update", "interview.cancellation", "interview.reviewer"]
EN = {"Accept-Language": "en"}


@pytest.mark.parametrize("kind", NEW_KINDS)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_defaults_are_valid_templates(app, kind, locale):
    assert kind in KINDS and kind in KIND_SLUGS
    with app.test_request_context(headers=EN):
        subject, body = default_template(kind, locale)
        check_template(kind, locale, subject, body)


def test_not_retained_default_never_tells_the_reason():
    for locale in ("fr", "en"):
        subject, body = default_template("answer.not_retained", locale)
        assert "reason" not in subject + body
    assert "reason" in KINDS["answer.not_retained"].placeholders


def test_the_editor_lists_and_opens_the_new_kinds(app, client, login):
    with app.app_context():
        org = factories.organisation()
        factories.user(org, email="admin@example.org")
        db.session.commit()
        slug = org.slug
    login("admin@example.org")
    index = client.get(f"/gestion/{slug}/modeles", headers=EN).get_data(as_text=True)
    assert "Answer to a candidate who is not retained" in index
    assert "Interview invitation, to the candidate" in index
    for kind in NEW_KINDS:
        response = client.get(f"/gestion/{slug}/modeles/{KIND_SLUGS[kind]}/fr", headers=EN)
        assert response.status_code == 200, kind
