"""flask --app tracker create-admin"""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.accounts.helpers import events
from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.db import db

PASSWORD = "un mot de passe solide"


def _run(runner, *args):
    return runner.invoke(args=["create-admin", *args])


def _state(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        memberships = {m.organisation.slug: m.role for m in user.memberships} if user else {}
        orgs = [(o.name, o.slug) for o in db.session.scalars(
            sa.select(Organisation).order_by(Organisation.id))]
        return user, memberships, orgs


def test_create_admin_creates_organisation_user_and_membership(app, runner, client):
    result = _run(runner, "--email", "Claire.Fontaine@example.org", "--password", PASSWORD,
                  "--organisation", "Villes au carré", "--name", "Claire Fontaine")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Created organisation “Villes au carré” (slug: villes-au-carre).",
        "Created user claire.fontaine@example.org.",
        "Made claire.fontaine@example.org administrator of “Villes au carré”.",
    ]
    user, memberships, orgs = _state(app, "claire.fontaine@example.org")
    assert user.name == "Claire Fontaine"
    assert memberships == {"villes-au-carre": "admin"}
    assert orgs == [("Villes au carré", "villes-au-carre")]
    with app.app_context():
        assert [(e.action, e.object_id, e.actor_id) for e in events()] == [
            ("member.add", user.id, None)
        ]
    response = client.post("/connexion", data={"email": "claire.fontaine@example.org",
                                               "password": PASSWORD})
    assert response.status_code == 302


def test_create_admin_twice_updates_the_password(app, runner, client):
    _run(runner, "--email", "claire@example.org", "--password", PASSWORD,
         "--organisation", "Villes au carré")
    result = _run(runner, "--email", "claire@example.org", "--password", "another password 2",
                  "--organisation", "villes au CARRÉ")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Found organisation “Villes au carré” (slug: villes-au-carre).",
        "Updated the password of claire@example.org.",
        "claire@example.org was already administrator of “Villes au carré”.",
    ]
    _, memberships, orgs = _state(app, "claire@example.org")
    assert orgs == [("Villes au carré", "villes-au-carre")]
    assert memberships == {"villes-au-carre": "admin"}
    assert client.post("/connexion", data={"email": "claire@example.org",
                                           "password": PASSWORD}).status_code == 200
    assert client.post("/connexion", data={"email": "claire@example.org",
                                           "password": "another password 2"}).status_code == 302


def test_create_admin_upgrades_a_lead(app, runner):
    with app.app_context():
        org = factories.organisation(name="Résovilles", slug="resovilles")
        factories.user(org, Role.LEAD, email="ines@example.org", name="Inès Moreau")
        db.session.commit()
    result = _run(runner, "--email", "ines@example.org", "--password", PASSWORD,
                  "--organisation", "resovilles", "--name", "Inès Moreau-Petit")
    assert result.exit_code == 0, result.output
    assert "Upgraded ines@example.org from lead to administrator of “Résovilles”." in result.output
    assert "Updated the name of ines@example.org." in result.output
    user, memberships, _ = _state(app, "ines@example.org")
    assert memberships == {"resovilles": "admin"}
    assert user.name == "Inès Moreau-Petit"
    with app.app_context():
        assert [e.action for e in events()] == ["member.change_role"]


def test_create_admin_adds_existing_user_to_another_organisation(app, runner):
    with app.app_context():
        org = factories.organisation(name="Résovilles", slug="resovilles")
        factories.user(org, Role.ADMIN, email="claire@example.org")
        db.session.commit()
    result = _run(runner, "--email", "claire@example.org", "--password", PASSWORD,
                  "--organisation", "Villes au carré")
    assert result.exit_code == 0, result.output
    _, memberships, _ = _state(app, "claire@example.org")
    assert memberships == {"resovilles": "admin", "villes-au-carre": "admin"}


def test_create_admin_reactivates_a_deactivated_user(app, runner):
    with app.app_context():
        factories.user(email="claire@example.org").active = False
        db.session.commit()
    result = _run(runner, "--email", "claire@example.org", "--password", PASSWORD,
                  "--organisation", "Villes au carré")
    assert "Reactivated claire@example.org." in result.output
    user, _, _ = _state(app, "claire@example.org")
    assert user.active is True


def test_create_admin_makes_a_unique_slug(app, runner):
    with app.app_context():
        factories.organisation(name="Ancien nom", slug="villes-au-carre")
        db.session.commit()
    result = _run(runner, "--email", "claire@example.org", "--password", PASSWORD,
                  "--organisation", "Villes au carré")
    assert result.exit_code == 0, result.output
    _, memberships, orgs = _state(app, "claire@example.org")
    assert orgs == [("Ancien nom", "villes-au-carre"), ("Villes au carré", "villes-au-carre-2")]
    assert memberships == {"villes-au-carre-2": "admin"}


def test_create_admin_refuses_a_bad_email(app, runner):
    result = _run(runner, "--email", "claire-at-example.org", "--password", PASSWORD,
                  "--organisation", "Villes au carré")
    assert result.exit_code == 2
    assert "Invalid value for '--email'" in result.output
    assert "“claire-at-example.org” is not a valid email address" in result.output
    _, _, orgs = _state(app, "claire-at-example.org")
    assert orgs == []


def test_create_admin_refuses_a_short_password(app, runner):
    result = _run(runner, "--email", "claire@example.org", "--password", "short",
                  "--organisation", "Villes au carré")
    assert result.exit_code == 2
    assert "the password must have at least 10 characters (it has 5)." in result.output
    user, _, orgs = _state(app, "claire@example.org")
    assert user is None and orgs == []


def test_create_admin_refuses_an_empty_organisation(app, runner):
    result = _run(runner, "--email", "claire@example.org", "--password", PASSWORD,
                  "--organisation", "   ")
    assert result.exit_code == 2
    assert "the organisation's name cannot be empty." in result.output


def test_create_admin_needs_email_and_organisation(runner):
    result = _run(runner, "--password", PASSWORD)
    assert result.exit_code == 2
    assert "Missing option '--email'" in result.output


def test_create_admin_asks_for_the_password_when_left_out(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "claire@example.org", "--organisation", "Résovilles"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    _, memberships, _ = _state(app, "claire@example.org")
    assert memberships == {"resovilles": "admin"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1
