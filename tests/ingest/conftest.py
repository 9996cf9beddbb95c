"""Fixtures of the ingest tests.

``dovecot``: a real IMAP server on loopback for the whole session (tests/ingest/dovecot.py);
``mailbox``: that server with an empty mailbox, for one test. Skipped, with the reason, only
when dovecot is not installed (``make test`` installs dovecot-imapd through .ci/system-deps).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.ingest.dovecot import Dovecot, dovecot_binary


@pytest.fixture(scope="session")
def dovecot():
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (Debian package dovecot-imapd; `make test` "
                    "installs it through .ci/system-deps)")
    # Not under pytest's private temporary tree: when the tests run as root, the mail
    # processes run as "nobody" and must reach the maildir.
    directory = Path(tempfile.mkdtemp(prefix="tracker-dovecot-"))
    server = Dovecot(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot):
    """The dovecot of the session, every folder emptied."""
    dovecot.empty()
    return dovecot
