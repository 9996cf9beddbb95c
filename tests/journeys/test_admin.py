"""An admin writes an offer, is told what is missing, publishes it, and finds it on the board."""

import re
from datetime import date, timedelta

import pytest

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db

pytestmark = pytest.mark.browser


def test_admin_writes_publishes_and_finds_offer(app, live_server, page):
    with app.app_context():
        org = factories.organisation(name="RésO Villes")
        admin = factories.user(org, Role.ADMIN, email="direction@example.net")
        db.session.commit()
        org_slug, email = org.slug, admin.email

    page.goto(live_server + f"/gestion/{org_slug}/offres/nouvelle")
    assert "/connexion" in page.url  # the back office asks who you are first
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()
    assert page.url.endswith(f"/gestion/{org_slug}/offres/nouvelle")

    # Saved with an error first: the form keeps what was typed and focuses the faulty field.
    page.locator("#title").fill("Chargé·e d'accompagnement des conseils citoyens")
    page.locator("#contract_type").select_option("cdd")
    page.locator("#missions").fill("- Soutenir les conseils citoyens\n  - animer les réunions")
    page.locator("#pay_kind").select_option("amount")
    page.locator("#pay_min").fill("2 000")
    page.locator("#pay_max").fill("1 800")
    with page.expect_navigation():
        page.locator("form.posting-form button[type=submit]").click()
    assert page.locator("#pay_max").get_attribute("aria-invalid") == "true"
    assert page.locator("#title").input_value() == "Chargé·e d'accompagnement des conseils citoyens"
    assert page.evaluate("document.activeElement.id") == "pay_max"

    page.locator("#pay_max").fill("2 200")
    deadline = date.today() + timedelta(days=15)
    page.locator("#deadline_date").fill(deadline.isoformat())
    page.locator("#subject_line").fill("Candidature CDD conseils citoyens")
    page.locator("#contacts-0-name").fill("Gaëlle Le Floch")
    page.locator("#contacts-0-email").fill("gaelle.lefloch@example.net")
    page.locator("#contacts-0-role").select_option("to")
    with page.expect_navigation():
        page.locator("form.posting-form button[type=submit]").click()
    assert re.search(rf"/gestion/{org_slug}/offres/\d+$", page.url), page.url

    publish = page.locator("form[action$='/statut']:has(input[value='published']) button")
    with page.expect_navigation():
        publish.click()
    assert page.locator(".flash-success").count() == 1

    page.goto(live_server + "/")
    item = page.locator(".offer-item", has_text="Chargé·e d'accompagnement des conseils citoyens")
    assert item.count() == 1
    assert "RésO Villes" in item.inner_text()
