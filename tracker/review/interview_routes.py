"""Interviews: schedule, reschedule, cancel (with .ics invitations)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("interviews", __name__, url_prefix="/gestion/<org_slug>")
