"""Anonymised screening ("CV anonyme"): what reviewers may know of a candidate, and when.

On an offer with ``anonymised`` set, an application is *masked* until its identity is revealed
(``Application.revealed_at``), which happens when it enters the offer's reveal stage or a later
open stage, or is hired (``tracker.review.stages`` does it, with an audit event). While masked,
every back-office view, export and dossier shows the reference instead of the name, email and
phone, and passes free text (message, typed letter, comments quoted from it) through
``mask_text``, which blanks the candidate's names, address and phone number (the signature).
Documents are shown as sent with a warning, or as the redacted copy an admin uploaded.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from tracker.applications.models import Application, Document
from tracker.review.models import Stage, StageKind

MASK = "[…]"


def is_masked(application: Application) -> bool:
    return bool(application.posting.anonymised) and application.revealed_at is None


def reveal_position(posting, stages: list[Stage]) -> int | None:
    """Position of the offer's reveal stage (default: the "interview" stage)."""
    by_id = {s.id: s for s in stages}
    stage = by_id.get(posting.reveal_stage_id) if posting.reveal_stage_id else None
    if stage is None:
        stage = next((s for s in stages if s.key == "interview"), None)
    return stage.position if stage is not None else None


def reveals(posting, target: Stage, stages: list[Stage]) -> bool:
    """Whether entering ``target`` reveals the candidate's identity on this offer."""
    if not posting.anonymised:
        return False
    if target.kind == StageKind.HIRED:
        return True
    if target.kind != StageKind.OPEN:
        return False
    position = reveal_position(posting, stages)
    return position is not None and target.position >= position


def candidate_label(application: Application) -> str:
    """What reviewers call the candidate: their name, or the reference while masked."""
    if is_masked(application):
        return _("Candidate %(reference)s", reference=application.reference)
    return application.candidate.display_name


def _phone_pattern(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return None
    # The same digits whatever the separators: "06 12 34 56 78", "06.12.34.56.78", "+33 6...".
    tail = digits[-9:]
    # The national prefix ("0") or an international one ("+33 ", "0033 ", "+33 (0)") too.
    prefix = r"(?:(?:\+|00)\d{1,3}[\s.\-/]*(?:\(0\)[\s.\-/]*)?|0[\s.\-/]*)?"
    return prefix + r"[\s.\-/]*".join(re.escape(d) for d in tail)


def mask_text(text: str, application: Application) -> str:
    """``text`` with the candidate's names, email address and phone number blanked."""
    if not text or not is_masked(application):
        return text
    candidate = application.candidate
    patterns: list[str] = []
    if candidate.email:
        patterns.append(re.escape(candidate.email))
        patterns.append(re.escape(candidate.email.split("@", 1)[0]) + r"@[\w.\-]+")
    phone = _phone_pattern(candidate.phone)
    if phone:
        patterns.append(phone)
    for name in (candidate.first_name, candidate.last_name):
        for part in re.split(r"[\s\-']+", name or ""):
            if len(part) >= 2:
                patterns.append(r"(?<!\w)" + re.escape(part) + r"(?!\w)")
    if not patterns:
        return text
    return re.compile("|".join(patterns), re.IGNORECASE).sub(MASK, text)


def shown_filename(document: Document, application: Application) -> str:
    """The document's file name as reviewers see it and download it: "cv-VAC-2026-00042.pdf"
    while masked (a candidate's file is often named after them, in any spelling), the stored
    name otherwise."""
    if not is_masked(application):
        return document.filename
    extension = document.filename.rpartition(".")[2] if "." in document.filename else ""
    stem = f"{document.kind}-{application.reference}"
    return f"{stem}.{extension}" if extension else stem


def viewable_document(document: Document, application: Application) -> tuple[Document, bool]:
    """(the document reviewers are shown, whether it is shown as sent despite the screening)."""
    if not is_masked(application):
        return document, False
    copy = document.redacted_copy
    if copy is not None:
        return copy, False
    return document, True
