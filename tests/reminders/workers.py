"""Helpers of the worker tests: real ``flask worker`` processes against the test database.

``WorkerProcess`` starts ``python -m flask --app tracker worker ...`` with DATABASE_URL set to
the test database (SQLite file or PostgreSQL), its own instance folder and the given mail
settings, reads its output in background threads, and stops it with a signal. Waits are
bounded by generous timeouts so that a broken worker fails the test instead of hanging it;
no test asserts on how long anything took.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tracker import ROOT

TIMEOUT = 600.0  # seconds: far beyond anything a working worker needs, even on a busy machine

# Settings of the environment that must not leak into a worker started by a test.
CLEARED = ("TEST_DATABASE_URL", "TRACKER_CONFIG", "FLASK_APP", "WORKER_INTERVAL")


def worker_env(database_url: str, instance: Path, **settings) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in CLEARED and not name.startswith("MAIL_")}
    env.update(DATABASE_URL=database_url, TRACKER_INSTANCE_PATH=str(instance),
               TRACKER_CONFIG="development", PYTHONUNBUFFERED="1",
               SERVER_NAME="tracker.example.org")
    env.update({name: str(value) for name, value in settings.items()})
    return env


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "tracker", *args]


class WorkerProcess:
    """A running ``flask worker``; ``lines`` holds what it printed (stdout and stderr)."""

    def __init__(self, env: dict[str, str], *args: str):
        self.process = subprocess.Popen(
            flask_command("worker", *args), env=env, cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._new: queue.Queue[str] = queue.Queue()
        self._readers = [threading.Thread(target=self._read, args=(stream,), daemon=True)
                         for stream in (self.process.stdout, self.process.stderr)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            line = line.rstrip("\n")
            with self._lock:
                self.lines.append(line)
            self._new.put(line)

    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> str:
        """The first line (printed so far or later) that matches ``pattern``."""
        regex = re.compile(pattern)
        with self._lock:
            for line in self.lines:
                if regex.search(line):
                    return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self._new.empty():
                    break
                continue
            if regex.search(line):
                return line
        raise AssertionError(f"no line matching {pattern!r}; output:\n{self.output()}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = TIMEOUT) -> int:
        """Send ``signum`` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.wait(timeout)

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the worker did not exit; output:\n{self.output()}") from None
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def wait_until(predicate, what: str, timeout: float = TIMEOUT, every: float = 0.2):
    """Poll ``predicate()`` until it returns something true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def mail_sent(line: str) -> int:
    """The number of messages a round line says were sent."""
    match = re.search(r"mail (\d+) sent", line)
    return int(match.group(1)) if match else 0
