"""Back office of reminders: an offer's reminders planned and sent (its reviewers and the
admins), the organisation's reminder settings (admins)."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.models import Role
from tracker.accounts.rules import org_required
from tracker.db import db, paginate, utcnow
from tracker.i18n.formatting import format_clock, format_day
from tracker.reminders import planning, schedule
from tracker.reminders.forms import DEADLINE_DAYS_COUNT, DEADLINE_DAYS_MAX, ReminderSettingsForm
from tracker.reminders.preferences import settings_for
from tracker.reminders.recipients import contacts_loader
from tracker.reminders.settings import update_settings
from tracker.review.access import posting_or_404

bp = Blueprint("reminders", __name__, url_prefix="/gestion/<org_slug>")


def moment_text(moment: datetime | None) -> str:
    """'vendredi 13 mars 2026 à 8 h 00' in the organisation's time zone."""
    if moment is None:
        return ""
    local = moment.astimezone(schedule.zone(g.organisation.timezone))
    locale = str(get_locale() or "fr")
    if locale.startswith("fr"):
        day = f"{format_date(local.date(), 'EEEE', locale=locale)} {format_day(local)}"
    else:
        day = format_date(local.date(), "full", locale=locale)
    return _("%(day)s at %(time)s", day=day, time=format_clock(local))


@bp.context_processor
def reminder_helpers():
    return {"moment_text": moment_text}


@bp.get("/offres/<int:posting_id>/rappels")
@org_required()
def offer(posting_id: int):
    posting = posting_or_404(posting_id, contacts_loader())
    pagination = paginate(planning.history_select(posting),
                          per_page=current_app.config["ADMIN_PAGE_SIZE"])
    return render_template(
        "reminders/offer.html",
        organisation=g.organisation,
        posting=posting,
        planned=planning.planned(posting, utcnow()),
        pagination=pagination,
        rows=planning.history(posting, pagination.items),
        is_admin=g.membership.role == Role.ADMIN,
    )


@bp.route("/rappels", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def settings():
    current = settings_for(g.organisation.id)
    form = ReminderSettingsForm.for_settings(current)
    if form.validate_on_submit():
        changed = update_settings(g.organisation, form.values(current), actor=current_user)
        db.session.commit()
        if changed:
            flash(_("The reminder settings are saved: they apply from the next pass."),
                  "success")
        else:
            flash(_("Nothing to save: the settings were not changed."), "info")
        return redirect(url_for(".settings", org_slug=g.organisation.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "reminders/settings.html", organisation=g.organisation, form=form,
        days_max=DEADLINE_DAYS_MAX, days_count=DEADLINE_DAYS_COUNT,
    ), status
