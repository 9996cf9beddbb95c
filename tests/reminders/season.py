"""The harness of the simulated seasons (tests/reminders/test_season.py).

A season is a timeline of local moments (Europe/Paris): scenario events (an application, a
review, an answer, a deadline moved...) and worker rounds (``run_pass(now)`` then
``deliver_due(now=now)`` with the file backend). After each step the harness looks at the
database and writes what changed into a *journal*, one line per fact:

- ``remind <rule> <object> -> <recipient> <status> due <local due>``: a Reminder row appeared;
- ``<status> <rule> <object> -> <recipient>``: a Reminder row changed status (digested...);
- ``close <offer> by <system|person> at <local closed_at>``: an audit event posting.close;
- ``mail <kind> -> <to> [cc <cc>] | <subject> | refs <applications> | ...``: a message went
  out (subject shown for reminders: the season's organisation has its own reminder
  templates, whose subjects spell out the values the issue asks for). ``refs`` lists the
  applications a digest or reviews-pending email names by reference; such an email showing a
  candidate's name gets a ``NAMES <applications>`` note (they name no one: never expected).

Each line starts with the local moment of the step (``MM-DD Ddd HH:MM``). The journal is
compared as a whole with the expected one, written by hand from the issue.

The clock: every service that takes ``now`` gets the simulated one. Those that read the wall
clock are corrected directly after the call, and only where it matters: an interview's
``created_at``/``updated_at`` (the interview rule reads when it was scheduled) and an
application's ``answered_at`` (``answers.send_draft``). Messages are queued with
``next_try_at`` = the wall clock; the seasons are set in a future year (the next one with
2027's calendar), so that they are due at the simulated moment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests import factories
from tests.files import make_pdf
from tracker.accounts.models import Organisation, Role, User
from tracker.applications import privacy
from tracker.applications import services as applications
from tracker.applications.documents import check_upload
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.delivery import FileBackend, deliver_due
from tracker.mail.models import Message, MessageStatus, MessageTemplate
from tracker.mail.services import address_of
from tracker.postings import services as postings
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus
from tracker.reminders.models import NotificationKind, NotificationMode, Reminder
from tracker.reminders.preferences import set_preferences
from tracker.review import answers, interviews, scoring, stages
from tracker.review.models import Interview, StageKind

TZ = ZoneInfo("Europe/Paris")
# Rounds of the worker on every day it runs (local time): 07:30 is there to catch a reminder
# due at 08:00 computed with the wrong UTC offset around a daylight-saving change.
ROUNDS = (time(0, 30), time(7, 30), time(8, 30), time(12, 0), time(20, 0))


@cache
def season_year() -> int:
    """The next year (after this one) with 2027's calendar: 1 January a Friday, not a leap
    year. The expected journals name weekdays and daylight-saving Sundays of that calendar
    (last Sundays: 28 March and 31 October); a future year keeps the simulated clock ahead of
    the wall clock that queued messages and scheduled interviews are checked against."""
    year = date.today().year + 1
    while not (date(year, 1, 1).weekday() == 4 and (year % 4 != 0 or year % 100 == 0)):
        year += 1
    return year


def local(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A local moment of the season year, as UTC."""
    moment = datetime(season_year(), month, day, hour, minute, second, tzinfo=TZ)
    return moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """'11-14 Sun 23:59' (seconds when not zero), in Paris time."""
    moment = moment.astimezone(TZ)
    text = moment.strftime("%m-%d %a %H:%M")
    return text + moment.strftime(":%S") if moment.second else text


def short(moment: datetime) -> str:
    """'11-14 23:59:59' / '11-14 08:00': a due moment or a closing, in Paris time."""
    moment = moment.astimezone(TZ)
    return moment.strftime("%m-%d %H:%M:%S" if moment.second else "%m-%d %H:%M")


