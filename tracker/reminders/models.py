"""Reminders sent (or kept for a digest), people's choices, organisations' settings."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Organisation, User
from tracker.db import UTCDateTime, db, in_values, utcnow


class ReminderRule(enum.StrEnum):
    DEADLINE_APPROACHING = "deadline_approaching"  # 7 and 1 days before the deadline
    DEADLINE_REACHED = "deadline_reached"  # the offer closed itself: closing summary
    REVIEWS_PENDING = "reviews_pending"  # a reviewer still has applications to review
    UNANSWERED = "unanswered"  # candidates without an answer after closing
    NEW_APPLICATION = "new_application"  # an application, kept for a contact's digest
    DIGEST = "digest"  # the daily digest itself (one per user, organisation and day)
    INTERVIEW_TOMORROW = "interview_tomorrow"
    START_DATE = "start_date"  # a recruited candidate starts soon


class NotificationKind(enum.StrEnum):
    """What a person chooses to receive each time, in a daily digest, or never."""

    NEW_APPLICATION = "new_application"
    DEADLINE_APPROACHING = "deadline_approaching"
    DEADLINE_REACHED = "deadline_reached"
    REVIEWS_PENDING = "reviews_pending"
    UNANSWERED = "unanswered"
    INTERVIEW_TOMORROW = "interview_tomorrow"
    START_DATE = "start_date"


class NotificationMode(enum.StrEnum):
    EACH = "each"  # one email each time
    DIGEST = "digest"  # gathered in one email a day
    NEVER = "never"


class ReminderStatus(enum.StrEnum):
    QUEUED = "queued"  # its email is in the outbox (message_id)
    DIGEST = "digest"  # waits for the recipient's next daily digest
    DIGESTED = "digested"  # went out in a digest (message_id: the digest's message)
    SKIPPED = "skipped"  # not sent: the recipient chose "never", or no valid address (note)


class Reminder(db.Model):
    """One reminder to one recipient. ``key`` (rule, object, due moment, recipient) is unique:
    whatever runs the pass, however often, each reminder is recorded, and its email queued,
    once. Deleting a row would let the pass queue it again: rows are kept with their offer."""

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    # The moment the rule made it due (in UTC), and when the pass recorded it.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), default=ReminderStatus.QUEUED)
    # The objects it is about.
    posting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posting.id", ondelete="CASCADE")
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    interview_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("interview.id", ondelete="CASCADE"), index=True
    )
    # Who: a user (preferences apply) or an outside contact (address only).
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(sa.String(320), default="")
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    # What the reminder said (counts, titles): shown in the back office and in digests.
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(in_values("rule", [r.value for r in ReminderRule]), name="rule"),
        sa.CheckConstraint(in_values("status", [s.value for s in ReminderStatus]),
                           name="status"),
        sa.CheckConstraint("user_id IS NOT NULL OR recipient <> ''", name="has_recipient"),
        # The offer's history page, newest first.
        sa.Index("ix_reminder_posting_due", "posting_id", "due_at"),
        # The digest: what waits for whom.
        sa.Index("ix_reminder_status_user", "status", "organisation_id", "user_id"),
    )

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.key} {self.status}>"


class NotificationPreference(db.Model):
    """A user's choice for one kind of notification; no row means "each time"."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(8), default=NotificationMode.EACH)

    __table_args__ = (
        sa.CheckConstraint(in_values("kind", [k.value for k in NotificationKind]), name="kind"),
        sa.CheckConstraint(in_values("mode", [m.value for m in NotificationMode]), name="mode"),
    )


class ReminderSettings(db.Model):
    """An organisation's reminder rules. No row: the defaults below (``settings_for``)."""

    __tablename__ = "reminder_settings"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    # Local hour (organisation's time zone) at which day-based reminders and digests go out.
    send_hour: Mapped[int] = mapped_column(default=8)
    # Deadline approaching: days before the deadline (local calendar days), e.g. [7, 1].
    deadline_enabled: Mapped[bool] = mapped_column(default=True)
    deadline_days: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: [7, 1])
    # Reviews pending: first N days after closing, then every `repeat` days, at most `max`.
    reviews_enabled: Mapped[bool] = mapped_column(default=True)
    reviews_after_days: Mapped[int] = mapped_column(default=3)
    reviews_repeat_days: Mapped[int] = mapped_column(default=7)
    reviews_max: Mapped[int] = mapped_column(default=3)
    # Unanswered candidates: first N days after closing, then every `repeat` days while any.
    unanswered_enabled: Mapped[bool] = mapped_column(default=True)
    unanswered_after_days: Mapped[int] = mapped_column(default=14)
    unanswered_repeat_days: Mapped[int] = mapped_column(default=7)
    # Interview tomorrow: to the reviewers taking part; optionally to the candidate too.
    interview_enabled: Mapped[bool] = mapped_column(default=True)
    interview_to_candidate: Mapped[bool] = mapped_column(default=False)
    # Start date of a recruited candidate approaching (off by default).
    start_enabled: Mapped[bool] = mapped_column(default=False)
    start_days: Mapped[int] = mapped_column(default=7)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("send_hour BETWEEN 0 AND 23", name="send_hour"),
        sa.CheckConstraint("reviews_after_days BETWEEN 0 AND 365", name="reviews_after"),
        sa.CheckConstraint("reviews_repeat_days BETWEEN 1 AND 365", name="reviews_repeat"),
        sa.CheckConstraint("reviews_max BETWEEN 1 AND 20", name="reviews_max"),
        sa.CheckConstraint("unanswered_after_days BETWEEN 0 AND 365", name="unanswered_after"),
        sa.CheckConstraint("unanswered_repeat_days BETWEEN 1 AND 365",
                           name="unanswered_repeat"),
        sa.CheckConstraint("start_days BETWEEN 0 AND 365", name="start_days"),
    )


__all__ = ["NotificationKind", "NotificationMode", "NotificationPreference", "Reminder",
           "ReminderRule", "ReminderSettings", "ReminderStatus"]
