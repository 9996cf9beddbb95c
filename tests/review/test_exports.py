"""Exports of an offer's applications (CSV, XLSX), read back cell by cell."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import factories
from tracker.accounts.models import Organisation, Role
from tracker.db import db
from tracker.postings.models import Posting, PostingStatus
from tracker.review.exports import ascii_slug, local
from tracker.review.models import Criterion, Review, ReviewScore, StageKind
from tracker.review.stages import stage_of_kind

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}
RECEIVED = datetime(2026, 3, 4, 13, 5, tzinfo=UTC)  # 14:05 in Paris (winter time)
ANSWERED = datetime(2026, 3, 20, 23, 30, tzinfo=UTC)  # already 21 March in Paris


# --- Helpers (the dossier tests use them too) ---------------------------------------------------


def criteria_of(posting) -> list[Criterion]:
    return list(db.session.scalars(
        sa.select(Criterion).where(Criterion.posting_id == posting.id)
        .order_by(Criterion.position, Criterion.id)))


def add_review(application, reviewer, recommendation: str, scores: list[int | None],
               comment: str = "") -> Review:
    """A review with one score per criterion (in order; None = unscored), and the review's and
    the application's scores recomputed as tracker.review.scoring does (weighted means)."""
    criteria = criteria_of(application.posting)
    review = Review(application_id=application.id, reviewer_id=reviewer.id,
                    recommendation=recommendation, comment=comment)
    db.session.add(review)
    db.session.flush()
    weighted = weights = 0
    for criterion, score in zip(criteria, scores, strict=False):
        if score is not None:
            db.session.add(ReviewScore(review_id=review.id, criterion_id=criterion.id,
                                       score=score))
            weighted += score * criterion.weight
            weights += criterion.weight
    review.score = two(Decimal(weighted) / weights) if weights else None
    db.session.flush()
    reviews = list(db.session.scalars(
        sa.select(Review).where(Review.application_id == application.id)))
    scored = [Decimal(r.score) for r in reviews if r.score is not None]
    application.review_count = len(reviews)
    application.score = two(sum(scored) / len(scored)) if scored else None
    db.session.flush()
    return review


def two(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Offer:
    org_slug: str
    posting_id: int
    admin: str
    lead: str
    application_id: int
    reference: str


def build_offer(app, *, anonymised: bool = False, hidden: bool = False, **candidate) -> Offer:
    """An offer with one rejected, answered application reviewed by an admin and a lead."""
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN, name="Claire Fontaine")
        lead = factories.user(org, Role.LEAD, name="Inès Moreau")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin,
                                    title="Chargé·e de mission « Conseils citoyens »",
                                    anonymised=anonymised, reviews_hidden_until_own=hidden)
        factories.reviewer(posting, lead)
        application = factories.application(posting, **candidate)
        application.submitted_at = RECEIVED
        rejected = stage_of_kind(org.id, StageKind.REJECTED)
        application.stage = rejected
        application.decision = "not_retained"
        application.decision_reason = "experience"
        application.decided_at = ANSWERED
        application.answered_at = ANSWERED
        add_review(application, admin, "yes", [4, 3, 5, None], "Très motivée.")
        add_review(application, lead, "no", [2, 3, None, 2], "Peu d'expérience.")
        db.session.commit()
        return Offer(org.slug, posting.id, admin.email, lead.email, application.id,
                     application.reference)


def client_for(app, email: str):
    """A test client logged in as ``email`` (one per person: no logging out in between)."""
    client = app.test_client()
    response = client.post("/connexion", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))


def export(client, offer: Offer, extension: str, headers=EN):
    return client.get(f"/gestion/{offer.org_slug}/offres/{offer.posting_id}/candidatures."
                      f"{extension}", headers=headers)


def workbook_rows(data: bytes):
    sheet = load_workbook(io.BytesIO(data)).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


