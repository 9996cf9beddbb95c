"""The public application form and its confirmation page."""

from __future__ import annotations

import itertools

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from tracker.applications import services
from tracker.applications.forms import ApplicationForm, size_text, upload_max_bytes
from tracker.board.services import public_posting_or_abort
from tracker.db import db, utcnow
from tracker.extensions import limiter

bp = Blueprint("applications", __name__)

# Session key of the confirmation page (POST-redirect-GET).
APPLIED_KEY = "applied"
# Honeypot refusals since the process started, for the logs.
_honeypot_count = itertools.count(1)


def _apply_rate_limit() -> str:
    return current_app.config["APPLY_RATE_LIMIT"]


def _counts_for_rate_limit(response) -> bool:
    """Every POST counts, except a form sent back to a person to correct (their typing)."""
    return not g.get("apply_form_errors", False)


def _canonical(endpoint: str, posting):
    return redirect(url_for(endpoint, posting_id=posting.id, slug=posting.slug), code=301)


@bp.route("/offres/<int:posting_id>-<slug:slug>/apply", methods=["GET", "POST"])
@limiter.limit(_apply_rate_limit, methods=["POST"], deduct_when=_counts_for_rate_limit)
def apply(posting_id: int, slug: str):
    posting = public_posting_or_abort(posting_id)
    if request.method == "GET" and slug != posting.slug:
        return _canonical("applications.apply", posting)
    # The deadline is judged at the moment the form arrives.
    now = utcnow()
    reason = services.closed_reason(posting, now)
    if reason is not None:
        status = 410 if request.method == "POST" else 200
        return render_template("applications/closed.html", posting=posting, reason=reason,
                               refused=request.method == "POST"), status

    form = ApplicationForm(posting=posting)
    if request.method == "POST" and form.honeypot_filled:
        current_app.logger.warning(
            "Application form: honeypot filled, nothing stored (offer %s, refusal #%s)",
            posting.id, next(_honeypot_count),
        )
        form.clear_honeypot()
        form.form_errors.append(
            _("Your application could not be sent. Please check the form and try again.")
        )
        return _render_form(posting, form), 422
    if form.validate_on_submit():
        result = services.submit_application(
            posting,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            email=form.email.data,
            phone=form.phone.data or "",
            cv=form.checked_cv,
            letter=form.checked_letter,
            letter_text=form.letter_text.data or "",
            message=form.message.data or "",
            keep_consent=form.keep_consent.data,
            locale=str(get_locale()),
            now=now,
        )
        db.session.commit()
        session[APPLIED_KEY] = {
            "posting_id": posting.id,
            "reference": result.application.reference,
            "email": result.application.candidate.email,
            "version": result.submission.version,
        }
        return redirect(url_for(".applied", posting_id=posting.id, slug=posting.slug))
    if request.method == "POST":
        g.apply_form_errors = True
        return _render_form(posting, form), 422
    return _render_form(posting, form)


def _render_form(posting, form):
    return render_template(
        "applications/apply.html",
        posting=posting,
        form=form,
        max_size=size_text(upload_max_bytes()),
        files_lost=request.method == "POST",
    )


@bp.get("/offres/<int:posting_id>-<slug:slug>/apply/merci")
def applied(posting_id: int, slug: str):
    posting = public_posting_or_abort(posting_id)
    receipt = session.get(APPLIED_KEY)
    if not isinstance(receipt, dict) or receipt.get("posting_id") != posting.id:
        return redirect(url_for("board.detail", posting_id=posting.id, slug=posting.slug))
    if slug != posting.slug:
        return _canonical("applications.applied", posting)
    return render_template("applications/applied.html", posting=posting, receipt=receipt)


@bp.errorhandler(413)
def too_large(error):
    return render_template(
        "applications/too_large.html",
        max_size=size_text(upload_max_bytes()),
        total_size=size_text(current_app.config.get("MAX_CONTENT_LENGTH") or 0),
    ), 413


@bp.errorhandler(429)
def too_many(error):
    return render_template("applications/too_many.html"), 429
