"""Changing one's own password."""

from __future__ import annotations

import pytest

from tests import factories
from tests.accounts.helpers import events, field_error, text
from tracker.accounts.models import Membership, Role, User
from tracker.db import db

URL = "/gestion/mot-de-passe"
NEW = "a brand new passphrase"


def _post(client, current=factories.PASSWORD, new=NEW, confirm=None):
    return client.post(URL, data={"current_password": current, "new_password": new,
                                  "confirm": new if confirm is None else confirm})


def test_change_password_page_shows_the_form(client, team, login):
    login(team.lead_email)
    page = client.get(URL).get_data(as_text=True)
    assert 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2
    assert "Logged in as ines.moreau@example.org." in text(page)


def test_change_password_works_and_is_audited_in_each_organisation(app, client, team, login):
    with app.app_context():
        other = factories.organisation(name="Résovilles", slug="resovilles")
        db.session.add(Membership(user_id=team.lead_id, organisation_id=other.id, role=Role.LEAD))
        db.session.commit()
        other_id = other.id
    login(team.lead_email)
    response = _post(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/"
    with app.app_context():
        user = db.session.get(User, team.lead_id)
        assert user.check_password(NEW)
        assert not user.check_password(factories.PASSWORD)
        assert sorted((e.organisation_id, e.action, e.object_type, e.object_id, e.actor_id)
                      for e in events()) == sorted([
            (team.org_id, "user.change_password", "user", team.lead_id, team.lead_id),
            (other_id, "user.change_password", "user", team.lead_id, team.lead_id),
        ])
    client.post("/deconnexion")
    assert client.post("/connexion", data={"email": team.lead_email,
                                           "password": NEW}).status_code == 302


def test_change_password_shows_confirmation(client, team, login):
    login(team.lead_email)
    page = _post(client, ).headers["Location"]
    assert page == "/gestion/"
    # The flash is shown on the next page.
    assert "Your password has been changed." in text(
        client.get(URL).get_data(as_text=True))


@pytest.mark.parametrize("data, field, message", [
    ({"current": "not my password"}, "current_password", "This is not your current password."),
    ({"current": ""}, "current_password", "Enter your current password."),
    ({"new": "", "confirm": ""}, "new_password", "Choose a new password."),
    ({"new": "short", "confirm": "short"}, "new_password",
     "The password must have between 10 and 200 characters."),
    ({"new": "x" * 201, "confirm": "x" * 201}, "new_password",
     "The password must have between 10 and 200 characters."),
    ({"confirm": "a different passphrase"}, "confirm", "The two new passwords are not the same."),
    ({"confirm": ""}, "confirm", "Type the new password a second time."),
    ({"new": factories.PASSWORD, "confirm": factories.PASSWORD}, "new_password",
     "The new password must be different from the current one."),
])
def test_change_password_bad_input_is_tied_to_field(app, client, team, login, data, field,
                                                    message):
    login(team.lead_email)
    response = _post(client, **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, field) == message
    with app.app_context():
        assert db.session.get(User, team.lead_id).check_password(factories.PASSWORD)
        assert events() == []


def test_change_password_wrong_current_is_said_with_other_errors(client, team, login):
    login(team.lead_email)
    page = _post(client, current="not my password", new="short", confirm="short").get_data(
        as_text=True)
    assert field_error(page, "current_password") == "This is not your current password."
    assert field_error(page, "new_password") == (
        "The password must have between 10 and 200 characters.")


def test_change_password_with_nothing_sent_does_not_crash(client, team, login):
    login(team.lead_email)
    response = client.post(URL, data={})
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "current_password") == (
        "Enter your current password.")


def test_change_password_needs_login(client):
    response = client.post(URL, data={"current_password": "x", "new_password": NEW,
                                      "confirm": NEW})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_user_without_organisation_can_change_password(app, client, login):
    with app.app_context():
        factories.user(email="solo@example.org")
        db.session.commit()
    login("solo@example.org")
    assert _post(client).status_code == 302
    with app.app_context():
        assert events() == []
