"""Dossier PDFs: one application (summary + documents), and the offer's shortlist."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from pypdf import PdfReader

from tests import factories
from tests.files import CORRUPT_PDF, make_docx, make_encrypted_pdf, make_pdf
from tests.pdf.helpers import contains, normalise, page_texts, pdf_text
from tests.review.test_exports import EN, add_review, client_for
from tracker.accounts.models import Role
from tracker.applications.models import Application, Document
from tracker.db import db
from tracker.postings.models import Posting, PostingStatus
from tracker.review.models import Comment, Interview, InterviewParticipant, Stage
from tracker.review.stages import pipeline

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def pages_pdf(marker: str, pages: int) -> bytes:
    """A real PDF (WeasyPrint) of ``pages`` pages, each saying '<marker> page <n>'."""
    from weasyprint import HTML

    body = "".join(f"<h1 style='break-after: page'>{escape(marker)} page {n}</h1>"
                   for n in range(1, pages))
    body += f"<h1>{escape(marker)} page {pages}</h1>"
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def with_author(content: bytes, author: str) -> bytes:
    """The PDF with ``author`` in its metadata (as word processors write the user's name)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    writer.add_metadata({"/Author": author, "/Title": f"CV {author}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Case:
    org_slug: str
    posting_id: int
    application_id: int
    reference: str
    admin: str
    lead: str


def build_case(app, *, documents=None, anonymised=False, hidden=False, **candidate) -> Case:
    """An application with reviews by an admin and a lead, a comment and an interview."""
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN, name="Claire Fontaine")
        lead = factories.user(org, Role.LEAD, name="Inès Moreau")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin,
                                    anonymised=anonymised, reviews_hidden_until_own=hidden)
        factories.reviewer(posting, lead)
        if documents is None:
            documents = [("cv", "CV.pdf", PDF, pages_pdf("CURRICULUM", 3)),
                         ("letter", "Lettre.pdf", PDF, pages_pdf("LETTRE", 1))]
        application = factories.application(posting, documents=documents, **candidate)
        add_review(application, admin, "yes", [4, 3, 5, None], "Excellente animatrice.")
        add_review(application, lead, "maybe", [2, 3, None, 2], "Expérience courte.")
        db.session.add(Comment(application_id=application.id, author_id=lead.id,
                               body="Appeler la référence de l'association."))
        interview = Interview(organisation_id=org.id, application_id=application.id,
                              starts_at=datetime(2026, 4, 2, 8, 30, tzinfo=UTC),
                              place="Salle du conseil", uid=f"dossier-{application.id}@example.org",
                              created_by_id=admin.id)
        interview.participants.append(InterviewParticipant(user_id=lead.id))
        db.session.add(interview)
        db.session.commit()
        return Case(org.slug, posting.id, application.id, application.reference, admin.email,
                    lead.email)


def dossier(client, case: Case):
    return client.get(f"/gestion/{case.org_slug}/candidatures/{case.application_id}/dossier.pdf",
                      headers=EN)


def shortlist(client, case: Case):
    return client.get(f"/gestion/{case.org_slug}/offres/{case.posting_id}/dossier.pdf",
                      headers=EN)


def summary_pages(texts: list[str], first_document_marker: str) -> int:
    return next(i for i, text in enumerate(texts) if first_document_marker in text)


# --- One application -----------------------------------------------------------------------------


def test_dossier_is_the_summary_then_the_cv_and_letter(app):
    case = build_case(app)
    response = dossier(client_for(app, case.admin), case)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="dossier-{case.reference.lower()}.pdf"')
    texts = page_texts(response.data)
    summary = summary_pages(texts, "CURRICULUM page 1")
    assert summary >= 1
    assert len(texts) == summary + 3 + 1
    assert [t for t in texts[summary:]] == ["CURRICULUM page 1", "CURRICULUM page 2",
                                             "CURRICULUM page 3", "LETTRE page 1"]
    outline = [item.title for item in PdfReader(io.BytesIO(response.data)).outline]
    assert outline == ["Summary", "Léa MARTIN – CV", "Léa MARTIN – Cover letter"]


