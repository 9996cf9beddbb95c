"""Reviewers of an offer, its scorecard and review settings, reviews and comments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scorecards", __name__, url_prefix="/gestion/<org_slug>")
