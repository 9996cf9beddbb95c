"""The candidate's private link: follow, withdraw or erase an application, without an account.

The token in the URL is the only key (tracker.applications.links), so these pages are never
indexed, cached or leaked through the Referer header. A bad or revoked token gets the same
page whether or not it ever opened anything; only a link we signed ourselves can learn that
its application was erased.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload, undefer
from wtforms import BooleanField
from wtforms.validators import DataRequired

from tracker.applications import privacy
from tracker.applications.downloads import document_response, format_size
from tracker.applications.links import application_for_token, signed_application_id
from tracker.applications.models import Application, Document, Submission
from tracker.db import db, utcnow
from tracker.i18n.formatting import format_clock, format_day
from tracker.postings.display import deadline_text

bp = Blueprint("candidate", __name__, url_prefix="/candidature")


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, I withdraw my application"),
        validators=[
            DataRequired(_l("Tick the box to confirm that you withdraw your application.")),
        ],
    )


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my application, my documents and my details will be deleted for "
           "good, and that this cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm that you want everything erased."))],
    )


def _forms(withdraw: WithdrawForm | None = None, erase: EraseForm | None = None) -> dict:
    # Prefixes keep the two checkboxes' names and ids apart on one page.
    return {
        "withdraw_form": withdraw or WithdrawForm(prefix="withdraw", formdata=None),
        "erase_form": erase or EraseForm(prefix="erase", formdata=None),
    }


@bp.after_request
def private_page(response):
    """The token is in the URL: never sent to other sites, stored in caches or indexed."""
    response.headers["Referrer-Policy"] = "no-referrer"
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.context_processor
def helpers():
    return {"format_size": format_size}


def _application_or_abort(token: str) -> Application:
    application = application_for_token(token)
    if application is not None:
        return application
    application_id = signed_application_id(token)
    if application_id is not None and privacy.was_erased(application_id):
        abort(_page("candidate/erased.html", 410))
    abort(_page("candidate/not_found.html", 404))


def _page(template: str, status: int):
    return make_response(render_template(template), status)


def _when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def _status(application: Application, now: datetime, zone: ZoneInfo) -> dict:
    """The status in plain words: key (for the badge), label, explanation."""
    posting = application.posting
    if application.withdrawn_at is not None:
        return {"key": "withdrawn", "label": _("Withdrawn"), "text": _(
            "You withdrew this application on %(when)s. The organisation has been told.",
            when=_when(application.withdrawn_at, zone))}
    if application.answered_at is not None:
        return {"key": "answered", "label": _("Answered"), "text": _(
            "The organisation answered you on %(when)s, by email. If you cannot find their "
            "answer, look in your spam folder.", when=_when(application.answered_at, zone))}
    if posting.is_open(now):
        return {"key": "received", "label": _("Received"), "text": _(
            "Your application has been received. The offer takes applications %(deadline)s; "
            "the applications are reviewed after that.", deadline=deadline_text(posting))}
    return {"key": "review", "label": _("Under review"), "text": _(
        "Your application has been received and is being reviewed. The organisation will "
        "contact you by email.")}


def _render_show(application: Application, token: str, **forms):
    zone = ZoneInfo(application.organisation.timezone)
    submissions = list(db.session.scalars(
        sa.select(Submission)
        .where(Submission.application_id == application.id)
        .options(selectinload(Submission.documents))
        .order_by(Submission.version.desc())
    ))
    return render_template(
        "candidate/show.html",
        application=application,
        posting=application.posting,
        organisation=application.organisation,
        candidate=application.candidate,
        submissions=[{"submission": s, "when": _when(s.submitted_at, zone)} for s in submissions],
        status=_status(application, utcnow(), zone),
        retain_until=format_day(application.retain_until.astimezone(zone)),
        token=token,
        **_forms(**forms),
    )


@bp.get("/<token>")
def show(token: str):
    application = _application_or_abort(token)
    return _render_show(application, token)


@bp.post("/<token>/retrait")
def withdraw(token: str):
    application = _application_or_abort(token)
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _render_show(application, token, withdraw=form)
    changed = privacy.withdraw_application(application)
    db.session.commit()
    if changed:
        flash(_("Your application has been withdrawn. The organisation has been told."),
              "success")
    else:
        flash(_("Your application was already withdrawn."), "info")
    return redirect(url_for(".show", token=token))


@bp.post("/<token>/effacement")
def erase(token: str):
    application = _application_or_abort(token)
    form = EraseForm(prefix="erase")
    if not form.validate_on_submit():
        return _render_show(application, token, erase=form)
    privacy.erase_application(application, by="candidate")
    db.session.commit()
    return redirect(url_for(".show", token=token))


@bp.get("/<token>/documents/<int:document_id>")
def document(token: str, document_id: int):
    application = _application_or_abort(token)
    item = db.session.scalar(
        sa.select(Document)
        .join(Submission)
        .where(Document.id == document_id, Submission.application_id == application.id)
        .options(undefer(Document.content))
    )
    if item is None:
        abort(404)
    return document_response(item)
