"""Back office of received emails (admins of the organisation only): the triage list, one
email, and what an admin does with it (attach it to an offer, set it aside, try it again).

Hiring leads never see these pages: an email that found no offer may be for any offer, and
names its sender. Queries live in ``tracker.ingest.triage``, changes in
``tracker.ingest.services``; routes parse, authorise, call one of them and commit.
"""

from __future__ import annotations

from babel.numbers import format_percent
from flask import (
    Blueprint,
    Response,
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
from flask_login import current_user

from tracker.accounts.models import Role
from tracker.accounts.rules import org_required
from tracker.applications.downloads import content_disposition, format_size
from tracker.db import db, paginate
from tracker.i18n.formatting import format_clock, format_day, local_time
from tracker.ingest import reasons, services, triage
from tracker.ingest.forms import AttachForm, RetryForm, SetAsideForm
from tracker.ingest.models import InboundStatus
from tracker.postings.display import STATUS_LABELS as POSTING_STATUS
from tracker.postings.models import Posting

bp = Blueprint("inbound", __name__, url_prefix="/gestion/<org_slug>")


def _when(moment) -> str:
    if moment is None:
        return ""
    local = local_time(moment, g.organisation.timezone)
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def _score(value) -> str:
    if value is None:
        return ""
    return format_percent(float(value), locale=str(get_locale() or "fr"))


@bp.context_processor
def inbound_helpers():
    return {
        "when": _when,
        "score_text": _score,
        "reason_text": reasons.label,
        "status_labels": triage.STATUS_LABELS,
        "status_badges": triage.STATUS_BADGES,
        "verdict_labels": triage.VERDICT_LABELS,
        "format_size": format_size,
        "posting_status_label": lambda status: str(POSTING_STATUS.get(status, status)),
    }


def _actor():
    return current_user._get_current_object()


def _show_url(mail_id: int) -> str:
    return url_for(".show", org_slug=g.organisation.slug, inbound_id=mail_id)


# --- The list ---------------------------------------------------------------------------------


@bp.get("/courriels")
@org_required(Role.ADMIN)
def index():
    status = triage.status_from(request.args.get("statut"))
    q = triage.search_text(request.args.get("q"))
    organisation = g.organisation
    pagination = paginate(triage.mails_query(organisation.id, status, q),
                          per_page=current_app.config["ADMIN_PAGE_SIZE"])
    postings = triage.postings_by_id(organisation.id,
                                     [mail.posting_id for mail in pagination.items])
    return render_template(
        "ingest/index.html", organisation=organisation, pagination=pagination,
        status=status, q=q, tabs=triage.TABS, counts=triage.status_counts(organisation.id),
        postings=postings,
    )


# --- One email --------------------------------------------------------------------------------


def _render_show(mail, *, attach_form=None, aside_form=None, status_code=200):
    view = triage.mail_view(mail)
    if attach_form is None:
        attach_form = AttachForm(formdata=None, choices=triage.offer_choices(g.organisation.id),
                                 data={"posting_id": mail.posting_id})
    return render_template(
        "ingest/show.html", organisation=g.organisation, mail=mail, view=view,
        attach_form=attach_form, aside_form=aside_form or SetAsideForm(formdata=None),
        retry_form=RetryForm(formdata=None),
        can_handle=mail.status != InboundStatus.APPLICATION and not view.erased,
        can_retry=mail.status in (InboundStatus.ERROR, InboundStatus.TRIAGE)
        and not view.erased,
    ), status_code


@bp.get("/courriels/<int:inbound_id>")
@org_required(Role.ADMIN)
def show(inbound_id: int):
    mail = triage.mail_or_404(g.organisation.id, inbound_id, with_raw=True)
    return _render_show(mail)


@bp.get("/courriels/<int:inbound_id>/original.eml")
@org_required(Role.ADMIN)
def raw(inbound_id: int):
    """The email exactly as received, as a download (never shown by the browser)."""
    mail = triage.mail_or_404(g.organisation.id, inbound_id, with_raw=True)
    if not mail.raw:
        abort(404)  # an erased application's mail: only its tombstone is left
    response = Response(mail.raw, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = content_disposition(
        _("email-%(number)s.eml", number=mail.id))
    response.headers["Content-Length"] = str(len(mail.raw))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/courriels/<int:inbound_id>/rattacher")
@org_required(Role.ADMIN)
def attach(inbound_id: int):
    mail = triage.mail_or_404(g.organisation.id, inbound_id, with_raw=True)
    form = AttachForm(choices=triage.offer_choices(g.organisation.id))
    if not form.validate_on_submit():
        return _render_show(mail, attach_form=form, status_code=422)
    posting = db.session.get(Posting, form.posting_id.data)
    try:
        application = services.attach(mail, posting, _actor())
    except services.TriageError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_show_url(inbound_id))
    db.session.commit()
    flash(_("The application has been made from this email."), "success")
    return redirect(url_for("applications_admin.show", org_slug=g.organisation.slug,
                            application_id=application.id))


@bp.post("/courriels/<int:inbound_id>/ecarter")
@org_required(Role.ADMIN)
def set_aside(inbound_id: int):
    mail = triage.mail_or_404(g.organisation.id, inbound_id, with_raw=True)
    form = SetAsideForm()
    if not form.validate_on_submit():
        return _render_show(mail, aside_form=form, status_code=422)
    try:
        services.set_aside(mail, form.reason.data, _actor())
    except services.TriageError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_show_url(inbound_id))
    db.session.commit()
    flash(_("The email has been set aside. It stays listed under “Set aside”."), "success")
    return redirect(url_for(".index", org_slug=g.organisation.slug))


@bp.post("/courriels/<int:inbound_id>/reessayer")
@org_required(Role.ADMIN)
def retry(inbound_id: int):
    mail = triage.mail_or_404(g.organisation.id, inbound_id, with_raw=True)
    form = RetryForm()
    if not form.validate_on_submit():
        return redirect(_show_url(inbound_id))
    try:
        services.retry(mail, actor=_actor())
    except services.TriageError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_show_url(inbound_id))
    db.session.commit()
    if mail.status == InboundStatus.APPLICATION and mail.application_id is not None:
        flash(_("Tried again: the email made an application."), "success")
        return redirect(url_for("applications_admin.show", org_slug=g.organisation.slug,
                                application_id=mail.application_id))
    if mail.status == InboundStatus.ERROR:
        flash(_("Tried again: processing failed again. The error is shown below."), "error")
    else:
        flash(_("Tried again: %(outcome)s.", outcome=reasons.label(mail.reason)), "success")
    return redirect(_show_url(inbound_id))
