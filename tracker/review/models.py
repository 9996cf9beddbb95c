"""The review workflow: stages, reviewers, scorecards, comments and interviews.

An organisation has one pipeline (``Stage`` rows, ordered); each application sits in one stage.
The offer's reviewers (``PostingReviewer``) read and score its applications against the offer's
criteria (``Criterion``); a ``Review`` holds one reviewer's scores, recommendation and comment.
``Comment`` rows are internal notes; ``Interview`` rows are scheduled meetings with a candidate.

State changes go through the services of this package (``stages``, ``scoring``, ``interviews``,
``answers``), which write the audit event and queue the emails in the caller's transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Organisation, User
from tracker.db import TimestampMixin, UTCDateTime, db, in_values, utcnow


class StageKind(enum.StrEnum):
    OPEN = "open"  # the application is still being considered
    HIRED = "hired"  # final: the candidate was retained
    REJECTED = "rejected"  # final: not retained
    WITHDRAWN = "withdrawn"  # final: the candidate withdrew (told us, or used their link)

    @property
    def is_final(self) -> bool:
        return self is not StageKind.OPEN


class Decision(enum.StrEnum):
    RETAINED = "retained"
    NOT_RETAINED = "not_retained"
    WITHDRAWN = "withdrawn"


# Decision that goes with entering a stage of each final kind.
DECISION_OF_KIND = {
    StageKind.HIRED: Decision.RETAINED,
    StageKind.REJECTED: Decision.NOT_RETAINED,
    StageKind.WITHDRAWN: Decision.WITHDRAWN,
}


class Recommendation(enum.StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


class InterviewStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


SCORE_MIN, SCORE_MAX = 1, 5
WEIGHT_MIN, WEIGHT_MAX = 1, 10


class Stage(TimestampMixin, db.Model):
    """One step of an organisation's pipeline ("Reçue", "Entretien", "Non retenue"...)."""

    __tablename__ = "stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    # The default stages carry a key ("received", "interview"...) that code may look for;
    # stages an admin adds have none.
    key: Mapped[str | None] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(12), default=StageKind.OPEN)
    # A template kind (tracker.mail.templates.KINDS) queued as a draft when an application
    # enters the stage; "" for none.
    email_kind: Mapped[str] = mapped_column(sa.String(64), default="")

    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "key"),
        sa.CheckConstraint(in_values("kind", [k.value for k in StageKind]), name="kind"),
    )

    @property
    def is_final(self) -> bool:
        return StageKind(self.kind).is_final

    def __repr__(self) -> str:
        return f"<Stage {self.organisation_id}:{self.position} {self.name!r}>"


class PostingReviewer(db.Model):
    """A member of the organisation who reviews an offer's applications.

    The offer's contacts with an account are added when the contacts are saved; an admin adds
    or removes others. A removed reviewer keeps the row with ``active`` false, so that saving
    the offer again does not bring them back.
    """

    __tablename__ = "posting_reviewer"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(sa.ForeignKey("posting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("posting_id", "user_id"),)


class Criterion(db.Model):
    """One line of an offer's scorecard, scored 1 to 5, with a weight."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("posting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    weight: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint(f"weight BETWEEN {WEIGHT_MIN} AND {WEIGHT_MAX}", name="weight"),
    )


class Review(TimestampMixin, db.Model):
    """One reviewer's judgement of one application: scores, recommendation, comment."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    recommendation: Mapped[str] = mapped_column(sa.String(8))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Weighted mean of this review's scores (1..5), None when no criterion was scored.
    score: Mapped[float | None] = mapped_column(sa.Numeric(4, 2))

    reviewer: Mapped[User | None] = relationship()
    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("application_id", "reviewer_id"),
        sa.CheckConstraint(
            in_values("recommendation", [r.value for r in Recommendation]), name="recommendation"
        ),
    )


class ReviewScore(db.Model):
    __tablename__ = "review_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criterion.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int] = mapped_column()

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("review_id", "criterion_id"),
        sa.CheckConstraint(f"score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score"),
    )


class Comment(db.Model):
    """An internal note on an application, seen by the offer's reviewers and the admins."""

    __tablename__ = "application_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class Interview(TimestampMixin, db.Model):
    """A meeting with a candidate; the .ics invitations carry ``uid`` and ``sequence``."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(default=45)
    place: Mapped[str] = mapped_column(sa.Text, default="")
    video_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # Said to the candidate in the invitation ("bring a piece of ID"...).
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=InterviewStatus.SCHEDULED)
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    participants: Mapped[list[InterviewParticipant]] = relationship(
        back_populates="interview", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(in_values("status", [s.value for s in InterviewStatus]), name="status"),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 600", name="duration"),
        sa.Index("ix_interview_status_starts", "status", "starts_at"),
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class InterviewParticipant(db.Model):
    __tablename__ = "interview_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(sa.ForeignKey("interview.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )

    interview: Mapped[Interview] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("interview_id", "user_id"),)
