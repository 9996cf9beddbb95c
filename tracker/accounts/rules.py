"""Who may see what: every back-office view goes through these checks.

Back-office URLs carry the organisation (``/gestion/<org_slug>/...``). ``org_required`` loads it,
checks that the logged-in user is a member (with the role asked for) and puts both on ``g``.
Views then look objects up *within* ``g.organisation`` so that an id from another organisation
is a 404, never a leak.
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user, login_required

from tracker.accounts.models import Membership, Organisation, Role
from tracker.db import db


def membership_for(user, organisation_id: int) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation_id
        )
    )


def org_required(role: Role | None = None):
    """Decorator for views under ``/gestion/<org_slug>/``; ``role=Role.ADMIN`` for admin-only."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(org_slug: str, **kwargs):
            organisation = db.session.scalar(
                sa.select(Organisation).where(Organisation.slug == org_slug)
            )
            if organisation is None:
                abort(404)
            membership = membership_for(current_user, organisation.id)
            if membership is None:
                # Not a member: the organisation's back office does not exist for them.
                abort(404)
            if role is not None and membership.role != role:
                abort(403)
            g.organisation = organisation
            g.membership = membership
            return view(**kwargs)

        wrapped.back_office = True  # the authorisation walk in the tests looks for this
        wrapped.required_role = role  # None: any member; the walk checks leads get 403
        return wrapped

    return decorator


def is_admin() -> bool:
    membership = g.get("membership")
    return membership is not None and membership.role == Role.ADMIN
