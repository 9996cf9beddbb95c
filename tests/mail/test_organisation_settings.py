"""The organisation's settings about applications: attaching documents, keeping data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.mail.test_routes import field_error, text
from tracker.accounts.models import Organisation
from tracker.audit.models import Event
from tracker.db import db

URL = "/gestion/villes-au-carre/organisation"
FORM = {
    "name": "Villes au carré",
    "timezone": "Europe/Paris",
    "locale": "fr",
    "attach_documents": "y",
    "retention_months": "24",
}


@pytest.fixture
def settings_team(app, client):
    from tests import factories
    from tracker.accounts.models import Role

    client.get("/langue/en")
    with app.app_context():
        org = factories.organisation(name="Villes au carré", slug="villes-au-carre",
                                     presentation="", city="", website="", email="")
        admin = factories.user(org, Role.ADMIN, email="claire.fontaine@example.org")
        db.session.commit()
        return org.id, admin.email


def _settings(app, org_id):
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        return org.attach_documents, org.retention_months


def test_settings_show_attachments_and_retention(client, settings_team, login):
    login(settings_team[1])
    page = client.get(URL).get_data(as_text=True)
    assert 'id="attach_documents" name="attach_documents" type="checkbox" value="y"' in page
    assert 'checked' in page.split('id="attach_documents"')[0].rsplit("<input", 1)[1] + (
        page.split('id="attach_documents"')[1].split(">")[0])
    assert 'id="retention_months" inputmode="numeric" max="24" min="1"' in page
    assert 'value="24"' in page.split('id="retention_months"')[1].split(">")[0]
    assert ("The CNIL allows at most two years for candidates who were not hired, unless "
            "they agree to longer.") in text(page)


def test_settings_save_attachments_off_and_a_shorter_retention(app, client, settings_team,
                                                               login):
    org_id, admin = settings_team
    login(admin)
    form = {**FORM, "retention_months": "12"}
    del form["attach_documents"]  # an unticked box is not sent
    response = client.post(URL, data=form)
    assert response.status_code == 302
    assert _settings(app, org_id) == (False, 12)
    with app.app_context():
        [event] = db.session.scalars(sa.select(Event)).all()
        assert event.data == {"fields": ["attach_documents", "retention_months"]}
    client.post(URL, data=FORM)
    assert _settings(app, org_id) == (True, 24)


@pytest.mark.parametrize("value", ["0", "25", "-3", "douze", "", "12.5"])
def test_settings_retention_out_of_range_is_refused(app, client, settings_team, login, value):
    org_id, admin = settings_team
    login(admin)
    response = client.post(URL, data={**FORM, "retention_months": value,
                                      "attach_documents": ""})
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "retention_months") == (
        "Enter a number of months between 1 and 24.")
    assert _settings(app, org_id) == (True, 24)
