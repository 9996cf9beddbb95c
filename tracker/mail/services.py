"""Queueing email: a Message row in the caller's transaction, and the email built from it.

``queue_message`` never sends: it adds the row (and its attachments) and flushes, so the email
commits with the change that causes it, or not at all. ``tracker.mail.delivery`` sends what is
due later. ``build_email`` turns a row into the RFC 5322 message that goes out; it is used by
delivery and by anything that wants to show or save exactly what would be sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.headerregistry import Address
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageAttachment, MessageStatus, MessageTemplate

log = logging.getLogger(__name__)

# The policy of every email we build: CRLF line ends, headers folded at 78 characters,
# non-ASCII words encoded (RFC 2047) and attachment names encoded (RFC 2231).
EMAIL_POLICY = policy.SMTP

FALLBACK_DOMAIN = "tracker.invalid"


@dataclass(frozen=True)
class FileAttachment:
    """Bytes attached to one message only (a generated PDF...), copied into the outbox."""

    filename: str
    media_type: str
    content: bytes


# --- Addresses --------------------------------------------------------------------------------


def clean_address(value: str) -> str | None:
    """' Léa Martin <lea@Example.ORG>' -> 'Léa Martin <lea@example.org>'; None if not valid.

    One address per value; a display name is kept. The domain is checked for syntax only
    (no DNS lookup: queueing must not depend on the network).
    """
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        return None
    parsed = getaddresses([value.strip()])
    if len(parsed) != 1:  # "a@example.org, b@example.org": one address per value
        return None
    name, address = parsed[0]
    if not address or address.count("@") != 1:
        return None
    try:
        # ASCII only before the @ (SMTPUTF8 is far from universal); an international domain
        # is kept in its ASCII form (IDNA), which every server accepts.
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return with_name(name, checked.ascii_email or checked.normalized)


def with_name(name: str, address: str) -> str:
    """'Léa Martin <lea@example.org>', readable (Unicode, quoted only where needed)."""
    name = " ".join((name or "").split())
    if not name:
        return address
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, IndexError):
        return address


def address_of(value: str) -> str:
    """The bare address of 'Name <address>' (for comparisons and the SMTP envelope)."""
    return parseaddr(value)[1]


def _clean_list(values: Iterable[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    rejected: list[str] = []
    seen: set[str] = set()
    for value in values:
        cleaned = clean_address(value)
        if cleaned is None:
            rejected.append(str(value))
            continue
        key = address_of(cleaned).lower()
        if key not in seen:
            seen.add(key)
            kept.append(cleaned)
    return kept, rejected


def default_sender() -> tuple[str, str]:
    """(display name, address) of MAIL_DEFAULT_SENDER."""
    name, address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return name, address


def mail_domain() -> str:
    """Right-hand side of our Message-IDs: MAIL_DOMAIN, else the sender's domain."""
    configured = (current_app.config.get("MAIL_DOMAIN") or "").strip()
    if configured:
        return configured
    _name, address = default_sender()
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return FALLBACK_DOMAIN


def sender_for(organisation) -> str:
    """From: the organisation's name and the configured address."""
    name, address = default_sender()
    return with_name(getattr(organisation, "name", "") or name, address)


# --- Queueing ---------------------------------------------------------------------------------