def test_dossier_summary_holds_scores_comments_and_interview(app):
    case = build_case(app)
    text = pdf_text(dossier(client_for(app, case.admin), case).data)
    for expected in (
        "Léa MARTIN", case.reference, "Reviews and scores", "Claire Fontaine", "Inès Moreau",
        # Admin 4,3,5 -> 4; lead 2,3,2 -> 2.33; the application's mean 3.17.
        "Motivation 4 2 3", "Compétences 5 – 5", "Weighted mean 4 2.33 3.17",
        "Recommendation Yes Maybe yes 1 · maybe 1 · no 0",
        "Excellente animatrice.", "Expérience courte.",
        "Appeler la référence de l'association.",
        "April 2, 2026 at 10:30", "Salle du conseil", "With: Inès Moreau",
        "CV CV.pdf: appended (3 pages)", "Cover letter Lettre.pdf: appended (1 page)",
    ):
        assert contains(text, expected), expected


def test_documents_that_cannot_be_appended_are_listed(app):
    case = build_case(app, documents=[
        ("cv", "cv.docx", DOCX, make_docx()),
        ("letter", "lettre.pdf", PDF, make_encrypted_pdf()),
        ("other", "diplome.pdf", PDF, CORRUPT_PDF),
    ])
    response = dossier(client_for(app, case.admin), case)
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert contains(text, "CV cv.docx: not appended (DOCX)")
    assert contains(text, "Cover letter lettre.pdf: not appended (encrypted PDF)")
    assert contains(text, "Other document diplome.pdf: not appended (unreadable PDF)")
    assert "Lettre de motivation" not in text
    assert len(PdfReader(io.BytesIO(response.data)).outline) == 1  # the summary only


def test_latest_version_with_documents_is_used(app):
    case = build_case(app)
    with app.app_context():
        from tracker.applications.models import Submission

        application = db.session.get(Application, case.application_id)
        content = pages_pdf("NOUVEAU CV", 2)
        second = Submission(application=application, version=2, message="Nouveau CV.")
        second.documents.append(Document(kind="cv", filename="cv2.pdf", media_type=PDF,
                                         size=len(content), content=content,
                                         sha256=hashlib.sha256(content).hexdigest()))
        db.session.add(Submission(application=application, version=3, message="Merci."))
        db.session.add(second)
        db.session.commit()
    texts = page_texts(dossier(client_for(app, case.admin), case).data)
    summary = summary_pages(texts, "NOUVEAU CV page 1")
    assert texts[summary:] == ["NOUVEAU CV page 1", "NOUVEAU CV page 2"]
    assert not any("CURRICULUM" in t for t in texts)


# --- Anonymised screening -----------------------------------------------------------------------

SECRETS = ("Zoé", "Quintard", "zoe.quintard", "07 98 76 54 32", "98 76 54")
MASKED = dict(first_name="Zoé", last_name="Quintard", email="zoe.quintard@example.net",
              phone="07 98 76 54 32")


def assert_anonymous(text: str) -> None:
    lowered = normalise(text).lower()
    for secret in SECRETS:
        assert secret.lower() not in lowered, secret


def test_masked_dossier_withholds_the_documents_as_sent(app):
    case = build_case(app, anonymised=True, documents=[
        ("cv", "CV Zoé Quintard.pdf", PDF, make_pdf("Zoé Quintard – CV")),
        ("letter", "lettre.docx", DOCX, make_docx("Lettre de Zoé Quintard")),
    ], **MASKED)
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        application.latest.message = "Bonjour, Zoé Quintard, 07 98 76 54 32."
        db.session.add(Comment(application_id=application.id, author_id=None,
                               body="Zoé Quintard a déjà postulé (zoe.quintard@example.net)."))
        db.session.commit()
    response = dossier(client_for(app, case.admin), case)
    text = pdf_text(response.data)
    assert_anonymous(text)
    assert contains(text, f"Candidate {case.reference}")
    assert contains(text, "CV withheld: anonymised screening")
    assert contains(text, "Cover letter withheld: anonymised screening")
    assert contains(text, "[…] a déjà postulé ([…]).")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.outline) == 1  # nothing appended
    assert reader.metadata.title == f"Dossier – Candidate {case.reference}"
    assert_anonymous(" ".join(str(value) for value in reader.metadata.values()))
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="dossier-{case.reference.lower()}.pdf"')


