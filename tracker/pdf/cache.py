"""A file cache of rendered public PDFs, shared by every process of an instance.

Files live in ``<instance>/pdf-cache/<key>.pdf``; the key is a hash of everything the PDF
depends on (see ``tracker.pdf.services``), so an entry never needs invalidating: a change
makes a new key, and the old file is evicted when the cache outgrows its bounds.

- Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a reader in
  another process sees the old state or the whole new file, never half of one.
- A file is served only if it still looks like a whole PDF (``%PDF-`` header, ``%%EOF``
  trailer); anything else (truncated by a full disk, edited by hand) is deleted and re-rendered.
- Serving a file touches its mtime: eviction removes the least recently served files first,
  beyond ``max_files`` files or ``max_bytes`` bytes.
- ``lock(key)`` (an advisory ``flock`` on one of 256 lock files) lets the first process render
  a missing PDF while the others wait for its result instead of rendering it too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator

try:  # POSIX; elsewhere concurrent misses simply render twice.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

log = logging.getLogger(__name__)

SUFFIX = ".pdf"
TEMP_PREFIX = ".tmp-"
LOCK_FOLDER = "locks"
# Temporary files older than this are left-overs of a crashed writer.
STALE_TEMP_SECONDS = 3600
# Where a whole PDF's trailer must appear (WeasyPrint ends the file with "%%EOF\n").
TRAILER_WINDOW = 64


def looks_complete(data: bytes) -> bool:
    """A whole PDF file: the header at the start and the end-of-file marker at the end."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-TRAILER_WINDOW:]


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= 128 and all(c in "0123456789abcdef" for c in key)


class PdfCache:
    def __init__(self, directory: str, *, max_files: int, max_bytes: int) -> None:
        self.directory = directory
        self.max_files = max_files
        self.max_bytes = max_bytes

    def path(self, key: str) -> str:
        if not _valid_key(key):
            raise ValueError(f"invalid cache key {key!r}")
        return os.path.join(self.directory, key + SUFFIX)

    # -- reading -------------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        """The cached PDF for ``key``, or None (missing, or damaged and now deleted)."""
        path = self.path(key)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("PDF cache: cannot read %s: %s", path, error)
            return None
        if not looks_complete(data):
            log.warning("PDF cache: %s is not a whole PDF (%d bytes); deleting it",
                        path, len(data))
            self._remove(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently served: evicted last
        return data

    # -- writing -------------------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically, then evict beyond the bounds."""
        if not looks_complete(data):
            raise ValueError("refusing to cache something that is not a whole PDF")
        path = self.path(key)
        os.makedirs(self.directory, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=SUFFIX, dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            self._remove(temp)
            raise
        self.evict()

    def evict(self) -> list[str]:
        """Delete the least recently served files beyond the bounds; returns their names."""
        entries = []
        now = time.time()
        try:
            scan = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        for entry in scan:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # another process evicted it meanwhile
            if entry.name.startswith(TEMP_PREFIX):
                if now - stat.st_mtime > STALE_TEMP_SECONDS:
                    self._remove(entry.path)
                continue
            if entry.name.endswith(SUFFIX):
                entries.append((stat.st_mtime_ns, entry.name, stat.st_size, entry.path))
        entries.sort()
        count = len(entries)
        total = sum(size for _, _, size, _ in entries)
        removed = []
        for _, name, size, path in entries:
            if count <= self.max_files and total <= self.max_bytes:
                break
            self._remove(path)
            removed.append(name)
            count -= 1
            total -= size
        return removed

    def clear(self) -> None:
        for entry in self._files():
            self._remove(entry.path)

    def _files(self) -> Iterator[os.DirEntry]:
        try:
            for entry in os.scandir(self.directory):
                if entry.is_file(follow_symlinks=False) and (
                    entry.name.endswith(SUFFIX) or entry.name.startswith(TEMP_PREFIX)
                ):
                    yield entry
        except FileNotFoundError:
            return

    @staticmethod
    def _remove(path: str) -> None:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("PDF cache: cannot delete %s: %s", path, error)

    # -- one render at a time per key ----------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        folder = os.path.join(self.directory, LOCK_FOLDER)
        os.makedirs(folder, exist_ok=True)
        # 256 lock files at most, never deleted (deleting a lock file others wait on breaks
        # flock); two keys sharing a stripe merely wait for each other.
        fd = os.open(os.path.join(folder, key[:2] + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        """The cached PDF, or ``render()``'s result, stored for the next request."""
        data = self.get(key)
        if data is not None:
            return data
        with self.lock(key):
            data = self.get(key)  # rendered by another process while we waited?
            if data is None:
                data = render()
                try:
                    self.put(key, data)
                except (OSError, ValueError) as error:
                    # A full disk must not turn a good PDF into an error page.
                    log.warning("PDF cache: cannot store %s: %s", key, error)
        return data
