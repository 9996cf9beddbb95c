"""Back office: an offer's dashboard (its applications), one application, its documents.

Admins see every offer of their organisation, hiring leads the offers they review
(tracker.review.access); anything else is a 404. Routes stay thin: the list's query and counts
live in tracker.review.dashboard, document previews in tracker.applications.viewer, redacted
copies in tracker.applications.redaction. The application page is made of sections (candidate,
what was sent, the review partials, history, actions); each review partial gets its data from
the function its owner registers for all templates.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.orm import joinedload, undefer
from wtforms import BooleanField
from wtforms.validators import DataRequired

from tracker.accounts.models import Organisation, Role
from tracker.accounts.rules import is_admin, org_required
from tracker.applications import privacy, redaction, viewer
from tracker.applications.documents import DocumentError, check_upload
from tracker.applications.downloads import document_response, format_size
from tracker.applications.models import Application, Channel, Document, Submission
from tracker.audit.models import Event
from tracker.db import db, paginate
from tracker.i18n.formatting import format_clock, format_day
from tracker.postings.models import Posting
from tracker.review import anonymity, dashboard, scoring
from tracker.review.access import (
    application_for_member,
    application_page_options,
    posting_or_404,
    visible_postings,
)
from tracker.review.stages import REJECTION_REASONS, pipeline

bp = Blueprint("applications_admin", __name__, url_prefix="/gestion/<org_slug>")

CHANNEL_LABELS = {
    Channel.FORM: _l("Online form"),
    Channel.EMAIL: _l("Email"),
    Channel.MANUAL: _l("Entered by hand"),
}
DOCUMENT_KIND_LABELS = {
    "cv": _l("CV"),
    "letter": _l("Cover letter"),
    "other": _l("Other document"),
}
# The application's audit trail; unknown actions show as recorded.
EVENT_LABELS = {
    "application.submit": _l("Application received"),
    "application.resubmit": _l("New version received"),
    privacy.WITHDRAW_ACTION: _l("Withdrawn"),
    privacy.ERASE_ACTION: _l("Erased"),
    "application.stage": _l("Stage changed"),
    "application.reveal": _l("Identity revealed"),
    "application.review": _l("Review given"),
    "application.review_edit": _l("Review updated"),
    "application.comment": _l("Comment added"),
    "comment.add": _l("Comment added"),
    "comment.edit": _l("Comment edited"),
    "comment.delete": _l("Comment deleted"),
    "interview.schedule": _l("Interview scheduled"),
    "interview.reschedule": _l("Interview rescheduled"),
    "interview.update": _l("Interview updated"),
    "interview.cancel": _l("Interview cancelled"),
    "message.draft": _l("Email drafted"),
    "message.edit": _l("Email draft edited"),
    "message.send": _l("Email sent"),
    "message.discard": _l("Email draft discarded"),
    "application.answer": _l("Answer sent"),
    redaction.REDACT_ACTION: _l("Redacted copy uploaded"),
}
EVENT_BY = {
    "candidate": _l("by the candidate"),
}
SORT_LABELS = {
    "date": _l("Date received"),
    "score": _l("Score"),
    "name": _l("Name"),
}


class EraseForm(FlaskForm):
    """Erasure on request received by email or post: explicit confirmation."""

    confirm = BooleanField(
        _l("I confirm that the candidate asked for this application to be erased. Everything "
           "about it will be deleted for good."),
        validators=[DataRequired(_l("Tick the box to confirm the erasure."))],
    )


class RedactedCopyForm(FlaskForm):
    """An admin's redacted copy of a document (anonymised screening): one PDF."""

    file = FileField(_l("Redacted copy (PDF)"), render_kw={"accept": ".pdf,application/pdf"})


@bp.context_processor
def helpers():
    return {
        "format_size": format_size,
        "channel_labels": CHANNEL_LABELS,
        "document_kind_labels": DOCUMENT_KIND_LABELS,
        "sort_labels": SORT_LABELS,
        "is_admin": is_admin(),
        "has_endpoint": lambda name: name in current_app.view_functions,
        "score_text": score_text,
    }


@bp.app_context_processor
def anonymity_helpers():
    """What every back-office template needs to show a candidate safely."""
    return {
        "candidate_label": anonymity.candidate_label,
        "is_masked": anonymity.is_masked,
        "mask_text": anonymity.mask_text,
    }


