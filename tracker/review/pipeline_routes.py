"""Pipeline editor, moving applications between stages (one or many), decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pipeline", __name__, url_prefix="/gestion/<org_slug>")
