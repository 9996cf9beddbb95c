"""One offer as a PDF sheet: public URL, back-office URL for drafts, what the sheet says."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from tests import factories
from tests.pdf.helpers import contains, page_count, pdf_text
from tracker.accounts.models import Role
from tracker.db import db, utcnow
from tracker.pdf.services import notice_for, quoted
from tracker.postings.display import deadline_text, summary_rows
from tracker.postings.models import ContactRole, PostingContact, PostingStatus


def sheet_url(posting_id: int, slug: str) -> str:
    return f"/offres/{posting_id}-{slug}.pdf"


def expected_texts(app, posting_id: int) -> dict:
    """What the sheet must say, worded by the same helpers in the organisation's language."""
    from tracker.postings.models import Posting

    with app.test_request_context(), force_locale("fr"):
        posting = db.session.get(Posting, posting_id)
        return {
            "title": posting.title,
            "organisation": posting.organisation.name,
            "deadline": deadline_text(posting),
            "subject": quoted(posting.subject_line),
            "subject_line": posting.subject_line,
            "rows": summary_rows(posting),
            "contacts": [(c.display_name, c.display_email) for c in posting.contacts],
            "notice": notice_for(posting, utcnow()),
        }


def test_offer_sheet_holds_every_field_of_a_complete_posting(app, client):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré", slug="villes-au-carre")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        posting_id, slug = posting.id, posting.slug

    response = client.get(sheet_url(posting_id, slug))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename=villes-au-carre-{slug}.pdf'
    )
    assert response.headers["Cache-Control"] == "public, max-age=300"
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    assert page_count(data) >= 1
    text = pdf_text(data)
    expected = expected_texts(app, posting_id)
    assert contains(text, expected["title"])
    assert contains(text, "Villes au Carré")
    assert contains(text, expected["deadline"])
    assert contains(text, expected["subject"])  # « Candidature ... » with its quotes
    for name, email in expected["contacts"]:
        assert contains(text, name)
        assert contains(text, email)
    assert len(expected["rows"]) == 17  # the factory fills every field
    for label, value in expected["rows"]:
        assert contains(text, value), (label, value)
    assert contains(text, f"http://tracker.test/offres/{posting_id}-{slug}")
    assert contains(text, "https://www.example.org/offres/1")  # source URL
    assert expected["notice"] == ""
    assert contains(text, "Page 1 / ")