def queue_message(
    *,
    organisation,
    kind: str,
    recipients: Sequence[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    cc: Sequence[str] = (),
    reply_to: str = "",
    attachments: Iterable = (),  # Document instances (no copy made) or FileAttachment
    posting=None,
    application=None,
    locale: str = "fr",
    status: MessageStatus = MessageStatus.PENDING,
) -> Message:
    """Add a Message (and its attachments) to the session and flush; never sends.

    Addresses are checked; invalid ones are left out (and noted in ``last_error`` so the
    outbox shows it). Raises ValueError when no valid recipient remains. An address in both
    To and Cc stays in To only; with no valid To, the Cc addresses become the To.
    """
    if isinstance(recipients, str):
        recipients = [recipients]
    if isinstance(cc, str):
        cc = [cc]
    to, rejected = _clean_list(recipients)
    copy, rejected_cc = _clean_list(cc)
    rejected += rejected_cc
    in_to = {address_of(a).lower() for a in to}
    copy = [a for a in copy if address_of(a).lower() not in in_to]
    if not to:
        to, copy = copy, []
    if not to:
        raise ValueError(f"no valid recipient for a {kind} message: {list(recipients)!r}")
    clean_reply_to = clean_address(reply_to) if reply_to else ""
    if reply_to and clean_reply_to is None:
        rejected.append(reply_to)
        clean_reply_to = ""
    status = MessageStatus(status)
    if status not in (MessageStatus.PENDING, MessageStatus.DRAFT):
        raise ValueError(f"a message is queued as pending or draft, not {status}")
    now = utcnow()
    message = Message(
        organisation_id=organisation.id,
        kind=kind,
        message_id=make_msgid(domain=mail_domain()),
        sender=sender_for(organisation),
        recipients=to,
        cc=copy,
        reply_to=clean_reply_to,
        # A subject is one line: a newline would end the header.
        subject=re.sub(r"[ \t\r\n\f\v]+", " ", subject).strip(" ")[:500],
        body_text=body_text,
        body_html=body_html or "",
        locale=locale,
        status=status,
        attempts=0,
        # sa.null(): None would let the column's default (now) fill it in.
        next_try_at=now if status == MessageStatus.PENDING else sa.null(),
        last_error=("Invalid addresses left out: " + ", ".join(rejected)) if rejected else "",
        posting_id=getattr(posting, "id", None),
        application_id=getattr(application, "id", None),
    )
    if rejected:
        log.warning("%s message: invalid addresses left out: %s", kind, rejected)
    for item in attachments:
        message.attachments.append(_attachment(item))
    db.session.add(message)
    db.session.flush()
    return message


def _attachment(item) -> MessageAttachment:
    if isinstance(item, FileAttachment):
        if not item.content:
            raise ValueError(f"empty attachment {item.filename!r}")
        return MessageAttachment(
            filename=item.filename, media_type=item.media_type, content=bytes(item.content)
        )
    from tracker.applications.models import Document

    if isinstance(item, Document):
        if item.id is None:
            db.session.flush()
        return MessageAttachment(
            document_id=item.id, filename=item.filename, media_type=item.media_type
        )
    raise TypeError(f"cannot attach {item!r}: a Document or a FileAttachment is expected")


# --- Building the email -------------------------------------------------------------------------


def attachment_content(attachment: MessageAttachment) -> bytes:
    """The bytes of an attachment: its own, or its document's (loaded now, not before)."""
    if attachment.document_id is None:
        return attachment.content or b""
    from tracker.applications.models import Document

    document = db.session.get(Document, attachment.document_id)
    if document is None:  # erased since: the CASCADE removes the row on commit
        raise LookupError(f"document {attachment.document_id} no longer exists")
    return document.content


def envelope_sender(message: Message) -> str:
    """The address that goes in MAIL FROM (and From:), after configuration changes.

    A message queued while the placeholder sender (``.invalid``) was configured takes the
    address configured now, keeping its display name.
    """
    address = address_of(message.sender)
    if not address or address.endswith(".invalid"):
        return default_sender()[1] or address
    return address


def envelope_recipients(message: Message) -> list[str]:
    return [address_of(a) for a in [*message.recipients, *message.cc]]


def build_email(message: Message) -> EmailMessage:
    """The email a Message stands for: headers, text with an HTML alternative, attachments."""
    email = EmailMessage(policy=EMAIL_POLICY)
    email["From"] = with_name(parseaddr(message.sender)[0], envelope_sender(message))
    email["To"] = ", ".join(message.recipients)
    if message.cc:
        email["Cc"] = ", ".join(message.cc)
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at or utcnow())
    email["Message-ID"] = message.message_id
    from tracker.mail.templates import KINDS

    if message.kind in KINDS:
        # Written by the system, not by a person: vacation responders stay quiet (RFC 3834).
        email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text, cte="quoted-printable")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, _slash, subtype = (attachment.media_type or "").partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        email.add_attachment(
            attachment_content(attachment),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
        )
    # Last: setting the content clears every Content-* header.
    email["Content-Language"] = message.locale
    return email


# --- The organisation's templates -------------------------------------------------------------


def save_template(organisation, kind: str, locale: str, *, subject: str, body: str,
                  actor) -> tuple[MessageTemplate, bool]:
    """Create or update the organisation's template; returns (row, changed). Audited.

    The caller has checked it (``templates.check_template``).
    """
    row = db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.organisation_id == organisation.id,
            MessageTemplate.kind == kind,
            MessageTemplate.locale == locale,
        )
    )
    created = row is None
    if created:
        row = MessageTemplate(organisation_id=organisation.id, kind=kind, locale=locale,
                              subject=subject, body=body)
        db.session.add(row)
    elif row.subject == subject and row.body == body:
        return row, False
    else:
        row.subject, row.body = subject, body
    db.session.flush()
    record_event(organisation_id=organisation.id, actor=actor,
                 action="mail_template.create" if created else "mail_template.edit",
                 object_type="message_template", object_id=row.id, kind=kind, locale=locale)
    return row, True


def reset_template(organisation, kind: str, locale: str, *, actor) -> bool:
    """Delete the organisation's template (the default applies again); False if none. Audited."""
    row = db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.organisation_id == organisation.id,
            MessageTemplate.kind == kind,
            MessageTemplate.locale == locale,
        )
    )
    if row is None:
        return False
    row_id = row.id
    db.session.delete(row)
    db.session.flush()
    record_event(organisation_id=organisation.id, actor=actor, action="mail_template.reset",
                 object_type="message_template", object_id=row_id, kind=kind, locale=locale)
    return True
