"""Back office: an offer's applications, one application, the documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.files import make_pdf
from tracker.accounts.models import Role
from tracker.applications.downloads import ascii_filename, content_disposition, safe_filename
from tracker.applications.models import Application, Submission
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus

EN = {"Accept-Language": "en"}
CV = make_pdf("CV de Léa")


@dataclass
class Office:
    org_slug: str
    admin: str
    lead: str
    posting_id: int
    title: str


def make_office(app) -> Office:
    with app.app_context():
        org = factories.organisation(name="Villes au carré")
        admin = factories.user(org, Role.ADMIN)
        lead = factories.user(org, Role.LEAD)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, title="Stage démocratie")
        factories.reviewer(posting, lead)
        db.session.commit()
        return Office(org.slug, admin.email, lead.email, posting.id, posting.title)


def add_applications(app, office: Office, n: int, **fields) -> list[int]:
    """n applications, the first received first (one minute apart)."""
    ids = []
    with app.app_context():
        from tracker.postings.models import Posting

        posting = db.session.get(Posting, office.posting_id)
        start = utcnow() - timedelta(days=1)
        for i in range(n):
            application = factories.application(posting, **fields)
            application.submitted_at = start + timedelta(minutes=i)
            ids.append(application.id)
        db.session.commit()
    return ids


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def list_url(office: Office) -> str:
    return f"/gestion/{office.org_slug}/offres/{office.posting_id}/candidatures"


# --- The list --------------------------------------------------------------------------------


def test_list_shows_each_application_newest_first(app, client, login):
    office = make_office(app)
    with app.app_context():
        from tracker.postings.models import Posting

        posting = db.session.get(Posting, office.posting_id)
        old = factories.application(posting, first_name="Agathe", last_name="Blanc",
                                    email="agathe.blanc@example.com", channel="email")
        old.submitted_at = utcnow() - timedelta(days=2)
        new = factories.application(posting, first_name="Bruno", last_name="Carré",
                                    email="bruno.carre@example.com")
        new.withdrawn_at = utcnow()
        new.submissions.append(Submission(version=2, channel="form", message="v2"))
        db.session.flush()
        new.last_submitted_at = utcnow()
        old_id, new_id = old.id, new.id
        document_id = old.submissions[0].documents[0].id
        db.session.commit()
    login(office.lead)
    html = page(client.get(list_url(office), headers=EN))
    assert html.index("Bruno CARRÉ") < html.index("Agathe BLANC")
    assert "2 applications · 1 withdrawn" in html
    assert "agathe.blanc@example.com" in html and "bruno.carre@example.com" in html
    assert f'href="/gestion/{office.org_slug}/candidatures/{old_id}">Agathe BLANC</a>' in html
    assert f'href="/gestion/{office.org_slug}/candidatures/{new_id}">Bruno CARRÉ</a>' in html
    assert '<span class="badge badge-application-withdrawn">Withdrawn</span>' in html
    assert html.count("badge-application-withdrawn") == 1
    assert "New version " in html
    assert " · Email</span>" in html and " · Online form</span>" in html
    # The list links to the application page; documents are read there.
    assert f"/documents/{document_id}" not in html


def test_list_is_paginated(app, client, login, monkeypatch):
    office = make_office(app)
    add_applications(app, office, 5)
    monkeypatch.setitem(app.config, "ADMIN_PAGE_SIZE", 2)
    login(office.admin)
    first = page(client.get(list_url(office), headers=EN))
    assert "Page 1 of 3" in first
    assert first.count('class="cell-candidate"') == 2
    last = page(client.get(list_url(office) + "?page=3", headers=EN))
    assert last.count('class="cell-candidate"') == 1
    beyond = page(client.get(list_url(office) + "?page=9", headers=EN))
    assert "No application on this page." in beyond
    assert page(client.get(list_url(office) + "?page=junk", headers=EN)).count(
        'class="cell-candidate"') == 2


def test_list_of_an_offer_without_applications(app, client, login):
    office = make_office(app)
    login(office.lead)
    html = page(client.get(list_url(office), headers=EN))
    assert "No application yet." in html
    assert "0 applications" in html


@pytest.mark.parametrize("many", [100])
def test_list_runs_as_many_queries_for_3_or_100_applications(app, client, login, queries, many):
    small, large = make_office(app), make_office(app)
    add_applications(app, small, 3)
    add_applications(app, large, many)
    with app.app_context():
        # Two versions each for some of them: more rows, not more queries.
        for application in db.session.scalars(sa.select(Application).limit(20)):
            application.submissions.append(Submission(version=2, channel="form"))
        db.session.commit()
    login(small.admin)
    with queries() as n_small:
        page(client.get(list_url(small)))
    client.post("/deconnexion")
    login(large.admin)
    with queries() as n_large:
        html = page(client.get(list_url(large)))
    assert html.count('class="cell-candidate"') == 50
    assert n_small() == n_large()


def test_offers_list_and_offer_page_link_to_the_applications(app, client, login, queries):
    office = make_office(app)
    add_applications(app, office, 3)
    with app.app_context():
        from tracker.accounts.models import Organisation

        org = db.session.scalar(sa.select(Organisation).where(
            Organisation.slug == office.org_slug))
        factories.posting(org, title="Offre sans candidature")
        db.session.commit()
    login(office.admin)  # the admin sees both offers
    html = page(client.get(f"/gestion/{office.org_slug}/offres/", headers=EN))
    assert (f'href="{list_url(office)}">3<span class="visually-hidden"> applications to '
            f'{office.title}</span></a>') in html
    assert '>0<span class="visually-hidden"> applications to Offre sans candidature' in html
    html = page(client.get(f"/gestion/{office.org_slug}/offres/{office.posting_id}",
                           headers=EN))
    assert f'href="{list_url(office)}">Applications (3)</a>' in html


def test_offers_list_counts_in_one_query(app, client, login, queries):
    office = make_office(app)
    login(office.admin)
    with queries() as before:
        page(client.get(f"/gestion/{office.org_slug}/offres/"))
    with app.app_context():
        from tracker.accounts.models import Organisation

        org = db.session.scalar(sa.select(Organisation).where(
            Organisation.slug == office.org_slug))
        for _ in range(5):
            posting = factories.posting(org, status=PostingStatus.PUBLISHED)
            factories.application(posting)
        db.session.commit()
    with queries() as after:
        page(client.get(f"/gestion/{office.org_slug}/offres/"))
    assert after() == before()


# --- One application -------------------------------------------------------------------------


def test_application_page_shows_the_candidate_what_was_sent_and_the_history(app, client, login):
    office = make_office(app)
    with app.app_context():
        from tracker.postings.models import Posting

        posting = db.session.get(Posting, office.posting_id)
        application = factories.application(
            posting, first_name="Léa", last_name="Martin", email="lea.martin@example.com",
            phone="06 12 34 56 78", message="Disponible en septembre.",
            letter_text="Madame, Monsieur,\nje postule.",
            documents=[("cv", "CV Léa.pdf", "application/pdf", CV)])
        application.candidate.keep_consent_at = utcnow()
        application.submissions.append(Submission(
            version=2, channel="email", message="Mon CV à jour.",
            submitted_at=utcnow() + timedelta(hours=1)))
        record_event(organisation_id=posting.organisation_id, actor=None,
                     action="application.submit", object_type="application",
                     object_id=application.id, version=1, channel="form")
        record_event(organisation_id=posting.organisation_id, actor=None,
                     action="application.resubmit", object_type="application",
                     object_id=application.id, version=2, channel="email")
        record_event(organisation_id=posting.organisation_id, actor=None,
                     action="application.withdraw", object_type="application",
                     object_id=application.id, by="candidate")
        other_posting = factories.posting(posting.organisation, title="Autre offre")
        other = factories.application(other_posting, email="placeholder@example.com")
        other.candidate_id = application.candidate_id
        db.session.flush()
        application_id, other_id = application.id, other.id
        document_id = application.submissions[0].documents[0].id
        reference = application.reference
        db.session.commit()
    login(office.lead)
    html = page(client.get(f"/gestion/{office.org_slug}/candidatures/{application_id}",
                           headers=EN))
    assert "<h1>Léa MARTIN</h1>" in html
    assert f"Reference {reference}" in html
    assert 'href="mailto:lea.martin@example.com"' in html
    assert 'href="tel:0612345678">06 12 34 56 78</a>' in html
    assert "Agrees to be contacted (since " in html
    assert html.index("Version 2") < html.index("Version 1")
    assert "Mon CV à jour." in html and "Disponible en septembre." in html
    assert "Madame, Monsieur,\nje postule." in html
    assert (f'href="/gestion/{office.org_slug}/documents/{document_id}" download>CV Léa.pdf'
            in html)
    assert html.index("Withdrawn") < html.index("New version received") < html.index(
        "Application received")
    assert "by the candidate" in html
    # The lead does not review "Autre offre": that application is not even mentioned.
    assert "Autre offre" not in html
    # A lead reads; only admins see the erase form.
    assert "/effacement" not in html
    client.post("/deconnexion")
    login(office.admin)
    html = page(client.get(f"/gestion/{office.org_slug}/candidatures/{application_id}",
                           headers=EN))
    assert f"/candidatures/{application_id}/effacement" in html
    assert f'href="/gestion/{office.org_slug}/candidatures/{other_id}">Autre offre</a>' in html


def test_application_of_another_organisation_is_404(app, client, login):
    office = make_office(app)
    [application_id] = add_applications(app, office, 1)
    with app.app_context():
        other = factories.organisation()
        outsider = factories.user(other, Role.ADMIN)
        db.session.commit()
        email, slug = outsider.email, other.slug
    login(email)
    assert client.get(f"/gestion/{slug}/candidatures/{application_id}").status_code == 404
    assert client.get(f"/gestion/{slug}/offres/{office.posting_id}/candidatures").status_code \
        == 404


# --- Documents -------------------------------------------------------------------------------


def test_document_download_for_a_lead(app, client, login):
    office = make_office(app)
    add_applications(app, office, 1, documents=[
        ("cv", "Резюме «Léa» 2026.pdf", "application/pdf", CV)])
    with app.app_context():
        document_id = db.session.scalar(sa.text("SELECT id FROM document"))
    login(office.lead)
    response = client.get(f"/gestion/{office.org_slug}/documents/{document_id}")
    assert response.status_code == 200
    assert response.data == CV
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Lea 2026.pdf\"; "
        "filename*=UTF-8''%D0%A0%D0%B5%D0%B7%D1%8E%D0%BC%D0%B5%20%C2%ABL%C3%A9a%C2%BB%202026.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Length"] == str(len(CV))


def test_document_of_another_organisation_is_404(app, client, login):
    office = make_office(app)
    add_applications(app, office, 1)
    with app.app_context():
        document_id = db.session.scalar(sa.text("SELECT id FROM document"))
        other = factories.organisation()
        outsider = factories.user(other, Role.ADMIN)
        db.session.commit()
        email, slug = outsider.email, other.slug
    login(email)
    assert client.get(f"/gestion/{slug}/documents/{document_id}").status_code == 404
    assert client.get(f"/gestion/{slug}/documents/999999").status_code == 404


def test_document_download_needs_a_login(app, client):
    office = make_office(app)
    add_applications(app, office, 1)
    with app.app_context():
        document_id = db.session.scalar(sa.text("SELECT id FROM document"))
    response = client.get(f"/gestion/{office.org_slug}/documents/{document_id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize(("stored", "header"), [
    ("cv.pdf", 'attachment; filename="cv.pdf"'),
    ("CV Léa Martin.pdf",
     "attachment; filename=\"CV Lea Martin.pdf\"; filename*=UTF-8''CV%20L%C3%A9a%20Martin.pdf"),
    ('a"b\\c/d.pdf', 'attachment; filename="a_b_c_d.pdf"'),
    ("evil\r\nSet-Cookie: x=1.pdf",
     "attachment; filename=\"evil_Set-Cookie_ x_1.pdf\"; "
     "filename*=UTF-8''evil_Set-Cookie_%20x%3D1.pdf"),
    ("cv\u202efdp.exe", 'attachment; filename="cv_fdp.exe"'),
    ("../../etc/passwd", 'attachment; filename="etc_passwd"'),
    ("", 'attachment; filename="document"'),
    ("简历.docx",
     "attachment; filename=\"document.docx\"; filename*=UTF-8''%E7%AE%80%E5%8E%86.docx"),
])
def test_content_disposition_is_safe(stored, header):
    assert content_disposition(stored) == header


def test_safe_and_ascii_filenames():
    assert safe_filename("  .hidden.pdf ") == "hidden.pdf"
    assert safe_filename("x" * 300 + ".pdf") == "x" * 196 + ".pdf"
    assert safe_filename("a\tb\u2028c.pdf") == "a_b_c.pdf"
    assert ascii_filename("Lettre de motivation – Élodie.odt") == (
        "Lettre de motivation Elodie.odt")
