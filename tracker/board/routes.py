"""The public job board."""

from flask import Blueprint

bp = Blueprint("board", __name__)


@bp.get("/")
def index():
    return "TODO"
