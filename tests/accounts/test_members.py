"""The members page: who has access to an organisation's back office, with which role."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import g, render_template

from tests import factories
from tests.accounts.helpers import events, field_error, text
from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.db import db

URL = "/gestion/villes-au-carre/membres"


def _roles(app, org_id):
    with app.app_context():
        return {
            m.user.email: m.role
            for m in db.session.scalars(
                sa.select(Membership).where(Membership.organisation_id == org_id))
        }


def test_members_page_lists_members(app, client, team, login):
    login(team.admin_email)
    with app.app_context():
        # 14:05 UTC on 3 March 2025 is 15:05 in Paris, the organisation's time zone.
        db.session.get(User, team.admin_id).last_login_at = datetime(
            2025, 3, 3, 14, 5, tzinfo=UTC)
        db.session.commit()
    response = client.get(URL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = re.findall(r'<tr id="member-(\d+)">(.*?)</tr>', page, re.DOTALL)
    assert [int(user_id) for user_id, _ in rows] == [team.admin_id, team.lead_id]
    claire, ines = (text(row) for _, row in rows)
    assert "Claire Fontaine you" in claire
    assert "claire.fontaine@example.org" in claire
    assert "March 3, 2025 at 3:05" in claire
    assert "Last administrator" in claire
    assert "Inès Moreau" in ines and "ines.moreau@example.org" in ines and "Never" in ines
    assert '<option selected value="admin">Administrator</option>' in rows[0][1]
    assert '<option selected value="lead">Hiring lead</option>' in rows[1][1]
    assert "tracker does not send emails yet." in text(page)


def test_members_page_is_for_admins_only(client, team, login):
    login(team.lead_email)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"email": "x@example.org", "name": "X", "role": "admin"}
                       ).status_code == 403


def test_add_member_creates_an_account_with_one_time_password(app, client, team, login):
    login(team.admin_email)
    response = client.post(URL, data={"email": " Malik.Benali@Example.org ",
                                      "name": "Malik Benali", "role": "lead"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "An account has been created for Malik Benali (malik.benali@example.org)." in text(page)
    password = re.search(r'<code class="password">([^<]+)</code>', page).group(1)
    assert re.fullmatch(r"[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}", password)
    assert _roles(app, team.org_id)["malik.benali@example.org"] == "lead"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "malik.benali@example.org"))
        assert user.name == "Malik Benali"
        assert user.check_password(password)
        assert [(e.action, e.object_type, e.object_id, e.actor_id, e.data) for e in events()] == [
            ("member.add", "user", user.id, team.admin_id, {"role": "lead", "new_account": True})
        ]
    # Shown once: not kept for the next page.
    assert password not in client.get(URL).get_data(as_text=True)
    # The new member can log in with it.
    client.post("/deconnexion")
    assert client.post("/connexion", data={"email": "malik.benali@example.org",
                                           "password": password}).status_code == 302


def test_add_member_with_existing_account_adds_a_membership(app, client, team, login):
    with app.app_context():
        other = factories.organisation(name="Résovilles", slug="resovilles")
        factories.user(other, Role.ADMIN, email="paul.martin@example.org", name="Paul Martin")
        db.session.commit()
    login(team.admin_email)
    response = client.post(URL, data={"email": "paul.martin@example.org",
                                      "name": "Someone Else", "role": "admin"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Paul Martin (paul.martin@example.org) already had an account and is now a member."
            in text(page))
    assert 'class="password"' not in page
    assert _roles(app, team.org_id)["paul.martin@example.org"] == "admin"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "paul.martin@example.org"))
        assert user.name == "Paul Martin"  # not renamed by another organisation
        assert user.check_password(factories.PASSWORD)  # password untouched
        assert len(user.memberships) == 2


def test_add_member_already_member_is_refused_on_email_field(app, client, team, login):
    login(team.admin_email)
    response = client.post(URL, data={"email": "INES.MOREAU@example.org", "name": "Inès",
                                      "role": "admin"})
    assert response.status_code == 200
    assert (field_error(response.get_data(as_text=True), "email")
            == "ines.moreau@example.org is already a member of this organisation.")
    assert _roles(app, team.org_id)["ines.moreau@example.org"] == "lead"


@pytest.mark.parametrize("data, field, message", [
    ({}, "email", "Enter an email address."),
    ({}, "name", "Enter the person's name."),
    ({"email": "malik@", "name": "Malik", "role": "lead"}, "email",
     "Enter a valid email address, like name@example.org."),
    ({"email": "malik@example.org", "name": "  ", "role": "lead"}, "name",
     "Enter the person's name."),
    ({"email": "malik@example.org", "name": "Malik", "role": "owner"}, "role",
     "Choose a role from the list."),
    ({"email": "malik@example.org", "name": "M" * 201, "role": "lead"}, "name",
     "A name has at most 200 characters."),
])
def test_add_member_bad_input_is_tied_to_field(app, client, team, login, data, field, message):
    login(team.admin_email)
    response = client.post(URL, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, field) == message
    assert "Please correct the fields marked below." in text(page)
    assert len(_roles(app, team.org_id)) == 2


def test_change_role_of_a_member(app, client, team, login):
    login(team.admin_email)
    response = client.post(f"{URL}/{team.lead_id}/role", data={f"m{team.lead_id}-role": "admin"})
    assert response.status_code == 302
    assert response.headers["Location"] == URL
    assert _roles(app, team.org_id)["ines.moreau@example.org"] == "admin"
    assert "Inès Moreau is now administrator." in text(client.get(URL).get_data(as_text=True))
    with app.app_context():
        assert [(e.action, e.object_id, e.data) for e in events()] == [
            ("member.change_role", team.lead_id, {"from": "lead", "to": "admin"})
        ]


def test_change_role_to_the_same_role_records_nothing(app, client, team, login):
    login(team.admin_email)
    client.post(f"{URL}/{team.lead_id}/role", data={f"m{team.lead_id}-role": "lead"})
    with app.app_context():
        assert events() == []


def test_change_role_bad_value_is_tied_to_field(app, client, team, login):
    login(team.admin_email)
    response = client.post(f"{URL}/{team.lead_id}/role", data={f"m{team.lead_id}-role": "boss"})
    assert response.status_code == 200
    assert (field_error(response.get_data(as_text=True), f"m{team.lead_id}-role")
            == "Choose a role from the list.")
    assert _roles(app, team.org_id)["ines.moreau@example.org"] == "lead"


def test_demoting_the_last_admin_is_refused(app, client, team, login):
    login(team.admin_email)
    response = client.post(f"{URL}/{team.admin_id}/role", data={f"m{team.admin_id}-role": "lead"})
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), f"m{team.admin_id}-role") == (
        "Claire Fontaine is the last administrator of this organisation: "
        "make someone else administrator first."
    )
    assert _roles(app, team.org_id)["claire.fontaine@example.org"] == "admin"
    with app.app_context():
        assert events() == []


def test_admin_can_demote_self_when_another_admin_exists(app, client, team, login):
    with app.app_context():
        db.session.scalar(sa.select(Membership).where(Membership.user_id == team.lead_id)
                          ).role = Role.ADMIN
        db.session.commit()
    login(team.admin_email)
    response = client.post(f"{URL}/{team.admin_id}/role", data={f"m{team.admin_id}-role": "lead"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/gestion/"
    assert _roles(app, team.org_id)["claire.fontaine@example.org"] == "lead"
    assert client.get(URL).status_code == 403


def test_remove_member(app, client, team, login):
    login(team.admin_email)
    response = client.post(f"{URL}/{team.lead_id}/retirer")
    assert response.status_code == 302
    assert response.headers["Location"] == URL
    assert _roles(app, team.org_id) == {"claire.fontaine@example.org": "admin"}
    page = client.get(URL).get_data(as_text=True)
    assert "Inès Moreau is no longer a member of this organisation." in text(page)
    with app.app_context():
        assert db.session.get(User, team.lead_id) is not None  # the account stays
        assert [(e.action, e.object_id, e.data) for e in events()] == [
            ("member.remove", team.lead_id, {"role": "lead"})
        ]


def test_removing_the_last_admin_is_refused(app, client, team, login):
    login(team.admin_email)
    response = client.post(f"{URL}/{team.admin_id}/retirer")
    assert response.status_code == 200
    assert ("Claire Fontaine is the last administrator of this organisation and cannot be "
            "removed: make someone else administrator first.") in text(
        response.get_data(as_text=True))
    assert _roles(app, team.org_id)["claire.fontaine@example.org"] == "admin"


def test_member_actions_on_a_non_member_are_404(app, client, team, login):
    with app.app_context():
        other = factories.organisation(name="Résovilles", slug="resovilles")
        stranger = factories.user(other, Role.ADMIN, email="paul@example.org")
        db.session.commit()
        stranger_id, other_id = stranger.id, other.id
    login(team.admin_email)
    assert client.post(f"{URL}/{stranger_id}/role", data={f"m{stranger_id}-role": "lead"}
                       ).status_code == 404
    assert client.post(f"{URL}/{stranger_id}/retirer").status_code == 404
    assert client.post(f"{URL}/999999/retirer").status_code == 404
    assert _roles(app, other_id) == {"paul@example.org": "admin"}


def test_member_actions_need_post(client, team, login):
    login(team.admin_email)
    assert client.get(f"{URL}/{team.lead_id}/retirer").status_code == 405
    assert client.get(f"{URL}/{team.lead_id}/role").status_code == 405


def test_backoffice_nav_for_admin_links_members_and_organisation(client, team, login):
    login(team.admin_email)
    page = client.get(URL).get_data(as_text=True)
    nav = re.search(r'<nav class="backoffice-nav".*?</nav>', page, re.DOTALL).group(0)
    assert re.findall(r'href="([^"]+)"', nav) == [
        "/gestion/villes-au-carre/offres/",
        "/gestion/villes-au-carre/envois",
        "/gestion/villes-au-carre/courriels",
        "/gestion/villes-au-carre/membres",
        "/gestion/villes-au-carre/organisation",
        "/gestion/villes-au-carre/modeles",
        "/gestion/villes-au-carre/etapes",
        "/gestion/villes-au-carre/rappels",
        "/gestion/notifications",
    ]
    assert '<a href="/gestion/villes-au-carre/membres" aria-current="page">' in nav


def test_backoffice_nav_for_lead_links_offers_only(app, team):
    with app.app_context():
        org = db.session.get(Organisation, team.org_id)
        membership = db.session.scalar(sa.select(Membership).where(
            Membership.user_id == team.lead_id))
        with app.test_request_context("/gestion/villes-au-carre/offres/"):
            g.organisation, g.membership = org, membership
            nav = render_template("accounts/_backoffice_nav.html")
    # The outbox and the received emails name every candidate of every offer, the reminder
    # settings are the organisation's: admins only. One's own notifications: everyone.
    assert re.findall(r'href="([^"]+)"', nav) == ["/gestion/villes-au-carre/offres/",
                                                  "/gestion/notifications"]
    assert "Villes au carré" in nav
