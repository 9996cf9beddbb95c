"""The application page's "Original email" panel: what reviewers see of the mail(s) an
emailed application came from (templates/ingest/_original_mail.html).

No routes: a blueprint only to register ``original_mails(application)`` for all templates.
While the screening is anonymous the sender is the candidate's label and the subject and notes
are masked (tracker.review.anonymity); the raw mail is for admins, on the triage page.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, current_app, g, url_for
from flask_babel import gettext as _

from tracker.db import db
from tracker.ingest import routing
from tracker.ingest.models import InboundMail
from tracker.review import anonymity

bp = Blueprint("inbound_panel", __name__)


def _mails(application_id: int) -> list[InboundMail]:
    return list(db.session.scalars(
        sa.select(InboundMail).where(InboundMail.application_id == application_id)
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
    ))


def _sender(mail: InboundMail, application) -> str:
    if anonymity.is_masked(application):
        return anonymity.candidate_label(application)
    if mail.from_name:
        return f"{mail.from_name} <{mail.from_address}>"
    return mail.from_address


def _recipients(mail: InboundMail, application) -> str:
    """To and Cc; while masked only the organisation's own addresses (a candidate often
    copies themselves, or a second address of theirs)."""
    addresses = mail.to_addresses or []
    if anonymity.is_masked(application):
        own = (application.organisation.email or "").strip().lower()
        addresses = [a for a in addresses if own and routing._plus_base(a)[0] == own]
    return ", ".join(addresses)


def _notes(mail: InboundMail, application) -> list[str]:
    """The mail's notes. While masked, a note about a file ("CV_Lea_Martin.pdf: ...") names
    it "Attachment 1", "Attachment 2"... (file names are often the candidate's name)."""
    lines = [line for line in (mail.note or "").splitlines() if line.strip()]
    if not anonymity.is_masked(application):
        return lines
    shown, number = [], 0
    for line in lines:
        name, separator, message = line.partition(": ")
        if not separator:
            shown.append(anonymity.mask_text(line, application))
            continue
        number += 1
        label = _("Attachment %(number)s", number=number)
        message = re.sub(r"“[^”]*”", f"“{label}”", message.replace(name, label))
        shown.append(f"{label}: {anonymity.mask_text(message, application)}")
    return shown


def _triage_link(mail: InboundMail, application) -> str | None:
    """The mail on the triage pages (admins only), when those pages exist."""
    membership = g.get("membership")
    if membership is None or not membership.is_admin:
        return None
    if "inbound.show" not in current_app.view_functions:
        return None
    return url_for("inbound.show", org_slug=application.organisation.slug, inbound_id=mail.id)


def original_mails(application) -> list[dict]:
    """One entry per mail that made (a version of) the application, newest first."""
    return [
        {
            "id": mail.id,
            "received_at": mail.received_at,
            "sent_at": mail.sent_at,
            "sender": _sender(mail, application),
            "subject": anonymity.mask_text(mail.subject, application),
            "to": _recipients(mail, application),
            "notes": _notes(mail, application),
            "link": _triage_link(mail, application),
        }
        for mail in _mails(application.id)
    ]


@bp.app_context_processor
def inject_original_mails():
    return {"original_mails": original_mails}
