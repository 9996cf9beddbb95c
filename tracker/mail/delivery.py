"""Delivering the outbox: what is due goes out, failures wait and retry, nothing goes twice.

One pass (``deliver_due``, run by ``flask send-mail`` from cron or a worker loop):

1. messages stuck in ``sending`` for longer than MAIL_SENDING_TIMEOUT (a sender that crashed)
   go back to ``pending``;
2. one by one, the next due message (``pending``, ``next_try_at <= now``) is *claimed*:
   ``UPDATE ... SET status='sending' WHERE id=:id AND status='pending'``, committed at once.
   Only the run whose update changed the row sends it, so several runs (processes, hosts) can
   work on the same outbox. On PostgreSQL the candidate is picked with ``FOR UPDATE SKIP
   LOCKED`` so that concurrent runs do not even compete for the same row;
3. the message is handed to the backend, then marked ``sent``, or its failure recorded with
   the next try after a backoff (1, 5, 15, 60 minutes, then every 3 hours), ``failed`` after
   MAIL_MAX_ATTEMPTS attempts or at once when the server refuses it for good (5xx). Each
   message's outcome is committed before the next one starts.

Never twice: the claim guarantees that one run sends a given message. What remains is the
moment between the SMTP server accepting the message and our commit of ``sent``: a crash (or a
lost database connection) exactly there leaves the row in ``sending``, and the stuck reset sends
it again after MAIL_SENDING_TIMEOUT. The code does nothing between the two but one UPDATE and
its commit, so the window is a few milliseconds; the repeat would carry the same Message-ID,
which mail clients use to drop duplicates. The only alternative is to lose the email instead.

Backends sit behind one small interface (``send``, ``close``) and are chosen by configuration:
SMTP when MAIL_SERVER is set, otherwise files in ``<instance>/outbox/`` (so development and
demos work offline and a person can open what would have gone out).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageStatus
from tracker.mail.services import (
    build_email,
    default_sender,
    envelope_recipients,
    envelope_sender,
)

log = logging.getLogger(__name__)

# Wait before attempt n+1 after n failed attempts; the last one repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
)
ERROR_MAX_LENGTH = 2000


class MailConfigError(Exception):
    """The configuration keeps every message from going out; ``str()`` says what to fix.

    Raised before anything is claimed, or (for what only the server can tell: a refused
    login, no STARTTLS) with the message at hand put back as it was.
    """


class DeliveryError(Exception):
    """This message did not go out. ``permanent``: the server refused it for good."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Sent:
    """A backend's account of a message it delivered."""

    warning: str = ""  # kept with the message (e.g. recipients the server refused)
    detail: str = ""  # for the command's report only (e.g. the file written)


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


# --- Backends -----------------------------------------------------------------------------------


class Backend(Protocol):
    name: str

    def send(self, message: Message, email: EmailMessage, *, sender: str,
             recipients: list[str], now: datetime) -> Sent:
        """Deliver, or raise DeliveryError (this message) or MailConfigError (every one)."""

    def close(self) -> None: ...