# --- The organisation's own reminder templates ------------------------------------------------
# Subjects spell out the values the issue asks for; bodies carry the lists and links.
# "fr" is what an outside contact reads (the organisation's language): no word in it is
# translated by the code, so the subject keeps only numbers and titles.

TEMPLATES = {
    "reminder.deadline_approaching": {
        "en": ("DA {{ posting_title }} | {{ time_left }} | {{ application_count }}",
               "{{ deadline }}\n{{ backoffice_link }}"),
        "fr": ("DA {{ posting_title }} | {{ application_count }}",
               "{{ deadline }}\n{{ backoffice_link }}"),
    },
    "reminder.deadline_reached": {
        locale: ("DR {{ posting_title }} | {{ application_count }} | "
                 "{{ reviewed_count }} reviewed | {{ unreviewed_count }} not",
                 "{{ backoffice_link }}")
        for locale in ("en", "fr")
    },
    "reminder.reviews_pending": {
        locale: ("RP {{ posting_title }} | #{{ reminder_number }} | {{ unreviewed_count }}",
                 "{{ applications }}\n{{ backoffice_link }}")
        for locale in ("en", "fr")
    },
    "reminder.unanswered": {
        locale: ("UA {{ posting_title }} | {{ unanswered_count }} | "
                 "{% if answer_promise %}promised{% else %}no promise{% endif %}",
                 "{{ answers_link }}")
        for locale in ("en", "fr")
    },
    "reminder.digest": {
        locale: ("DG {{ organisation_name }}", "{{ items }}") for locale in ("en", "fr")
    },
    "reminder.interview_tomorrow": {
        locale: ("IT {{ posting_title }} | {{ reference }}",
                 "{{ interview_day }} {{ interview_time }}\n{{ backoffice_link }}")
        for locale in ("en", "fr")
    },
}


@cache
def cv_file():
    return check_upload("cv.pdf", make_pdf("Curriculum vitae"), max_bytes=10 * 1024 * 1024)


@dataclass
class Person:
    label: str
    first: str
    last: str
    email: str
    role: Role | None = None  # None: an outside contact, no account


CAST = (
    Person("Alice", "Alice", "Perrin", "alice.perrin@example.org", Role.ADMIN),
    Person("Bruno", "Bruno", "Roux", "bruno.roux@example.org", Role.ADMIN),
    Person("Chloé", "Chloé", "Simon", "chloe.simon@example.org", Role.LEAD),
    Person("David", "David", "Thomas", "david.thomas@example.org", Role.LEAD),
    Person("Eva", "Eva", "Lambert", "eva.lambert@example.net"),
)


