"""Reading the applications mailbox over IMAP: the ``Source`` of ``flask ingest --imap`` and of
the worker's polling (``poll``), chosen by configuration (IMAP_HOST...; see config.py).

One run: connect (TLS from the first byte, or a plain connection upgraded with STARTTLS, or
plain to a server on this machine), log in, select IMAP_FOLDER, ``UID SEARCH`` for the
messages not yet taken, then for each one ``UID FETCH BODY.PEEK[]`` (PEEK: reading does not
mark it seen) and hand it over. The caller records the mail (``services.ingest`` commits) and
only then calls ``ack``:

- with IMAP_DONE_FOLDER: the message is moved there (``UID MOVE``; on a server without MOVE:
  ``UID COPY``, flag ``\\Deleted``, then ``UID EXPUNGE``, or ``EXPUNGE`` without UIDPLUS). The
  folder is created (and subscribed) at the start of the run when missing;
- without: the message stays and is flagged ``\\Seen`` and ``$TrackerTaken``; the search
  skips that keyword (``UNKEYWORD``) on the next run.

Never lost, never twice: a message is acked only once its row is committed. If the connection
drops half-way, what was committed stays, what was not acked stays in the folder, and the next
run takes it again; a message recorded but not acked (the drop fell between the two) is
recognised by its message key (``services.ingest`` returns the existing row, creating
nothing) and acked then. The one repeat possible: on a server without MOVE, a drop between the
COPY and the flags leaves a copy in the done folder and the next run copies it again.

Errors say what to fix: ``ImapConfigError`` for what only the configuration can cure (refused
login, unknown folder, TLS or certificate problems, no STARTTLS), ``ImapError`` for the rest
(the server cannot be reached, the connection dropped): both are ``SourceError``.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import socket
import ssl
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from tracker.accounts.models import Organisation
from tracker.db import db
from tracker.ingest.services import ingest_source
from tracker.ingest.sources import SourceError, SourceItem, max_bytes
from tracker.mail.delivery import is_loopback

log = logging.getLogger(__name__)

TAKEN_KEYWORD = "$TrackerTaken"
DEFAULT_FOLDER = "INBOX"


class ImapError(SourceError):
    """The mailbox could not be read to the end (unreachable server, dropped connection, a
    command refused); ``str()`` says what happened. What was recorded stays recorded."""


class ImapConfigError(ImapError):
    """The configuration keeps the mailbox from being read; ``str()`` says what to fix."""


# --- Configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    use_tls: bool
    use_starttls: bool
    username: str
    password: str = field(repr=False)
    folder: str = DEFAULT_FOLDER
    done_folder: str = ""  # empty: flag the message instead of moving it
    timeout: float = 30.0
    ca_file: str = ""

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"



def _flag(config: Mapping[str, Any], name: str) -> bool:
    value = config.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _number(config: Mapping[str, Any], name: str, default: float) -> float:
    value = config.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ImapConfigError(f"{name} must be a number, not {value!r}.") from None


def settings_from_config(config: Mapping[str, Any]) -> ImapSettings:
    """The IMAP settings of a Flask configuration, checked; ImapConfigError says what to fix."""
    host = str(config.get("IMAP_HOST") or "").strip()
    if not host:
        raise ImapConfigError("IMAP_HOST is not set: give the name of the IMAP server.")
    use_tls, use_starttls = _flag(config, "IMAP_USE_TLS"), _flag(config, "IMAP_USE_STARTTLS")
    if use_tls and use_starttls:
        raise ImapConfigError(
            "IMAP_USE_TLS (TLS from the first byte, usually port 993) and IMAP_USE_STARTTLS "
            "(a plain connection upgraded, usually port 143) exclude each other: set only one."
        )
    port = int(_number(config, "IMAP_PORT", 0))
    if port == 0:
        port = 993 if use_tls else 143
    if not 0 < port < 65536:
        raise ImapConfigError(f"IMAP_PORT must be between 1 and 65535, not {port}.")
    username = str(config.get("IMAP_USERNAME") or "")
    password = str(config.get("IMAP_PASSWORD") or "")
    if not username or not password:
        raise ImapConfigError("Set IMAP_USERNAME and IMAP_PASSWORD: the mailbox's login.")
    if not (use_tls or use_starttls) and not is_loopback(host):
        raise ImapConfigError(
            f"Neither IMAP_USE_TLS nor IMAP_USE_STARTTLS is set: the password would cross the "
            f"network to {host} unencrypted. Turn one of them on."
        )
    folder = str(config.get("IMAP_FOLDER") or DEFAULT_FOLDER).strip() or DEFAULT_FOLDER
    done_folder = str(config.get("IMAP_DONE_FOLDER") or "").strip()
    if done_folder and done_folder == folder:
        raise ImapConfigError(
            f"IMAP_DONE_FOLDER is IMAP_FOLDER ({folder}): taken mail must go elsewhere, or "
            f"leave IMAP_DONE_FOLDER empty to flag it in place."
        )
    ca_file = str(config.get("IMAP_TLS_CA_FILE") or "")
    if ca_file and not Path(ca_file).is_file():
        raise ImapConfigError(f"IMAP_TLS_CA_FILE: no such file: {ca_file}")
    timeout = _number(config, "IMAP_TIMEOUT", 30.0)
    if timeout <= 0:
        raise ImapConfigError("IMAP_TIMEOUT must be a positive number of seconds.")
    return ImapSettings(host=host, port=port, use_tls=use_tls, use_starttls=use_starttls,
                        username=username, password=password, folder=folder,
                        done_folder=done_folder, timeout=timeout, ca_file=ca_file)


def from_config(config: Mapping[str, Any]) -> ImapSource:
    """The Source for IMAP_* (the contract of ``sources.open_imap``)."""
    return ImapSource(settings_from_config(config))


# --- Mailbox names ----------------------------------------------------------------------------


def encode_mailbox(name: str) -> str:
    """A folder name as IMAP writes it: modified UTF-7 (RFC 3501 5.1.3), quoted.

    "Candidatures traitées" -> "Candidatures trait&AOk-es" (in double quotes).
    """
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",")
                       + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data) -> str:
    """A server's answer (bytes, lists of bytes, or an exception of imaplib) as text."""
    if isinstance(data, BaseException):
        data = data.args[0] if data.args else str(data)
    if isinstance(data, list | tuple):
        return " ".join(_text(part) for part in data if part is not None)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace").strip()
    return str(data).strip()


