"""Erasing an application also deletes the previews converted from its documents."""

from __future__ import annotations

from pathlib import Path

from tests import factories
from tests.files import make_docx
from tracker.applications import privacy
from tracker.applications.viewer import PREVIEW_DIR
from tracker.db import db
from tracker.postings.models import PostingStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _cached_preview(app, content: bytes) -> tuple[Path, Path]:
    import hashlib

    folder = Path(app.instance_path) / PREVIEW_DIR
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()
    pdf, failed = folder / f"{digest}.pdf", folder / f"{digest}.failed"
    pdf.write_bytes(b"%PDF-1.4 preview")
    failed.write_text("")
    return pdf, failed


def test_erasure_deletes_the_previews_of_its_documents(app):
    letter = make_docx("Lettre de Léa Martin, 12 rue des Lilas")
    shared = make_docx("Modèle de CV")  # the same file sent by two candidates
    with app.app_context():
        posting = factories.posting(factories.organisation(), status=PostingStatus.PUBLISHED)
        lea = factories.application(posting, email="lea@example.com", documents=[
            ("letter", "Lettre.docx", DOCX, letter), ("cv", "CV.docx", DOCX, shared)])
        factories.application(posting, email="sam@example.com",
                              documents=[("cv", "CV.docx", DOCX, shared)])
        db.session.commit()
        own_pdf, own_failed = _cached_preview(app, letter)
        shared_pdf, _shared_failed = _cached_preview(app, shared)

        privacy.erase_application(lea, by="candidate")
        assert own_pdf.exists(), "nothing is deleted before the erasure commits"
        db.session.commit()

    assert not own_pdf.exists() and not own_failed.exists()
    assert shared_pdf.exists(), "another application still has this document"


def test_a_rolled_back_erasure_keeps_the_previews(app):
    letter = make_docx("Lettre de Karim Benali")
    with app.app_context():
        posting = factories.posting(factories.organisation(), status=PostingStatus.PUBLISHED)
        karim = factories.application(posting, documents=[("letter", "L.docx", DOCX, letter)])
        db.session.commit()
        pdf, _failed = _cached_preview(app, letter)
        privacy.erase_application(karim, by="candidate")
        db.session.rollback()
        db.session.commit()
    assert pdf.exists()