HEADERS = [
    "Reference", "First name", "Last name", "Email", "Phone", "Anonymised", "Channel",
    "Received", "Stage", "Decision", "Reason", "Answered on", "Reviews",
    "Weighted mean score", "Motivation", "Expérience", "Compétences", "Adéquation au poste",
    "Recommended: yes", "Recommended: maybe", "Recommended: no", "Withdrawn on",
]


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_read_back_with_exact_values(app, client, login):
    offer = build_offer(app, first_name="Léa", last_name="Martin", phone="06 12 34 56 78",
                        email="lea.martin@example.com")
    login(offer.admin)
    response = export(client, offer, "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="chargee-de-mission-conseils-citoyens-applications.csv"')
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = csv_rows(response.data)
    assert rows[0] == HEADERS
    # Admin: 4,3,5 -> 4.00; lead: 2,3,2 -> 2.33; mean 3.17 (rounded from 3.165).
    assert rows[1:] == [[
        offer.reference, "Léa", "Martin", "lea.martin@example.com", "06 12 34 56 78", "",
        "Online form", "2026-03-04 14:05", "Non retenue", "Not retained",
        "Not enough experience", "2026-03-21", "2", "3.17", "3.00", "3.00", "5.00", "2.00",
        "1", "0", "1", "",
    ]]
    assert response.data.count(b"\r\n") == 2


def test_csv_in_french_has_decimal_commas(app, client, login):
    offer = build_offer(app)
    login(offer.admin)
    rows = csv_rows(export(client, offer, "csv", headers=FR).data)
    assert len(rows[0]) == len(HEADERS)
    assert rows[1][13:18] == ["3,17", "3,00", "3,00", "5,00", "2,00"]


def test_csv_neutralises_formulas(app, client, login):
    offer = build_offer(app, first_name='=HYPERLINK("http://example.net/x","clic")',
                        last_name="+SUM(1;2)", phone="-2+3", email="at@example.com")
    with app.app_context():
        criterion = db.session.scalars(sa.select(Criterion).where(
            Criterion.posting_id == offer.posting_id).order_by(Criterion.position)).first()
        criterion.name = "@cmd|' /C calc'!A0"
        db.session.commit()
    login(offer.admin)
    rows = csv_rows(export(client, offer, "csv").data)
    assert rows[0][14] == "'@cmd|' /C calc'!A0"
    assert rows[1][1:5] == ["'=HYPERLINK(\"http://example.net/x\",\"clic\")", "'+SUM(1;2)",
                            "at@example.com", "'-2+3"]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_read_back_with_types(app, client, login):
    offer = build_offer(app, first_name="Léa", last_name="Martin", phone="06 12 34 56 78",
                        email="lea.martin@example.com")
    login(offer.admin)
    response = export(client, offer, "xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('-applications.xlsx"')
    sheet, rows = workbook_rows(response.data)
    assert rows[0] == HEADERS
    assert rows[1] == [
        offer.reference, "Léa", "Martin", "lea.martin@example.com", "06 12 34 56 78", None,
        "Online form", datetime(2026, 3, 4, 14, 5), "Non retenue", "Not retained",
        "Not enough experience", datetime(2026, 3, 21, 0, 0), 2, 3.17, 3, 3, 5, 2, 1, 0, 1,
        None,
    ]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["D"].width == 30
    assert sheet["H2"].is_date and sheet["H2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["L2"].is_date and sheet["L2"].number_format == "yyyy-mm-dd"
    assert sheet["N2"].data_type == "n" and sheet["N2"].number_format == "0.00"
    assert sheet.title == "Chargé·e de mission « Conseils"


def test_xlsx_neutralises_formulas(app, client, login):
    offer = build_offer(app, first_name="=1+1", last_name="@SUM(A1)", phone="+33 6 12 34 56 78")
    login(offer.admin)
    sheet, rows = workbook_rows(export(client, offer, "xlsx").data)
    assert rows[1][1:3] == ["'=1+1", "'@SUM(A1)"]
    assert rows[1][4] == "'+33 6 12 34 56 78"
    assert {sheet.cell(2, column).data_type for column in (2, 3, 5)} == {"s"}


def test_exports_of_an_offer_without_applications(app, client, login):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        db.session.commit()
        offer = Offer(org.slug, posting.id, admin.email, "", 0, "")
    login(offer.admin)
    assert csv_rows(export(client, offer, "csv").data) == [HEADERS]
    _sheet, rows = workbook_rows(export(client, offer, "xlsx").data)
    assert rows == [HEADERS]


# --- Anonymised screening and hidden reviews ----------------------------------------------------

SECRETS = ("Zoé", "Quintard", "zoe.quintard", "07 98 76 54 32", "0798765432", "98 76 54")


def all_cells(data: bytes) -> str:
    _sheet, rows = workbook_rows(data)
    return "\n".join(str(value) for row in rows for value in row if value is not None)


def test_masked_applications_are_anonymous_in_both_exports(app, client, login):
    offer = build_offer(app, anonymised=True, first_name="Zoé", last_name="Quintard",
                        email="zoe.quintard@example.net", phone="07 98 76 54 32")
    login(offer.admin)
    csv_data = export(client, offer, "csv").data
    xlsx_text = all_cells(export(client, offer, "xlsx").data)
    csv_text = csv_data.decode("utf-8-sig")
    for secret in SECRETS:
        assert secret.lower() not in csv_text.lower()
        assert secret.lower() not in xlsx_text.lower()
    row = csv_rows(csv_data)[1]
    assert row[:6] == [offer.reference, "", "", "", "", "anonymised"]
    assert row[13] == "3.17"  # the scores stay: they are not identifying

    with app.app_context():  # revealed (e.g. moved to the interview stage): names again
        from tracker.applications.models import Application

        db.session.get(Application, offer.application_id).revealed_at = ANSWERED
        db.session.commit()
    row = csv_rows(export(client, offer, "csv").data)[1]
    assert row[1:6] == ["Zoé", "Quintard", "zoe.quintard@example.net", "07 98 76 54 32", ""]


def test_hidden_reviews_are_left_out_for_who_has_not_reviewed(app):
    offer = build_offer(app, hidden=True)
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(
            Organisation.slug == offer.org_slug))
        from tracker.postings.models import Posting

        posting = db.session.get(Posting, offer.posting_id)
        idle = factories.user(org, Role.LEAD, email="idle.lead@example.org")
        factories.reviewer(posting, idle)
        db.session.commit()
    row = csv_rows(export(client_for(app, "idle.lead@example.org"), offer, "csv").data)[1]
    # The count stays; the weighted mean, per-criterion means and recommendations are hidden.
    assert row[12:] == ["2", "", "", "", "", "", "", "", "", ""]
    # The lead has reviewed: sees everything.
    row = csv_rows(export(client_for(app, offer.lead), offer, "csv").data)[1]
    assert row[12:21] == ["2", "3.17", "3.00", "3.00", "5.00", "2.00", "1", "0", "1"]


# --- Who may export ------------------------------------------------------------------------------


def test_lead_of_another_offer_and_other_organisation_get_404(app):
    offer = build_offer(app)
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(
            Organisation.slug == offer.org_slug))
        factories.user(org, Role.LEAD, email="other.lead@example.org")
        other = factories.organisation()
        factories.user(other, Role.ADMIN, email="other.admin@example.org")
        db.session.commit()
    for email in ("other.lead@example.org", "other.admin@example.org"):
        visitor = client_for(app, email)
        for extension in ("csv", "xlsx"):
            assert export(visitor, offer, extension).status_code == 404, (email, extension)
    # A lead who reviews the offer may export it.
    assert export(client_for(app, offer.lead), offer, "csv").status_code == 200


def test_anonymous_visitor_is_sent_to_login(app, client):
    offer = build_offer(app)
    response = export(client, offer, "csv")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


# --- Queries ------------------------------------------------------------------------------------


def _offer_with(app, count: int) -> Offer:
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org)
        lead = factories.user(org, Role.LEAD)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin,
                                    anonymised=True)
        for n in range(count):
            application = factories.application(posting, email=f"c{n}@example.com")
            if n % 2:
                application.revealed_at = RECEIVED
            if n % 3 == 0:
                add_review(application, admin, "maybe", [3, 4, 2, 5])
                add_review(application, lead, "yes", [5, None, 4, 4])
        db.session.commit()
        return Offer(org.slug, posting.id, admin.email, lead.email, 0, "")


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_query_count_does_not_grow_with_applications(app, queries, extension):
    small, large = _offer_with(app, 3), _offer_with(app, 300)
    counts = []
    for offer in (small, large):
        admin = client_for(app, offer.admin)
        with queries() as n:
            response = export(admin, offer, extension)
        assert response.status_code == 200
        counts.append(n())
    assert counts[0] == counts[1]