# --- The source -------------------------------------------------------------------------------


class ImapSource:
    """The messages of IMAP_FOLDER not yet taken, once each; ``ack`` moves or flags one."""

    def __init__(self, settings: ImapSettings, *, limit: int | None = None):
        self.settings = settings
        self.name = f"imap:{settings.folder}"
        self.limit = limit  # at most this many messages per run (the worker's polls)
        self._imap: imaplib.IMAP4 | None = None
        self._capabilities: frozenset[str] = frozenset()

    @property
    def where(self) -> str:
        return self.settings.where

    # --- Connection ---------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _open_connection(self) -> imaplib.IMAP4:
        s = self.settings
        if s.use_tls:
            return imaplib.IMAP4_SSL(s.host, s.port, ssl_context=self._tls_context(),
                                     timeout=s.timeout)
        imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
        if s.use_starttls:
            if "STARTTLS" not in imap.capabilities:
                _quietly_shutdown(imap)
                raise ImapConfigError(
                    f"IMAP_USE_STARTTLS is on but the IMAP server {self.where} does not offer "
                    f"STARTTLS. Check IMAP_HOST and IMAP_PORT (usually 143), or use "
                    f"IMAP_USE_TLS if the server speaks TLS from the first byte (usually 993)."
                )
            try:
                imap.starttls(ssl_context=self._tls_context())
            except BaseException:
                _quietly_shutdown(imap)
                raise
        return imap

    def _connect(self) -> imaplib.IMAP4:
        """Connected and logged in, or ImapConfigError / ImapError saying why not."""
        try:
            imap = self._open_connection()
        except ImapError:
            raise
        except ssl.SSLCertVerificationError as error:
            raise ImapConfigError(
                f"The TLS certificate of the IMAP server {self.where} could not be verified "
                f"({error.verify_message}). Check IMAP_HOST (the name must match the "
                f"certificate), or give the server's authority in IMAP_TLS_CA_FILE."
            ) from error
        except ssl.SSLError as error:
            if self.settings.use_tls:
                hint = ("IMAP_USE_TLS is for servers that speak TLS from the first byte "
                        "(usually port 993); for a server that upgrades a plain connection "
                        "(usually port 143) use IMAP_USE_STARTTLS instead.")
            else:
                hint = "Check IMAP_HOST, IMAP_PORT and IMAP_TLS_CA_FILE."
            raise ImapConfigError(
                f"The TLS handshake with the IMAP server {self.where} failed "
                f"({error.reason or error}). {hint}"
            ) from error
        except socket.gaierror as error:
            raise ImapConfigError(
                f"The IMAP server {self.settings.host} is unknown ({error.strerror or error}). "
                f"Check IMAP_HOST."
            ) from error
        except (OSError, imaplib.IMAP4.error) as error:
            raise ImapError(
                f"Could not connect to the IMAP server {self.where}: {_text(error) or error!r}. "
                f"Check IMAP_HOST and IMAP_PORT; the next run tries again."
            ) from error
        try:
            self._login(imap)
        except BaseException:
            _quietly_shutdown(imap)
            raise
        return imap

    def _login(self, imap: imaplib.IMAP4) -> None:
        s = self.settings
        if "LOGINDISABLED" in imap.capabilities:
            raise ImapConfigError(
                f"The IMAP server {self.where} refuses logins on an unencrypted connection. "
                f"Turn on IMAP_USE_STARTTLS (port 143) or IMAP_USE_TLS (port 993)."
            )
        try:
            imap.login(s.username, s.password)
        except imaplib.IMAP4.abort as error:
            raise ImapError(f"The IMAP server {self.where} closed the connection during the "
                            f"login: {_text(error)}") from error
        except imaplib.IMAP4.error as error:
            raise ImapConfigError(
                f"The IMAP server {self.where} refused the login of IMAP_USERNAME "
                f"({s.username}): {_text(error).rstrip('.')}. Check IMAP_USERNAME and "
                f"IMAP_PASSWORD."
            ) from error
        except OSError as error:
            raise ImapError(f"The connection to {self.where} broke during the login: "
                            f"{error}") from error
        # The capabilities may change once logged in (RFC 3501): ask again.
        try:
            typ, data = imap.capability()
        except (imaplib.IMAP4.error, OSError) as error:
            raise ImapError(f"The connection to {self.where} broke after the login: "
                            f"{_text(error)}") from error
        if typ == "OK" and data and data[-1]:
            self._capabilities = frozenset(_text(data[-1]).upper().split())
        else:
            self._capabilities = frozenset(imap.capabilities)

    def _call(self, doing: str, method: str, *args) -> list:
        """Run one IMAP command (``method`` of imaplib's connection); a refusal or a broken
        connection becomes an ImapError."""
        if self._imap is None:
            raise ImapError(f"Not connected to the IMAP server {self.where} any more (the "
                            f"connection was lost); the next run takes the rest.")
        try:
            typ, data = getattr(self._imap, method)(*args)
        except imaplib.IMAP4.abort as error:
            self._drop()
            raise ImapError(f"The connection to the IMAP server {self.where} was lost while "
                            f"{doing}: {_text(error).rstrip('.')}. The next run takes the rest."
                            ) from error
        except OSError as error:
            self._drop()
            raise ImapError(f"The connection to the IMAP server {self.where} broke while "
                            f"{doing}: {error}. The next run takes the rest.") from error
        except imaplib.IMAP4.error as error:
            raise ImapError(f"The IMAP server {self.where} refused {doing}: "
                            f"{_text(error)}") from error
        if typ != "OK":
            raise ImapError(f"The IMAP server {self.where} refused {doing}: {_text(data)}")
        return data

    def _drop(self) -> None:
        imap, self._imap = self._imap, None
        if imap is not None:
            _quietly_shutdown(imap)

    # --- Reading ------------------------------------------------------------------------------

    def _open(self) -> None:
        self.close()
        self._imap = self._connect()
        imap = self._imap
        if self.settings.done_folder:
            self._ensure_folder(self.settings.done_folder)
        folder = self.settings.folder
        try:
            typ, data = imap.select(encode_mailbox(folder))
        except (imaplib.IMAP4.abort, OSError) as error:
            self._drop()
            raise ImapError(f"The connection to {self.where} was lost while opening the "
                            f"folder {folder}: {_text(error)}") from error
        except imaplib.IMAP4.error as error:  # BAD: a name the server cannot even parse
            typ, data = "BAD", error
        if typ != "OK":
            self.close()
            raise ImapConfigError(
                f"The folder IMAP_FOLDER ({folder}) cannot be opened on the IMAP server "
                f"{self.where}: {_text(data).rstrip('.')}. Check its name (and the server's "
                f"separator, \"/\" or \".\", for a subfolder)."
            )
        if not self.settings.done_folder and not self._keeps_keywords(imap):
            self.close()
            raise ImapConfigError(
                f"The folder {folder} on {self.where} does not keep keywords, so taken mail "
                f"cannot be marked there: set IMAP_DONE_FOLDER to move it to a folder instead."
            )

    @staticmethod
    def _keeps_keywords(imap: imaplib.IMAP4) -> bool:
        _typ, data = imap.response("PERMANENTFLAGS")
        flags = _text(data)
        return not flags or "\\*" in flags or TAKEN_KEYWORD.upper() in flags.upper()

    def _ensure_folder(self, name: str) -> None:
        """Create (and subscribe to) the done folder if it does not exist yet."""
        encoded = encode_mailbox(name)
        with contextlib.suppress(ImapError):
            self._call(f"checking the folder {name}", "status", encoded, "(UIDNEXT)")
            return
        try:
            self._call(f"creating the folder {name}", "create", encoded)
        except ImapError as error:
            if self._imap is None:
                raise
            raise ImapConfigError(
                f"The folder IMAP_DONE_FOLDER ({name}) does not exist on {self.where} and "
                f"could not be created: {str(error).rstrip('.')}. Create it, or check its name."
            ) from error
        with contextlib.suppress(ImapError):
            self._call(f"subscribing to the folder {name}", "subscribe", encoded)

    def _search(self) -> list[str]:
        data = self._call("searching the folder", "uid", "SEARCH", "UNDELETED",
                          "UNKEYWORD", TAKEN_KEYWORD)
        uids = sorted({int(uid) for uid in _text(data).split() if uid.isdigit()})
        if self.limit is not None:
            uids = uids[: max(0, self.limit)]
        return [str(uid) for uid in uids]

    def _size(self, uid: str) -> int | None:
        data = self._call(f"reading the size of message {uid}", "uid", "FETCH", uid,
                          "(RFC822.SIZE)")
        for part in data:
            line = part[0] if isinstance(part, tuple) else part
            found = re.search(rb"RFC822\.SIZE (\d+)", line or b"")
            if found:
                return int(found.group(1))
        return None  # deleted by someone else since the search

    def _fetch(self, uid: str, what: str = "BODY.PEEK[]") -> bytes | None:
        data = self._call(f"fetching message {uid}", "uid", "FETCH", uid, f"({what})")
        answer = rb"BODY\[HEADER\]" if "HEADER" in what else rb"BODY\[\]"
        for part in data:
            if isinstance(part, tuple) and re.search(answer, part[0] or b""):
                return bytes(part[1])
        return None  # deleted by someone else since the search

    def __iter__(self) -> Iterator[SourceItem]:
        self._open()
        limit = max_bytes()
        for uid in self._search():
            label = f"{self.name} uid {uid}"
            size = self._size(uid)
            if size is not None and size > limit:
                # Not downloaded: its headers alone go to triage ("too_large").
                headers = self._fetch(uid, "BODY.PEEK[HEADER]")
                if headers is not None:
                    yield SourceItem(key=uid, raw=headers, label=label, too_large=size)
                continue
            raw = self._fetch(uid)
            if raw is None:
                continue
            yield SourceItem(key=uid, raw=raw, label=label)

    # --- Once recorded ------------------------------------------------------------------------

    def ack(self, item: SourceItem) -> None:
        """The mail is committed: move it to IMAP_DONE_FOLDER, or flag it taken."""
        uid, done = item.key, self.settings.done_folder
        if not done:
            self._call(f"flagging message {uid}", "uid", "STORE", uid,
                       "+FLAGS.SILENT", f"(\\Seen {TAKEN_KEYWORD})")
            return
        target = encode_mailbox(done)
        if "MOVE" in self._capabilities:
            self._call(f"moving message {uid} to {done}", "uid", "MOVE", uid, target)
            return
        self._call(f"copying message {uid} to {done}", "uid", "COPY", uid, target)
        self._call(f"flagging message {uid} deleted", "uid", "STORE", uid,
                   "+FLAGS.SILENT", f"(\\Deleted \\Seen {TAKEN_KEYWORD})")
        if "UIDPLUS" in self._capabilities:
            self._call(f"expunging message {uid}", "uid", "EXPUNGE", uid)
        else:
            self._call("expunging the folder", "expunge")

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            _quietly_shutdown(imap)


