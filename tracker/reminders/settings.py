"""Saving an organisation's reminder settings (the settings page's service)."""

from __future__ import annotations

from tracker.audit.services import record_event
from tracker.db import db
from tracker.reminders.models import ReminderSettings
from tracker.reminders.preferences import default_settings


def update_settings(organisation, values: dict, *, actor) -> list[str]:
    """Store ``values`` (column name -> value) as the organisation's reminder settings; the
    row is created on the first save. Returns the names of the settings that changed (an
    audit event "reminders.settings" lists them); nothing changed, nothing written. Flushes."""
    row = db.session.get(ReminderSettings, organisation.id)
    current = row if row is not None else default_settings(organisation.id)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    if not changed:
        return []
    if row is None:
        row = current
        db.session.add(row)
    for name in changed:
        setattr(row, name, values[name])
    record_event(organisation_id=organisation.id, actor=actor, action="reminders.settings",
                 object_type="organisation", object_id=organisation.id, fields=changed)
    db.session.flush()
    return changed
