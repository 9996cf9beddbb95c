"""Configuration classes. Values come from environment variables, never from code edits.

Select one with ``TRACKER_CONFIG`` (``development``, ``test``, ``production``) or pass a class,
a name or a mapping to ``tracker.create_app``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("TRACKER_INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(default: str) -> str:
    """DATABASE_URL with the driver we ship (psycopg 3) filled in for PostgreSQL URLs."""
    url = os.environ.get("DATABASE_URL") or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE_DIR / 'tracker.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Forms: CSRF everywhere, tokens valid for a working session.
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # Languages: French first.
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "tracker" / "translations")
    # Uploads: organisation logos, candidates' documents (each file at most UPLOAD_MAX_BYTES).
    LOGO_MAX_BYTES = int(os.environ.get("LOGO_MAX_BYTES", 2 * 1024 * 1024))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    # A whole request: never below what a form may carry (up to UPLOAD_FILES_PER_FORM files at
    # the limit, plus 1 MB for the other fields), so that a file within the limit gets the
    # application's clear message rather than a bare 413.
    UPLOAD_FILES_PER_FORM = 3
    MAX_CONTENT_LENGTH = max(
        int(os.environ.get("MAX_CONTENT_LENGTH", 0)),
        UPLOAD_FILES_PER_FORM * UPLOAD_MAX_BYTES + 1024 * 1024,
    )
    # Public address of the site, used in feeds, PDFs and emails outside a request.
    SERVER_NAME = os.environ.get("SERVER_NAME")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", 30)))
    BOARD_PAGE_SIZE = int(os.environ.get("BOARD_PAGE_SIZE", 30))
    ADMIN_PAGE_SIZE = int(os.environ.get("ADMIN_PAGE_SIZE", 50))
    # Public PDFs (offer sheets, booklets) are cached as files under
    # <instance>/pdf-cache/, shared by every process of the instance; least recently served
    # files are evicted beyond these bounds.
    PDF_CACHE_ENABLED = _bool("PDF_CACHE_ENABLED", True)
    PDF_CACHE_MAX_FILES = int(os.environ.get("PDF_CACHE_MAX_FILES", 200))
    PDF_CACHE_MAX_BYTES = int(os.environ.get("PDF_CACHE_MAX_BYTES", 100 * 1024 * 1024))
    # An organisation's booklet prints at most this many open offers (soonest deadline first).
    BOOKLET_MAX_OFFERS = int(os.environ.get("BOOKLET_MAX_OFFERS", 50))
    # Spam protection of the public application form (Flask-Limiter). APPLY_RATE_LIMIT: limits
    # per client address, separated by ";". Counters live in RATELIMIT_STORAGE_URI: "memory://"
    # counts per process; with several processes or hosts use a shared store
    # ("redis://host:6379", see the `limits` library). RATE_LIMITS_ENABLED switches every limit
    # off at run time (tests do; the one test of the limit turns it back on).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    APPLY_RATE_LIMIT = os.environ.get("APPLY_RATE_LIMIT", "5 per minute;30 per hour")
    RATE_LIMITS_ENABLED = _bool("RATE_LIMITS_ENABLED", True)
    # Behind a reverse proxy, the number of proxies in front of the app that set
    # X-Forwarded-For (and X-Forwarded-Proto). 0, the default, ignores those headers: the client
    # address (rate limits, logs) is the connection's. Never set it higher than the number of
    # proxies you run, or clients can choose their own address.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", 0))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", 0))
    # Showing DOCX and ODT documents in the browser: they are converted to PDF by LibreOffice
    # (tracker.applications.viewer). Unset: soffice or libreoffice found on PATH; a program
    # name or path to use that one; empty ("") to turn conversion off (download instead).
    DOCUMENT_CONVERTER = os.environ.get("DOCUMENT_CONVERTER")
    DOCUMENT_CONVERTER_TIMEOUT = float(os.environ.get("DOCUMENT_CONVERTER_TIMEOUT", 60))
    # Outgoing mail (tracker.mail). Every email is an outbox row first; `flask send-mail`
    # delivers what is due. Without MAIL_SERVER (the default) delivery writes each message as
    # an .eml file under <instance>/outbox/ and marks it sent: nothing leaves the machine.
    # MAIL_BACKEND forces one ("smtp" or "file"); empty chooses by MAIL_SERVER.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    # 0 means the usual port: 465 with MAIL_USE_TLS, 587 with MAIL_USE_STARTTLS, else 25.
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 0))
    # Implicit TLS from the first byte (SMTPS, port 465), or a plain connection upgraded with
    # STARTTLS (submission, port 587); at most one of the two.
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS", False)
    # Login, if the server asks for one; the password only ever travels encrypted (or to a
    # server on this machine).
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 30))  # seconds, per network operation
    # A CA bundle (PEM) for a server whose certificate no public authority signed.
    MAIL_TLS_CA_FILE = os.environ.get("MAIL_TLS_CA_FILE", "")
    # The address emails come from; the display name becomes the organisation's name. The
    # default (.invalid, RFC 2606) is fine for .eml files, and refused by the SMTP backend: set
    # an address of your own domain before turning SMTP on.
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "tracker <no-reply@tracker.invalid>"
    )
    # The right-hand side of Message-IDs; empty takes the sender's domain.
    MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "")
    # Retries: after 1, 5, 15, 60 minutes, then every 3 hours; failed after this many attempts.
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", 8))
    # A message left in "sending" longer than this (seconds; a sender that crashed) is tried
    # again. Keep it far above MAIL_TIMEOUT.
    MAIL_SENDING_TIMEOUT = int(os.environ.get("MAIL_SENDING_TIMEOUT", 15 * 60))
    # Incoming mail (tracker.ingest): applications sent by email. `flask ingest PATH...` reads
    # .eml files, mbox files and Maildir folders; `flask ingest --imap` and the worker read the
    # IMAP mailbox below (the worker polls it only when IMAP_HOST is set).
    IMAP_HOST = os.environ.get("IMAP_HOST", "")
    # 0 means the usual port: 993 with IMAP_USE_TLS, else 143.
    IMAP_PORT = int(os.environ.get("IMAP_PORT", 0))
    # Implicit TLS from the first byte (IMAPS, port 993), or a plain connection upgraded with
    # STARTTLS (port 143); at most one of the two. Without either, only a server on this
    # machine (localhost) is accepted: the password never crosses a network in clear.
    IMAP_USE_TLS = _bool("IMAP_USE_TLS", False)
    IMAP_USE_STARTTLS = _bool("IMAP_USE_STARTTLS", False)
    # The mailbox's login (both required).
    IMAP_USERNAME = os.environ.get("IMAP_USERNAME", "")
    IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
    # The folder read (a subfolder with the server's separator: "INBOX/Candidatures" or
    # "INBOX.Candidatures"; accents allowed).
    IMAP_FOLDER = os.environ.get("IMAP_FOLDER", "INBOX")
    # Where taken mail is moved once recorded (created if missing), e.g. "Candidatures lues".
    # Empty: it stays in IMAP_FOLDER, flagged \Seen and with the keyword $TrackerTaken, and is
    # skipped by the next runs.
    IMAP_DONE_FOLDER = os.environ.get("IMAP_DONE_FOLDER", "")
    IMAP_TIMEOUT = float(os.environ.get("IMAP_TIMEOUT", 30))  # seconds, per network operation
    # A CA bundle (PEM) for a server whose certificate no public authority signed.
    IMAP_TLS_CA_FILE = os.environ.get("IMAP_TLS_CA_FILE", "")
    # The organisation whose mailbox this is (its slug), when it is one organisation's own;
    # empty: each mail's address and subject tell which organisation it is for.
    IMAP_ORGANISATION = os.environ.get("IMAP_ORGANISATION", "")
    # The worker (`flask worker`): seconds between two rounds of closing expired offers,
    # queuing reminders and delivering the outbox.
    WORKER_INTERVAL = float(os.environ.get("WORKER_INTERVAL", 60))
    # Applications by email (`flask ingest`): a subject whose similarity to an open offer's
    # required subject line (0 to 1, after normalising case, accents, punctuation, prefixes)
    # reaches this, with no other offer as close, makes an application; below, the mail
    # waits in the triage list. Exact matches always count.
    INGEST_MATCH_THRESHOLD = float(os.environ.get("INGEST_MATCH_THRESHOLD", 0.85))
    # The largest email the ingestion reads whole (bytes, as stored on the mail server). A larger
    # one is not downloaded: only its headers are kept, in triage (reason "too_large"), and it
    # is taken off the mailbox like the others; an admin asks the candidate for smaller files.
    INGEST_MAX_BYTES = int(os.environ.get("INGEST_MAX_BYTES", 25 * 1024 * 1024))


class DevelopmentConfig(Config):
    DEBUG = _bool("FLASK_DEBUG", False)
    # A fixed key is fine on a developer's machine only; production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Tests post forms directly; a dedicated test proves every form refuses a missing token.
    WTF_CSRF_ENABLED = False
    SERVER_NAME = "tracker.test"
    # Tests never send real email, whatever the environment says (mail tests set their server).
    MAIL_SERVER = ""
    MAIL_BACKEND = ""
    # ...and never read a real mailbox (IMAP tests set their own server).
    IMAP_HOST = ""
    # Rate limits would get in the way of tests that post many forms; one test turns them on.
    RATE_LIMITS_ENABLED = False


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    # The host names the site answers to, comma-separated ("jobs.example.org"). Required:
    # absolute links in emails, feeds and PDFs are built from the request's Host header, which
    # a client chooses; Flask answers 400 to any host not listed.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",")
                     if h.strip()] or None
    REQUIRED_SETTINGS = ("SECRET_KEY", "TRUSTED_HOSTS")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
