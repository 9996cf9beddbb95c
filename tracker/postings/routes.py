"""Back office: the organisation's offers."""

from flask import Blueprint

bp = Blueprint("postings", __name__, url_prefix="/gestion/<org_slug>/offres")
