"""A candidate applies from a phone: reads the offer, fixes a mistake, sends real files.

Screenshots of the form (empty, with errors) and of the confirmation are written to
``$SCREENSHOT_DIR`` when set (to look at them), else to the test's temporary directory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factories
from tests.files import make_odt, make_pdf
from tracker.applications.models import Application
from tracker.db import db
from tracker.mail.models import Message
from tracker.postings.models import PostingStatus

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_candidate_applies_from_a_phone_with_real_files(app, live_server, phone, shots):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré", slug="villes-au-carre")
        posting = factories.posting(
            org, status=PostingStatus.PUBLISHED,
            title="Alternance Implication citoyenne",
            subject_line="Candidature alternance Implication citoyenne",
            deadline=factories.future(10),
        )
        db.session.commit()
        detail = f"/offres/{posting.id}-{posting.slug}"
    cv, letter = make_pdf("Léa Martin – CV"), make_odt("Lettre de Léa Martin")

    phone.goto(live_server + detail)
    apply_link = phone.locator(f"a[href='{detail}/apply']").first
    assert apply_link.is_visible()
    phone.screenshot(path=str(shots / "apply-0-offer.png"))
    # The email route stays, next to the form's button.
    email_section = phone.locator("#apply")
    assert "Candidature alternance Implication citoyenne" in email_section.inner_text()
    assert email_section.locator(f"a[href='{detail}/apply']").count() == 1
    email_section.scroll_into_view_if_needed()
    phone.screenshot(path=str(shots / "apply-0-offer-how-to-apply.png"))
    with phone.expect_navigation():
        apply_link.click()
    assert phone.url == live_server + detail + "/apply"
    assert phone.locator("h1").inner_text().endswith("Alternance Implication citoyenne")
    # Nothing wider than the screen, and the honeypot is off screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("#website").bounding_box()["x"] < 0
    phone.screenshot(path=str(shots / "apply-1-empty.png"), full_page=True)

    # A first try with mistakes: no last name, a broken email, no CV, no consent.
    phone.fill("#first_name", "Léa")
    phone.fill("#email", "lea.martin@example")
    phone.fill("#message", "Disponible dès septembre.")
    with phone.expect_navigation():
        phone.locator("button.apply-submit").click()
    assert phone.locator(".error-summary").is_visible()
    assert phone.locator(".files-again").is_visible()
    # The first field in error has the focus; what was typed is still there.
    assert phone.evaluate("document.activeElement.id") == "last_name"
    assert phone.input_value("#first_name") == "Léa"
    assert phone.input_value("#message") == "Disponible dès septembre."
    assert phone.locator("#email").get_attribute("aria-invalid") == "true"
    phone.screenshot(path=str(shots / "apply-2-errors.png"), full_page=True)

    phone.fill("#last_name", "Martin")
    phone.fill("#email", "lea.martin@example.com")
    phone.fill("#phone", "06 12 34 56 78")
    phone.set_input_files("#cv", files=[{"name": "CV Léa Martin.pdf",
                                         "mimeType": "application/pdf", "buffer": cv}])
    phone.set_input_files("#letter", files=[{"name": "Lettre.odt", "mimeType":
                                             "application/vnd.oasis.opendocument.text",
                                             "buffer": letter}])
    phone.check("#consent")
    with phone.expect_navigation():
        phone.locator("button.apply-submit").click()
    assert phone.url == live_server + detail + "/apply/merci"
    with app.app_context():
        application = db.session.scalar(sa.select(Application))
        reference = application.reference
        sent = {d.kind: d.sha256 for d in application.latest.documents}
        subjects = set(db.session.scalars(sa.select(Message.subject)))
    assert phone.locator(".reference").inner_text() == reference
    assert "lea.martin@example.com" in phone.locator(".confirmation").inner_text()
    assert sent == {"cv": hashlib.sha256(cv).hexdigest(),
                    "letter": hashlib.sha256(letter).hexdigest()}
    assert "Candidature alternance Implication citoyenne – Léa MARTIN" in subjects
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(shots / "apply-3-confirmation.png"), full_page=True)
