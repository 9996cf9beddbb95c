"""The back-office home: which organisations I work for."""

from __future__ import annotations

from tests import factories
from tests.accounts.helpers import text
from tracker.accounts.models import Role
from tracker.db import db


def test_home_with_one_organisation_goes_to_its_offers(client, team, login):
    login(team.lead_email)
    response = client.get("/gestion/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/villes-au-carre/offres/"


def test_home_with_several_organisations_lists_them_with_role(app, client, team, login):
    with app.app_context():
        other = factories.organisation(name="Résovilles", slug="resovilles")
        from tracker.accounts.models import Membership

        db.session.add(Membership(user_id=team.lead_id, organisation_id=other.id,
                                  role=Role.ADMIN))
        db.session.commit()
    login(team.lead_email)
    response = client.get("/gestion/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    body = text(page)
    assert "Résovilles Administrator" in body
    assert "Villes au carré Hiring lead" in body
    assert body.index("Résovilles") < body.index("Villes au carré")  # alphabetical
    assert 'href="/gestion/resovilles/offres/"' in page
    assert 'href="/gestion/villes-au-carre/offres/"' in page
    # Admin links only where the user is an admin.
    assert 'href="/gestion/resovilles/membres"' in page
    assert 'href="/gestion/villes-au-carre/membres"' not in page


def test_home_without_organisation_says_so(app, client, login):
    with app.app_context():
        factories.user(email="solo@example.org")
        db.session.commit()
    login("solo@example.org")
    response = client.get("/gestion/")
    assert response.status_code == 200
    body = text(response.get_data(as_text=True))
    assert "Your account does not belong to any organisation yet." in body
    assert "using the email address solo@example.org" in body


def test_home_needs_login(client):
    response = client.get("/gestion/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
