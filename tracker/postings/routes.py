"""Back office: the organisation's offers (list, write, publish, preview, duplicate)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import HiddenField

from tracker.accounts.models import Role
from tracker.accounts.rules import is_admin, org_required
from tracker.audit.models import Event
from tracker.db import db, paginate, utcnow
from tracker.i18n.formatting import format_clock, format_day
from tracker.postings import services
from tracker.postings.forms import LABELS, PostingForm, deadline_is_past
from tracker.postings.models import Posting, PostingContact, PostingStatus
from tracker.postings.rules import ACTIONS
from tracker.review.access import posting_or_404, visible_postings
from tracker.review.dashboard import to_review_counts
from tracker.review.stages import pipeline

bp = Blueprint("postings", __name__, url_prefix="/gestion/<org_slug>/offres")

# Status filter tabs of the list, in order; None is "all".
TABS = (None, *services.STATUS_ORDER)

# Per action (tracker.postings.rules.ACTIONS): the button, the success message, the trail entry.
ACTION_BUTTONS = {
    "publish": _l("Publish"),
    "close": _l("Close applications"),
    "reopen": _l("Reopen applications"),
    "mark_filled": _l("Mark as filled"),
    "unmark_filled": _l("No longer filled"),
    "archive": _l("Archive"),
    "restore": _l("Restore"),
}
ACTION_DONE = {
    "publish": _l("Offer published."),
    "close": _l("Offer closed: it no longer takes applications."),
    "reopen": _l("Offer reopened: it takes applications again."),
    "mark_filled": _l("Offer marked as filled."),
    "unmark_filled": _l("Offer no longer marked as filled."),
    "archive": _l("Offer archived: its public page is gone."),
    "restore": _l("Offer restored (closed)."),
}
EVENT_LABELS = {
    "posting.create": _l("Created"),
    "posting.edit": _l("Edited"),
    "posting.duplicate": _l("Created as a copy of another offer"),
    "posting.publish": _l("Published"),
    "posting.close": _l("Closed"),
    "posting.reopen": _l("Reopened"),
    "posting.mark_filled": _l("Marked as filled"),
    "posting.unmark_filled": _l("No longer marked as filled"),
    "posting.archive": _l("Archived"),
    "posting.restore": _l("Restored"),
    "posting.reviewer_add": _l("Reviewer added"),
    "posting.reviewer_remove": _l("Reviewer removed"),
    "posting.review_settings": _l("Review settings changed"),
    "posting.criteria": _l("Scorecard changed"),
}


class TransitionForm(FlaskForm):
    """The status buttons: only a CSRF token and the target status."""

    target = HiddenField()


class DuplicateForm(FlaskForm):
    """The duplicate button: only a CSRF token."""


@bp.context_processor
def back_office_helpers():
    return {
        "has_endpoint": lambda name: name in current_app.view_functions,
        "is_admin": is_admin(),
    }


def _posting_or_404(posting_id: int) -> Posting:
    # Admins see every offer of the organisation, leads the ones they review.
    return posting_or_404(posting_id,
                          selectinload(Posting.contacts).joinedload(PostingContact.user))


def _status_from_args() -> PostingStatus | None:
    value = request.args.get("statut")
    try:
        return PostingStatus(value) if value else None
    except ValueError:
        return None



@bp.get("/")
@org_required()
def index():
    status = _status_from_args()
    pagination = paginate(
        services.organisation_postings_query(g.organisation, status)
        .where(visible_postings(g.membership)),
        per_page=current_app.config["ADMIN_PAGE_SIZE"],
    )
    return render_template(
        "postings/index.html",
        organisation=g.organisation,
        pagination=pagination,
        status=status,
        tabs=TABS,
        counts=services.status_counts(g.organisation, visible_postings(g.membership)),
        application_counts=services.application_counts(p.id for p in pagination.items),
        to_review=to_review_counts([p.id for p in pagination.items], current_user.id,
                                   pipeline(g.organisation)),
    )


def _form(posting: Posting | None) -> PostingForm:
    return PostingForm.for_posting(
        posting,
        members=services.organisation_members(g.organisation),
        timezone=g.organisation.timezone,
    )


def _warn_if_past_deadline(fields: dict) -> None:
    if deadline_is_past(fields, utcnow()):
        flash(_("The deadline is already past: candidates cannot apply until you move it."),
              "warning")


@bp.route("/nouvelle", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def new():
    form = _form(None)
    if form.validate_on_submit():
        fields = form.posting_fields()
        posting = services.create_posting_from_form(
            g.organisation, actor=current_user, fields=fields, contacts=form.contact_rows()
        )
        db.session.commit()
        flash(_("Offer saved as a draft."), "success")
        _warn_if_past_deadline(fields)
        return redirect(url_for(".show", org_slug=g.organisation.slug, posting_id=posting.id))
    return render_template("postings/form.html", form=form, posting=None,
                           organisation=g.organisation)


@bp.route("/<int:posting_id>/modifier", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def edit(posting_id: int):
    posting = _posting_or_404(posting_id)
    form = _form(posting)
    if form.validate_on_submit():
        fields = form.posting_fields()
        changed = services.update_posting(
            posting, actor=current_user, fields=fields, contacts=form.contact_rows()
        )
        db.session.commit()
        if changed:
            flash(_("Offer saved."), "success")
        else:
            flash(_("Nothing to save: the offer was not changed."), "info")
        _warn_if_past_deadline(fields)
        return redirect(url_for(".show", org_slug=g.organisation.slug, posting_id=posting.id))
    return render_template("postings/form.html", form=form, posting=posting,
                           organisation=g.organisation)


@bp.get("/<int:posting_id>")
@org_required()
def show(posting_id: int):
    posting = _posting_or_404(posting_id)
    zone = ZoneInfo(g.organisation.timezone)
    buttons = [
        (target.value, ACTION_BUTTONS[ACTIONS[(PostingStatus(posting.status), target)]],
         ACTIONS[(PostingStatus(posting.status), target)])
        for target in services.available_targets(posting)
    ]
    return render_template(
        "postings/show.html",
        posting=posting,
        organisation=g.organisation,
        buttons=buttons,
        events=[_event_view(e, zone) for e in services.posting_events(posting)],
        application_count=services.application_counts([posting.id])[posting.id],
        problems=(
            services.publication_problems(posting, utcnow())
            if posting.status == PostingStatus.DRAFT
            else []
        ),
    )


def _event_view(event: Event, zone: ZoneInfo) -> dict:
    local: datetime = event.created_at.astimezone(zone)
    detail = ""
    if event.action == "posting.edit":
        labels = [str(LABELS.get(name, name)) for name in event.data.get("fields") or []]
        detail = ", ".join(dict.fromkeys(labels))  # "deadline" and its end-of-day flag: once
    elif event.data.get("reason"):
        detail = event.data["reason"]
    return {
        "label": str(EVENT_LABELS.get(event.action, event.action)),
        "detail": detail,
        "actor": event.actor.display_name if event.actor else _("the system"),
        "when": _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local)),
        "iso": event.created_at.isoformat(),
        "source_id": event.data.get("source_id") if event.action == "posting.duplicate" else None,
    }


@bp.get("/<int:posting_id>/apercu")
@org_required()
def preview(posting_id: int):
    posting = _posting_or_404(posting_id)
    return render_template("postings/preview.html", posting=posting, preview=True,
                           organisation=g.organisation)


@bp.post("/<int:posting_id>/statut")
@org_required(Role.ADMIN)
def transition(posting_id: int):
    posting = _posting_or_404(posting_id)
    back = redirect(url_for(".show", org_slug=g.organisation.slug, posting_id=posting.id))
    form = TransitionForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return back
    try:
        target = PostingStatus(form.target.data or "")
    except ValueError:
        flash(_("Unknown status: nothing was changed."), "error")
        return back
    current = PostingStatus(posting.status)
    if target == PostingStatus.ARCHIVED and not _unanswered_confirmed(posting):
        return back
    try:
        services.transition(posting, target, actor=current_user)
    except services.TransitionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    flash(str(ACTION_DONE[ACTIONS[(current, target)]]), "success")
    return back


def _unanswered_confirmed(posting: Posting) -> bool:
    """Archiving with candidates still waiting for an answer needs ``confirm_unanswered``."""
    from flask_babel import ngettext

    from tracker.review.answers import unanswered_count

    waiting = unanswered_count(posting)
    if not waiting or request.form.get("confirm_unanswered"):
        return True
    flash(ngettext("%(num)d candidate has not been answered yet. Tick the box to confirm that "
                   "you archive the offer anyway; nothing was changed.",
                   "%(num)d candidates have not been answered yet. Tick the box to confirm "
                   "that you archive the offer anyway; nothing was changed.", waiting), "error")
    return False


@bp.post("/<int:posting_id>/dupliquer")
@org_required(Role.ADMIN)
def duplicate(posting_id: int):
    posting = _posting_or_404(posting_id)
    if not DuplicateForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for(".show", org_slug=g.organisation.slug, posting_id=posting.id))
    copy = services.duplicate_posting(posting, actor=current_user)
    db.session.commit()
    flash(_("Copy saved as a new draft. Set its dates and deadline, then publish it."),
          "success")
    return redirect(url_for(".edit", org_slug=g.organisation.slug, posting_id=copy.id))
