"""Who wants what: people's notification choices and organisations' reminder settings."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from tracker.db import db
from tracker.reminders.models import (
    NotificationKind,
    NotificationMode,
    NotificationPreference,
    ReminderSettings,
)

# What a person must get whatever they chose: "never" reads as "each time" for these (they
# may still take them in their digest). The closing summary of an offer goes to its contacts.
MANDATORY = frozenset({NotificationKind.DEADLINE_REACHED})
DEFAULT_MODE = NotificationMode.EACH


def allowed_modes(kind: NotificationKind | str) -> tuple[NotificationMode, ...]:
    """The choices offered for ``kind``."""
    if NotificationKind(kind) in MANDATORY:
        return (NotificationMode.EACH, NotificationMode.DIGEST)
    return tuple(NotificationMode)


def effective_mode(kind: NotificationKind | str, mode: str | None) -> NotificationMode:
    """The mode that applies: the stored choice, the default without one, never "never" for
    what a person must get."""
    value = NotificationMode(mode) if mode else DEFAULT_MODE
    if value not in allowed_modes(kind):
        return NotificationMode.EACH
    return value


def modes_for(user_ids: Iterable[int], kind: NotificationKind | str
              ) -> dict[int, NotificationMode]:
    """The effective mode of each user for ``kind``, in one query."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    stored: dict[int, str] = {}
    if ids:
        stored = dict(db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.mode).where(
                NotificationPreference.user_id.in_(ids),
                NotificationPreference.kind == NotificationKind(kind).value,
            )
        ).all())
    return {user_id: effective_mode(kind, stored.get(user_id)) for user_id in ids}


def mode_for(user_id: int, kind: NotificationKind | str) -> NotificationMode:
    return modes_for([user_id], kind)[user_id]


def preferences_of(user_id: int) -> dict[NotificationKind, NotificationMode]:
    """Every kind with the user's effective mode (for the settings page)."""
    stored = dict(db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.mode).where(
            NotificationPreference.user_id == user_id
        )
    ).all())
    return {kind: effective_mode(kind, stored.get(kind.value)) for kind in NotificationKind}


def set_preferences(user_id: int, choices: dict[NotificationKind | str, NotificationMode | str]
                    ) -> list[NotificationKind]:
    """Store the user's choices (flush); returns the kinds that changed. A mode not allowed
    for a kind raises ValueError."""
    current = preferences_of(user_id)
    rows = {row.kind: row for row in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    )}
    changed = []
    for kind, mode in choices.items():
        kind, mode = NotificationKind(kind), NotificationMode(mode)
        if mode not in allowed_modes(kind):
            raise ValueError(f"{mode} is not a choice for {kind}")
        if current[kind] == mode and kind.value in rows:
            continue
        row = rows.get(kind.value)
        if row is None:
            db.session.add(NotificationPreference(user_id=user_id, kind=kind.value,
                                                  mode=mode.value))
        else:
            row.mode = mode.value
        if current[kind] != mode:
            changed.append(kind)
    db.session.flush()
    return changed


def settings_for(organisation_id: int) -> ReminderSettings:
    """The organisation's reminder settings: its row, or the defaults (a row not added to the
    session: saving it is the settings form's business)."""
    row = db.session.get(ReminderSettings, organisation_id)
    return row if row is not None else default_settings(organisation_id)


def settings_by_organisation(organisation_ids: Iterable[int]) -> dict[int, ReminderSettings]:
    """Settings of several organisations in one query (the pass)."""
    ids = sorted(set(organisation_ids))
    rows = {row.organisation_id: row for row in db.session.scalars(
        sa.select(ReminderSettings).where(ReminderSettings.organisation_id.in_(ids))
    )} if ids else {}
    return {org_id: rows.get(org_id) or default_settings(org_id) for org_id in ids}


def default_settings(organisation_id: int) -> ReminderSettings:
    """A transient row holding the column defaults."""
    values = {}
    for column in ReminderSettings.__table__.columns:
        default = column.default
        if default is None or column.name == "updated_at":
            continue
        values[column.name] = (default.arg(None) if default.is_callable else default.arg)
    return ReminderSettings(organisation_id=organisation_id, **values)
