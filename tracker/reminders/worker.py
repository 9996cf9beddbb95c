"""``flask --app tracker worker``: closing, reminders and outbox delivery, every minute.

One *round* runs, in a fresh application context (hence a fresh database session: nothing
read in one round is stale in the next):

1. ``reminders``: ``engine.run_pass()`` closes the offers whose deadline passed and queues
   every reminder due (tracker.reminders.engine);
2. ``mail``: ``mail.delivery.deliver_due`` in batches of MAIL_BATCH until nothing is due, a
   batch sends nothing (the server is down: the rest waits for the next round), or
   ``--mail-limit`` messages were handled;
3. the extra tasks registered with ``register_task`` (e.g. polling an IMAP mailbox), in the
   order they were registered.

Each step is isolated: one that fails (database unreachable, a mail configuration error, a
bug) is rolled back, said in the round's line, and the next step and the next round still run.
The worker prints one line per round with its figures (``--quiet``: failed rounds only;
``--verbose``: every action too), then sleeps WORKER_INTERVAL seconds (``--interval``).

SIGTERM or SIGINT (Ctrl-C) wakes it at once: it finishes the step at hand, skips the rest of
the round and exits 0. A second signal stops it at once (exit 1). ``--once`` runs one round
and exits 1 if any step of it failed, 0 otherwise: for cron.

Several workers may run at once on PostgreSQL: offers are closed under row locks (SKIP
LOCKED), reminders are recorded under a unique key and messages are claimed one by one, so each
offer closes once, each reminder is queued once and each message goes out once. On SQLite, run
one worker (SQLite has one write lock for the whole file); a second one does no harm, it only
waits.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from tracker.db import db, utcnow
from tracker.mail.delivery import DeliveryReport, MailConfigError, deliver_due

log = logging.getLogger(__name__)

MAIL_BATCH = 100  # messages per delivery pass (one SMTP connection each)
MAIL_ROUND_LIMIT = 1000  # messages per round, by default: the rest waits for the next round


# --- Extra tasks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    name: str
    function: Callable[[], str | None]


TASKS: list[Task] = []


def register_task(name: str, function: Callable[[], str | None]) -> None:
    """Run ``function()`` in every round of the worker, after the outbox delivery.

    The function runs inside the round's application context, commits its own work, and
    returns a few words for the round's line, after the task's name (``"3 new"``: anything
    whose ``str()`` reads well), or None. When it has nothing to do (e.g. no mailbox
    configured) it returns None quietly; when it raises, the exception is logged, the session
    rolled back and the round reported as failed. Register at import time of a module the app
    factory imports (e.g. a ``cli`` module); registering a name again replaces the earlier
    function, so that importing twice is harmless.
    """
    TASKS[:] = [task for task in TASKS if task.name != name]
    TASKS.append(Task(name, function))


# --- One round -----------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    summary: str = ""
    error: str = ""

    def text(self) -> str:
        if self.error and self.summary:
            return f"{self.name} {self.summary}, FAILED: {self.error}"
        if self.error:
            return f"{self.name} FAILED: {self.error}"
        return f"{self.name} {self.summary}".rstrip()


@dataclass
class Round:
    number: int
    started: datetime
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0
    interrupted_before: str = ""  # the step a stop signal kept from running

    @property
    def failed(self) -> bool:
        return any(step.error for step in self.steps)

    def line(self) -> str:
        parts = [step.text() for step in self.steps]
        if self.interrupted_before:
            parts.append(f"stopped before {self.interrupted_before}")
        return (f"{self.started:%Y-%m-%dT%H:%M:%SZ} round {self.number}: "
                f"{'; '.join(parts)} ({self.seconds:.2f} s)")


# How the pass's actions are counted in the round's line, in this order.
PASS_COUNTS = (("close", "closed"), ("queue", "queued"), ("digest", "for digests"),
               ("skip", "skipped"), ("error", "errors"))


def reminders_step(echo: Callable[[str], None] | None = None) -> Step:
    from tracker.reminders.engine import run_pass

    report = run_pass()
    if echo is not None:
        for action in report.actions:
            echo(action.text)
    known = {what for what, _label in PASS_COUNTS}
    counts = [f"{report.count(what)} {label}" for what, label in PASS_COUNTS]
    others = sorted({a.what for a in report.actions} - known)
    counts += [f"{report.count(what)} {what}" for what in others]
    errors = [action.text for action in report.actions if action.what == "error"]
    step = Step("reminders", ", ".join(counts))
    if errors:
        step.error = (f"{len(errors)} failed (the rest went on; tracebacks in the log), "
                      f"first: {errors[0]}")
    return step


@dataclass
class MailTotals:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reset: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, report: DeliveryReport) -> None:
        self.sent += report.sent
        self.retrying += report.retrying
        self.failed += report.failed
        self.reset += report.reset

    def summary(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return text + (f", {self.reset} put back" if self.reset else "")


def deliver_outbox(limit: int, stop: threading.Event | None = None,
                   echo: Callable[[str], None] | None = None) -> MailTotals:
    """Deliver what is due in batches: until nothing is due, a batch sends nothing (server
    down, or every message refused), ``limit`` messages were handled, or ``stop`` is set."""
    from tracker.mail.cli import describe

    totals = MailTotals()
    max_attempts = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
    while totals.handled < limit and not (stop is not None and stop.is_set()):
        batch = min(MAIL_BATCH, limit - totals.handled)
        report = deliver_due(limit=batch)
        totals.add(report)
        if echo is not None:
            for result in report.results:
                echo(describe(result, max_attempts))
        if len(report.results) < batch or report.sent == 0:
            break
    return totals


def mail_step(limit: int, stop: threading.Event | None = None,
              echo: Callable[[str], None] | None = None) -> Step:
    return Step("mail", deliver_outbox(limit, stop, echo).summary())


def task_step(task: Task) -> Step:
    result = task.function()
    return Step(task.name, "" if result is None else str(result))


def describe_error(error: Exception) -> str:
    """One clear line for the round's report."""
    if isinstance(error, MailConfigError):
        return f"mail configuration: {error}"
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()
        return f"database unavailable: {detail[0] if detail else type(error).__name__}"
    return f"{type(error).__name__}: {error}"


