"""Every form refuses a request without a CSRF token (tests otherwise run with CSRF off)."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.core.test_authorisation import build_url, build_world, rule_methods
from tracker.db import db

EXPIRED_MESSAGE = "Your form has expired or was sent from another site. Please try again."


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _post_rules(app):
    rules = [r for r in app.url_map.iter_rules() if set(rule_methods(r)) - {"GET"}]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def _login_with_token(client, email: str):
    token = _token(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"email": email, "password": factories.PASSWORD,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def test_every_post_without_token_is_refused_for_anonymous(app, csrf_on):
    world = build_world(app)
    client = app.test_client()
    rules = _post_rules(app)
    assert {"accounts.login", "accounts.logout", "accounts.members"} <= {r.endpoint for r in rules}
    failures = []
    for rule in rules:
        url = build_url(rule, world)
        for method in set(rule_methods(rule)) - {"GET"}:
            response = client.open(url, method=method, data={"anything": "x"},
                                   headers={"Accept-Language": "en"})
            if response.status_code != 400 or EXPIRED_MESSAGE not in response.get_data(
                    as_text=True):
                failures.append(f"{method} {url} ({rule.endpoint}): {response.status_code}")
    assert not failures, "Accepted without a CSRF token:\n  " + "\n  ".join(failures)


def test_every_post_without_token_is_refused_for_a_logged_in_admin(app, csrf_on):
    world = build_world(app)
    client = app.test_client()
    _login_with_token(client, world.admin_a)
    failures = []
    for rule in _post_rules(app):
        url = build_url(rule, world)
        for method in set(rule_methods(rule)) - {"GET"}:
            for data in ({}, {"csrf_token": "forged-token"}):
                status = client.open(url, method=method, data=data).status_code
                if status != 400:
                    failures.append(f"{method} {url} ({rule.endpoint}) with {data}: {status}")
    assert not failures, "Accepted without a valid CSRF token:\n  " + "\n  ".join(failures)
    # Still logged in: the refused requests changed nothing.
    assert client.get("/gestion/mot-de-passe").status_code == 200


def test_login_without_token_is_refused(app, csrf_on):
    with app.app_context():
        user = factories.user()
        db.session.commit()
        email = user.email
    client = app.test_client()
    response = client.post("/connexion", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/gestion/").status_code == 302


def test_login_and_logout_with_tokens_from_the_pages_work(app, csrf_on):
    with app.app_context():
        factories.user(email="claire@example.org")
        db.session.commit()
    client = app.test_client()
    response = _login_with_token(client, "claire@example.org")
    assert response.headers["Location"] == "/gestion/"
    page = client.get("/gestion/").get_data(as_text=True)
    assert 'action="/deconnexion"' in page
    # The session was renewed at login: the logout form carries the new token.
    logout = client.post("/deconnexion", data={"csrf_token": _token(page)})
    assert logout.status_code == 302
    assert client.get("/gestion/").status_code == 302
