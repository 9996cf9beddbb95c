"""The score (mean of the others' reviews) follows "reviews hidden until your own" everywhere."""

from __future__ import annotations

from decimal import Decimal

from tests.pdf.helpers import contains, pdf_text
from tests.review.dashboard_support import (
    EN,
    add,
    html_of,
    listed,
    make_office,
    review,
)
from tests.review.test_dossier import build_case, dossier
from tests.review.test_exports import (
    build_offer,
    client_for,
    csv_rows,
    export,
    workbook_rows,
)
from tracker.applications.models import Application
from tracker.db import db


def score_cell(html: str) -> str:
    return html.split('class="cell-score">', 1)[1].split("</td>", 1)[0]


def test_list_hides_the_score_until_my_review(app, client, login):
    office = make_office(app, reviews_hidden_until_own=True)
    other = add(app, office, first_name="Agathe", last_name="Blanc", minutes_ago=5)
    newer = add(app, office, first_name="Bruno", last_name="Carré")
    review(app, other, office.admin_id, score="4.5")
    login(office.lead)
    html = html_of(client.get(office.list_url, headers=EN))
    assert "4.5" not in score_cell(html.split("Agathe BLANC", 1)[1])
    assert "1 review<" in html  # the count stays, as on the application page
    assert listed(html_of(client.get(office.list_url + "?note_min=4", headers=EN))) == []
    assert listed(html_of(client.get(office.list_url + "?note_max=4.5", headers=EN))) == []
    # Sorting by score puts the hidden ones last (date order), as if unscored.
    by_score = listed(html_of(client.get(office.list_url + "?tri=score&ordre=desc",
                                         headers=EN)))
    assert by_score == ["Bruno CARRÉ", "Agathe BLANC"]

    review(app, other, office.lead_id, score="4.5")  # now I have reviewed it
    html = html_of(client.get(office.list_url, headers=EN))
    assert "<strong>4.5</strong>" in score_cell(html.split("Agathe BLANC", 1)[1])
    assert listed(html_of(client.get(office.list_url + "?note_min=4", headers=EN))) == [
        "Agathe BLANC"]
    assert listed(html_of(client.get(office.list_url + "?tri=score&ordre=desc",
                                     headers=EN)))[0] == "Agathe BLANC"
    del newer


def test_list_shows_the_score_when_the_offer_does_not_hide_reviews(app, client, login):
    office = make_office(app, reviews_hidden_until_own=False)
    scored = add(app, office, first_name="Agathe", last_name="Blanc")
    review(app, scored, office.admin_id, score="4.5")
    login(office.lead)
    html = html_of(client.get(office.list_url, headers=EN))
    assert "<strong>4.5</strong>" in score_cell(html)
    assert listed(html_of(client.get(office.list_url + "?note_min=4", headers=EN))) == [
        "Agathe BLANC"]


def _idle_lead(app, posting_id: int, email: str) -> None:
    from tests import factories
    from tracker.accounts.models import Role
    from tracker.postings.models import Posting

    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        idle = factories.user(posting.organisation, Role.LEAD, email=email)
        factories.reviewer(posting, idle)
        db.session.commit()


def test_exports_hide_the_score_until_my_review(app):
    offer = build_offer(app, hidden=True)
    _idle_lead(app, offer.posting_id, "idle.export@example.org")
    idle = client_for(app, "idle.export@example.org")
    row = csv_rows(export(idle, offer, "csv").data)[1]
    assert row[12] == "2" and row[13] == ""
    _sheet, rows = workbook_rows(export(idle, offer, "xlsx").data)
    assert rows[1][12] == 2 and rows[1][13] is None
    reviewer = client_for(app, offer.lead)
    assert csv_rows(export(reviewer, offer, "csv").data)[1][13] == "3.17"
    _sheet, rows = workbook_rows(export(reviewer, offer, "xlsx").data)
    assert rows[1][13] == Decimal("3.17") or rows[1][13] == 3.17


def test_exports_show_the_score_when_the_offer_does_not_hide_reviews(app):
    offer = build_offer(app, hidden=False)
    _idle_lead(app, offer.posting_id, "idle.open@example.org")
    row = csv_rows(export(client_for(app, "idle.open@example.org"), offer, "csv").data)[1]
    assert row[13] == "3.17"


def _score_text(app, application_id: int) -> str:
    with app.app_context():
        return f"{db.session.get(Application, application_id).score:.2f}"


def test_dossier_hides_the_score_until_my_review(app):
    case = build_case(app, hidden=True)
    score = _score_text(app, case.application_id)
    _idle_lead(app, case.posting_id, "idle.dossier@example.org")
    text = pdf_text(dossier(client_for(app, "idle.dossier@example.org"), case).data)
    assert contains(text, "2 reviews")
    assert not contains(text, score), score
    text = pdf_text(dossier(client_for(app, case.lead), case).data)
    assert contains(text, score)


def test_dossier_shows_the_score_when_the_offer_does_not_hide_reviews(app):
    case = build_case(app, hidden=False)
    score = _score_text(app, case.application_id)
    _idle_lead(app, case.posting_id, "idle.dossier2@example.org")
    text = pdf_text(dossier(client_for(app, "idle.dossier2@example.org"), case).data)
    assert contains(text, score)