def test_offer_sheet_prints_markdown_lists_and_nested_items(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(
            org, status=PostingStatus.PUBLISHED,
            missions="- Soutenir les conseils citoyens\n  - animer les réunions\n"
                     "  - relancer les participants\n- Être en veille",
            profile="**Savoir-faire** : écrire <script>alert(1)</script>",
        )
        db.session.commit()
        posting_id, slug = posting.id, posting.slug

    text = pdf_text(client.get(sheet_url(posting_id, slug)).get_data())

    for item in ("Soutenir les conseils citoyens", "animer les réunions",
                 "relancer les participants", "Être en veille"):
        assert contains(text, item)
    # Raw HTML in Markdown is shown as text, never interpreted.
    assert contains(text, "<script>alert(1)</script>")


def test_offer_sheet_of_closed_offer_says_it_is_closed(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.CLOSED)
        db.session.commit()
        posting_id, slug = posting.id, posting.slug
    expected = expected_texts(app, posting_id)

    response = client.get(sheet_url(posting_id, slug))

    assert response.status_code == 200
    assert expected["notice"] != ""
    assert contains(pdf_text(response.get_data()), expected["notice"])


def test_offer_sheet_of_open_offer_with_passed_deadline_says_it_is_closed(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        posting.deadline = utcnow() - timedelta(days=2)
        db.session.commit()
        posting_id, slug = posting.id, posting.slug
    expected = expected_texts(app, posting_id)

    text = pdf_text(client.get(sheet_url(posting_id, slug)).get_data())

    assert expected["notice"] != ""
    assert contains(text, expected["notice"])


def test_offer_sheet_draft_is_404(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.DRAFT)
        db.session.commit()
        posting_id, slug = posting.id, posting.slug

    assert client.get(sheet_url(posting_id, slug)).status_code == 404


def test_offer_sheet_archived_is_410(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.ARCHIVED)
        db.session.commit()
        posting_id, slug = posting.id, posting.slug

    assert client.get(sheet_url(posting_id, slug)).status_code == 410


def test_offer_sheet_unknown_id_is_404(app, client):
    assert client.get(sheet_url(999999, "rien")).status_code == 404


def test_offer_sheet_wrong_slug_redirects_permanently_to_canonical(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        posting_id, slug = posting.id, posting.slug

    response = client.get(sheet_url(posting_id, "ancien-titre"))

    assert response.status_code == 301
    assert response.headers["Location"].endswith(sheet_url(posting_id, slug))


def test_offer_sheet_without_answer_promise_leaves_it_out(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(
            org, status=PostingStatus.PUBLISHED, answer_promise=False,
            contacts=[PostingContact(name="Anne-Sophie Garnier",
                                     email="annesophie.garnier@example.org",
                                     role=ContactRole.TO)],
        )
        db.session.commit()
        posting_id, slug = posting.id, posting.slug
    with app.test_request_context(), force_locale("fr"):
        from flask_babel import gettext as _

        promise = _("Every application will receive an answer.")

    text = pdf_text(client.get(sheet_url(posting_id, slug)).get_data())

    assert contains(text, "Anne-Sophie Garnier")
    assert contains(text, "annesophie.garnier@example.org")
    assert not contains(text, promise)


def test_offer_sheet_not_taking_email_shows_no_address_nor_subject(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, accepts_email=False,
                                    subject_line="")
        db.session.commit()
        posting_id, slug = posting.id, posting.slug
    with app.test_request_context(), force_locale("fr"):
        from flask_babel import gettext as _

        subject_label = _("Required subject line of your email")

    text = pdf_text(client.get(sheet_url(posting_id, slug)).get_data())

    assert not contains(text, subject_label)
    assert not contains(text, "claire.fontaine@example.org")
    assert contains(text, f"http://tracker.test/offres/{posting_id}-{slug}")


def test_offer_sheet_shows_logo_from_database(app, client):
    from tests.pdf.helpers import first_page_images
    from tests.pdf.test_url_fetcher import png_bytes

    with app.app_context():
        org = factories.organisation(logo=png_bytes(), logo_media_type="image/png")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        plain = factories.posting(factories.organisation(), status=PostingStatus.PUBLISHED)
        db.session.commit()
        with_logo = sheet_url(posting.id, posting.slug)
        without_logo = sheet_url(plain.id, plain.slug)

    assert first_page_images(client.get(with_logo).get_data()) == 1
    assert first_page_images(client.get(without_logo).get_data()) == 0


# -- the back-office sheet (drafts included) ------------------------------------------------

def draft_url(org_slug: str, posting_id: int) -> str:
    return f"/gestion/{org_slug}/offres/{posting_id}/fiche.pdf"


def test_draft_sheet_for_member_shows_draft(app, client, login):
    with app.app_context():
        org = factories.organisation()
        lead = factories.user(org, Role.LEAD)
        posting = factories.posting(org, status=PostingStatus.DRAFT)
        factories.reviewer(posting, lead)  # leads see the offers they review
        db.session.commit()
        email, org_slug, posting_id, slug = lead.email, org.slug, posting.id, posting.slug
    expected = expected_texts(app, posting_id)
    login(email)

    response = client.get(draft_url(org_slug, posting_id))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == f"inline; filename={org_slug}-{slug}.pdf"
    text = pdf_text(response.get_data())
    assert contains(text, expected["title"])
    assert contains(text, expected["subject"])
    assert contains(text, expected["notice"])  # "Draft: this offer is not published."


def test_draft_sheet_of_another_organisation_is_404(app, client, login):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN)
        other = factories.organisation()
        foreign = factories.posting(other, status=PostingStatus.DRAFT)
        db.session.commit()
        email, org_slug, other_slug, foreign_id = admin.email, org.slug, other.slug, foreign.id
    login(email)

    # Their posting under our organisation's URL, and their organisation's URL.
    assert client.get(draft_url(org_slug, foreign_id)).status_code == 404
    assert client.get(draft_url(other_slug, foreign_id)).status_code == 404
    assert client.get(draft_url(org_slug, 999999)).status_code == 404


def test_draft_sheet_anonymous_is_sent_to_login(app, client):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org)
        db.session.commit()
        org_slug, posting_id = org.slug, posting.id

    response = client.get(draft_url(org_slug, posting_id))

    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_offer_sheet_renders_outside_a_request_with_server_name(app):
    """A worker (e.g. attaching the sheet to an email) has no request: SERVER_NAME is used."""
    from tracker.pdf.services import offer_sheet_pdf

    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        data = offer_sheet_pdf(posting)
        text = pdf_text(data)
        assert contains(text, posting.title)
        assert contains(text, f"http://tracker.test/offres/{posting.id}-{posting.slug}")
        assert contains(text, "Page 1 / ")  # print.css was fetched and applied
