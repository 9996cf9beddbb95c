"""New applications for the contacts who chose a daily digest, or nothing.

``tracker.applications.services.queue_notification`` asks ``route_new_application`` who leaves
the email's To/Cc: each contact with an account whose choice for NEW_APPLICATION is "digest"
(a Reminder row waits for their next daily digest, its line written in their language and
naming the application by its reference only) or "never" (nothing kept). Outside contacts,
who have no choices, are written to as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker.accounts.models import Membership, Organisation, User
from tracker.db import db
from tracker.i18n.formatting import format_clock
from tracker.mail.templates import normalise_locale
from tracker.postings.models import ContactRole
from tracker.reminders.engine import insert_once
from tracker.reminders.models import (
    NotificationKind,
    NotificationMode,
    ReminderRule,
    ReminderStatus,
)
from tracker.reminders.preferences import modes_for, settings_by_organisation


def new_application_key(application_id: int, version: int, user_id: int) -> str:
    """``new_application:application:<id>:v<version>:u<uid>``: one row per sending and user."""
    rule = ReminderRule.NEW_APPLICATION.value
    return f"{rule}:application:{application_id}:v{version}:u{user_id}"


def contact_users(posting) -> list[User]:
    """The offer's 'to' and 'cc' contacts who have an account, each once."""
    seen: dict[int, User] = {}
    for contact in posting.contacts:
        if contact.role in (ContactRole.TO, ContactRole.CC) and contact.user is not None:
            seen.setdefault(contact.user.id, contact.user)
    return list(seen.values())


def route_new_application(application, submission) -> set[str]:
    """The addresses (lower-cased) to leave out of the notification of ``submission``; keeps
    a digest row for each contact who chose the digest. Adds to the session (no commit)."""
    users = contact_users(application.posting)
    modes = modes_for([user.id for user in users], NotificationKind.NEW_APPLICATION)
    left_out: set[str] = set()
    for user in users:
        mode = modes[user.id]
        if mode == NotificationMode.EACH:
            continue
        left_out.add(user.email.lower())
        if mode == NotificationMode.DIGEST:
            keep_for_digest(application, submission, user)
    return left_out


def without(addresses: Iterable[str], left_out: set[str]) -> list[str]:
    return [address for address in addresses if address.lower() not in left_out]


def keep_for_digest(application, submission, user: User) -> int | None:
    """The waiting row of ``user`` for this sending (once, whatever calls it twice)."""
    organisation = application.organisation
    locale = normalise_locale(user.locale or organisation.locale)
    return insert_once(
        key=new_application_key(application.id, submission.version, user.id),
        organisation_id=organisation.id, rule=ReminderRule.NEW_APPLICATION.value,
        status=ReminderStatus.DIGEST.value, due_at=submission.submitted_at,
        created_at=submission.submitted_at,
        posting_id=application.posting_id, application_id=application.id, user_id=user.id,
        recipient=user.email, detail=new_application_detail(application, submission, locale),
    )


def new_application_detail(application, submission, locale: str) -> dict:
    """What the digest needs: the line in ``locale`` and, to gather the lines of one offer,
    the offer, the application's reference and the offer's list. The candidate is named by
    the reference only (see tracker.reminders.digest)."""
    posting = application.posting
    with force_locale(locale):
        if submission.version > 1:
            line = _("%(title)s: new version of application %(reference)s (version "
                     "%(version)s)", title=posting.title, reference=application.reference,
                     version=submission.version)
        else:
            line = _("%(title)s: new application %(reference)s", title=posting.title,
                     reference=application.reference)
    return {
        "line": line, "posting_id": posting.id, "posting_title": posting.title,
        "reference": application.reference, "version": submission.version,
        "link": _offer_link(application),
    }


def _offer_link(application) -> str:
    try:
        return url_for("applications_admin.index", org_slug=application.organisation.slug,
                       posting_id=application.posting_id, _external=True)
    except RuntimeError:  # no request and no SERVER_NAME: a digest without the link
        return ""


def send_hours(user_id: int) -> list[tuple[str, str]]:
    """(organisation name, local hour of its reminders and digests) of each organisation the
    user belongs to, for the settings page."""
    organisations = list(db.session.scalars(
        sa.select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id).order_by(Organisation.name)
    ))
    settings = settings_by_organisation(o.id for o in organisations)
    return [(o.name, format_clock(time(settings[o.id].send_hour))) for o in organisations]