def score_text(score: Decimal | float | None) -> str:
    """A score with one decimal, as the current language writes it: "3,7" / "3.7"."""
    if score is None:
        return ""
    return format_decimal(Decimal(score), format="0.0", locale=str(get_locale() or "fr"))


# --- Queries (scoped to the organisation: another organisation's id is unknown) -------------


def application_in_organisation(organisation: Organisation, application_id: int):
    """The application if the member may see its offer (tracker.review.access), else None."""
    return application_for_member(application_id, *application_page_options())


def other_applications(application: Application) -> list[Application]:
    """The same candidate's other applications in offers the member sees, newest first."""
    return list(db.session.scalars(
        sa.select(Application)
        .join(Posting, Application.posting_id == Posting.id)
        .where(Application.candidate_id == application.candidate_id,
               Application.id != application.id,
               Application.organisation_id == application.organisation_id,
               visible_postings(g.membership))
        .options(joinedload(Application.posting))
        .order_by(Application.submitted_at.desc())
    ))


def application_events(application: Application) -> list[Event]:
    return list(db.session.scalars(
        sa.select(Event)
        .where(Event.organisation_id == application.organisation_id,
               Event.object_type == "application", Event.object_id == application.id)
        .options(joinedload(Event.actor))
        .order_by(Event.created_at.desc(), Event.id.desc())
    ))


def document_in_organisation(organisation: Organisation, document_id: int) -> Document | None:
    """A document of an offer the member sees (with its bytes), or None.

    While the application is masked, a reviewer who is not an admin asking for a document that
    has a redacted copy gets the copy: the original is for the admin who redacts it.
    """
    document = db.session.scalar(
        sa.select(Document)
        .join(Submission, Document.submission_id == Submission.id)
        .join(Application, Submission.application_id == Application.id)
        .join(Posting, Application.posting_id == Posting.id)
        .where(Document.id == document_id, Application.organisation_id == organisation.id,
               visible_postings(g.membership))
        .options(undefer(Document.content))
    )
    if document is None or document.redacted_from_id is not None or is_admin():
        return document
    shown, _warned = anonymity.viewable_document(document, document.submission.application)
    if shown is not document:
        shown = db.session.scalar(sa.select(Document).where(Document.id == shown.id)
                                  .options(undefer(Document.content)))
    return shown


