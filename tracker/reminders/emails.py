"""Rendering a reminder: the organisation's template, then a footer that no template removes.

The footer tells a user why they get the email and links to their notification settings (an
unsubscribe-style link); an outside contact, who has no settings, is told to ask the
organisation.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker.mail.templates import RenderedEmail, render_email, text_to_html
from tracker.reminders.core import Recipient


def settings_link(anchor: str = "") -> str:
    """The absolute link to one's notification settings (``#anchor``: a kind)."""
    link = url_for("notifications.preferences", _external=True)
    return f"{link}#{anchor}" if anchor else link


def footer(recipient: Recipient, organisation, kind: str = "") -> str:
    """The last lines of every reminder, in the current locale."""
    if recipient.user_id is not None:
        return _("You receive this reminder as a member of %(organisation)s. Choose which "
                 "notifications you get, and how often: %(link)s",
                 organisation=organisation.name, link=settings_link(kind))
    return _("You receive this reminder as a contact named on an offer of %(organisation)s. "
             "To stop receiving them, ask %(organisation)s to remove you from the offer.",
             organisation=organisation.name)


def render_reminder(organisation, template_kind: str, recipient: Recipient,
                    context: dict[str, str], notification: str = "") -> RenderedEmail:
    """The email for ``recipient`` in their language: template, then the footer."""
    locale = recipient.locale
    with force_locale(locale):
        values = {"recipient_name": recipient.name or recipient.address, **context}
        rendered = render_email(organisation, template_kind, locale, values)
        text = f"{rendered.text.rstrip()}\n\n-- \n{footer(recipient, organisation, notification)}\n"
    return RenderedEmail(rendered.subject, text,
                         text_to_html(text, lang=locale, title=rendered.subject))
