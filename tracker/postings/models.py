"""Job offers ("postings") and the people named on them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Organisation, User
from tracker.db import TimestampMixin, UTCDateTime, db, in_values


class PostingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    ARCHIVED = "archived"
    FILLED = "filled"


class ContractType(enum.StrEnum):
    CDI = "cdi"
    CDD = "cdd"
    STAGE = "stage"
    ALTERNANCE = "alternance"
    APPRENTISSAGE = "apprentissage"
    SERVICE_CIVIQUE = "service_civique"
    OTHER = "other"


class WorkingTime(enum.StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"


class RemoteWork(enum.StrEnum):
    NONE = "none"
    OCCASIONAL = "occasional"
    PARTIAL = "partial"
    FULL = "full"


class PayKind(enum.StrEnum):
    UNSPECIFIED = "unspecified"
    AMOUNT = "amount"  # a figure or a range
    GRATIFICATION = "gratification"  # statutory internship/apprenticeship pay


class PayPeriod(enum.StrEnum):
    HOUR = "hour"
    MONTH = "month"
    YEAR = "year"


class PayBasis(enum.StrEnum):
    GROSS = "gross"
    NET = "net"


class ContactRole(enum.StrEnum):
    TO = "to"  # applications are sent to them
    CC = "cc"  # in copy
    INFO = "info"  # named on the offer, told nothing


class Posting(TimestampMixin, db.Model):
    __tablename__ = "posting"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=PostingStatus.DRAFT)
    slug: Mapped[str] = mapped_column(sa.String(120))

    # What the offer is
    title: Mapped[str] = mapped_column(sa.String(200))
    reference: Mapped[str] = mapped_column(sa.String(60), default="")
    contract_type: Mapped[str] = mapped_column(sa.String(20))
    # Markdown; empty means "use the organisation's presentation".
    presentation: Mapped[str] = mapped_column(sa.Text, default="")
    context: Mapped[str] = mapped_column(sa.Text, default="")
    missions: Mapped[str] = mapped_column(sa.Text, default="")
    profile: Mapped[str] = mapped_column(sa.Text, default="")
    diploma: Mapped[str] = mapped_column(sa.Text, default="")
    experience: Mapped[str] = mapped_column(sa.Text, default="")

    # When: contract dates or a duration range, a start window, closure periods
    contract_start: Mapped[date | None] = mapped_column(sa.Date)
    contract_end: Mapped[date | None] = mapped_column(sa.Date)
    duration_min_months: Mapped[int | None] = mapped_column()
    duration_max_months: Mapped[int | None] = mapped_column()
    start_earliest: Mapped[date | None] = mapped_column(sa.Date)
    start_latest: Mapped[date | None] = mapped_column(sa.Date)
    closure_note: Mapped[str] = mapped_column(sa.Text, default="")

    # How much work, where
    working_time: Mapped[str] = mapped_column(sa.String(16), default=WorkingTime.FULL_TIME)
    hours_per_week: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 1))
    schedule_note: Mapped[str] = mapped_column(sa.Text, default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), default="")
    region: Mapped[str] = mapped_column(sa.String(120), default="")
    places: Mapped[str] = mapped_column(sa.Text, default="")
    travel: Mapped[str] = mapped_column(sa.Text, default="")
    remote: Mapped[str] = mapped_column(sa.String(16), default=RemoteWork.NONE)
    remote_note: Mapped[str] = mapped_column(sa.Text, default="")

    # Pay and conditions
    pay_kind: Mapped[str] = mapped_column(sa.String(16), default=PayKind.UNSPECIFIED)
    pay_min: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    pay_max: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    pay_period: Mapped[str | None] = mapped_column(sa.String(8))
    pay_basis: Mapped[str | None] = mapped_column(sa.String(8))
    pay_note: Mapped[str] = mapped_column(sa.Text, default="")
    benefits: Mapped[str] = mapped_column(sa.Text, default="")
    collective_agreement: Mapped[str] = mapped_column(sa.String(200), default="")

    # How to apply
    asks_cv: Mapped[bool] = mapped_column(default=True)
    asks_letter: Mapped[bool] = mapped_column(default=True)
    other_documents: Mapped[str] = mapped_column(sa.Text, default="")
    # The last instant applications are taken, stored UTC. ``deadline_end_of_day`` records
    # that it was entered as a day ("jusqu'au 14 novembre inclus") rather than an exact time.
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_end_of_day: Mapped[bool] = mapped_column(default=True)
    subject_line: Mapped[str] = mapped_column(sa.String(200), default="")
    accepts_email: Mapped[bool] = mapped_column(default=True)
    answer_promise: Mapped[bool] = mapped_column(default=True)
    source_url: Mapped[str] = mapped_column(sa.String(500), default="")

    # --- Review settings (tracker.review)
    # Anonymised screening: reviewers see a reference instead of the candidate's identity
    # until the application reaches the reveal stage (None: the "interview" stage).
    anonymised: Mapped[bool] = mapped_column(default=False)
    reveal_stage_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stage.id", ondelete="SET NULL")
    )
    # A reviewer sees the others' reviews only once they have given their own.
    reviews_hidden_until_own: Mapped[bool] = mapped_column(default=True)

    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    contacts: Mapped[list[PostingContact]] = relationship(
        back_populates="posting",
        cascade="all, delete-orphan",
        # Then by id: contacts sharing a position (e.g. 0, the default) come in the order they
        # were added, whatever plan the database picks (PostgreSQL returns ties in any order).
        order_by="(PostingContact.position, PostingContact.id)",
    )

    __table_args__ = (
        sa.CheckConstraint(in_values("status", [s.value for s in PostingStatus]), name="status"),
        sa.CheckConstraint(
            in_values("contract_type", [c.value for c in ContractType]), name="contract_type"
        ),
        sa.CheckConstraint(
            in_values("working_time", [w.value for w in WorkingTime]), name="working_time"
        ),
        sa.CheckConstraint(in_values("remote", [r.value for r in RemoteWork]), name="remote"),
        sa.CheckConstraint(in_values("pay_kind", [p.value for p in PayKind]), name="pay_kind"),
        sa.CheckConstraint(
            "pay_period IS NULL OR " + in_values("pay_period", [p.value for p in PayPeriod]),
            name="pay_period",
        ),
        sa.CheckConstraint(
            "pay_basis IS NULL OR " + in_values("pay_basis", [p.value for p in PayBasis]),
            name="pay_basis",
        ),
        sa.CheckConstraint(
            "pay_min IS NULL OR pay_max IS NULL OR pay_min <= pay_max", name="pay_range"
        ),
        sa.CheckConstraint(
            "duration_min_months IS NULL OR duration_max_months IS NULL"
            " OR duration_min_months <= duration_max_months",
            name="duration_range",
        ),
        sa.CheckConstraint(
            "contract_start IS NULL OR contract_end IS NULL OR contract_start <= contract_end",
            name="contract_dates",
        ),
        sa.CheckConstraint(
            "start_earliest IS NULL OR start_latest IS NULL OR start_earliest <= start_latest",
            name="start_window",
        ),
        # A posting that has been public carries the moment it was published and a deadline.
        sa.CheckConstraint(
            "status = 'draft' OR (published_at IS NOT NULL AND deadline IS NOT NULL)"
            " OR (status = 'archived' AND published_at IS NULL)",
            name="published_fields",
        ),
        sa.Index("ix_posting_status_deadline", "status", "deadline"),
        # Reminders after closing (reviews pending, unanswered candidates).
        sa.Index("ix_posting_status_closed", "status", "closed_at"),
    )

    @property
    def effective_presentation(self) -> str:
        return self.presentation or self.organisation.presentation

    @property
    def is_public(self) -> bool:
        """Whether the detail page is shown at all (drafts are 404, archived 410)."""
        return self.status in (
            PostingStatus.PUBLISHED,
            PostingStatus.CLOSED,
            PostingStatus.FILLED,
        )

    def is_open(self, now: datetime) -> bool:
        """Taking applications: published and the deadline not passed."""
        return (
            self.status == PostingStatus.PUBLISHED
            and self.deadline is not None
            and now <= self.deadline
        )

    def contacts_with_role(self, role: ContactRole) -> list[PostingContact]:
        return [c for c in self.contacts if c.role == role]

    def __repr__(self) -> str:
        return f"<Posting {self.id} {self.title!r} {self.status}>"


class PostingContact(db.Model):
    """A person named on an offer: a user of the organisation or someone outside it."""

    __tablename__ = "posting_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("posting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # For outside people (and a snapshot for users, so the offer reads the same later).
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[str] = mapped_column(sa.String(8), default=ContactRole.TO)
    position: Mapped[int] = mapped_column(default=0)

    posting: Mapped[Posting] = relationship(back_populates="contacts")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(in_values("role", [r.value for r in ContactRole]), name="role"),
        sa.CheckConstraint("user_id IS NOT NULL OR email <> ''", name="user_or_email"),
    )

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.name or self.name or self.user.email
        return self.name or self.email

    @property
    def display_email(self) -> str:
        if self.user is not None:
            return self.user.email
        return self.email
