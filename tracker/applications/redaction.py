"""Redacted copies (anonymised screening): an admin uploads a PDF of a document with the
candidate's identity blacked out; reviewers are shown it instead of the original until the
identity is revealed (tracker.review.anonymity.viewable_document).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.accounts.models import User
from tracker.applications.documents import PDF, CheckedFile, DocumentError
from tracker.applications.models import Application, Document, Submission
from tracker.audit.services import record_event
from tracker.db import db

REDACT_ACTION = "document.redacted_copy"


def original_document(document_id: int, organisation_id: int) -> Document | None:
    """A document the candidate sent (not a copy) of the organisation, without its bytes."""
    return db.session.scalar(
        sa.select(Document)
        .join(Submission, Document.submission_id == Submission.id)
        .join(Application, Submission.application_id == Application.id)
        .where(Document.id == document_id, Document.redacted_from_id.is_(None),
               Application.organisation_id == organisation_id)
    )


def attach_redacted_copy(document: Document, application: Application, checked: CheckedFile,
                         *, actor: User | None) -> Document:
    """Store ``checked`` (a PDF) as the redacted copy of ``document``, replacing an earlier one.

    Raises DocumentError for anything but a PDF. Adds and flushes; the caller commits.
    """
    if checked.media_type != PDF:
        raise DocumentError(_("The redacted copy must be a PDF file."), "not_pdf")
    replaced = db.session.scalars(
        sa.select(Document).where(Document.redacted_from_id == document.id)
    ).all()
    for old in replaced:
        db.session.delete(old)
    db.session.flush()
    copy = Document(
        submission_id=document.submission_id, kind=document.kind, filename=checked.filename,
        media_type=checked.media_type, size=checked.size, sha256=checked.sha256,
        content=checked.content, redacted_from_id=document.id,
    )
    db.session.add(copy)
    db.session.flush()
    record_event(
        organisation_id=application.organisation_id, actor=actor, action=REDACT_ACTION,
        object_type="application", object_id=application.id, document_id=document.id,
        copy_id=copy.id, kind=document.kind, replaced=bool(replaced),
    )
    db.session.expire(document, ["redacted_copy"])
    return copy
