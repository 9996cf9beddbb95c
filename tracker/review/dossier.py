"""Dossier PDFs for the hiring committee: one application, or an offer's shortlist.

A dossier is a summary rendered by WeasyPrint (the candidate or their reference while masked,
the offer, stage, decision and dates; the reviews and scores; internal comments; interviews)
followed by the CV, the letter and other documents of the latest version that has any, when
they are PDFs, merged with pypdf.

- While the application is masked (anonymised screening), every name, email and phone number
  is left out or passed through ``anonymity.mask_text``; documents are appended as the
  redacted copy an admin uploaded, never as sent: without a copy they are withheld, and the
  summary says so.
- Documents that are not PDFs, or PDFs that are encrypted or cannot be read, are listed as
  not appended; a bad file never breaks the dossier.
- Reviews follow the page's rule: on an offer that hides the reviews until one's own, a viewer
  who has not reviewed the application sees none of the others' scores, recommendations or
  comments (the weighted mean and the number of reviews stay, as in the list).

The shortlist dossier is one PDF: a cover page with the table of candidates (applications in
an open stage past the initial one, best score first, at most ``SHORTLIST_MAX`` of them), then
each application's summary and documents. It is laid out in one WeasyPrint pass; the page on
which each summary starts is read from the rendered document's anchors.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter
from sqlalchemy.orm import joinedload, selectinload
from weasyprint import HTML

from tracker.accounts.models import User
from tracker.applications.models import Application, Document, Submission
from tracker.db import db, utcnow
from tracker.i18n.formatting import format_clock, format_day
from tracker.pdf import services as pdf
from tracker.postings.models import Posting
from tracker.review.access import application_page_options
from tracker.review import scoring
from tracker.review.scoring import others_hidden
from tracker.review.anonymity import (
    candidate_label, is_masked, mask_text, shown_filename, viewable_document,
)
from tracker.review.exports import CHANNEL_LABELS, DECISION_LABELS, ascii_slug
from tracker.review.models import (
    Comment,
    Criterion,
    Interview,
    InterviewParticipant,
    InterviewStatus,
    Recommendation,
    Review,
    Stage,
    StageKind,
)
from tracker.review.stages import REJECTION_REASONS, initial_stage

log = logging.getLogger(__name__)

DOCUMENT_LABELS = {"cv": _l("CV"), "letter": _l("Cover letter"), "other": _l("Other document")}
KIND_ORDER = {"cv": 0, "letter": 1, "other": 2}
RECOMMENDATION_LABELS = {
    Recommendation.YES: _l("Yes"),
    Recommendation.MAYBE: _l("Maybe"),
    Recommendation.NO: _l("No"),
}
FILE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/msword": "DOC",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/rtf": "RTF",
    "text/plain": "TXT",
}
PDF_TYPE = "application/pdf"
SHORTLIST_MAX = 50
TWO_PLACES = Decimal("0.01")


# --- What a dossier shows -------------------------------------------------------------------


@dataclass
class AttachedDocument:
    """One document of the application and what the dossier does with it."""

    label: str
    filename: str
    appended: bool
    note: str  # why it is not appended, or the number of pages
    pdf: bytes | None = None
    pages: int = 0
    withheld: bool = False  # masked, no redacted copy: the note says so, no file name


@dataclass
class ReviewView:
    reviewer: str
    recommendation: str
    score: Decimal | None
    scores: dict[int, int]
    comment: str
    mine: bool


@dataclass
class ApplicationDossier:
    application: Application
    label: str
    masked: bool
    criteria: list[Criterion]
    reviews: list[ReviewView]
    reviews_hidden: bool
    criterion_means: dict[int, Decimal]
    recommendations: dict[str, int]
    comments: list[tuple[str, datetime, str]]
    interviews: list[dict]
    documents: list[AttachedDocument]
    message: str
    letter_text: str
    decision: str
    reason: str
    channel: str
    anchor: str = field(init=False)

    def __post_init__(self) -> None:
        self.anchor = f"application-{self.application.id}"

    @property
    def appended(self) -> list[AttachedDocument]:
        return [d for d in self.documents if d.appended]


def build_dossier(application: Application, viewer: User | None) -> ApplicationDossier:
    """Everything the summary of ``application`` shows to ``viewer``."""
    masked = is_masked(application)
    criteria = scoring.criteria(application.posting)
    reviews = scoring.application_reviews(application)
    mine = next((r for r in reviews if viewer and r.reviewer_id == viewer.id), None)
    hidden = others_hidden(application.posting, mine)  # the page's rule (review.scoring)
    visible = [] if hidden else reviews
    submission = latest_with_documents(application)
    return ApplicationDossier(
        application=application,
        label=candidate_label(application),
        masked=masked,
        criteria=criteria,
        reviews=[review_view(r, application, viewer) for r in visible],
        reviews_hidden=hidden and bool(reviews),
        criterion_means=means_of(visible, criteria),
        recommendations=Counter(r.recommendation for r in visible),
        comments=[(c.author.name if c.author else _("Former member"), c.created_at,
                   mask_text(c.body, application)) for c in application_comments(application)],
        interviews=interview_views(application),
        documents=attached_documents(application, submission),
        message=mask_text(submission.message, application) if submission else "",
        letter_text=mask_text(submission.letter_text, application) if submission else "",
        decision=str(DECISION_LABELS.get(application.decision, application.decision or "")),
        reason=str(REJECTION_REASONS.get(application.decision_reason,
                                         application.decision_reason or "")),
        channel=str(CHANNEL_LABELS.get(application.channel, application.channel)),
    )


def review_view(review: Review, application: Application, viewer: User | None) -> ReviewView:
    return ReviewView(
        reviewer=review.reviewer.name if review.reviewer else _("Former member"),
        recommendation=str(RECOMMENDATION_LABELS.get(review.recommendation,
                                                     review.recommendation)),
        score=review.score,
        scores={s.criterion_id: s.score for s in review.scores},
        comment=mask_text(review.comment, application),
        mine=viewer is not None and review.reviewer_id == viewer.id,
    )


def means_of(reviews: list[Review], criteria: list[Criterion]) -> dict[int, Decimal]:
    means = {}
    for criterion in criteria:
        scores = [s.score for r in reviews for s in r.scores if s.criterion_id == criterion.id]
        if scores:
            means[criterion.id] = (Decimal(sum(scores)) / len(scores)).quantize(
                TWO_PLACES, ROUND_HALF_UP)
    return means


def interview_views(application: Application) -> list[dict]:
    zone = ZoneInfo(application.organisation.timezone)
    return [
        {
            "starts_at": interview.starts_at.astimezone(zone),
            "duration": interview.duration_minutes,
            "place": mask_text(interview.place, application),
            "video_url": mask_text(interview.video_url, application),
            "note": mask_text(interview.note, application),
            "cancelled": interview.status == InterviewStatus.CANCELLED,
            "participants": [p.user.name for p in interview.participants],
        }
        for interview in application_interviews(application)
    ]


# --- Documents --------------------------------------------------------------------------------


def latest_with_documents(application: Application) -> Submission | None:
    """The latest version that brought documents (a later email may bring none)."""
    submissions = application.submissions
    with_documents = [s for s in submissions if s.documents]
    if with_documents:
        return with_documents[-1]
    return submissions[-1] if submissions else None


def attached_documents(application: Application,
                       submission: Submission | None) -> list[AttachedDocument]:
    if submission is None:
        return []
    documents = sorted(submission.documents, key=lambda d: (KIND_ORDER.get(d.kind, 9), d.id))
    return [attach(document, application) for document in documents]


def attach(document: Document, application: Application) -> AttachedDocument:
    label = str(DOCUMENT_LABELS.get(document.kind, document.kind))
    shown, as_sent = viewable_document(document, application)
    filename = shown_filename(shown, application)
    if as_sent and is_masked(application):
        return AttachedDocument(label, "", False,
                                _("%(document)s withheld: anonymised screening", document=label),
                                withheld=True)
    if shown.media_type != PDF_TYPE:
        return AttachedDocument(label, filename, False,
                                _("not appended (%(type)s)", type=file_type(shown)))
    content, pages, problem = readable_pdf(shown.content)
    if content is None:
        return AttachedDocument(label, filename, False, problem)
    return AttachedDocument(label, filename, True,
                            _("appended (%(num)s pages)", num=pages) if pages > 1
                            else _("appended (1 page)"), pdf=content, pages=pages)


def file_type(document: Document) -> str:
    known = FILE_TYPES.get(document.media_type)
    if known:
        return known
    extension = document.filename.rsplit(".", 1)[-1] if "." in document.filename else ""
    return extension.upper()[:8] or document.media_type


def readable_pdf(content: bytes) -> tuple[bytes | None, int, str]:
    """(the PDF rewritten by pypdf, its page count, '') or (None, 0, why it cannot be used)."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            return None, 0, _("not appended (encrypted PDF)")
        writer = PdfWriter()
        writer.append(reader, import_outline=False)
        out = io.BytesIO()
        writer.write(out)
        pages = len(writer.pages)
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        log.info("dossier: PDF not appended: %r", error)
        return None, 0, _("not appended (unreadable PDF)")
    if pages == 0:
        return None, 0, _("not appended (empty PDF)")
    return out.getvalue(), pages, ""


