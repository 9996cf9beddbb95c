"""Candidates, their applications, what they sent (submissions) and the documents."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Organisation
from tracker.db import TimestampMixin, UTCDateTime, db, in_values, utcnow
from tracker.postings.models import Posting
from tracker.review.models import Stage


class Channel(enum.StrEnum):
    FORM = "form"
    EMAIL = "email"
    MANUAL = "manual"


class DocumentKind(enum.StrEnum):
    CV = "cv"
    LETTER = "letter"
    OTHER = "other"


class Candidate(TimestampMixin, db.Model):
    """A person who applied to one or more offers of one organisation.

    Candidates belong to an organisation: one organisation never sees another's candidates,
    even when the same person applied to both.
    """

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    # Stored lower-cased (accounts.models.normalise_email).
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # Consent to be contacted about future offers (optional, revocable).
    keep_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    applications: Mapped[list[Application]] = relationship(back_populates="candidate")

    __table_args__ = (sa.UniqueConstraint("organisation_id", "email"),)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        """'Léa MARTIN': the form used in subject lines."""
        return f"{self.first_name} {self.last_name.upper()}".strip()


class Application(TimestampMixin, db.Model):
    """One candidate's candidacy for one offer; each sending is a Submission (a version)."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    posting_id: Mapped[int] = mapped_column(sa.ForeignKey("posting.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    # Human reference given to the candidate and used in emails, e.g. "VAC-2026-00042".
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(8), default=Channel.FORM)
    # Language of the form the candidate used: acknowledgements and answers speak it.
    locale: Mapped[str] = mapped_column(sa.String(8), default="fr")
    # Random key signed into the candidate's private link (see applications.links); changing
    # it revokes every link given so far.
    link_key: Mapped[str] = mapped_column(sa.String(43))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The data is kept until then (CNIL: at most two years after the last contact).
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # --- Review (tracker.review): where it stands, what was decided, what reviewers think.
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stage.id"), index=True)
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set with a final stage (review.models.Decision), cleared when the application leaves it.
    decision: Mapped[str | None] = mapped_column(sa.String(16))
    decision_reason: Mapped[str] = mapped_column(sa.String(32), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Anonymised screening: the moment reviewers were shown who the candidate is.
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept up to date by tracker.review.scoring: number of reviews and mean of their scores.
    review_count: Mapped[int] = mapped_column(default=0)
    score: Mapped[float | None] = mapped_column(sa.Numeric(4, 2))

    posting: Mapped[Posting] = relationship()
    stage: Mapped[Stage] = relationship()
    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    organisation: Mapped[Organisation] = relationship()
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by="Submission.version",
    )

    __table_args__ = (
        sa.UniqueConstraint("posting_id", "candidate_id"),
        sa.CheckConstraint(in_values("channel", [c.value for c in Channel]), name="channel"),
        sa.Index("ix_application_posting_submitted", "posting_id", "submitted_at"),
        sa.CheckConstraint(
            "decision IS NULL OR " + in_values("decision", ["retained", "not_retained",
                                                            "withdrawn"]),
            name="decision",
        ),
        sa.CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decision_has_time"),
    )

    @property
    def latest(self) -> Submission:
        return self.submissions[-1]

    def __repr__(self) -> str:
        return f"<Application {self.reference}>"


class Submission(db.Model):
    """What a candidate sent at one time: message, typed letter, documents."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(sa.String(8), default=Channel.FORM)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    letter_text: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="submissions")
    # What the candidate sent; redacted copies (anonymised screening) are not among them.
    documents: Mapped[list[Document]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="Document.id",
        primaryjoin="and_(Submission.id == Document.submission_id,"
                    " Document.redacted_from_id.is_(None))",
    )

    __table_args__ = (
        sa.UniqueConstraint("application_id", "version"),
        sa.CheckConstraint(in_values("channel", [c.value for c in Channel]), name="channel"),
    )


class Document(db.Model):
    """A file a candidate sent; the bytes live in the database, beside the application."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(8))
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A redacted copy of another document (anonymised screening), uploaded by an admin: the
    # reviewers see it instead of the original until the candidate's identity is revealed.
    redacted_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE"), index=True
    )

    submission: Mapped[Submission] = relationship(back_populates="documents")
    redacted_copy: Mapped[Document | None] = relationship(
        foreign_keys=[redacted_from_id], uselist=False, viewonly=True
    )

    __table_args__ = (
        sa.CheckConstraint(in_values("kind", [k.value for k in DocumentKind]), name="kind"),
        sa.CheckConstraint("size > 0", name="not_empty"),
    )
