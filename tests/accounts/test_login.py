"""Logging in and out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from tests.accounts.helpers import field_error, text
from tracker.accounts.models import User
from tracker.db import db

GENERIC_ERROR = "Wrong email address or password."


def _login(client, email, password=factories.PASSWORD, **extra):
    return client.post("/connexion", data={"email": email, "password": password, **extra},
                       query_string=extra.pop("query_string", None))


def test_login_page_shows_the_form(client):
    response = client.get("/connexion")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in page and 'name="password"' in page and 'name="remember"' in page
    assert '<label for="email">Email address</label>' in page


def test_login_with_right_password_goes_to_back_office_home(client, team):
    response = _login(client, team.admin_email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/"


def test_login_email_is_case_insensitive_and_trimmed(client, team):
    response = _login(client, "  Claire.FONTAINE@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/"


def test_login_records_last_login_time(app, client, team):
    before = datetime.now(UTC)
    _login(client, team.admin_email)
    with app.app_context():
        last = db.session.get(User, team.admin_id).last_login_at
    assert before - timedelta(seconds=1) <= last <= datetime.now(UTC)


def test_login_wrong_password_gives_generic_error(client, team):
    response = _login(client, team.admin_email, "not the password at all")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert GENERIC_ERROR in text(page)
    assert 'value="claire.fontaine@example.org"' in page  # the email is kept
    assert "not the password at all" not in page  # the password is not echoed


def test_login_unknown_email_gives_the_same_error_as_wrong_password(client, team):
    unknown = _login(client, "nobody@example.org", "not the password at all")
    wrong = _login(client, team.admin_email, "not the password at all")
    assert unknown.status_code == wrong.status_code == 200
    unknown_page = unknown.get_data(as_text=True).replace("nobody@example.org", "EMAIL")
    wrong_page = wrong.get_data(as_text=True).replace("claire.fontaine@example.org", "EMAIL")
    # Same page apart from the email typed and the CSRF token (off in tests).
    assert unknown_page == wrong_page
    assert GENERIC_ERROR in text(unknown_page)


def test_login_inactive_user_is_refused(app, client, team):
    with app.app_context():
        db.session.get(User, team.admin_id).active = False
        db.session.commit()
    response = _login(client, team.admin_email)
    assert response.status_code == 200
    assert "This account has been deactivated." in text(response.get_data(as_text=True))
    assert client.get("/gestion/").status_code == 302


def test_login_inactive_user_with_wrong_password_gets_generic_error(app, client, team):
    with app.app_context():
        db.session.get(User, team.admin_id).active = False
        db.session.commit()
    page = _login(client, team.admin_email, "wrong password here").get_data(as_text=True)
    assert GENERIC_ERROR in text(page)
    assert "deactivated" not in page


def test_login_missing_fields_are_tied_to_fields(client):
    response = client.post("/connexion", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "email") == "Enter your email address."
    assert field_error(page, "password") == "Enter your password."


def test_login_bad_email_is_tied_to_email_field(client):
    response = _login(client, "not-an-email")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "email") == "Enter a valid email address, like name@example.org."
    assert field_error(page, "password") is None


def test_login_follows_a_safe_next(client, team):
    response = _login(client, team.admin_email, query_string={"next": "/gestion/mot-de-passe"})
    assert response.headers["Location"] == "/gestion/mot-de-passe"


@pytest.mark.parametrize("target", [
    "//evil.example.com",
    "https://evil.example.com",
    "/\\evil",
    "/\\/evil.example.com",
    "http:/evil.example.com",
    "javascript:alert(1)",
    " //evil.example.com",
])
def test_login_refuses_unsafe_next(client, team, target):
    response = _login(client, team.admin_email, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/"


def test_login_form_keeps_next_in_its_action(client):
    page = client.get("/connexion", query_string={"next": "/gestion/mot-de-passe"}).get_data(
        as_text=True)
    assert 'action="/connexion?next=/gestion/mot-de-passe"' in page


def test_login_form_drops_unsafe_next_from_its_action(client):
    page = client.get("/connexion", query_string={"next": "//evil.example.com"}).get_data(
        as_text=True)
    assert 'action="/connexion"' in page


def test_login_page_when_logged_in_goes_home(client, team, login):
    login(team.admin_email)
    response = client.get("/connexion")
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/"


def test_login_post_when_logged_in_goes_home(client, team, login):
    login(team.admin_email)
    response = _login(client, team.lead_email)
    assert response.headers["Location"] == "/gestion/"


def test_back_office_sends_anonymous_to_login_with_next(client):
    response = client.get("/gestion/mot-de-passe")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/connexion"
    assert parse_qs(location.query)["next"] == ["/gestion/mot-de-passe"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please log in to see this page." in text(page)


def test_logout_needs_post(client, team, login):
    login(team.admin_email)
    assert client.get("/deconnexion").status_code == 405
    assert client.get("/gestion/mot-de-passe").status_code == 200


def test_logout_ends_the_session(client, team, login):
    login(team.admin_email)
    response = client.post("/deconnexion")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/gestion/mot-de-passe").status_code == 302


def test_logout_keeps_the_language_choice(client, team, login):
    login(team.admin_email)
    client.post("/deconnexion")
    page = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="en">' in page


def test_remember_me_sets_a_remember_cookie(client, team):
    response = _login(client, team.admin_email, remember="y")
    assert any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_login_without_remember_me_sets_no_remember_cookie(client, team):
    response = _login(client, team.admin_email)
    assert not any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_session_from_another_browser_is_dropped(client, team, login):
    login(team.admin_email)
    assert client.get("/gestion/mot-de-passe").status_code == 200
    other = client.get("/gestion/mot-de-passe", headers={"User-Agent": "Another browser/1.0"})
    assert other.status_code == 302
    assert urlsplit(other.headers["Location"]).path == "/connexion"


def test_deactivated_user_loses_open_session(app, client, team, login):
    login(team.admin_email)
    with app.app_context():
        db.session.get(User, team.admin_id).active = False
        db.session.commit()
    assert client.get("/gestion/mot-de-passe").status_code == 302


def test_header_shows_log_out_form_when_logged_in(client, team, login):
    login(team.admin_email)
    page = client.get("/gestion/mot-de-passe").get_data(as_text=True)
    assert 'action="/deconnexion"' in page
