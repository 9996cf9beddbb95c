"""A visitor finds an offer on the board, reads how to apply, and downloads its PDF sheet."""

import pytest

from tests import factories
from tracker.db import db
from tracker.postings.models import PostingStatus

pytestmark = pytest.mark.browser


def test_visitor_finds_offer_reads_subject_line_and_gets_pdf(app, live_server, page):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré")
        factories.posting(org, status=PostingStatus.PUBLISHED, title="Stage Démocratie permanente",
                          subject_line="Candidature stagiaire démocratie permanente",
                          deadline=factories.future(10))
        factories.posting(org, status=PostingStatus.PUBLISHED, title="Chargé·e de mission",
                          deadline=factories.future(20))
        db.session.commit()

    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    titles = page.locator(".offer-item h2").all_inner_texts()
    assert titles == ["Stage Démocratie permanente", "Chargé·e de mission"]  # soonest first

    page.locator("#q").fill("démocratie")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".offer-item h2").all_inner_texts() == ["Stage Démocratie permanente"]

    with page.expect_navigation():
        page.get_by_role("link", name="Stage Démocratie permanente", exact=True).click()
    assert page.locator("h1").inner_text() == "Stage Démocratie permanente"
    assert "Candidature stagiaire démocratie permanente" in page.locator("body").inner_text()

    pdf_link = page.locator("a[href$='.pdf']").first
    response = page.request.get(live_server + pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def test_visitor_switches_to_english(app, live_server, page):
    with app.app_context():
        org = factories.organisation()
        factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()

    page.goto(live_server + "/")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Job offers"
    page.goto(live_server + "/")  # the choice sticks
    assert page.locator("html").get_attribute("lang") == "en"
