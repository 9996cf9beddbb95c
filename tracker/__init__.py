"""tracker: an applicant-tracking system for small civic organisations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter

ROOT = Path(__file__).resolve().parent.parent


class SlugConverter(BaseConverter):
    """Lower-case ASCII words joined by dashes; never matches a '.pdf' suffix."""

    regex = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def _load_config(app: Flask, config: Any) -> None:
    import config as config_module

    if config is None:
        config = os.environ.get("TRACKER_CONFIG", "development")
    if isinstance(config, str):
        config = config_module.CONFIGS[config]
    if isinstance(config, Mapping):
        base = "test" if config.get("TESTING") else "development"
        app.config.from_object(config_module.CONFIGS[base])
        app.config.update(config)
    else:
        app.config.from_object(config)
    for name in app.config.get("REQUIRED_SETTINGS") or ("SECRET_KEY",):
        if not app.config.get(name):
            raise RuntimeError(f"{name} is not set: export {name} before starting tracker")


def create_app(config: Any = None) -> Flask:
    """Build the application. ``config``: a config class, its name, or a mapping of settings."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _load_config(app, config)
    app.url_map.converters["slug"] = SlugConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from tracker.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    if app.config.get("PROXY_FIX_X_FOR") or app.config.get("PROXY_FIX_X_PROTO"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config.get("PROXY_FIX_X_FOR", 0),
            x_proto=app.config.get("PROXY_FIX_X_PROTO", 0),
        )

    from tracker import i18n

    i18n.init_app(app)

    from tracker.postings import display

    display.register_filters(app)
    from tracker.postings.markdown import render_markdown

    app.add_template_filter(render_markdown, "markdown")

    # Import every model so that metadata (and Alembic) sees the whole schema.
    from tracker import models  # noqa: F401
    from tracker.accounts import routes as accounts_routes
    from tracker.board import routes as board_routes
    from tracker.pdf import routes as pdf_routes
    from tracker.postings import routes as postings_routes

    accounts_routes.init_app(app)
    app.register_blueprint(postings_routes.bp)
    app.register_blueprint(board_routes.bp)
    app.register_blueprint(pdf_routes.bp)
    from tracker.applications import routes as applications_routes

    app.register_blueprint(applications_routes.bp)
    from tracker.applications import backoffice as applications_backoffice
    from tracker.applications import candidate_routes

    app.register_blueprint(candidate_routes.bp)
    app.register_blueprint(applications_backoffice.bp)
    from tracker.mail import routes as mail_routes

    app.register_blueprint(mail_routes.bp)
    from tracker.review import (
        answer_routes,
        export_routes,
        interview_routes,
        pipeline_routes,
        scorecard_routes,
    )

    for module in (pipeline_routes, scorecard_routes, answer_routes, interview_routes,
                   export_routes):
        app.register_blueprint(module.bp)

    from tracker.reminders import preference_routes as reminder_preference_routes
    from tracker.reminders import routes as reminder_routes

    app.register_blueprint(reminder_preference_routes.bp)
    app.register_blueprint(reminder_routes.bp)
    from tracker.ingest import panel as inbound_panel

    app.register_blueprint(inbound_panel.bp)
    from tracker.ingest import routes as inbound_routes

    app.register_blueprint(inbound_routes.bp)
    from tracker import errors

    errors.init_app(app)

    from tracker.accounts.cli import create_admin_command
    from tracker.demo.cli import demo_command

    app.cli.add_command(create_admin_command)
    app.cli.add_command(demo_command)
    from tracker.mail.cli import send_mail_command

    app.cli.add_command(send_mail_command)
    from tracker.reminders.cli import remind_command
    from tracker.reminders.worker import worker_command

    app.cli.add_command(remind_command)
    app.cli.add_command(worker_command)
    from tracker.ingest.cli import ingest_command

    app.cli.add_command(ingest_command)
    if app.config.get("IMAP_HOST"):
        # The worker polls the applications mailbox in every round (tracker.ingest.imap).
        from tracker.ingest.imap import worker_task
        from tracker.reminders.worker import register_task

        register_task("imap", worker_task)
    return app
