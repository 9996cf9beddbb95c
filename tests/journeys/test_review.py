"""A hiring lead reviews an offer's applications from start to answer, in a real Chromium.

Claire Fontaine (a lead, the offer's contact) logs in, reviews three applications one after
the other with the "next to review" link, moves one to "Entretien", schedules the interview,
rejects the two others with the bulk action, sends the answer drafts, and the outbox is
delivered to .eml files: the rejected candidates hold the "not retained" answer, the third an
invitation with its .ics. Screenshots go to ``$SCREENSHOT_DIR`` when set.
"""

from __future__ import annotations

import email
import os
from datetime import timedelta
from email import policy
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa

from tests import factories
from tests.files import make_pdf
from tracker.accounts.models import Role
from tracker.applications.models import Application
from tracker.db import db, utcnow
from tracker.mail.delivery import deliver_due
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import ContactRole, PostingContact, PostingStatus
from tracker.review.models import Criterion, Review

pytestmark = pytest.mark.browser

CANDIDATES = (
    ("Léa", "Martin", "lea.martin.journey@example.com"),
    ("Karim", "Benali", "karim.benali.journey@example.com"),
    ("Sophie", "Nguyen", "sophie.nguyen.journey@example.com"),
)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _setup(app) -> dict:
    with app.app_context():
        org = factories.organisation(name="Villes au Carré", slug="villes-au-carre-review")
        factories.user(org, Role.ADMIN)
        lead = factories.user(org, Role.LEAD, name="Claire Fontaine",
                              email="claire.fontaine.journey@example.org")
        posting = factories.posting(
            org, status=PostingStatus.PUBLISHED, title="Alternance Implication citoyenne",
            subject_line="Candidature alternance Implication citoyenne",
            contacts=[PostingContact(user_id=lead.id, name=lead.name, email=lead.email,
                                     role=ContactRole.TO, position=0)],
        )
        factories.reviewer(posting, lead)
        ids = []
        for first, last, address in CANDIDATES:
            cv = make_pdf(f"CV de {first} {last}")
            application = factories.application(
                posting, first_name=first, last_name=last, email=address,
                documents=[("cv", f"CV {first} {last}.pdf", "application/pdf", cv)])
            ids.append(application.id)
        criteria = db.session.scalars(sa.select(Criterion.id).where(
            Criterion.posting_id == posting.id).order_by(Criterion.position)).all()
        db.session.commit()
        return {"org": org.slug, "posting": posting.id, "applications": ids,
                "criteria": criteria, "lead": lead.email}


def _review(page, criteria, scores, recommendation, comment):
    for criterion_id, score in zip(criteria, scores, strict=True):
        page.locator(f"#review-form label:has(input[name='score_{criterion_id}']"
                     f"[value='{score}'])").click()
    page.locator(f"#review-form label:has(input[name='recommendation']"
                 f"[value='{recommendation}'])").click()
    page.fill("#review-form textarea[name='comment']", comment)
    with page.expect_navigation():
        page.locator("#review-form button[type=submit]").click()


