"""Writing audit events. Callers own the transaction: this only adds and flushes."""

from __future__ import annotations

from typing import Any

from tracker.accounts.models import User
from tracker.audit.models import Event
from tracker.db import db


def record_event(
    *,
    organisation_id: int,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int,
    **data: Any,
) -> Event:
    event = Event(
        organisation_id=organisation_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
    )
    db.session.add(event)
    db.session.flush()
    return event
