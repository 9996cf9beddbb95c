"""Back office, first step: the applications an offer received, one application, its documents.

Members of the organisation (leads and admins) read every offer's applications for now; the
review workflow (stages, scores, comments, decisions) will narrow and enrich this. The pages
are built for it: the list is one query (plus eager loads) whatever its length, and the
application page is made of sections (candidate, what was sent, history, actions) that the
review features join rather than replace.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, selectinload, undefer
from wtforms import BooleanField
from wtforms.validators import DataRequired

from tracker.accounts.models import Organisation, Role
from tracker.accounts.rules import is_admin, org_required
from tracker.applications import privacy
from tracker.applications.downloads import document_response, format_size
from tracker.applications.models import Application, Channel, Document, Submission
from tracker.audit.models import Event
from tracker.db import db, paginate
from tracker.i18n.formatting import format_clock, format_day
from tracker.postings.models import Posting
from tracker.review.access import application_for_member, posting_or_404, visible_postings

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
}
EVENT_BY = {
    "candidate": _l("by the candidate"),
}


class EraseForm(FlaskForm):
    """Erasure on request received by email or post: explicit confirmation."""

    confirm = BooleanField(
        _l("I confirm that the candidate asked for this application to be erased. Everything "
           "about it will be deleted for good."),
        validators=[DataRequired(_l("Tick the box to confirm the erasure."))],
    )


@bp.context_processor
def helpers():
    return {
        "format_size": format_size,
        "channel_labels": CHANNEL_LABELS,
        "document_kind_labels": DOCUMENT_KIND_LABELS,
        "is_admin": is_admin(),
    }


# --- Queries (scoped to the organisation: another organisation's id is unknown) -------------


def applications_query(posting: Posting):
    """An offer's applications, newest first, with what the list shows loaded eagerly.

    The candidate comes in the same query; submissions and documents in one query each for
    the whole page (selectin), documents without their bytes (deferred).
    """
    return (
        sa.select(Application)
        .where(Application.posting_id == posting.id,
               Application.organisation_id == posting.organisation_id)
        .options(
            joinedload(Application.candidate),
            selectinload(Application.submissions).selectinload(Submission.documents),
        )
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    )


def withdrawn_count(posting: Posting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.posting_id == posting.id, Application.withdrawn_at.is_not(None))
    )


def application_in_organisation(organisation: Organisation, application_id: int):
    """The application if the member may see its offer (tracker.review.access), else None."""
    return application_for_member(
        application_id,
        joinedload(Application.candidate),
        joinedload(Application.posting),
        selectinload(Application.submissions).selectinload(Submission.documents),
    )


def other_applications(application: Application) -> list[Application]:
    """The same candidate's other applications in the organisation, newest first."""
    return list(db.session.scalars(
        sa.select(Application)
        .where(Application.candidate_id == application.candidate_id,
               Application.id != application.id,
               Application.organisation_id == application.organisation_id)
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
    return db.session.scalar(
        sa.select(Document)
        .join(Submission, Document.submission_id == Submission.id)
        .join(Application, Submission.application_id == Application.id)
        .join(Posting, Application.posting_id == Posting.id)
        .where(Document.id == document_id, Application.organisation_id == organisation.id,
               visible_postings(g.membership))
        .options(undefer(Document.content))
    )


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
    pagination = paginate(
        applications_query(posting),
        per_page=current_app.config["ADMIN_PAGE_SIZE"],
    )
    return render_template(
        "applications_admin/index.html",
        organisation=g.organisation,
        posting=posting,
        pagination=pagination,
        withdrawn=withdrawn_count(posting),
        when=_when,
    )


@bp.get("/candidatures/<int:application_id>")
@org_required()
def show(application_id: int):
    application = application_in_organisation(g.organisation, application_id)
    if application is None:
        abort(404)
    return render_template(
        "applications_admin/show.html",
        organisation=g.organisation,
        application=application,
        posting=application.posting,
        candidate=application.candidate,
        submissions=list(reversed(application.submissions)),
        others=other_applications(application),
        events=[_event_view(e) for e in application_events(application)],
        erase_form=EraseForm(formdata=None),
        when=_when,
        day=_day,
    )


def _event_view(event: Event) -> dict:
    data = event.data or {}
    if event.actor is not None:
        actor = _("by %(name)s", name=event.actor.display_name)
    else:
        actor = str(EVENT_BY.get(data.get("by"), ""))
    return {
        "label": str(EVENT_LABELS.get(event.action, event.action)),
        "version": data.get("version") if isinstance(data.get("version"), int) else None,
        "actor": actor,
        "when": _when(event.created_at),
        "iso": event.created_at.isoformat(),
    }


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
    return document_response(item)
