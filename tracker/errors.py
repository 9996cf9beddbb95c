"""Error pages: translated, in the site's layout, never a bare stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

MESSAGES = {
    400: lambda: _("The request could not be understood. Please go back and try again."),
    403: lambda: _("You are not allowed to do this."),
    404: lambda: _("This page does not exist, or is no longer available."),
    405: lambda: _("This action is not possible here."),
    410: lambda: _("This page has been removed."),
    413: lambda: _("The file you sent is too large."),
    429: lambda: _("Too many attempts. Please wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. The team has been told."),
}


def render_error(code: int, message: str | None = None, title: str | None = None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    return render_template("errors/error.html", code=code, message=message, title=title), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _("Your form has expired or was sent from another site. Please try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request.path.startswith("/static/") or isinstance(error, SecurityError):
            # An untrusted Host header: no URL can be built for it, answer plainly.
            return error
        description = getattr(error, "tracker_message", None)
        return render_error(error.code, description)

    @app.errorhandler(500)
    def server_error(error):  # pragma: no cover - exercised only by real bugs
        return render_error(500)