def test_a_lead_reviews_schedules_rejects_and_answers(app, live_server, page, shots):
    world = _setup(app)
    base = f"{live_server}/gestion/{world['org']}"
    lea, karim, sophie = world["applications"]

    page.goto(f"{live_server}/connexion")
    page.fill("#email", world["lead"])
    page.fill("#password", factories.PASSWORD)
    with page.expect_navigation():
        page.locator("main form input[type=submit], main form button[type=submit]").first.click()

    # The offer's dashboard: three applications, all to review by me.
    page.goto(f"{base}/offres/{world['posting']}/candidatures")
    listing = page.locator("main").inner_text()
    for _first, last, _address in CANDIDATES:
        assert last.upper() in listing.upper()
    page.screenshot(path=str(shots / "review-1-dashboard.png"), full_page=True)

    # Review the three, going from one to the next with "next to review".
    page.goto(f"{base}/candidatures/{lea}")
    scores = {lea: ([5, 4, 4, 5], "yes", "Très motivée, expérience des conseils citoyens."),
              karim: ([3, 2, 3, 2], "no", "Profil plus orienté développement local."),
              sophie: ([2, 3, 2, 2], "maybe", "Peu d'expérience d'animation.")}
    seen = []
    for _ in range(3):
        current = int(page.url.rstrip("/").rsplit("/", 1)[1])
        seen.append(current)
        values, recommendation, comment = scores[current]
        _review(page, world["criteria"], values, recommendation, comment)
        if len(seen) == 1:
            page.screenshot(path=str(shots / "review-2-after-first-review.png"), full_page=True)
        following = page.locator("a[data-shortcut='next-to-review']")
        if len(seen) < 3:
            with page.expect_navigation():
                following.click()
    assert sorted(seen) == sorted(world["applications"])
    with app.app_context():
        reviews = db.session.scalars(sa.select(Review)).all()
        assert sorted(r.application_id for r in reviews) == sorted(world["applications"])
        assert db.session.get(Application, lea).score is not None

    # Léa goes to "Entretien".
    page.goto(f"{base}/candidatures/{lea}")
    page.select_option("#stage select[name='stage_id']", label="Entretien")
    with page.expect_navigation():
        page.locator("#stage button[type=submit]").click()
    assert "Entretien" in page.locator("#stage").inner_text()

    # ...and gets an interview in five days, at 14:30 Paris time.
    day = (utcnow() + timedelta(days=5)).date()
    with page.expect_navigation():
        page.locator(f"a[href$='/candidatures/{lea}/entretien']").first.click()
    page.fill("#day", day.isoformat())
    page.fill("#time", "14:30")
    page.fill("#place", "Villes au Carré, 12 rue des Halles, Tours – salle 2")
    page.locator("input[name='participants']").first.check()
    page.screenshot(path=str(shots / "review-3-interview-form.png"), full_page=True)
    with page.expect_navigation():
        page.locator("form.interview-form button[type=submit]").click()
    assert "14\u00a0h\u00a030" in page.locator("main").inner_text()  # French, unbreakable

    # The two others are not retained, in one go from the list.
    page.goto(f"{base}/offres/{world['posting']}/candidatures")
    for application_id in (karim, sophie):
        page.check(f"#bulk-form input[name='application_ids'][value='{application_id}']")
    page.select_option("#bulk-stage", label="Non retenue")
    page.select_option("#bulk-reason", value="other_candidate")
    page.screenshot(path=str(shots / "review-4-bulk.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#bulk-form .bulk-actions button[type=submit]").click()
    moved = page.locator(".flash").first.inner_text()
    assert "2" in moved and "Non retenue" in moved, moved
    with app.app_context():
        decided = {a.id: (a.decision, a.decision_reason) for a in db.session.scalars(
            sa.select(Application).where(Application.id.in_(world["applications"])))}
    assert decided == {lea: (None, ""), karim: ("not_retained", "other_candidate"),
                       sophie: ("not_retained", "other_candidate")}

    # The answers wait as drafts; the lead sends them all (with a confirmation step).
    page.goto(f"{base}/offres/{world['posting']}/reponses")
    page.screenshot(path=str(shots / "review-5-drafts.png"), full_page=True)
    with page.expect_navigation():
        page.locator("form[action$='/reponses/envoyer-tout'] button[type=submit]").click()
    confirm = page.locator(".confirm-card")
    assert "2" in confirm.inner_text()
    page.screenshot(path=str(shots / "review-6-confirm.png"), full_page=True)
    with page.expect_navigation():
        confirm.locator("button[type=submit]").click()
    page.screenshot(path=str(shots / "review-7-sent.png"), full_page=True)

    # Deliver the outbox to .eml files and read what each candidate got.
    with app.app_context():
        drafts = db.session.scalar(sa.select(sa.func.count(Message.id)).where(
            Message.posting_id == world["posting"], Message.status == MessageStatus.DRAFT))
        assert drafts == 0
        deliver_due()
        sent = db.session.scalars(sa.select(Message).where(
            Message.application_id.in_(world["applications"]),
            Message.status == MessageStatus.SENT)).all()
        by_address: dict[str, list[tuple[str, Path]]] = {}
        outbox = Path(app.instance_path) / "outbox"
        for message in sent:
            [path] = outbox.glob(f"*-{message.id}.eml")
            for recipient in message.recipients:
                by_address.setdefault(recipient, []).append((message.kind, path))
        answered = {a.id: a.answered_at for a in db.session.scalars(
            sa.select(Application).where(Application.id.in_(world["applications"])))}
    assert answered[karim] and answered[sophie] and not answered[lea]

    for _first, _last, address in CANDIDATES[1:]:
        kinds = {kind for kind, _path in by_address[address]}
        assert "answer.not_retained" in kinds, (address, kinds)
        [path] = [p for kind, p in by_address[address] if kind == "answer.not_retained"]
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = mail.get_body(("plain",)).get_content()
        assert "Alternance Implication citoyenne" in body
        assert "Entretien" not in body
    lea_kinds = {kind: path for kind, path in by_address[CANDIDATES[0][2]]}
    assert "answer.not_retained" not in lea_kinds
    invitation = email.message_from_bytes(lea_kinds["interview.invitation"].read_bytes(),
                                          policy=policy.default)
    [ics] = [part for part in invitation.iter_attachments()
             if part.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    start = event.decoded("DTSTART")
    assert start.date() == day and "salle 2" in str(event["LOCATION"])
