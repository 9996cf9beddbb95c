"""Redacted copies (anonymised screening): upload by an admin, shown to reviewers."""

from __future__ import annotations

import io

import sqlalchemy as sa

from tests.files import EXECUTABLE, make_docx, make_pdf
from tests.review.dashboard_support import EN, add, html_of, make_office, update
from tracker.applications.models import Document
from tracker.audit.models import Event
from tracker.db import db, utcnow

ORIGINAL = make_pdf("CV de Léa Martin, 06 12 34 56 78")
REDACTED = make_pdf("CV anonymisé")


def masked(app):
    office = make_office(app, anonymised=True)
    application_id = add(app, office, first_name="Léa", last_name="Martin",
                         documents=[("cv", "CV Léa Martin.pdf", "application/pdf", ORIGINAL)])
    with app.app_context():
        from tracker.applications.models import Application

        document_id = db.session.get(Application, application_id).submissions[0].documents[0].id
    return office, application_id, document_id


def upload(client, office, document_id, content, name="cv-anonyme.pdf"):
    return client.post(office.document_url(document_id, "/copie-anonymisee"),
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", headers=EN)


def copies(app, document_id):
    with app.app_context():
        return db.session.scalars(sa.select(Document).where(
            Document.redacted_from_id == document_id)).all()


def test_admin_uploads_a_redacted_copy_that_reviewers_see(app, client, login):
    office, application_id, document_id = masked(app)
    login(office.admin)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "Upload a redacted copy" in html
    response = upload(client, office, document_id, REDACTED)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"{office.page_url(application_id)}#document-{document_id}")
    [copy] = copies(app, document_id)
    with app.app_context():
        copy = db.session.get(Document, copy.id)
        original = db.session.get(Document, document_id)
        assert (copy.kind, copy.media_type, copy.submission_id) == (
            "cv", "application/pdf", original.submission_id)
        # A copy is not one of the documents the candidate sent.
        assert [d.id for d in original.submission.documents] == [document_id]
        event = db.session.scalar(sa.select(Event).where(
            Event.action == "document.redacted_copy"))
        assert event.object_id == application_id and event.data["replaced"] is False
        copy_id = copy.id
    client.post("/deconnexion")
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "Redacted copy (anonymised screening)." in html
    assert "may reveal" not in html
    assert f'src="{office.document_url(copy_id, "/apercu")}"' in html
    assert f"/documents/{document_id}" not in html
    assert "Redacted copy uploaded" in html
    assert client.get(office.document_url(copy_id, "/apercu")).data == REDACTED
    # Asking for the original by its id gives the lead the copy while masked.
    assert client.get(office.document_url(document_id)).data == REDACTED
    assert client.get(office.document_url(document_id, "/apercu")).data == REDACTED
    # Once revealed, the original is back.
    update(app, application_id, revealed_at=utcnow())
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert f'src="{office.document_url(document_id, "/apercu")}"' in html
    assert client.get(office.document_url(document_id)).data == ORIGINAL


def test_a_new_copy_replaces_the_earlier_one(app, client, login):
    office, _application_id, document_id = masked(app)
    login(office.admin)
    upload(client, office, document_id, REDACTED)
    second = make_pdf("Deuxième version anonymisée")
    upload(client, office, document_id, second, name="v2.pdf")
    [copy] = copies(app, document_id)
    with app.app_context():
        assert db.session.get(Document, copy.id).content == second
        events = db.session.scalars(sa.select(Event).where(
            Event.action == "document.redacted_copy").order_by(Event.id)).all()
        assert [e.data["replaced"] for e in events] == [False, True]
    # The admin still gets the original as sent.
    assert client.get(office.document_url(document_id)).data == ORIGINAL


def test_only_a_pdf_is_accepted(app, client, login):
    office, application_id, document_id = masked(app)
    login(office.admin)
    for content, name, message in (
        (make_docx(), "copie.docx", "The redacted copy must be a PDF file."),
        (EXECUTABLE, "copie.pdf", "copie.pdf"),
        (b"", "vide.pdf", "is empty"),
    ):
        response = upload(client, office, document_id, content, name)
        assert response.status_code == 302
        html = html_of(client.get(office.page_url(application_id), headers=EN))
        assert message in html, name
        assert copies(app, document_id) == []
    response = client.post(office.document_url(document_id, "/copie-anonymisee"), data={},
                           headers=EN)
    assert response.status_code == 302
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "Choose the PDF file of the redacted copy." in html


def test_a_lead_may_not_upload_a_copy(app, client, login):
    office, _application_id, document_id = masked(app)
    login(office.lead)
    assert upload(client, office, document_id, REDACTED).status_code == 403
    assert copies(app, document_id) == []


def test_no_copy_of_a_copy_nor_of_another_organisations_document(app, client, login):
    office, _application_id, document_id = masked(app)
    other, _other_application, other_document = masked(app)
    login(office.admin)
    upload(client, office, document_id, REDACTED)
    [copy] = copies(app, document_id)
    assert upload(client, office, copy.id, REDACTED).status_code == 404
    assert upload(client, office, other_document, REDACTED).status_code == 404
    assert copies(app, other_document) == []
    assert other


def test_file_names_hide_the_candidate_while_masked(app, client, login):
    office, application_id, document_id = masked(app)
    with app.app_context():
        from tracker.applications.models import Application

        reference = db.session.get(Application, application_id).reference
    login(office.lead)
    download = client.get(office.document_url(document_id))
    assert download.headers["Content-Disposition"] == f'attachment; filename="cv-{reference}.pdf"'
    preview = client.get(office.document_url(document_id, "/apercu"))
    assert preview.headers["Content-Disposition"] == f'inline; filename="cv-{reference}.pdf"'
    update(app, application_id, revealed_at=utcnow())
    assert "CV Lea Martin.pdf" in client.get(office.document_url(document_id)).headers[
        "Content-Disposition"]