def test_export_links_on_the_application_list(app, client, login):
    offer = build_offer(app)
    login(offer.admin)
    html = client.get(f"/gestion/{offer.org_slug}/offres/{offer.posting_id}/candidatures",
                      headers=EN).get_data(as_text=True)
    base = f"/gestion/{offer.org_slug}/offres/{offer.posting_id}"
    assert f'href="{base}/candidatures.csv"' in html
    assert f'href="{base}/candidatures.xlsx"' in html
    assert f'href="{base}/dossier.pdf"' in html


def test_times_are_shown_in_the_organisation_timezone():
    paris = ZoneInfo("Europe/Paris")
    assert local(datetime(2026, 7, 1, 22, 30, 15, 999, tzinfo=UTC), paris) == datetime(
        2026, 7, 2, 0, 30, 15)
    assert local(None, paris) is None


def test_filenames_are_ascii():
    assert ascii_slug("Chargé·e de mission « ville » 2026") == "chargee-de-mission-ville-2026"
    assert ascii_slug("«»") == "document"


def test_sheet_titles_are_valid_for_excel(app):
    from tracker.review.exports import sheet_title

    with app.app_context():
        posting = Posting(title="'Animateur/trice [quartiers]: *ville* ? 2026 et au-delà'",
                          slug="animateur")
        assert sheet_title(posting) == "Animateurtrice quartiers ville"
        assert sheet_title(Posting(title="///", slug="x")) == "Applications"
