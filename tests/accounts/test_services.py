"""Accounts services, called directly."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from tests import factories
from tests.accounts.helpers import events
from tracker.accounts import services
from tracker.accounts.models import Role
from tracker.accounts.services import AccountError
from tracker.db import db


def test_authenticate_matches_email_case_insensitively(app):
    with app.app_context():
        user = factories.user(email="claire@example.org")
        assert services.authenticate("CLAIRE@Example.org", factories.PASSWORD) is user
        assert services.authenticate("claire@example.org", "wrong password") is None
        assert services.authenticate("nobody@example.org", factories.PASSWORD) is None


def test_authenticate_refuses_an_account_without_password(app):
    with app.app_context():
        user = factories.user(email="claire@example.org")
        user.password_hash = ""
        assert services.authenticate("claire@example.org", "") is None


def test_generated_passwords_are_readable_and_different(app):
    passwords = {services.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert re.fullmatch(r"[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){3}", password)
        assert len(password) >= 10


@pytest.mark.parametrize("name, existing, expected", [
    ("Villes au carré", [], "villes-au-carre"),
    ("Villes au carré", ["villes-au-carre"], "villes-au-carre-2"),
    ("Villes au carré", ["villes-au-carre", "villes-au-carre-2"], "villes-au-carre-3"),
    ("Ville de Saint-Étienne", [], "ville-de-saint-etienne"),
    ("جمعية", [], "organisation"),
    ("A" * 120, [], "a" * 70),
])
def test_unique_organisation_slug(app, name, existing, expected):
    with app.app_context():
        for slug in existing:
            factories.organisation(slug=slug)
        assert services.unique_organisation_slug(name) == expected


def test_add_member_twice_is_refused(app):
    with app.app_context(), force_locale("en"):
        org = factories.organisation()
        factories.user(org, Role.ADMIN, email="claire@example.org")
        with pytest.raises(AccountError, match="claire@example.org is already a member"):
            services.add_member(org, email="Claire@example.org", name="Claire", role="lead",
                                actor=None)


def test_last_admin_rules(app):
    with app.app_context(), force_locale("en"):
        org = factories.organisation()
        first = factories.user(org, Role.ADMIN, name="Claire Fontaine")
        second = factories.user(org, Role.LEAD)
        first_m, second_m = first.memberships[0], second.memberships[0]
        with pytest.raises(AccountError, match="last administrator"):
            services.change_role(first_m, Role.LEAD, actor=first)
        with pytest.raises(AccountError, match="last administrator"):
            services.remove_member(first_m, actor=first)
        assert services.change_role(second_m, Role.ADMIN, actor=first) is True
        assert services.change_role(second_m, Role.ADMIN, actor=first) is False
        services.change_role(first_m, Role.LEAD, actor=second)
        with pytest.raises(AccountError, match="last administrator"):
            services.remove_member(second_m, actor=second)
        services.remove_member(first_m, actor=second)
        db.session.commit()
        assert [(e.action, e.object_id) for e in events()] == [
            ("member.change_role", second.id),
            ("member.change_role", first.id),
            ("member.remove", first.id),
        ]


def test_update_organisation_without_change_records_nothing(app):
    with app.app_context():
        org = factories.organisation(name="Résovilles")
        assert services.update_organisation(org, actor=None, values={"name": "Résovilles"}) == []
        assert services.update_organisation(org, actor=None, values={}, remove_logo=True) == []
        assert events() == []