# --- Queries ----------------------------------------------------------------------------------


def load_application(application_id: int) -> Application | None:
    """An application with what its dossier needs (callers check access first)."""
    return db.session.scalar(
        sa.select(Application).where(Application.id == application_id)
        .options(*application_page_options())
    )


def application_comments(application: Application) -> list[Comment]:
    return list(db.session.scalars(
        sa.select(Comment).where(Comment.application_id == application.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ))


def application_interviews(application: Application) -> list[Interview]:
    return list(db.session.scalars(
        sa.select(Interview).where(Interview.application_id == application.id)
        .options(selectinload(Interview.participants).joinedload(InterviewParticipant.user))
        .order_by(Interview.starts_at, Interview.id)
    ))


def shortlist(posting: Posting, limit: int | None = None) -> tuple[list[Application], int]:
    """The offer's applications in an open stage past the initial one, best score first (at
    most ``limit``), and how many more are left out."""
    limit = limit or int(current_app.config.get("SHORTLIST_MAX", SHORTLIST_MAX))
    first = initial_stage(posting.organisation_id)
    where = (
        Application.posting_id == posting.id,
        Application.organisation_id == posting.organisation_id,
        Application.withdrawn_at.is_(None),
        Application.stage_id != first.id,
        Application.stage_id.in_(sa.select(Stage.id).where(
            Stage.organisation_id == posting.organisation_id, Stage.kind == StageKind.OPEN)),
    )
    applications = list(db.session.scalars(
        sa.select(Application).where(*where).options(*application_page_options())
        .order_by(Application.score.desc().nulls_last(), Application.review_count.desc(),
                  Application.submitted_at, Application.id)
        .limit(limit)
    ))
    total = db.session.scalar(sa.select(sa.func.count(Application.id)).where(*where))
    return applications, max(total - len(applications), 0)


# --- Rendering and merging ------------------------------------------------------------------


def application_dossier_pdf(application: Application, viewer: User | None) -> bytes:
    """The dossier of one application: its summary, then its documents."""
    dossier = build_dossier(application, viewer)
    summary = pdf.render_pdf("review/dossier.html", **summary_context(application.posting,
                                                                      [dossier], cover=False))
    writer = PdfWriter()
    reader = PdfReader(io.BytesIO(summary))
    writer.append(reader, outline_item=_("Summary"), import_outline=False)
    append_documents(writer, dossier)
    return written(writer, _("Dossier – %(candidate)s", candidate=dossier.label))


def shortlist_pdf(posting: Posting, viewer: User | None) -> bytes:
    """A cover page with the table of shortlisted candidates, then each one's dossier."""
    applications, more = shortlist(posting)
    dossiers = [build_dossier(a, viewer) for a in applications]
    document = render_document("review/dossier.html",
                               **summary_context(posting, dossiers, cover=True, more=more))
    starts = anchor_pages(document, [d.anchor for d in dossiers])
    reader = PdfReader(io.BytesIO(document.write_pdf()))
    total = len(reader.pages)
    writer = PdfWriter()
    first = starts[0] if dossiers else total
    writer.append(reader, outline_item=_("Shortlist"), pages=(0, first), import_outline=False)
    for index, dossier in enumerate(dossiers):
        end = starts[index + 1] if index + 1 < len(starts) else total
        writer.append(reader, outline_item=dossier.label, pages=(starts[index], end),
                      import_outline=False)
        append_documents(writer, dossier)
    return written(writer, _("Shortlist – %(title)s", title=posting.title))


def append_documents(writer: PdfWriter, dossier: ApplicationDossier) -> None:
    for document in dossier.appended:
        title = f"{dossier.label} – {document.label}"
        writer.append(PdfReader(io.BytesIO(document.pdf)), outline_item=title,
                      import_outline=False)


def written(writer: PdfWriter, title: str) -> bytes:
    """The merged PDF; its metadata are ours only (never an appended file's author)."""
    writer.add_metadata({"/Title": title, "/Producer": "tracker", "/Creator": "tracker"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def summary_context(posting: Posting, dossiers: list[ApplicationDossier], *, cover: bool,
                    more: int = 0) -> dict:
    organisation = posting.organisation
    zone = ZoneInfo(organisation.timezone)
    return {
        "organisation": organisation,
        "posting": posting,
        "dossiers": dossiers,
        "cover": cover,
        "more_count": more,
        "now": utcnow().astimezone(zone),
        "when": lambda moment: when(moment, zone),
        "recommendation_labels": RECOMMENDATION_LABELS,
    }


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    """'20 mars 2020 à 14 h 05' in the organisation's timezone."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def render_document(template_name: str, **context):
    """Like ``tracker.pdf.services.render_pdf`` (same locked URL fetcher, print.css and fonts),
    but returns WeasyPrint's laid-out document, whose pages know their anchors."""
    fetcher = pdf.PdfURLFetcher.for_app()
    html = render_template(template_name, logo_src=fetcher.logo_src, **context)
    return HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher,
                media_type="print").render(stylesheets=[pdf.print_stylesheet()],
                                           font_config=pdf.font_configuration())


def anchor_pages(document, anchors: list[str]) -> list[int]:
    """The index of the page on which each anchor (an element id) is laid out."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            found.setdefault(name, number)
    return [found[name] for name in anchors]


# --- File names -------------------------------------------------------------------------------


def dossier_filename(application: Application) -> str:
    return f"{ascii_slug(_('dossier'))}-{ascii_slug(application.reference)}.pdf"


def shortlist_filename(posting: Posting) -> str:
    return f"{ascii_slug(posting.slug)}-{ascii_slug(_('shortlist'))}.pdf"
