"""Fixtures of the accounts tests: pages in English, an organisation with its people."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db


@pytest.fixture(autouse=True)
def english(client):
    """Every page of these tests in English (the choice survives logging in and out)."""
    client.get("/langue/en")


@dataclass
class Team:
    org_id: int
    slug: str
    admin_id: int
    admin_email: str
    lead_id: int
    lead_email: str


@pytest.fixture
def team(app) -> Team:
    """Organisation "Villes au carré" with an admin (Claire) and a hiring lead (Inès)."""
    with app.app_context():
        org = factories.organisation(name="Villes au carré", slug="villes-au-carre")
        admin = factories.user(org, Role.ADMIN, email="claire.fontaine@example.org",
                               name="Claire Fontaine")
        lead = factories.user(org, Role.LEAD, email="ines.moreau@example.org", name="Inès Moreau")
        db.session.commit()
        return Team(org.id, org.slug, admin.id, admin.email, lead.id, lead.email)
