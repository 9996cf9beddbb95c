"""The candidate's private link: signed, unguessable, no account needed.

The token signs the application's id and its random ``link_key`` with the app's SECRET_KEY
(itsdangerous). It can be rebuilt at any time (for a reminder email), and changing
``link_key`` revokes every link given so far.
"""

from __future__ import annotations

import hmac
import secrets

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from tracker.applications.models import Application
from tracker.db import db

SALT = "tracker.candidate-link"


def new_link_key() -> str:
    return secrets.token_urlsafe(32)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(application: Application) -> str:
    return _serializer().dumps([application.id, application.link_key])


def application_for_token(token: str) -> Application | None:
    """The application a token opens, or None (bad signature, unknown, revoked)."""
    try:
        application_id, key = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(application_id, int) or not isinstance(key, str):
        return None
    application = db.session.scalar(sa.select(Application).where(Application.id == application_id))
    if application is None or not hmac.compare_digest(application.link_key, key):
        return None
    return application


def signed_application_id(token: str) -> int | None:
    """The application id a token was signed for, whether or not it still opens anything.

    Only for telling a candidate that *their* application was erased: a valid signature proves
    we issued the link, so saying so reveals nothing to someone guessing tokens.
    """
    try:
        application_id, _key = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return application_id if isinstance(application_id, int) else None
