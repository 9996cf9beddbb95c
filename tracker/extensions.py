"""Flask extensions, created unbound and initialised by the app factory."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from tracker.db import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
# Rate limits, per client address (request.remote_addr: the connection's, or the one
# X-Forwarded-For gives when PROXY_FIX_X_FOR says how many proxies to trust). Storage from
# RATELIMIT_STORAGE_URI; limits are declared on the views (see applications.routes).
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _rate_limits_off() -> bool:
    return not current_app.config.get("RATE_LIMITS_ENABLED", True)


__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]