@dataclass
class Season:
    """One organisation in Europe/Paris, its people, offers and the journal of what happened."""

    outbox: object  # a directory for the file backend
    organisation_id: int = 0
    users: dict[str, int] = field(default_factory=dict)  # label -> user id
    offers: dict[str, int] = field(default_factory=dict)  # label -> posting id
    applications: dict[str, int] = field(default_factory=dict)  # label -> application id
    masked_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    journal: list[str] = field(default_factory=list)
    # What the journal has seen so far.
    _statuses: dict[int, str] = field(default_factory=dict)
    _last_event: int = 0
    _delivered: set[int] = field(default_factory=set)

    # --- Setting up ------------------------------------------------------------------------

    def set_up(self) -> None:
        org = factories.organisation(name="Maison des quartiers", slug="maison-des-quartiers",
                                     email="recrutement@example.org", timezone="Europe/Paris",
                                     locale="fr")
        self.organisation_id = org.id
        for person in CAST:
            if person.role is None:
                continue
            user = factories.user(org, person.role, email=person.email,
                                  name=f"{person.first} {person.last}")
            user.locale = "en"
            self.users[person.label] = user.id
        for kind, locales in TEMPLATES.items():
            for locale, (subject, body) in locales.items():
                db.session.add(MessageTemplate(organisation_id=org.id, kind=kind, locale=locale,
                                               subject=subject, body=body))
        db.session.commit()

    def user(self, label: str) -> User:
        return db.session.get(User, self.users[label])

    def prefer(self, label: str, kind: NotificationKind, mode: NotificationMode) -> None:
        set_preferences(self.users[label], {kind: mode})
        db.session.commit()

    def contact(self, label: str, role: ContactRole, position: int) -> PostingContact:
        person = next(p for p in CAST if p.label == label)
        name = f"{person.first} {person.last}"
        if person.role is None:
            return PostingContact(name=name, email=person.email, role=role, position=position)
        return PostingContact(user_id=self.users[label], name=name, email=person.email,
                              role=role, position=position)

    def publish(self, label: str, *, now: datetime, deadline: datetime, end_of_day: bool,
                contacts: list[PostingContact], reviewers: Iterable[str],
                answer_promise: bool = True, anonymised: bool = False,
                contract_start: date | None = None) -> None:
        """An offer titled 'Offre <label>', published by Alice at ``now``."""
        org = db.session.get(Organisation, self.organisation_id)
        posting = factories.posting(
            org, status=PostingStatus.DRAFT, contacts=contacts, title=f"Offre {label}",
            reference=f"REF-{label}", subject_line=f"Candidature {label}", deadline=deadline,
            deadline_end_of_day=end_of_day, answer_promise=answer_promise,
            anonymised=anonymised, contract_start=contract_start,
            contract_end=contract_start + timedelta(days=364) if contract_start else None,
            start_earliest=None, start_latest=None,
        )
        postings.transition(posting, PostingStatus.PUBLISHED, actor=self.user("Alice"), now=now)
        for reviewer in reviewers:
            factories.reviewer(posting, self.user(reviewer))
        db.session.commit()
        self.offers[label] = posting.id

    def offer(self, label: str) -> Posting:
        return db.session.get(Posting, self.offers[label])

    def application(self, label: str) -> Application:
        return db.session.get(Application, self.applications[label])

    # --- Scenario events (each commits, as its request would) -------------------------------

    def apply(self, offer: str, label: str, first: str, last: str, now: datetime) -> None:
        """A candidate applies through the real service, after the check the form makes."""
        posting = self.offer(offer)
        assert applications.closed_reason(posting, now) is None, f"{label} refused at {now}"
        result = applications.submit_application(
            posting, first_name=first, last_name=last,
            email=f"candidat.{label.lower()}@example.com",
            cv=cv_file(), locale="fr", now=now,
        )
        db.session.commit()
        self.applications[label] = result.application.id
        if posting.anonymised:
            self.masked_names[label] = (first, last)

    def refused(self, offer: str, now: datetime) -> None:
        """A candidate comes too late: the form refuses (nothing is written)."""
        assert applications.closed_reason(self.offer(offer), now) is not None

    def review(self, reviewer: str, labels: Iterable[str]) -> None:
        for label in labels:
            scoring.save_review(self.application(label), self.user(reviewer), scores={},
                                recommendation="yes")
        db.session.commit()

    def decide(self, actor: str, labels: Iterable[str], kind: StageKind) -> None:
        """Hire or reject: the stage move queues the answer as a draft."""
        target = stages.stage_of_kind(self.organisation_id, kind)
        for label in labels:
            stages.move_application(self.application(label), target, actor=self.user(actor),
                                    reason="profile" if kind == StageKind.REJECTED else "")
        db.session.commit()

    def send_answers(self, actor: str, offer: str, now: datetime) -> None:
        """Send every draft of the offer; ``answered_at`` (wall clock in send_draft) is set to
        the simulated moment."""
        posting = self.offer(offer)
        before = set(db.session.scalars(sa.select(Application.id).where(
            Application.posting_id == posting.id, Application.answered_at.is_(None))))
        assert answers.send_all_drafts(posting, actor=self.user(actor)) > 0
        db.session.flush()
        db.session.execute(sa.update(Application).where(
            Application.id.in_(before), Application.answered_at.is_not(None)
        ).values(answered_at=now).execution_options(synchronize_session=False))
        db.session.commit()

    def withdraw(self, label: str, now: datetime) -> None:
        assert privacy.withdraw_application(self.application(label), by="candidate", now=now)
        db.session.commit()

    def interview(self, actor: str, label: str, starts_at: datetime,
                  participants: Iterable[str], now: datetime) -> None:
        """Schedule an interview; when it was scheduled (wall clock) is set to ``now``."""
        details = interviews.Details(starts_at=starts_at, duration=45, place="Salle 2",
                                     participants=[self.user(p) for p in participants])
        item = interviews.schedule(self.application(label), details, actor=self.user(actor))
        db.session.flush()
        db.session.execute(sa.update(Interview).where(Interview.id == item.id)
                           .values(created_at=now, updated_at=now)
                           .execution_options(synchronize_session=False))
        db.session.commit()

    def move_deadline(self, actor: str, offer: str, deadline: datetime) -> None:
        """The admin edits the offer's deadline (what the offer form saves)."""
        posting = self.offer(offer)
        posting.deadline = deadline
        posting.deadline_end_of_day = False
        postings.record_edit(posting, actor=self.user(actor), changed=["deadline"])
        db.session.commit()

    def close_by_hand(self, actor: str, offer: str, now: datetime) -> None:
        postings.transition(self.offer(offer), PostingStatus.CLOSED, actor=self.user(actor),
                            now=now)
        db.session.commit()

    # --- The worker ------------------------------------------------------------------------

    def round(self, now: datetime) -> list[str]:
        """One round of the worker: the pass, then delivery. Returns the pass's errors."""
        from tracker.reminders.engine import run_pass

        report = run_pass(now)
        db.session.rollback()
        deliver_due(now=now, backend=FileBackend(self.outbox))
        db.session.rollback()
        return [f"ERROR {action.text}" for action in report.actions if action.what == "error"]

    def state(self) -> tuple:
        """Everything a round may change, to compare two moments."""
        db.session.expire_all()
        reminders = tuple(db.session.execute(
            sa.select(Reminder.id, Reminder.key, Reminder.status, Reminder.message_id)
            .order_by(Reminder.id)).all())
        messages = tuple(db.session.execute(
            sa.select(Message.id, Message.status).order_by(Message.id)).all())
        events = db.session.scalar(sa.select(sa.func.count(Event.id)))
        offers = tuple(db.session.execute(
            sa.select(Posting.id, Posting.status, Posting.closed_at).order_by(Posting.id)).all())
        return reminders, messages, events, offers

    # --- The journal -----------------------------------------------------------------------

    def observe(self, moment: datetime, extra: Iterable[str] = ()) -> None:
        """Append what changed since the last look, under ``moment``."""
        db.session.expire_all()
        lines = list(extra)
        lines += self._reminder_lines()
        lines += self._closure_lines()
        lines += self._mail_lines()
        db.session.rollback()
        self.journal += [f"{stamp(moment)} | {line}" for line in sorted(lines)]

    def _reminder_lines(self) -> list[str]:
        lines = []
        for row in db.session.scalars(sa.select(Reminder).where(
                Reminder.organisation_id == self.organisation_id).order_by(Reminder.id)):
            before = self._statuses.get(row.id)
            what, who = self._object(row), self._who(row.user_id, row.recipient)
            if before is None:
                due = "" if row.rule == "new_application" else f" due {short(row.due_at)}"
                lines.append(f"remind {row.rule} {what} -> {who} {row.status}{due}")
            elif before != row.status:
                lines.append(f"{row.status} {row.rule} {what} -> {who}")
            self._statuses[row.id] = row.status
        return lines

    def _closure_lines(self) -> list[str]:
        lines = []
        events = db.session.scalars(sa.select(Event).where(
            Event.id > self._last_event, Event.organisation_id == self.organisation_id
        ).order_by(Event.id))
        for event in events:
            self._last_event = event.id
            if event.action != "posting.close":
                continue
            posting = db.session.get(Posting, event.object_id)
            actor = "system" if event.actor_id is None else self._who(event.actor_id, "")
            lines.append(f"close {self._offer_label(posting.id)} by {actor} at "
                         f"{short(posting.closed_at)}")
        return lines

    def _mail_lines(self) -> list[str]:
        lines = []
        messages = db.session.scalars(sa.select(Message).where(
            Message.organisation_id == self.organisation_id,
            Message.status.in_([MessageStatus.SENT, MessageStatus.FAILED]),
        ).order_by(Message.id))
        for message in messages:
            if message.id in self._delivered:
                continue
            self._delivered.add(message.id)
            lines.append(self._mail_line(message))
        return lines

    def _mail_line(self, message: Message) -> str:
        to = ", ".join(self._address_label(a) for a in message.recipients)
        cc = ", ".join(self._address_label(a) for a in message.cc or [])
        parts = [("FAILED " if message.status == MessageStatus.FAILED else "")
                 + f"mail {message.kind} -> {to}" + (f" cc {cc}" if cc else "")]
        if message.kind.startswith("reminder."):
            parts.append(self._with_labels(message.subject))
            parts += self._content_notes(message)
        return " | ".join(parts)

    def _content_notes(self, message: Message) -> list[str]:
        """What the issue asks a reminder to carry, read from its text."""
        notes = []
        body = message.body_text
        if message.kind in ("reminder.reviews_pending", "reminder.digest"):
            found = [label for label in sorted(self.applications)
                     if self._mentions(body, label)]
            notes.append("refs " + " ".join(found))
            # Emails listing several applications name them by reference only, masked or not.
            named = [label for label in sorted(self.applications)
                     if self._names(message.subject + body, label)]
            if named:
                notes.append("NAMES " + " ".join(named))
        if message.kind == "reminder.unanswered":
            linked = any(f"/offres/{posting_id}/reponses" in body
                         for posting_id in self.offers.values())
            notes.append("answers link" if linked else "NO ANSWERS LINK")
        leaks = [label for label, (first, last) in sorted(self.masked_names.items())
                 if last.lower() in (message.subject + body).lower()
                 or first.lower() in (message.subject + body).lower()]
        if leaks and not self._revealed(leaks):
            notes.append("LEAKS NAME OF " + " ".join(leaks))
        if self._to_users(message) and "/gestion/notifications" not in body:
            notes.append("NO SETTINGS LINK")
        return notes

    def _to_users(self, message: Message) -> bool:
        user_addresses = {p.email for p in CAST if p.role is not None}
        return any(address_of(a).lower() in user_addresses for a in message.recipients)

    def _revealed(self, labels: list[str]) -> bool:
        return all(self.application(label).revealed_at is not None for label in labels)

    def _mentions(self, text: str, label: str) -> bool:
        return self.application(label).reference in text

    def _names(self, text: str, label: str) -> bool:
        """Whether ``text`` shows the candidate's first or last name (as stored or in
        capitals, as display names write it)."""
        candidate = self.application(label).candidate
        return any(name in text for name in (candidate.first_name, candidate.last_name,
                                             candidate.last_name.upper()))

    def _with_labels(self, text: str) -> str:
        for label in sorted(self.applications):
            text = text.replace(self.application(label).reference, f"[{label}]")
        return text

    # --- Names --------------------------------------------------------------------------------

    def _offer_label(self, posting_id: int | None) -> str:
        return next((label for label, pid in self.offers.items() if pid == posting_id), "?")

    def _application_label(self, application_id: int | None) -> str:
        return next((label for label, aid in self.applications.items()
                     if aid == application_id), "?")

    def _object(self, row: Reminder) -> str:
        if row.rule == "digest":
            return "digest"
        if row.rule == "new_application":
            return self._application_label(row.application_id)
        if row.interview_id is not None:
            interview = db.session.get(Interview, row.interview_id)
            return self._application_label(interview.application_id)
        if row.rule == "start_date":
            return self._application_label(row.application_id)
        return self._offer_label(row.posting_id)

    def _who(self, user_id: int | None, address: str) -> str:
        if user_id is not None:
            return next((label for label, uid in self.users.items() if uid == user_id),
                        f"user{user_id}")
        return self._address_label(address)

    def _address_label(self, value: str) -> str:
        address = address_of(value).lower()
        for person in CAST:
            if person.email == address:
                return person.label
        for label in sorted(self.applications):
            if self.application(label).candidate.email == address:
                return f"cand {label}"
        return address


