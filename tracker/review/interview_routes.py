"""Interviews: schedule, reschedule, cancel (with .ics invitations).

Any member who can see the offer may schedule its interviews; the participants are chosen
among the offer's reviewers. Times are typed in the organisation's time zone.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.models import User
from tracker.accounts.rules import org_required
from tracker.applications.models import Application
from tracker.db import db, utcnow
from tracker.i18n.formatting import format_clock
from tracker.review import interviews as service
from tracker.review.access import application_for_member, application_or_404, reviewers
from tracker.review.anonymity import candidate_label
from tracker.review.interview_forms import CancelForm, InterviewForm
from tracker.review.models import Interview, InterviewStatus, Stage

bp = Blueprint("interviews", __name__, url_prefix="/gestion/<org_slug>")


def interview_or_404(interview_id: int) -> tuple[Interview, Application]:
    interview = db.session.scalar(
        sa.select(Interview).where(Interview.id == interview_id,
                                   Interview.organisation_id == g.organisation.id)
    )
    application = interview and application_for_member(interview.application_id)
    if interview is None or application is None:
        abort(404)
    return interview, application


def _application_url(application: Application) -> str:
    return url_for("applications_admin.show", org_slug=g.organisation.slug,
                   application_id=application.id)


def _form(application: Application, interview: Interview | None = None) -> InterviewForm:
    form = InterviewForm()
    people = reviewers(application.posting)
    form.participants.choices = [(u.id, u.display_name) for u in people]
    if request.method == "GET":
        zone = g.organisation.timezone
        start = (service.in_zone(interview.starts_at, zone) if interview
                 else service.default_start(zone))
        form.day.data, form.time.data = start.date(), start.time()
        if interview is not None:
            form.duration.data = interview.duration_minutes
            form.place.data, form.video_url.data = interview.place, interview.video_url
            form.note.data = interview.note
            form.participants.data = [p.user_id for p in interview.participants]
        else:
            form.participants.data = [current_user.id] if any(
                u.id == current_user.id for u in people) else []
    return form


def _details(form: InterviewForm) -> service.Details:
    """Raises InterviewError for a time that does not exist."""
    ids = set(form.participants.data or [])
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    return service.Details(
        starts_at=service.local_to_utc(form.day.data, form.time.data, g.organisation.timezone),
        duration=form.duration.data, place=form.place.data or "",
        video_url=form.video_url.data or "", note=form.note.data or "", participants=users,
    )


def _render(form, application, interview=None):
    return render_template(
        "review/interview_form.html", organisation=g.organisation,
        posting=application.posting, application=application, interview=interview,
        form=form, label=candidate_label(application), timezone=g.organisation.timezone,
    )


@bp.route("/candidatures/<int:application_id>/entretien", methods=["GET", "POST"])
@org_required()
def new(application_id: int):
    application = application_or_404(application_id)
    form = _form(application)
    if form.validate_on_submit():
        try:
            service.schedule(application, _details(form), actor=current_user)
        except service.InterviewError as error:
            db.session.rollback()
            form.day.errors = [*form.day.errors, str(error)]
        else:
            db.session.commit()
            flash(_("The interview is scheduled; the invitations are on their way."), "success")
            return redirect(_application_url(application))
    return _render(form, application)


@bp.route("/entretiens/<int:interview_id>/modifier", methods=["GET", "POST"])
@org_required()
def edit(interview_id: int):
    interview, application = interview_or_404(interview_id)
    if interview.status != InterviewStatus.SCHEDULED:
        flash(_("This interview was cancelled: schedule a new one instead."), "error")
        return redirect(_application_url(application))
    form = _form(application, interview)
    if form.validate_on_submit():
        try:
            service.reschedule(interview, _details(form), actor=current_user)
        except service.InterviewError as error:
            db.session.rollback()
            form.day.errors = [*form.day.errors, str(error)]
        else:
            db.session.commit()
            flash(_("The interview is changed; everyone concerned is told."), "success")
            return redirect(_application_url(application))
    return _render(form, application, interview)


@bp.post("/entretiens/<int:interview_id>/annuler")
@org_required()
def cancel(interview_id: int):
    interview, application = interview_or_404(interview_id)
    if not CancelForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(_application_url(application))
    try:
        service.cancel(interview, actor=current_user)
    except service.InterviewError as error:
        flash(str(error), "error")
        return redirect(_application_url(application))
    db.session.commit()
    flash(_("The interview is cancelled; the candidate and the reviewers are told."), "success")
    return redirect(_application_url(application))


# --- The panel on the application page ---------------------------------------------------------


@bp.app_context_processor
def interview_helpers():
    return {"interviews_panel": interviews_panel}


def interviews_panel(application: Application) -> dict:
    """What review/_interviews_panel.html shows: upcoming and past interviews, links."""
    zone = application.organisation.timezone
    now = utcnow()
    rows = []
    for interview in service.interviews_of(application):
        local = service.in_zone(interview.starts_at, zone)
        rows.append({
            "interview": interview,
            "day": service.day_text(local),
            "time": format_clock(local),
            "end": format_clock(service.in_zone(interview.ends_at, zone)),
            "cancelled": interview.status == InterviewStatus.CANCELLED,
            "past": interview.ends_at < now,
            "participants": [p.user.display_name for p in interview.participants],
        })
    upcoming = [r for r in rows if not r["past"] and not r["cancelled"]]
    return {
        "upcoming": upcoming,
        "others": [r for r in reversed(rows) if r not in upcoming],
        "before_interview_stage": _before_interview_stage(application),
        "can_schedule": application.withdrawn_at is None,
        "form": CancelForm(),
    }


def _before_interview_stage(application: Application) -> str | None:
    """The name of the interview stage if the application has not reached it yet."""
    stage = db.session.scalar(
        sa.select(Stage).where(Stage.organisation_id == application.organisation_id,
                               Stage.key == "interview")
    )
    current = application.stage
    if stage is None or current.is_final or current.position >= stage.position:
        return None
    return stage.name
