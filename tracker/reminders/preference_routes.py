"""A user's notification settings: each time, daily digest or never, per kind.

Linked from every reminder email (an unsubscribe-style link, ``#<kind>`` for the fieldset of
the kind the email is about) and from the back-office navigation. Not under an organisation's
URL: the choices are the person's, whatever organisations they belong to.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.db import db
from tracker.reminders import preferences
from tracker.reminders.notifications import send_hours
from tracker.reminders.preference_forms import (
    KIND_TEXTS,
    MANDATORY_NOTE,
    MODE_LABELS,
    preferences_form,
)

bp = Blueprint("notifications", __name__)


@bp.route("/gestion/notifications", methods=["GET", "POST"], endpoint="preferences")
@login_required
def preferences_page():
    user_id = current_user.id
    current = preferences.preferences_of(user_id)
    if request.method == "POST":
        form = preferences_form(current, formdata=request.form)
        if form.validate():
            changed = preferences.set_preferences(user_id, form.choices())
            db.session.commit()
            flash(_("Your choices are saved.") if changed
                  else _("Nothing changed: these were already your choices."), "success")
            return redirect(url_for(".preferences"))
        status = 400
    else:
        form, status = preferences_form(current), 200
    return render_template(
        "reminders/preferences.html", form=form, texts=KIND_TEXTS, mode_labels=MODE_LABELS,
        mandatory_note=MANDATORY_NOTE, send_hours=send_hours(user_id),
    ), status
