"""Every email read from the applications mailbox, and what became of it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Organisation, User
from tracker.db import TimestampMixin, UTCDateTime, db, in_values


class InboundStatus(enum.StrEnum):
    APPLICATION = "application"  # made (or added a version to) an application
    TRIAGE = "triage"  # waits for an admin: near miss, two offers possible, closed offer...
    SET_ASIDE = "set_aside"  # an admin decided it is not an application (reason kept)
    IGNORED = "ignored"  # auto-reply, bounce: never an application (kept, listed)
    ERROR = "error"  # processing failed; the error is kept, shown in triage, retried by hand


class InboundMail(TimestampMixin, db.Model):
    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The organisation whose mailbox or offer it belongs to; None when nothing tells (an
    # instance hosting several organisations, a mail matching none of them).
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    # Once only: the Message-ID header, or "sha256:<hex of the raw bytes>" without one.
    message_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    # Where it was read: "imap:INBOX", "maildir:/srv/mail/new", "file:/tmp/x.eml"...
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    # The original bytes, as received (reviewers can read the mail as it came).
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(default=0)
    # What the headers say (decoded), for lists and search.
    from_name: Mapped[str] = mapped_column(sa.String(200), default="")
    from_address: Mapped[str] = mapped_column(sa.String(320), default="")
    to_addresses: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    subject: Mapped[str] = mapped_column(sa.String(1000), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the Date header
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when we read it
    status: Mapped[str] = mapped_column(sa.String(12), default=InboundStatus.TRIAGE)
    # Why it is where it is, in words for the triage list ("two offers possible: ...").
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # Routing: the offer it was matched or attached to, the score, the offers considered.
    posting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posting.id", ondelete="SET NULL"), index=True
    )
    match_score: Mapped[float | None] = mapped_column(sa.Float)
    candidates: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{posting_id, score}]
    # What it made. An erased application leaves the row as a tombstone (raw and personal
    # fields emptied by the erasure) so that reading the mailbox again does not bring it back.
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("submission.id", ondelete="SET NULL")
    )
    # Who handled it in triage, and when.
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Retention: the mail holds personal data; removed after this date (retention rules).
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    organisation: Mapped[Organisation | None] = relationship()
    handled_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(in_values("status", [s.value for s in InboundStatus]),
                           name="status"),
        sa.Index("ix_inbound_mail_org_status", "organisation_id", "status", "received_at"),
    )

    def __repr__(self) -> str:
        return f"<InboundMail {self.id} {self.status} {self.subject[:40]!r}>"