# --- Running a season ---------------------------------------------------------------------------


@dataclass
class Step:
    moment: datetime
    action: Callable[[], None] | None  # None: a round of the worker


def timeline(first: date, last: date, events: list[tuple[datetime, Callable[[], None]]],
             down: Iterable[date] = ()) -> list[Step]:
    """Rounds on every day from ``first`` to ``last`` except the ``down`` days, and the
    events, in time order (an event never shares its moment with a round)."""
    down = set(down)
    steps = [Step(moment, action) for moment, action in events]
    day = first
    while day <= last:
        if day not in down:
            for clock in ROUNDS:
                steps.append(Step(datetime.combine(day, clock, tzinfo=TZ).astimezone(UTC),
                                  None))
        day += timedelta(days=1)
    moments = [step.moment for step in steps]
    assert len(moments) == len(set(moments)), "an event at the moment of a round"
    return sorted(steps, key=lambda step: step.moment)


def run(season: Season, steps: list[Step], *, twice: bool = True,
        dry_run_at: Iterable[datetime] = ()) -> list[str]:
    """Play the steps; after each round, play it again and expect no change at all.

    Returns the problems found by the second rounds and the dry runs (expected: none).
    """
    from tracker.reminders.engine import run_pass

    problems = []
    dry_run_at = set(dry_run_at)
    for step in steps:
        if step.action is not None:
            step.action()
            season.observe(step.moment)
            continue
        if step.moment in dry_run_at:
            before = season.state()
            report = run_pass(step.moment, dry_run=True)
            db.session.rollback()
            if season.state() != before:
                problems.append(f"{stamp(step.moment)} the dry run changed the database")
            if not report.actions:
                problems.append(f"{stamp(step.moment)} the dry run reported nothing")
        errors = season.round(step.moment)
        season.observe(step.moment, errors)
        if twice:
            before = season.state()
            errors = season.round(step.moment)
            if season.state() != before or errors:
                problems.append(f"{stamp(step.moment)} the second round changed something "
                                f"{errors}")
                season.observe(step.moment, ["(second round)"])
    return problems


def expected(text: str) -> list[str]:
    """The expected journal: one fact a line, ``MM-DD Ddd HH:MM | fact``; blank lines and
    lines starting with # are comments. Sorted like the journal (by moment, then text)."""
    lines = [re.sub(r"\s+\|\s+", " | ", line.strip()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return ordered(lines)


def differences(journal: list[str], text: str) -> str:
    """A unified diff of the expected journal (``text``) against ``journal`` ('' if equal)."""
    import difflib

    return "\n".join(difflib.unified_diff(expected(text), ordered(journal), "expected",
                                           "journal", n=1, lineterm=""))


def ordered(lines: list[str]) -> list[str]:
    """By moment (its month-day and time), then by text."""
    def key(line: str):
        moment, _sep, fact = line.partition(" | ")
        month_day, _weekday, clock = moment.split(" ")
        return month_day, clock.ljust(8, "0"), fact
    return sorted(lines, key=key)
