"""Organisations, users and who belongs where."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.db import TimestampMixin, UTCDateTime, db, in_values


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEAD = "lead"


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # Markdown, shown at the top of each offer unless the offer overrides it.
    presentation: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str] = mapped_column(sa.Text, default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), default="")
    website: Mapped[str] = mapped_column(sa.String(500), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_media_type: Mapped[str | None] = mapped_column(sa.String(40))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    locale: Mapped[str] = mapped_column(sa.String(8), default="fr")
    # Candidates' data is kept this long after their last contact (CNIL: 24 months at most
    # without their agreement).
    retention_months: Mapped[int] = mapped_column(default=24)
    # Attach the CV and letter to the email that tells the contacts of a new application.
    attach_documents: Mapped[bool] = mapped_column(default=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(in_values("locale", ("fr", "en")), name="locale"),
        sa.CheckConstraint(
            "(logo IS NULL) = (logo_media_type IS NULL)", name="logo_has_media_type"
        ),
        sa.CheckConstraint("retention_months BETWEEN 1 AND 24", name="retention_months"),
    )

    @property
    def has_logo(self) -> bool:
        return self.logo_media_type is not None

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; see normalise_email().
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(TimestampMixin, db.Model):
    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.LEAD)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "organisation_id"),
        sa.CheckConstraint(in_values("role", [r.value for r in Role]), name="role"),
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def normalise_email(email: str) -> str:
    return email.strip().lower()