def _rollback() -> None:
    with contextlib.suppress(Exception):  # the connection may be gone: nothing to keep
        db.session.rollback()


def run_step(name: str, function: Callable[[], Step]) -> Step:
    """Run one step; a failure is rolled back and reported, never raised."""
    try:
        return function()
    except Exception as error:  # every step is isolated from the others and from the loop
        _rollback()
        text = describe_error(error)
        if isinstance(error, MailConfigError | sa.exc.OperationalError | sa.exc.InterfaceError):
            # Said in the round's line; no traceback for a known condition.
            log.info("worker: %s: %s", name, text)
        else:  # a bug: the traceback goes to the log (stderr when none is configured)
            log.exception("worker: %s failed", name)
        return Step(name, error=text)


def run_round(app: Flask, number: int = 1, *, stop: threading.Event | None = None,
              mail_limit: int = MAIL_ROUND_LIMIT,
              echo: Callable[[str], None] | None = None) -> Round:
    """One round: the reminders pass, the outbox, the extra tasks, in a fresh app context
    (its database session is removed at the end). ``stop`` set: the remaining steps are
    skipped. ``echo``: called with every action's line (verbose)."""
    steps: list[tuple[str, Callable[[], Step]]] = [
        ("reminders", lambda: reminders_step(echo)),
        ("mail", lambda: mail_step(mail_limit, stop, echo)),
        *((task.name, lambda task=task: task_step(task)) for task in list(TASKS)),
    ]
    result = Round(number, utcnow().replace(microsecond=0))
    start = time.monotonic()
    with app.app_context():
        try:
            for name, function in steps:
                if stop is not None and stop.is_set():
                    result.interrupted_before = name
                    break
                result.steps.append(run_step(name, function))
        finally:
            db.session.remove()
    result.seconds = time.monotonic() - start
    return result


# --- The loop ------------------------------------------------------------------------------------


class StopOnSignal:
    """SIGTERM and SIGINT set ``event`` (the loop finishes its step and exits 0); a second
    signal stops at once. Handlers are installed only in the main thread, and put back as
    they were on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.event = threading.Event()
        self.received: str = ""
        self._previous: dict[int, object] = {}

    def _handle(self, signum, frame) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt  # the second signal: stop now
        self.received = signal.Signals(signum).name
        self.event.set()

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def run_worker(app: Flask, *, interval: float, once: bool, stop: threading.Event,
               mail_limit: int = MAIL_ROUND_LIMIT, verbose: bool = False,
               quiet: bool = False) -> bool:
    """Rounds until ``stop`` is set (or one with ``once``); returns whether the last round
    succeeded."""
    echo = click.echo if verbose else None
    number, ok = 0, True
    while not stop.is_set():
        number += 1
        result = run_round(app, number, stop=stop, mail_limit=mail_limit, echo=echo)
        ok = not result.failed
        if result.failed:
            click.echo(result.line(), err=True)
        elif not quiet:
            click.echo(result.line())
        if once:
            break
        stop.wait(interval)
    return ok


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one round and exit (1 if it failed).")
@click.option("--interval", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds between two rounds [default: WORKER_INTERVAL, 60].")
@click.option("--mail-limit", type=click.IntRange(min=1), default=MAIL_ROUND_LIMIT,
              show_default=True, help="Deliver at most this many messages per round.")
@click.option("-q", "--quiet", is_flag=True, help="Print failed rounds only.")
@click.option("-v", "--verbose", is_flag=True, help="Print every action of every round.")
@with_appcontext
def worker_command(once: bool, interval: float | None, mail_limit: int, quiet: bool,
                   verbose: bool) -> None:
    """Close expired offers, queue the reminders due and deliver the outbox, every
    WORKER_INTERVAL seconds, until SIGTERM or Ctrl-C."""
    app = current_app._get_current_object()
    if interval is None:
        interval = float(app.config.get("WORKER_INTERVAL", 60))
    with StopOnSignal() as stopper:
        if not once and not quiet:
            click.echo(f"worker started: a round every {interval:g} s "
                       f"({db.engine.dialect.name}); SIGTERM or Ctrl-C stops it.")
        ok = run_worker(app, interval=interval, once=once, stop=stopper.event,
                        mail_limit=mail_limit, verbose=verbose, quiet=quiet)
        if stopper.received and not quiet:
            click.echo(f"worker stopped ({stopper.received}).")
    if once and not ok:
        click.get_current_context().exit(1)
