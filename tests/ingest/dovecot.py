"""A real IMAP server for the tests: Debian's dovecot-imapd on loopback, throwaway config.

``Dovecot(directory).start()`` writes a configuration into ``directory`` (nothing of the
system's /etc/dovecot is read) and starts the server on free ports of 127.0.0.1:

- ``port``: plain IMAP (STARTTLS offered), ``tls_port``: IMAP over TLS from the first byte;
- ``no_move_host`` (127.0.0.2, same port): the same server advertising no MOVE capability, to
  exercise the COPY + \\Deleted + EXPUNGE fallback;
- one user (``user`` / ``password``) from a passwd-file, mail in a Maildir under the directory,
  no system users involved;
- a certificate signed by a throwaway CA (``ca_file``) made with openssl, logs in
  ``dovecot.log``.

When the tests run as root the mail processes run as ``nobody`` (dovecot refuses uid 0);
otherwise everything runs as the current user. Messages are put in with IMAP APPEND.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tracker.ingest.imap import encode_mailbox

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
USER = "candidatures"
PASSWORD = "imap-test-password"
NO_MOVE_HOST = "127.0.0.2"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot", path=SBIN_PATH)


def doveadm_binary() -> str | None:
    return shutil.which("doveadm", path=SBIN_PATH)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    # Not 127.0.0.2: the tests connect there to meet a certificate for another name.
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                   "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n")
    run = lambda *args: subprocess.run(["openssl", *args], check=True,  # noqa: E731
                                       capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=tracker test CA", "-keyout", str(ca_key), "-out", str(ca_cert),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(key), "-out", str(csr))
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))
    return ca_cert, cert, key


class Dovecot:
    """One throwaway dovecot; ``start()``, then ``stop()`` (also on failure)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.host = "127.0.0.1"
        self.no_move_host = NO_MOVE_HOST
        self.user, self.password = USER, PASSWORD
        self.port = free_port()
        self.tls_port = free_port()
        self.config = self.directory / "dovecot.conf"
        self.log = self.directory / "dovecot.log"
        self.ca_file = self.directory / "ca.pem"
        self._started = False

    # --- Life cycle ---------------------------------------------------------------------------

    def _mail_owner(self) -> tuple[str, int, int]:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("nobody")
        else:
            entry = pwd.getpwuid(os.geteuid())
        return entry.pw_name, entry.pw_uid, entry.pw_gid

    def _write_config(self) -> None:
        owner, uid, gid = self._mail_owner()
        home = self.directory / "home"
        home.mkdir(parents=True, exist_ok=True)
        for folder in ("run", "state"):
            (self.directory / folder).mkdir(exist_ok=True)
        ca, cert, key = _make_certificates(self.directory)
        passwd = self.directory / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{home}/%u::\n")
        root = os.geteuid() == 0
        # As root, dovecot's own helpers use the Debian users created by the package; as a
        # plain user, everything runs as that user and nothing is chrooted.
        unprivileged = "" if root else (
            f"default_login_user = {owner}\ndefault_internal_user = {owner}\n"
            f"default_internal_group = {grp.getgrgid(gid).gr_name}\n"
            "service imap-login {\n  chroot =\n}\nservice anvil {\n  chroot =\n}\n"
        )
        # No growing delay after refused logins (the wrong-password tests): dovecot's
        # documented switch is this listener's mode 0.
        penalty = ("service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n"
                   "  }\n}\n")
        self.config.write_text(f"""\
# Throwaway configuration written by tests/ingest/dovecot.py; nothing else is read.
base_dir = {self.directory}/run
state_dir = {self.directory}/state
instance_name = tracker-test-{self.port}
protocols = imap
listen = {self.host}, {self.no_move_host}
log_path = {self.log}
info_log_path = {self.log}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
# A refused login answers at once (the wrong-password tests), and costs no penalty after.
auth_failure_delay = 0
first_valid_uid = {min(uid, 500)}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
{unprivileged}{penalty}service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.tls_port}
    ssl = yes
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
local {self.no_move_host} {{
  protocol imap {{
    imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS
  }}
}}
""")
        if root:
            for path in (self.directory, home):
                os.chown(path, uid, gid)
            os.chmod(self.directory, 0o755)
        self.ca_file = ca

    def start(self) -> Dovecot:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self._write_config()
        # The daemon keeps the descriptors it was given: a file, not a pipe we would wait on.
        with (self.directory / "start.out").open("wb") as out:
            result = subprocess.run([binary, "-c", str(self.config)], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"dovecot did not start: "
                               f"{(self.directory / 'start.out').read_text(errors='replace')}"
                               f"\n{self.read_log()}")
        self._started = True
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(
                    (self.host, self.port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start; see {self.log}:\n{self.read_log()}")

    def stop(self) -> None:
        if not self._started:
            return
        binary = dovecot_binary()
        subprocess.run([binary, "-c", str(self.config), "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self._started = False

    def read_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    # --- What the tests do to the mailbox -------------------------------------------------

    def _doveadm(self, *args: str) -> str:
        result = subprocess.run([doveadm_binary(), "-c", str(self.config), *args], check=True,
                                capture_output=True, text=True, stdin=subprocess.DEVNULL)
        return result.stdout

    def session_pids(self) -> set[int]:
        """The processes serving the test user's IMAP sessions (``doveadm who``)."""
        pids: set[int] = set()
        for line in self._doveadm("who", self.user).splitlines()[1:]:
            groups = re.findall(r"\(([^)]*)\)", line)
            if groups:
                pids.update(int(pid) for pid in groups[0].split() if pid.isdigit())
        return pids

    def kick(self) -> None:
        """Disconnect every session of the test user, as an administrator would
        (``doveadm kick``): the server closes the connections, a real dropped connection for
        the client. Returns once those processes are gone, so that the client's next command
        meets the closed connection."""
        pids = self.session_pids()
        self._doveadm("kick", self.user)
        for _ in range(400):
            if not any(_alive(pid) for pid in pids):
                return
            time.sleep(0.025)
        raise RuntimeError(f"dovecot did not end the sessions {sorted(pids)}")

    @contextlib.contextmanager
    def client(self):
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            imap.login(self.user, self.password)
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "") -> None:
        with self.client() as imap:
            status, data = imap.append(folder, flags or None, None, raw)
            assert status == "OK", data

    def folders(self) -> list[str]:
        """The folders' names as the server keeps them (modified UTF-7: "trait&AOk-es")."""
        with self.client() as imap:
            _status, data = imap.list()
        return sorted(line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in data if line)

    def messages(self, folder: str = "INBOX") -> list[tuple[set[str], bytes]]:
        """(flags, raw) of each message of ``folder``, expunged ones excluded, in UID order."""
        with self.client() as imap:
            status, _data = imap.select(encode_mailbox(folder), readonly=True)
            if status != "OK":
                return []
            _status, data = imap.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        result = []
        for part in data:
            if isinstance(part, tuple):
                head = part[0].decode()
                flags = set(head.split("FLAGS (", 1)[1].split(")", 1)[0].split())
                result.append((flags, part[1]))
        return result

    def empty(self) -> None:
        """Every folder emptied and every folder but INBOX deleted: a fresh mailbox."""
        with self.client() as imap:
            _status, data = imap.list()
            names = [line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in data if line]
            for name in names:
                _status, count = imap.select(f'"{name}"')
                if int(count[0] or 0):
                    imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                    imap.expunge()
                imap.close()
                if name != "INBOX":
                    imap.delete(f'"{name}"')


def _alive(pid: int) -> bool:
    """The process runs (a zombie has already closed its sockets)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status
