"""Accounts: log in and out, the back-office home, members, passwords."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from tracker.accounts.models import User
from tracker.db import db
from tracker.extensions import login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    return "TODO"


@bp.post("/deconnexion")
def logout():
    return redirect(url_for("board.index"))


@bp.get("/gestion/")
@login_required
def home():
    return "TODO"


@bp.route("/gestion/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    return "TODO"


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    app.register_blueprint(bp)