# --- Views ----------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(g.organisation.timezone))
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def _day(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_day(value.astimezone(ZoneInfo(g.organisation.timezone)))


@bp.get("/offres/<int:posting_id>/candidatures")
@org_required()
def index(posting_id: int):
    posting = posting_or_404(posting_id)
    stages = pipeline(g.organisation)
    params = dashboard.ListParams.from_args(request.args, stages)
    user_id = current_user.id
    pagination = paginate(
        dashboard.applications_query(posting, params, user_id, stages),
        per_page=current_app.config["ADMIN_PAGE_SIZE"],
    )
    reviewed = dashboard.reviewed_by(user_id, [a.id for a in pagination.items])
    return render_template(
        "applications_admin/index.html",
        organisation=g.organisation,
        posting=posting,
        pagination=pagination,
        params=params,
        stages=stages,
        counts=dashboard.counts(posting, user_id, stages),
        reviewed=reviewed,
        scores_hidden={a.id for a in pagination.items
                       if scoring.others_hidden(posting, a.id in reviewed)},
        when=_when,
        day=_day,
    )


@bp.get("/candidatures/<int:application_id>")
@org_required()
def show(application_id: int):
    application = application_in_organisation(g.organisation, application_id)
    if application is None:
        abort(404)
    stages = pipeline(g.organisation)
    params = dashboard.ListParams.from_args(request.args, stages)
    masked = anonymity.is_masked(application)
    return render_template(
        "applications_admin/show.html",
        organisation=g.organisation,
        application=application,
        posting=application.posting,
        candidate=application.candidate,
        masked=masked,
        reveal_stage=_reveal_stage(application.posting, stages) if masked else None,
        submissions=[_submission_view(s, application) for s in reversed(application.submissions)],
        others=[] if masked else other_applications(application),
        events=[_event_view(e) for e in application_events(application)],
        neighbours=dashboard.neighbours(application, params, current_user.id, stages),
        list_args=params.to_args(),
        erase_form=EraseForm(formdata=None),
        redact_form=RedactedCopyForm(formdata=None),
        when=_when,
        day=_day,
    )


def _reveal_stage(posting: Posting, stages):
    by_id = {s.id: s for s in stages}
    stage = by_id.get(posting.reveal_stage_id) if posting.reveal_stage_id else None
    return stage or next((s for s in stages if s.key == "interview"), None)


def _submission_view(submission: Submission, application: Application) -> dict:
    return {
        "submission": submission,
        "documents": [_document_view(d, application) for d in submission.documents],
        "letter_text": anonymity.mask_text(submission.letter_text, application),
        "message": anonymity.mask_text(submission.message, application),
    }


def _document_view(document: Document, application: Application) -> dict:
    shown, warn = anonymity.viewable_document(document, application)
    return {
        "original": document,
        "shown": shown,
        "redacted": shown is not document,
        "warn": warn,
        "filename": anonymity.shown_filename(shown, application),
        "previewable": viewer.can_preview(shown),
    }


def _event_view(event: Event) -> dict:
    data = event.data if isinstance(event.data, dict) else {}
    if event.actor is not None:
        actor = _("by %(name)s", name=event.actor.display_name)
    else:
        actor = str(EVENT_BY.get(data.get("by"), ""))
    return {
        "action": event.action,
        "label": str(EVENT_LABELS.get(event.action, event.action)),
        "detail": _event_detail(event.action, data),
        "version": data.get("version") if isinstance(data.get("version"), int) else None,
        "actor": actor,
        "when": _when(event.created_at),
        "iso": event.created_at.isoformat(),
    }


def _event_detail(action: str, data: dict) -> str:
    """One line more for the events that carry it (stage names, reason)."""
    if action == "application.stage" and data.get("to_stage"):
        text = _("%(from)s → %(to)s", **{"from": str(data.get("from_stage", "")),
                                         "to": str(data["to_stage"])})
        reason = REJECTION_REASONS.get(str(data.get("reason", "")))
        return f"{text} ({reason})" if reason else text
    if action == "application.reveal" and data.get("stage"):
        return _("on entering “%(stage)s”", stage=str(data["stage"]))
    return ""


@bp.post("/candidatures/<int:application_id>/effacement")
@org_required(Role.ADMIN)
def erase(application_id: int):
    application = application_in_organisation(g.organisation, application_id)
    if application is None:
        abort(404)
    form = EraseForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm the erasure: nothing was deleted."), "error")
        return redirect(url_for(".show", org_slug=g.organisation.slug,
                                application_id=application.id, _anchor="erase"))
    posting_id = application.posting_id
    privacy.erase_application(application, actor=current_user, by="admin")
    db.session.commit()
    flash(_("The application has been erased, with its documents and the candidate's details."),
          "success")
    return redirect(url_for(".index", org_slug=g.organisation.slug, posting_id=posting_id))


@bp.get("/documents/<int:document_id>")
@org_required()
def document(document_id: int):
    item = document_in_organisation(g.organisation, document_id)
    if item is None:
        abort(404)
    return document_response(item, served_filename(item))


@bp.get("/documents/<int:document_id>/apercu")
@org_required()
def preview(document_id: int):
    """The document shown inside the application page (PDF, or DOCX/ODT converted)."""
    item = document_in_organisation(g.organisation, document_id)
    if item is None:
        abort(404)
    pdf = viewer.preview_pdf(item)
    if pdf is None:
        return render_template("applications_admin/preview_unavailable.html",
                               organisation=g.organisation, document=item)
    return viewer.inline_response(item, pdf, served_filename(item))


def served_filename(document: Document) -> str:
    """The file name given to the browser: "cv-VAC-2026-00042.pdf" while the identity is hidden
    (a candidate's file is often named after them), the stored name otherwise."""
    return anonymity.shown_filename(document, document.submission.application)


@bp.post("/documents/<int:document_id>/copie-anonymisee")
@org_required(Role.ADMIN)
def redacted(document_id: int):
    original = redaction.original_document(document_id, g.organisation.id)
    if original is None:
        abort(404)
    application = original.submission.application
    back = redirect(url_for(".show", org_slug=g.organisation.slug,
                            application_id=application.id, _anchor=f"document-{original.id}"))
    form = RedactedCopyForm()
    upload = form.file.data if form.validate_on_submit() else None
    if not upload or not getattr(upload, "filename", None):
        flash(_("Choose the PDF file of the redacted copy."), "error")
        return back
    try:
        checked = check_upload(upload.filename, upload.read(),
                               max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
        redaction.attach_redacted_copy(original, application, checked, actor=current_user)
    except DocumentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    flash(_("The redacted copy is saved: reviewers see it until the identity is revealed."),
          "success")
    return back
