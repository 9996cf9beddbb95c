"""The contract between the rules and the engine.

A rule is a function ``rule(context: PassContext) -> Iterable[Due]``: it looks at the database
as of ``context.now`` and returns what is due *now* and still makes sense (after a downtime,
only the latest occurrence of a series; nothing once its reason is gone). It writes nothing.
The engine (``tracker.reminders.engine``) records each Due once per recipient (unique key),
applies each person's choice (each time, digest, never), renders and queues the email, and
commits. Rules are listed in ``tracker.reminders.rules.RULES``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tracker.reminders.models import NotificationKind, ReminderRule, ReminderSettings
from tracker.reminders.preferences import settings_by_organisation
from tracker.reminders.schedule import iso

if TYPE_CHECKING:
    from tracker.accounts.models import Organisation


@dataclass(frozen=True)
class Recipient:
    """Someone a reminder goes to: a user (whose choices apply) or an outside contact."""

    address: str
    name: str = ""
    user_id: int | None = None
    locale: str = "fr"

    @property
    def key(self) -> str:
        """The recipient's part of a reminder key."""
        return f"u{self.user_id}" if self.user_id is not None else f"e:{self.address.lower()}"


@dataclass
class Due:
    """One reminder due now, for one or several recipients.

    ``key`` names the rule, the object and the due moment (``reminder_key`` builds it); the
    engine appends each recipient's key, so that each (reminder, recipient) is recorded once,
    ever. ``context(locale)`` returns the template's placeholders except ``recipient_name``
    (the engine adds it), rendered in ``locale`` (it is called under ``force_locale``).
    ``digest_line(locale)`` is the one line that stands for it in a daily digest.
    ``detail`` (JSON-able: counts, titles) is stored with the reminder for the back office.
    """

    rule: ReminderRule
    notification: NotificationKind | None  # None: no choice applies (e.g. to a candidate)
    organisation: Organisation
    key: str
    due_at: datetime
    recipients: list[Recipient]
    template_kind: str  # a key of tracker.mail.templates.KINDS
    context: Callable[[str], dict[str, str]]
    digest_line: Callable[[str], str] | None = None
    posting_id: int | None = None
    application_id: int | None = None
    interview_id: int | None = None
    detail: dict = field(default_factory=dict)
    # Outside the template: the email's Reply-To (e.g. the organisation's address).
    reply_to: str = ""
    # False for an email to a candidate (interview tomorrow): the template alone, rendered by
    # tracker.mail.templates.render_email in the recipient's locale, without the footer about
    # notification settings (candidates have none). Such a Due has ``notification`` None.
    footer: bool = True


def reminder_key(rule: ReminderRule, object_type: str, object_id: int, due_at: datetime,
                 *extra: str) -> str:
    """``rule:object_type:id:due[:extra...]``, e.g.
    ``deadline_approaching:posting:12:2026-03-13T07:00Z:d7``."""
    parts = [ReminderRule(rule).value, object_type, str(object_id), iso(due_at), *extra]
    return ":".join(parts)


KEY_MAX_LENGTH = 255  # Reminder.key


def recipient_key(key: str, recipient: Recipient) -> str:
    """The key of one Due for one recipient: ``<due key>:<recipient.key>``. An outside
    address too long for the column is replaced by a digest of it (same address, same key)."""
    full = f"{key}:{recipient.key}"
    if len(full) <= KEY_MAX_LENGTH:
        return full
    digest = hashlib.sha256(recipient.key.encode()).hexdigest()[:40]
    return f"{key}:h{digest}"


@dataclass
class PassContext:
    """What a rule may read: the instant of the pass, and caches shared by the rules."""

    now: datetime
    _settings: dict[int, ReminderSettings] = field(default_factory=dict)

    def settings(self, organisation_id: int) -> ReminderSettings:
        if organisation_id not in self._settings:
            self.load_settings([organisation_id])
        return self._settings[organisation_id]

    def load_settings(self, organisation_ids) -> None:
        """Load the settings of many organisations at once (one query)."""
        missing = [i for i in set(organisation_ids) if i not in self._settings]
        if missing:
            self._settings.update(settings_by_organisation(missing))


@dataclass(frozen=True)
class Action:
    """One line of the pass's report: what was done (or would be, in a dry run)."""

    what: str  # "close", "queue", "digest", "skip", "error"
    text: str


@dataclass
class PassReport:
    now: datetime
    dry_run: bool = False
    actions: list[Action] = field(default_factory=list)

    def add(self, what: str, text: str) -> None:
        self.actions.append(Action(what, text))

    def count(self, what: str) -> int:
        return sum(1 for action in self.actions if action.what == what)
