"""For the hiring committee: CSV and XLSX exports, dossier PDFs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/gestion/<org_slug>")
