"""The database handle, the declarative base and the column types every domain shares."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime stored in UTC, read back aware on every database.

    PostgreSQL keeps ``timestamp with time zone``; SQLite has no time zone, so the value is
    stored as naive UTC and made aware again when read. Naive values are refused: a deadline
    without a time zone is a bug waiting for a daylight-saving change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def in_values(column: str, values) -> str:
    """SQL for a CheckConstraint that keeps a string column within an enumeration."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


SQLITE_BUSY_TIMEOUT_MS = 30_000


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - driver hook
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Writers queue up (SQLite has one write lock) rather than fail with "database is
        # locked" when many requests write at once: wait up to SQLITE_BUSY_TIMEOUT_MS.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


MAX_PAGE = 100_000


def paginate(select, *, per_page: int):
    """db.paginate with the page number read from ``?page=`` safely: anything that is not a
    number gives page 1, and absurd numbers are capped (an OFFSET beyond bigint would make
    PostgreSQL fail); a page past the end is simply empty."""
    from flask import request

    try:
        page = min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        page = 1
    return db.paginate(select, page=page, per_page=per_page, error_out=False)
