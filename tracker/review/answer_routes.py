"""Answers to candidates: the drafts outbox of an offer, send one or all, edit, discard."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("answers", __name__, url_prefix="/gestion/<org_slug>")
