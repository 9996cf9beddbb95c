"""Where inbound mail is read: .eml files, mbox files, Maildir folders (here) and IMAP
(``tracker.ingest.imap``), behind one small interface.

A source is iterated once; each item carries the raw bytes of one mail, a key stable within
the source (for messages and for ``ack``) and a label for people. The caller records each mail
(``tracker.ingest.services.ingest``, which commits) and only then calls ``ack(item)``: a file
source does nothing, IMAP moves or flags the message. A source that fails half-way has acked
only what was recorded; reading it again records nothing twice (the mail's message key).

Sources are chosen by configuration and by what the command is given: ``open_sources(paths)``
picks the kind of each path (a directory with ``cur``/``new`` is a Maildir, a file starting
with ``From `` an mbox, any other file one .eml); ``--imap`` takes the IMAP source
(``open_imap(config)``, which calls ``tracker.ingest.imap.from_config(config)``).

``tracker.ingest.services.ingest_source(source)`` runs the loop: ingest (commit), then ack.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SourceItem:
    """One mail as a source hands it over."""

    key: str  # stable within the source: a file path, an mbox index, a Maildir key, an IMAP UID
    raw: bytes  # the message as received (only its headers when too_large)
    label: str  # for people: "mbox:/srv/inbox.mbox#12", "imap:INBOX uid 345"
    too_large: int = 0  # the message's size when over INGEST_MAX_BYTES (raw: headers only)


DEFAULT_MAX_BYTES = 25 * 1024 * 1024
HEADERS_MAX_BYTES = 256 * 1024


def max_bytes() -> int:
    """INGEST_MAX_BYTES of the application (the default outside one)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("INGEST_MAX_BYTES", DEFAULT_MAX_BYTES))
    return DEFAULT_MAX_BYTES


def headers_of(stream) -> bytes:
    """The header block of a message read from a binary stream (at most 256 KB)."""
    lines: list[bytes] = []
    read = 0
    for line in stream:
        if line in (b"\n", b"\r\n") or read > HEADERS_MAX_BYTES:
            break
        lines.append(line)
        read += len(line)
    return b"".join(lines) + b"\n"


def file_item(path: Path, *, key: str, label: str) -> SourceItem:
    """The file's mail, or its headers only when it is over INGEST_MAX_BYTES (the size is
    checked before reading)."""
    size = path.stat().st_size
    if size > max_bytes():
        with path.open("rb") as stream:
            return SourceItem(key=key, raw=headers_of(stream), label=label, too_large=size)
    return SourceItem(key=key, raw=path.read_bytes(), label=label)


@runtime_checkable
class Source(Protocol):
    """The interface every inbound-mail source implements."""

    # Recorded on each InboundMail (``source`` column): "file:/path", "maildir:/path",
    # "mbox:/path", "imap:INBOX"...
    name: str

    def __iter__(self) -> Iterator[SourceItem]:
        """Each mail not yet taken, once."""
        ...

    def ack(self, item: SourceItem) -> None:
        """The mail is safely recorded (committed): take it off the source, or mark it."""
        ...

    def close(self) -> None:
        """Release what the source holds (files, connections). Safe to call twice."""
        ...


class SourceError(Exception):
    """A source cannot be read (missing path, unreadable file...); ``str()`` says why."""


class EmlFile:
    """One .eml file: one mail."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.name = f"file:{self.path}"

    def __iter__(self) -> Iterator[SourceItem]:
        try:
            item = file_item(self.path, key=str(self.path), label=str(self.path))
        except OSError as exc:
            raise SourceError(f"{self.path}: {exc.strerror or exc}") from exc
        yield item

    def ack(self, item: SourceItem) -> None:
        """Files stay where they are: reading them again records nothing twice."""

    def close(self) -> None:
        pass


class MboxFile:
    """An mbox file ("From " lines between messages)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.name = f"mbox:{self.path}"
        self._box: mailbox.mbox | None = None

    def __iter__(self) -> Iterator[SourceItem]:
        self._box = mailbox.mbox(self.path, create=False)
        limit = max_bytes()
        for key in self._box.iterkeys():
            label = f"{self.path}#{key}"
            start, stop = self._box._toc[key]  # offsets: the size before reading
            if stop - start > limit:
                with self.path.open("rb") as stream:
                    stream.seek(start)
                    stream.readline()  # the "From " line
                    yield SourceItem(key=str(key), raw=headers_of(stream), label=label,
                                     too_large=stop - start)
                continue
            raw = self._box.get_bytes(key, from_=False)
            yield SourceItem(key=str(key), raw=raw, label=label)

    def ack(self, item: SourceItem) -> None:
        """The mbox is left untouched (it is often a copy exported by a mail client)."""

    def close(self) -> None:
        if self._box is not None:
            self._box.close()
            self._box = None


class MaildirFolder:
    """A Maildir folder (``cur``, ``new``, ``tmp``): every message in ``new`` and ``cur``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.name = f"maildir:{self.path}"
        self._box: mailbox.Maildir | None = None

    def __iter__(self) -> Iterator[SourceItem]:
        self._box = mailbox.Maildir(self.path, factory=None, create=False)
        for key in sorted(self._box.iterkeys()):
            try:
                item = file_item(self.path / self._box._lookup(key), key=key,
                                 label=f"{self.path}/{key}")
            except (KeyError, FileNotFoundError):
                continue  # taken away by a mail client meanwhile
            yield item

    def ack(self, item: SourceItem) -> None:
        """Messages stay in place: the message key keeps them from being recorded twice."""

    def close(self) -> None:
        self._box = None


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def open_source(path: str | os.PathLike) -> Source:
    """The source for one path given to ``flask ingest``: Maildir, mbox or .eml."""
    path = Path(path)
    if is_maildir(path):
        return MaildirFolder(path)
    if path.is_dir():
        raise SourceError(f"{path}: a folder but not a Maildir (no cur/ and new/ inside)")
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if is_mbox(path):
        return MboxFile(path)
    return EmlFile(path)


def open_sources(paths: list[str]) -> list[Source]:
    """One source per path, in the order given; a bad path raises SourceError at once."""
    return [open_source(p) for p in paths]


def open_imap(config) -> Source:
    """The IMAP mailbox of the configuration (IMAP_HOST...), as a Source.

    The contract with ``tracker.ingest.imap``: a function ``from_config(config) -> Source``
    that raises an exception whose ``str()`` says what to fix when the configuration is
    incomplete. Imported here, lazily, so that file sources never need it.
    """
    if not config.get("IMAP_HOST"):
        raise SourceError("IMAP is not configured: set IMAP_HOST (and IMAP_USERNAME, "
                          "IMAP_PASSWORD, IMAP_FOLDER).")
    try:
        from tracker.ingest import imap
    except ImportError as error:
        raise SourceError(f"IMAP reading is not available in this installation ({error}).") \
            from error
    factory = getattr(imap, "from_config", None)
    if factory is None:
        raise SourceError("IMAP reading is not available: tracker.ingest.imap has no "
                          "from_config().")
    return factory(config)
