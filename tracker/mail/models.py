"""The outbox: every email the system sends is a row first, and its templates."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Organisation
from tracker.db import TimestampMixin, UTCDateTime, db, in_values, utcnow


class MessageStatus(enum.StrEnum):
    DRAFT = "draft"  # waits for a person to review and send it (answers, stage emails)
    PENDING = "pending"  # due at next_try_at
    SENDING = "sending"  # taken by a sender; reset to pending if stuck
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    DISCARDED = "discarded"


class Message(TimestampMixin, db.Model):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    # What kind of email this is ("application.acknowledgement", ...): for tests and listings.
    kind: Mapped[str] = mapped_column(sa.String(64))
    # The RFC 5322 Message-ID, fixed when queued: a retry re-sends the same message.
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    sender: Mapped[str] = mapped_column(sa.String(320), default="")
    recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # the To: header
    cc: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reply_to: Mapped[str] = mapped_column(sa.String(320), default="")
    subject: Mapped[str] = mapped_column(sa.String(500))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    locale: Mapped[str] = mapped_column(sa.String(8), default="fr")
    status: Mapped[str] = mapped_column(sa.String(10), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # The objects the message concerns.
    posting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posting.id", ondelete="SET NULL"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )

    organisation: Mapped[Organisation] = relationship()
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="MessageAttachment.id"
    )

    __table_args__ = (
        sa.CheckConstraint(in_values("status", [s.value for s in MessageStatus]), name="status"),
        sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        sa.Index("ix_message_due", "status", "next_try_at"),
    )

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind} {self.status}>"


class MessageAttachment(db.Model):
    """A file attached to a message: a candidate's document (no copy) or bytes of its own."""

    __tablename__ = "message_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(120))
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)

    message: Mapped[Message] = relationship(back_populates="attachments")

    __table_args__ = (
        sa.CheckConstraint(
            "(document_id IS NULL) <> (content IS NULL)", name="document_or_content"
        ),
    )


class MessageTemplate(TimestampMixin, db.Model):
    """An organisation's own wording of one kind of email in one language.

    Without a row, the project's default template (tracker/mail/defaults) is used.
    """

    __tablename__ = "message_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(64))
    locale: Mapped[str] = mapped_column(sa.String(8))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("organisation_id", "kind", "locale"),)


__all__ = ["Message", "MessageAttachment", "MessageStatus", "MessageTemplate", "utcnow"]