def _quietly_shutdown(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):
        imap.shutdown()


# --- The worker's poll ------------------------------------------------------------------------


@dataclass(frozen=True)
class PollReport:
    counts: Counter
    error: str = ""  # the source stopped (ImapError): the next poll takes the rest

    def summary(self) -> str:
        """"2 application, 1 triage" (what became of the mails read), or "nothing new"."""
        return ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())) \
            or "nothing new"

    def __str__(self) -> str:
        return f"imap: {self.summary()}" + (f"; stopped: {self.error}" if self.error else "")


def poll(config: Mapping[str, Any] | None = None, *, limit: int | None = 200) -> PollReport:
    """One poll of the IMAP mailbox (the worker's task): ingest what is new, each mail
    committed then acked. Configuration errors raise ImapConfigError; a dropped connection is
    reported (and logged) and the next poll goes on from there."""
    config = config if config is not None else current_app.config
    source = ImapSource(settings_from_config(config), limit=limit)
    organisation = _organisation(config.get("IMAP_ORGANISATION"))
    counts: Counter = Counter()
    try:
        for outcome in ingest_source(source, organisation=organisation):
            counts["already" if outcome.already else outcome.status] += 1
    except ImapConfigError:
        raise
    except ImapError as error:
        db.session.rollback()
        log.warning("IMAP poll stopped: %s", error)
        return PollReport(counts, str(error))
    finally:
        source.close()
    return PollReport(counts)


def _organisation(slug: str | None) -> Organisation | None:
    """IMAP_ORGANISATION: the organisation whose mailbox it is (empty: the mails tell)."""
    if not slug:
        return None
    found = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if found is None:
        raise ImapConfigError(f"IMAP_ORGANISATION: no organisation with the slug {slug!r}.")
    return found


def worker_task() -> str | None:
    """One round of ``flask worker``: poll the mailbox when IMAP_HOST is set (registered by
    the app factory then). Returns the round's words; a poll that stopped half-way raises
    (the round says it failed, the next round goes on from there)."""
    if not current_app.config.get("IMAP_HOST"):
        return None
    report = poll()
    if report.error:
        raise ImapError(f"{report.summary()}; stopped: {report.error}")
    return report.summary()