def test_masked_dossier_appends_the_redacted_copy(app):
    case = build_case(app, anonymised=True, documents=[
        ("cv", "CV Zoé Quintard.pdf", PDF, make_pdf("Zoé Quintard – CV")),
    ], **MASKED)
    with app.app_context():
        original = db.session.get(Application, case.application_id).latest.documents[0]
        content = with_author(pages_pdf("CV ANONYMISE", 2), "Zoé Quintard")
        db.session.add(Document(submission_id=original.submission_id, kind="cv",
                                filename="cv-anonymise.pdf", media_type=PDF, size=len(content),
                                content=content, sha256=hashlib.sha256(content).hexdigest(),
                                redacted_from_id=original.id))
        db.session.commit()
    response = dossier(client_for(app, case.admin), case)
    texts = page_texts(response.data)
    assert_anonymous(" ".join(texts))
    metadata = PdfReader(io.BytesIO(response.data)).metadata
    assert_anonymous(" ".join(str(value) for value in metadata.values()))
    summary = summary_pages(texts, "CV ANONYMISE page 1")
    assert texts[summary:] == ["CV ANONYMISE page 1", "CV ANONYMISE page 2"]
    assert contains(" ".join(texts[:summary]),
                    f"CV cv-{case.reference}.pdf: appended (2 pages)")

    with app.app_context():  # once revealed, the original as sent
        db.session.get(Application, case.application_id).revealed_at = datetime.now(UTC)
        db.session.commit()
    text = pdf_text(dossier(client_for(app, case.admin), case).data)
    assert contains(text, "Zoé Quintard – CV")
    assert "CV ANONYMISE" not in text


# --- Hidden reviews -----------------------------------------------------------------------------


def test_reviewer_who_has_not_reviewed_gets_no_other_reviews(app):
    case = build_case(app, hidden=True)
    with app.app_context():
        posting = db.session.get(Posting, case.posting_id)
        idle = factories.user(posting.organisation, Role.LEAD, email="idle@example.org")
        factories.reviewer(posting, idle)
        db.session.commit()
    text = pdf_text(dossier(client_for(app, "idle@example.org"), case).data)
    assert contains(text, "The other reviewers' scores and comments are hidden")
    for secret in ("Excellente animatrice.", "Expérience courte.", "Claire Fontaine",
                   "Weighted mean 4"):
        assert not contains(text, secret), secret
    assert contains(text, "Appeler la référence")  # internal comments are not reviews

    text = pdf_text(dossier(client_for(app, case.lead), case).data)  # has reviewed
    assert contains(text, "Excellente animatrice.")
    assert not contains(text, "are hidden")


# --- Who may print -------------------------------------------------------------------------------


def test_lead_of_another_offer_and_other_organisation_get_404(app):
    case = build_case(app)
    with app.app_context():
        posting = db.session.get(Posting, case.posting_id)
        factories.user(posting.organisation, Role.LEAD, email="elsewhere@example.org")
        factories.user(factories.organisation(), Role.ADMIN, email="other-org@example.org")
        db.session.commit()
    for email in ("elsewhere@example.org", "other-org@example.org"):
        visitor = client_for(app, email)
        assert dossier(visitor, case).status_code == 404
        assert shortlist(visitor, case).status_code == 404
    assert dossier(client_for(app, case.lead), case).status_code == 200


def test_dossier_link_on_the_application_page(app):
    case = build_case(app)
    html = client_for(app, case.admin).get(
        f"/gestion/{case.org_slug}/candidatures/{case.application_id}", headers=EN
    ).get_data(as_text=True)
    assert (f'href="/gestion/{case.org_slug}/candidatures/{case.application_id}/dossier.pdf"'
            in html)
    assert "Download the dossier (PDF)" in html


# --- Shortlist ----------------------------------------------------------------------------------