class FileBackend:
    """Writes each message as ``<directory>/<UTC time>-<id>.eml``, exactly the bytes SMTP
    would carry."""

    name = "file"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @classmethod
    def from_config(cls, app) -> FileBackend:
        return cls(Path(app.instance_path) / "outbox")

    def send(self, message: Message, email: EmailMessage, *, sender: str,
             recipients: list[str], now: datetime) -> Sent:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{now.strftime('%Y%m%dT%H%M%S')}Z-{message.id}.eml"
            temporary = path.with_name(path.name + ".part")
            temporary.write_bytes(email.as_bytes())
            os.replace(temporary, path)  # a reader never sees half a file
        except OSError as error:
            raise DeliveryError(f"Could not write the message file: {error}") from error
        return Sent(detail=f"written to {path}")

    def close(self) -> None:
        pass


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (a password may cross to it unencrypted)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SMTPBackend:
    """One connection per run, opened at the first message and reused (checked with NOOP
    before each message; reopened if the server dropped it)."""

    name = "smtp"

    def __init__(self, *, host: str, port: int, use_tls: bool, use_starttls: bool,
                 username: str, password: str, timeout: float, ca_file: str = ""):
        self.host, self.port = host, port
        self.use_tls, self.use_starttls = use_tls, use_starttls
        self.username, self.password = username, password
        self.timeout = timeout
        self.ca_file = ca_file
        self._smtp: smtplib.SMTP | None = None
        # Once a connection attempt failed, the rest of the run does not hammer the server.
        self._connect_error: DeliveryError | None = None

    @classmethod
    def from_config(cls, app) -> SMTPBackend:
        config = app.config
        host = (config.get("MAIL_SERVER") or "").strip()
        if not host:
            raise MailConfigError("MAIL_BACKEND is 'smtp' but MAIL_SERVER is not set.")
        use_tls = bool(config.get("MAIL_USE_TLS"))
        use_starttls = bool(config.get("MAIL_USE_STARTTLS"))
        if use_tls and use_starttls:
            raise MailConfigError(
                "MAIL_USE_TLS (TLS from the first byte, usually port 465) and "
                "MAIL_USE_STARTTLS (a plain connection upgraded, usually port 587) exclude "
                "each other: set only one."
            )
        try:
            port = int(config.get("MAIL_PORT") or 0)
        except (TypeError, ValueError):
            raise MailConfigError(
                f"MAIL_PORT must be a number, not {config.get('MAIL_PORT')!r}."
            ) from None
        if port == 0:
            port = 465 if use_tls else 587 if use_starttls else 25
        if not 0 < port < 65536:
            raise MailConfigError(f"MAIL_PORT must be between 1 and 65535, not {port}.")
        username = config.get("MAIL_USERNAME") or ""
        password = config.get("MAIL_PASSWORD") or ""
        if bool(username) != bool(password):
            raise MailConfigError(
                "MAIL_USERNAME and MAIL_PASSWORD go together: set both to log in, or neither."
            )
        if username and not (use_tls or use_starttls) and not is_loopback(host):
            raise MailConfigError(
                f"MAIL_USERNAME is set but neither MAIL_USE_TLS nor MAIL_USE_STARTTLS: the "
                f"password would cross the network to {host} unencrypted. Turn one of them on."
            )
        _name, address = default_sender()
        if "@" not in address or address.rsplit("@", 1)[1].lower().endswith(
            (".invalid", "localhost")
        ):
            raise MailConfigError(
                f"Set MAIL_DEFAULT_SENDER to an address of your own domain before sending "
                f"through SMTP (now {address or 'empty'!s}); for example "
                f"MAIL_DEFAULT_SENDER='Recrutement <recrutement@example.org>'."
            )
        ca_file = config.get("MAIL_TLS_CA_FILE") or ""
        if ca_file and not Path(ca_file).is_file():
            raise MailConfigError(f"MAIL_TLS_CA_FILE: no such file: {ca_file}")
        try:
            timeout = float(config.get("MAIL_TIMEOUT") or 30)
        except (TypeError, ValueError):
            raise MailConfigError("MAIL_TIMEOUT must be a number of seconds.") from None
        return cls(host=host, port=port, use_tls=use_tls, use_starttls=use_starttls,
                   username=username, password=password, timeout=timeout, ca_file=ca_file)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = None
        try:
            if self.use_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=self._tls_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.use_starttls:
                if not smtp.has_extn("starttls"):
                    raise MailConfigError(
                        f"MAIL_USE_STARTTLS is on but the SMTP server {self.where} does not "
                        f"offer STARTTLS. Check MAIL_SERVER and MAIL_PORT (usually 587), or "
                        f"use MAIL_USE_TLS if the server speaks TLS from the first byte "
                        f"(usually port 465)."
                    )
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if self.username:
                if not smtp.has_extn("auth"):
                    where = "" if self.use_tls or self.use_starttls else " without encryption"
                    raise MailConfigError(
                        f"MAIL_USERNAME is set but the SMTP server {self.where} does not offer "
                        f"to log in{where} (no AUTH). Remove MAIL_USERNAME and MAIL_PASSWORD if "
                        f"it needs none, or check MAIL_USE_STARTTLS and MAIL_PORT."
                    )
                smtp.login(self.username, self.password)
            return smtp
        except MailConfigError:
            _quietly_close(smtp)
            raise
        except smtplib.SMTPAuthenticationError as error:
            _quietly_close(smtp)
            raise MailConfigError(
                f"The SMTP server {self.where} refused the login of MAIL_USERNAME "
                f"({self.username}): {_reply(error)}. Check MAIL_USERNAME and MAIL_PASSWORD."
            ) from error
        except ssl.SSLCertVerificationError as error:
            _quietly_close(smtp)
            raise MailConfigError(
                f"The TLS certificate of the SMTP server {self.where} could not be verified "
                f"({error.verify_message}). Check MAIL_SERVER (the name must match the "
                f"certificate), or give the server's authority in MAIL_TLS_CA_FILE."
            ) from error
        except ssl.SSLError as error:
            _quietly_close(smtp)
            if self.use_tls:
                hint = ("MAIL_USE_TLS is for servers that speak TLS from the first byte "
                        "(usually port 465); for a server that upgrades a plain connection "
                        "(usually port 587) use MAIL_USE_STARTTLS instead.")
            else:
                hint = "Check MAIL_SERVER, MAIL_PORT and MAIL_TLS_CA_FILE."
            raise MailConfigError(
                f"The TLS handshake with the SMTP server {self.where} failed "
                f"({error.reason or error}). {hint}"
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            _quietly_close(smtp)
            raise DeliveryError(
                f"Could not connect to the SMTP server {self.where}: {_reply(error)}"
            ) from error

    def _connection(self) -> smtplib.SMTP:
        if self._connect_error is not None:
            raise self._connect_error
        if self._smtp is not None:
            try:
                alive = self._smtp.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if not alive:
                self.close()
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except DeliveryError as error:
                self._connect_error = error
                raise
        return self._smtp

    def send(self, message: Message, email: EmailMessage, *, sender: str,
             recipients: list[str], now: datetime) -> Sent:
        smtp = self._connection()
        try:
            refused = smtp.sendmail(sender, recipients, email.as_bytes())
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            detail = "; ".join(f"{address}: {code} {_text(text)}"
                               for address, (code, text) in error.recipients.items())
            raise DeliveryError(f"Every recipient was refused ({detail})",
                                permanent=all(code >= 500 for code in codes)) from error
        except smtplib.SMTPSenderRefused as error:
            if error.smtp_code == 552:  # too large for this server: that message only
                raise DeliveryError(f"The server refused the message: {_reply(error)}",
                                    permanent=True) from error
            if error.smtp_code >= 500:
                self.close()
                raise MailConfigError(
                    f"The SMTP server {self.where} refuses the sender address {sender}: "
                    f"{_reply(error)}. Check MAIL_DEFAULT_SENDER (the server may only accept "
                    f"the address of MAIL_USERNAME)."
                ) from error
            self._reset()
            raise DeliveryError(f"The server refused the sender for now: {_reply(error)}"
                                ) from error
        except smtplib.SMTPResponseException as error:
            self._reset()
            raise DeliveryError(f"The server refused the message: {_reply(error)}",
                                permanent=error.smtp_code >= 500) from error
        except (OSError, smtplib.SMTPException) as error:
            # The connection broke (before the server said it had the message).
            self.close()
            raise DeliveryError(f"The connection to {self.where} broke: {_reply(error)}"
                                ) from error
        if refused:
            return Sent(warning="Refused recipients: " + "; ".join(
                f"{address}: {code} {_text(text)}" for address, (code, text) in refused.items()
            ))
        return Sent()

    def _reset(self) -> None:
        """Leave the connection ready for the next message after a refusal."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            _quietly_close(smtp)


def _quietly_close(smtp) -> None:
    if smtp is None:
        return
    with contextlib.suppress(OSError):
        smtp.close()


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _reply(error: Exception) -> str:
    code = getattr(error, "smtp_code", None)
    text = getattr(error, "smtp_error", None)
    if code is not None and code != -1 and text is not None:
        return f"{code} {_text(text)}"
    return str(error) or error.__class__.__name__


BACKENDS: dict[str, Callable] = {"smtp": SMTPBackend.from_config,
                                 "file": FileBackend.from_config}


def backend_from_config(app=None) -> Backend:
    """The backend the configuration asks for; raises MailConfigError if it is unusable."""
    app = app or current_app._get_current_object()
    name = (app.config.get("MAIL_BACKEND") or "").strip().lower()
    if not name:
        name = "smtp" if (app.config.get("MAIL_SERVER") or "").strip() else "file"
    if name not in BACKENDS:
        raise MailConfigError(
            f"MAIL_BACKEND must be one of {', '.join(sorted(BACKENDS))} (or empty), not {name!r}."
        )
    return BACKENDS[name](app)


# --- The pass -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """What became of one message in a pass."""

    id: int
    kind: str
    status: str
    attempts: int
    error: str = ""
    note: str = ""
    next_try_at: datetime | None = None


@dataclass
class DeliveryReport:
    backend: str
    results: list[Delivered] = field(default_factory=list)
    reset: int = 0  # messages found stuck in "sending" and put back

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def sent(self) -> int:
        return self.count(MessageStatus.SENT)

    @property
    def retrying(self) -> int:
        return self.count(MessageStatus.PENDING)

    @property
    def failed(self) -> int:
        return self.count(MessageStatus.FAILED)


def _setting(name: str, default):
    return current_app.config.get(name, default)


def reset_stuck(now: datetime) -> int:
    """Messages in ``sending`` for longer than MAIL_SENDING_TIMEOUT go back to ``pending``.

    The interrupted try counts as an attempt: a message that crashes its sender every time
    ends ``failed`` instead of looping.
    """
    timeout = _setting("MAIL_SENDING_TIMEOUT", 15 * 60)
    if not isinstance(timeout, timedelta):
        timeout = timedelta(seconds=float(timeout))
    max_attempts = int(_setting("MAIL_MAX_ATTEMPTS", 8))
    stuck = (Message.status == MessageStatus.SENDING) & (Message.sending_since < now - timeout)
    gives_up = Message.attempts + 1 >= max_attempts
    result = db.session.execute(
        sa.update(Message)
        .where(stuck)
        .values(
            status=sa.case((gives_up, MessageStatus.FAILED.value),
                           else_=MessageStatus.PENDING.value),
            attempts=Message.attempts + 1,
            next_try_at=sa.case((gives_up, sa.null()), else_=now),
            sending_since=None,
            last_error="The sender stopped while sending this message; it is tried again.",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _claim_next(now: datetime) -> int | None:
    """Claim the next due message for this run (committed); None when nothing is due."""
    pick = (
        sa.select(Message.id)
        .where(Message.status == MessageStatus.PENDING, Message.next_try_at <= now)
        .order_by(Message.next_try_at, Message.id)
        .limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    while True:
        message_id = db.session.scalar(pick)
        if message_id is None:
            db.session.commit()
            return None
        claimed = db.session.execute(
            sa.update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.PENDING)
            .values(status=MessageStatus.SENDING.value, sending_since=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount == 1:
            return message_id
        # Another run claimed it between our read and our update: pick again.


def _finish(message_id: int, claimed_at: datetime | None, **values) -> bool:
    """Record the outcome, only if the message is still ours (not reset by another run)."""
    result = db.session.execute(
        sa.update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.SENDING,
            Message.sending_since == claimed_at,
        )
        .values(sending_since=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        log.warning("message %s was taken back from this sender before its outcome was saved",
                    message_id)
        return False
    return True


def _deliver_one(message_id: int, backend: Backend, clock: Callable[[], datetime]) -> Delivered:
    message = db.session.get(Message, message_id, populate_existing=True)
    claimed_at, kind, attempts = message.sending_since, message.kind, message.attempts
    try:
        email = build_email(message)
        sender, recipients = envelope_sender(message), envelope_recipients(message)
    except Exception as error:  # a bug or a vanished document: recorded, retried, visible
        log.exception("could not build message %s", message_id)
        failure = DeliveryError(f"Could not build the email: {error}")
    else:
        try:
            sent = backend.send(message, email, sender=sender, recipients=recipients,
                                now=clock())
        except MailConfigError as error:
            # Not this message's fault: put it back as it was, with the reason to see.
            _finish(message_id, claimed_at, status=MessageStatus.PENDING.value,
                    last_error=str(error)[:ERROR_MAX_LENGTH])
            raise
        except DeliveryError as error:
            failure = error
        except Exception as error:  # whatever else: recorded and retried, never left stuck
            log.exception("unexpected failure sending message %s", message_id)
            failure = DeliveryError(f"Unexpected error while sending: {error!r}")
        else:
            # The server has the message. Nothing may happen between here and the commit in
            # _finish: this is the only window in which a crash can make it go twice.
            _finish(message_id, claimed_at, status=MessageStatus.SENT.value, sent_at=clock(),
                    attempts=attempts + 1, next_try_at=None,
                    last_error=sent.warning[:ERROR_MAX_LENGTH])
            note = "; ".join(text for text in (sent.warning, sent.detail) if text)
            return Delivered(message_id, kind, MessageStatus.SENT, attempts + 1, note=note)
    attempts += 1
    error_text = str(failure)[:ERROR_MAX_LENGTH]
    if failure.permanent or attempts >= int(_setting("MAIL_MAX_ATTEMPTS", 8)):
        _finish(message_id, claimed_at, status=MessageStatus.FAILED.value, attempts=attempts,
                next_try_at=None, last_error=error_text)
        return Delivered(message_id, kind, MessageStatus.FAILED, attempts, error=error_text)
    next_try_at = clock() + backoff(attempts)
    _finish(message_id, claimed_at, status=MessageStatus.PENDING.value, attempts=attempts,
            next_try_at=next_try_at, last_error=error_text)
    return Delivered(message_id, kind, MessageStatus.PENDING, attempts, error=error_text,
                     next_try_at=next_try_at)


def deliver_due(now: datetime | None = None, limit: int = 100,
                backend: Backend | None = None) -> DeliveryReport:
    """Send what is due (at most ``limit`` messages), committing after each one.

    ``now`` fixes the clock (tests); by default each step reads the time. Raises
    MailConfigError when the configuration keeps anything from going out.
    """
    backend = backend or backend_from_config()
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    report = DeliveryReport(backend=backend.name)
    try:
        report.reset = reset_stuck(clock())
        db.session.commit()
        for _ in range(max(0, limit)):
            message_id = _claim_next(clock())
            if message_id is None:
                break
            report.results.append(_deliver_one(message_id, backend, clock))
    finally:
        backend.close()
    return report
