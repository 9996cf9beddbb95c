"""The stage panel, the bulk form and the pipeline editor in headless Chromium.

Screenshots go to $TRACKER_SHOTS (when set) for a person to look at. Uses the journeys' live
server and browser (tests/journeys/conftest.py): one Playwright per process.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import factories
from tests.review.stages_support import offer_world
from tracker.applications.models import Application
from tracker.db import db

SHOTS = os.environ.get("TRACKER_SHOTS")


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"Accept-Language": "en"})
    tab = context.new_page()
    yield tab
    context.close()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.locator("main form input[type=submit], main form button[type=submit]").first.click()


def test_lead_moves_one_then_rejects_the_others_in_bulk(app, live_server, page):
    with app.app_context():
        w = offer_world(anonymised=True)
        ids = [factories.application(w["posting"], last_name=f"Martin{i}",
                                     email=f"lea{i}@example.com").id for i in range(3)]
        db.session.commit()
        org, lead, posting_id = w["org"].slug, w["lead"].email, w["posting"].id
    log_in(page, live_server, lead)

    page.goto(f"{live_server}/gestion/{org}/candidatures/{ids[0]}")
    panel = page.locator("#stage")
    assert panel.locator(".stage-badge").inner_text() == "Received"
    assert not panel.locator(".stage-reason").is_visible()  # only for "not retained"
    panel.locator("select[name=stage_id]").select_option(label="Not retained")
    assert panel.locator(".stage-reason").is_visible()
    shot(page, "panel-reason")
    panel.locator("select[name=stage_id]").select_option(label="Interview")
    with page.expect_navigation():
        panel.get_by_role("button", name="Move").click()
    assert "moved to “Interview”" in page.locator(".flashes").inner_text()
    assert page.locator("#stage .stage-badge").inner_text() == "Interview"
    shot(page, "panel-after-move")

    page.goto(f"{live_server}/gestion/{org}/offres/{posting_id}/candidatures")
    for application_id in ids[1:]:
        page.check(f"input[name=application_ids][value='{application_id}']")
    page.select_option("#bulk-stage", label="Not retained")
    page.select_option("#bulk-reason", value="other_candidate")
    shot(page, "bulk-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Move the ticked applications").click()
    assert "2 applications moved to “Not retained”." in page.locator(".flashes").inner_text()
    shot(page, "bulk-after")
    with app.app_context():
        decisions = [db.session.get(Application, i).decision for i in ids]
    assert decisions == [None, "not_retained", "not_retained"]


def test_admin_edits_the_pipeline(app, live_server, page):
    with app.app_context():
        w = offer_world()
        db.session.commit()
        org, admin = w["org"].slug, w["admin"].email
    log_in(page, live_server, admin)
    page.goto(f"{live_server}/gestion/{org}/etapes")
    shot(page, "editor")
    page.locator("form.pipeline-add input[name=name]").fill("Phone call")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the stage").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Move “Phone call” up").click()
    rows = page.locator(".pipeline-table tbody tr.stage-open input[type=text]")
    assert [rows.nth(i).input_value() for i in range(rows.count())] == [
        "Received", "Shortlisted", "Interview", "Phone call", "Offer"]
    with page.expect_navigation():
        page.get_by_role("button", name="Delete the stage “Phone call”").click()
    assert "Stage “Phone call” deleted." in page.locator(".flashes").inner_text()
    shot(page, "editor-after")