def _stage(org_id: int, key: str) -> Stage:
    return next(s for s in pipeline(org_id) if s.key == key)


def build_shortlist(app) -> tuple[Case, dict[str, str]]:
    """Six applications: three on the shortlist (interview 4.5, shortlisted 3, offer unscored),
    one received, one rejected, one hired: these three are not."""
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN, name="Claire Fontaine")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        references = {}
        plan = [("shortlisted", [3, 3, 3, 3], "SHORTLISTED"), ("interview", [5, 4, 5, 4], None),
                ("offer", None, "OFFER"), ("received", [5, 5, 5, 5], "RECEIVED"),
                ("rejected", [1, 1, 1, 1], None), ("hired", [5, 5, 5, 5], None)]
        for key, scores, cv in plan:
            documents = [("cv", "cv.pdf", PDF, pages_pdf(cv, 2))] if cv else []
            application = factories.application(posting, documents=documents,
                                                email=f"{key}@example.com")
            application.stage = _stage(org.id, key)
            if key == "rejected":
                application.decision, application.decided_at = "not_retained", datetime.now(UTC)
            if key == "hired":
                application.decision, application.decided_at = "retained", datetime.now(UTC)
            if scores:
                add_review(application, admin, "yes", scores)
            references[key] = application.reference
        db.session.commit()
        case = Case(org.slug, posting.id, 0, "", admin.email, "")
        return case, references


def test_shortlist_holds_open_stages_past_the_first_best_score_first(app):
    case, refs = build_shortlist(app)
    response = shortlist(client_for(app, case.admin), case)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-shortlist.pdf"')
    texts = page_texts(response.data)
    cover = texts[0]
    assert "Shortlist" in cover
    order = [refs["interview"], refs["shortlisted"], refs["offer"]]
    positions = [cover.index(reference) for reference in order]
    assert positions == sorted(positions)
    for left_out in ("received", "rejected", "hired"):
        assert refs[left_out] not in " ".join(texts)
    # Cover, then: interview summary (no document), shortlisted summary + its 2-page CV,
    # offer summary + its 2-page CV.
    starts = [next(i for i, t in enumerate(texts) if i > 0 and f"Reference {ref}" in t)
              for ref in order]
    assert starts[0] == 1
    assert texts[starts[1] - 1] != "SHORTLISTED page 2"
    assert texts[starts[2] - 2:starts[2]] == ["SHORTLISTED page 1", "SHORTLISTED page 2"]
    assert texts[-2:] == ["OFFER page 1", "OFFER page 2"]
    assert len(texts) == starts[2] + 1 + 2
    outline = [item.title for item in PdfReader(io.BytesIO(response.data)).outline]
    assert outline[0] == "Shortlist"
    assert len(outline) == 1 + 3 + 2


def test_shortlist_is_capped_and_says_so(app):
    case, refs = build_shortlist(app)
    app.config["SHORTLIST_MAX"] = 2
    try:
        texts = page_texts(shortlist(client_for(app, case.admin), case).data)
    finally:
        app.config.pop("SHORTLIST_MAX")
    assert contains(texts[0], "1 more application is not in this dossier")
    assert refs["offer"] not in " ".join(texts)
    assert refs["interview"] in texts[0] and refs["shortlisted"] in texts[0]


def test_empty_shortlist_is_one_page(app):
    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        factories.application(posting)  # still in the first stage
        db.session.commit()
        case = Case(org.slug, posting.id, 0, "", admin.email, "")
    texts = page_texts(shortlist(client_for(app, case.admin), case).data)
    assert len(texts) == 1
    assert contains(texts[0], "No application is past the first stage yet.")


def test_masked_shortlist_names_nobody(app):
    case = build_case(app, anonymised=True, documents=[
        ("cv", "CV Zoé Quintard.pdf", PDF, make_pdf("Zoé Quintard – CV"))], **MASKED)
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        application.stage = _stage(application.organisation_id, "shortlisted")
        db.session.commit()
    texts = page_texts(shortlist(client_for(app, case.admin), case).data)
    assert_anonymous(" ".join(texts))
    assert f"Candidate {case.reference}" in texts[0]
