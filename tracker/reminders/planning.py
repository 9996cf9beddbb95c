"""An offer's reminders as the back office shows them: those planned, those recorded.

``planned(posting, now)`` reads the organisation's settings and does the same local-day
arithmetic as the rules (tracker.reminders.schedule), following their semantics: it says what
the pass will do next for this offer, when, to whom, and on what condition. It writes nothing
and does not ask the rules (they answer "what is due now", not "what comes next").

``history(posting)`` describes the Reminder rows of the offer (its own, and those of its
applications and interviews), newest first, in a bounded number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import joinedload, selectinload

from tracker.applications.models import Application
from tracker.db import db
from tracker.i18n.formatting import format_clock, format_day
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders import recipients, schedule
from tracker.reminders.digest import NOTE_NOT_MEMBER
from tracker.reminders.engine import NOTE_NEVER, SUMMARY_MAX_DELAY
from tracker.reminders.models import Reminder, ReminderRule, ReminderSettings, ReminderStatus
from tracker.reminders.preferences import settings_for
from tracker.review.access import reviewers
from tracker.review.anonymity import candidate_label, is_masked, mask_text
from tracker.review.models import Decision, Interview, InterviewParticipant, InterviewStatus

RULE_LABELS = {
    ReminderRule.DEADLINE_APPROACHING: _l("Deadline approaching"),
    ReminderRule.DEADLINE_REACHED: _l("Closing summary"),
    ReminderRule.REVIEWS_PENDING: _l("Reviews pending"),
    ReminderRule.UNANSWERED: _l("Candidates without an answer"),
    ReminderRule.NEW_APPLICATION: _l("New application"),
    ReminderRule.DIGEST: _l("Daily digest"),
    ReminderRule.INTERVIEW_TOMORROW: _l("Interview tomorrow"),
    ReminderRule.START_DATE: _l("Start date approaching"),
}
# What the history says of a reminder: its own status, or its email's once queued.
STATUS_LABELS = {
    MessageStatus.DRAFT.value: _l("Draft"),
    MessageStatus.PENDING.value: _l("Waiting to be sent"),
    MessageStatus.SENDING.value: _l("Being sent"),
    MessageStatus.SENT.value: _l("Sent"),
    MessageStatus.FAILED.value: _l("Failed"),
    MessageStatus.DISCARDED.value: _l("Discarded"),
    ReminderStatus.QUEUED.value: _l("Queued"),
    ReminderStatus.DIGEST.value: _l("Waiting for the daily digest"),
    ReminderStatus.DIGESTED.value: _l("In the daily digest"),
    ReminderStatus.SKIPPED.value: _l("Not sent"),
}


# The notes the pass writes (in English, for the logs), as the page says them.
NOTE_LABELS = {
    NOTE_NEVER: _l("The recipient chose never to receive this kind of notification."),
    NOTE_NOT_MEMBER: _l("The person is no longer an active member of the organisation."),
}
REFUSED_PREFIX = "no valid recipient"


def note_text(note: str) -> str:
    """A reminder's note in the current language, when it is one the pass writes."""
    if note in NOTE_LABELS:
        return str(NOTE_LABELS[note])
    if note.startswith(REFUSED_PREFIX):
        return _("The email address was refused: %(detail)s", detail=note)
    return note


def rule_label(rule: str) -> str:
    try:
        return str(RULE_LABELS[ReminderRule(rule)])
    except ValueError:
        return rule


# --- Planned ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One reminder (or the closing) the pass will act on, if its condition still holds."""

    rule: ReminderRule
    due_at: datetime  # when the pass acts (UTC)
    who: str  # in words, in the current language
    what: str
    condition: str = ""

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self.rule])


@dataclass
class _Plan:
    """What every part of the planning reads."""

    posting: Posting
    now: datetime
    settings: ReminderSettings
    zone: ZoneInfo

    @property
    def hour(self) -> int:
        return self.settings.send_hour


def planned(posting: Posting, now: datetime) -> list[Planned]:
    """What the pass will do next for ``posting`` after ``now``, in time order."""
    plan = _Plan(posting, now, settings_for(posting.organisation_id),
                 schedule.zone(posting.organisation.timezone))
    items: list[Planned] = []
    if posting.status == PostingStatus.PUBLISHED and posting.deadline is not None:
        items += _deadline_approaching(plan)
        items += _closing(plan)
        items += _after_closing(plan, posting.deadline, first_only=True)
    elif posting.status in (PostingStatus.CLOSED, PostingStatus.FILLED) and posting.closed_at:
        items += _after_closing(plan, posting.closed_at, first_only=False)
    items += _interviews(plan)
    items += _start_dates(plan)
    order = list(ReminderRule)
    return sorted(items, key=lambda item: (item.due_at, order.index(item.rule)))


def _people(people: Sequence[str]) -> str:
    names = [name for name in people if name]
    if not names:
        return _("Nobody: the offer has no contact to send to.")
    return format_list(names, locale=str(get_locale() or "fr"))


def _recipient_names(found) -> list[str]:
    return [recipient.name or recipient.address for recipient in found]


def _deadline_days(settings: ReminderSettings) -> list[int]:
    days = []
    for value in settings.deadline_days or []:
        try:
            days.append(int(value))
        except (TypeError, ValueError):
            continue
    return sorted(set(days), reverse=True)


def _time_left(days: int) -> str:
    if days == 0:
        return _("Applications close today: the reminder gives the number received so far.")
    if days == 1:
        return _("Applications close tomorrow: the reminder gives the number received so far.")
    return ngettext(
        "Applications close in %(num)d day: the reminder gives the number received so far.",
        "Applications close in %(num)d days: the reminder gives the number received so far.",
        days,
    )


def _deadline_approaching(plan: _Plan) -> list[Planned]:
    posting, settings = plan.posting, plan.settings
    if not settings.deadline_enabled:
        return []
    who = None
    result = []
    for days in _deadline_days(settings):
        due = schedule.days_before(posting.deadline, days, plan.hour, plan.zone)
        published = posting.published_at or due
        if not (due > plan.now and due >= published and due < posting.deadline):
            continue
        if who is None:
            who = _people(_recipient_names(recipients.unique(
                recipients.admins(posting.organisation) + recipients.contacts(posting))))
        result.append(Planned(ReminderRule.DEADLINE_APPROACHING, due, who, _time_left(days)))
    return result


def _closing(plan: _Plan) -> list[Planned]:
    posting = plan.posting
    who = _people(_recipient_names(recipients.contacts(posting)))
    if posting.deadline < plan.now - SUMMARY_MAX_DELAY:
        return [Planned(ReminderRule.DEADLINE_REACHED, posting.deadline,
                        _("Nobody"),
                        _("The offer closes itself, without a summary: its deadline passed "
                          "more than %(days)s days ago.", days=SUMMARY_MAX_DELAY.days),
                        _("At the next pass of the reminders."))]
    condition = (_("The deadline has passed: the next pass of the reminders closes the offer.")
                 if posting.deadline < plan.now else
                 _("The offer stops taking applications at its deadline, to the second."))
    return [Planned(ReminderRule.DEADLINE_REACHED, posting.deadline, who,
                    _("The offer closes itself; its contacts get the closing summary: "
                      "applications, reviewed, not reviewed."), condition)]


def _after_closing(plan: _Plan, closed_at: datetime, *, first_only: bool) -> list[Planned]:
    return [*_reviews_pending(plan, closed_at, first_only),
            *_unanswered(plan, closed_at, first_only)]


def _next(plan: _Plan, closed_at: datetime, *, after: int, repeat: int, count: int | None,
          first_only: bool) -> tuple[int, datetime] | None:
    """The next occurrence of a series counted from the closing: the first one for an offer
    still open (sent at the closing at the earliest), else the first one after now."""
    if first_only:
        due = schedule.days_after(closed_at, after, plan.hour, plan.zone)
        return 1, max(due, closed_at)
    return schedule.next_due(closed_at, after_days=after, repeat_days=repeat, hour=plan.hour,
                             tz=plan.zone, count=count, now=plan.now)


def _reviews_pending(plan: _Plan, closed_at: datetime, first_only: bool) -> list[Planned]:
    settings = plan.settings
    if not settings.reviews_enabled:
        return []
    found = _next(plan, closed_at, after=settings.reviews_after_days,
                  repeat=settings.reviews_repeat_days, count=settings.reviews_max,
                  first_only=first_only)
    if found is None:
        return []
    number, due = found
    names = [user.display_name for user in reviewers(plan.posting) if user.active]
    who = (_("Each reviewer who still has applications to review, among: %(names)s",
             names=_people(names)) if names else _("Nobody: the offer has no reviewer."))
    what = _("Reminder %(number)s of %(count)s: the list of the applications each reviewer "
             "still has to review.", number=number, count=settings.reviews_max)
    condition = ngettext(
        "Only if applications are still unreviewed; then every %(num)d day while some remain.",
        "Only if applications are still unreviewed; then every %(num)d days while some remain.",
        settings.reviews_repeat_days,
    ) if number < settings.reviews_max else _("Only if applications are still unreviewed; "
                                               "this is the last one.")
    return [Planned(ReminderRule.REVIEWS_PENDING, due, who, what, condition)]


def _unanswered(plan: _Plan, closed_at: datetime, first_only: bool) -> list[Planned]:
    settings, posting = plan.settings, plan.posting
    if not settings.unanswered_enabled:
        return []
    found = _next(plan, closed_at, after=settings.unanswered_after_days,
                  repeat=settings.unanswered_repeat_days, count=None, first_only=first_only)
    if found is None:  # pragma: no cover - a series without a limit always has a next one
        return []
    _number, due = found
    what = _("How many candidates have no answer yet, with a link to answer them.")
    if posting.answer_promise:
        what = " ".join([what, _("It recalls that the offer promised an answer to every "
                                 "candidate.")])
    condition = ngettext(
        "Only if candidates are still without an answer; then every %(num)d day while any "
        "remain.",
        "Only if candidates are still without an answer; then every %(num)d days while any "
        "remain.",
        settings.unanswered_repeat_days,
    )
    who = _people(_recipient_names(recipients.contacts(posting)))
    return [Planned(ReminderRule.UNANSWERED, due, who, what, condition)]


def _interviews(plan: _Plan) -> list[Planned]:
    settings = plan.settings
    if not settings.interview_enabled:
        return []
    rows = db.session.execute(
        sa.select(Interview, Application)
        .join(Application, Interview.application_id == Application.id)
        .where(Application.posting_id == plan.posting.id,
               Interview.status == InterviewStatus.SCHEDULED,
               Interview.starts_at > plan.now)
        .options(selectinload(Interview.participants).joinedload(InterviewParticipant.user),
                 joinedload(Application.candidate))
        .order_by(Interview.starts_at, Interview.id)
    ).all()
    result = []
    for interview, application in rows:
        due = schedule.days_before(interview.starts_at, 1, plan.hour, plan.zone)
        if due <= plan.now:
            continue
        names = [p.user.display_name for p in interview.participants if p.user.active]
        if settings.interview_to_candidate:
            names.append(_("the candidate"))
        local = interview.starts_at.astimezone(plan.zone)
        what = _("Interview with %(candidate)s on %(day)s at %(time)s.",
                 candidate=candidate_label(application), day=format_day(local),
                 time=format_clock(local))
        who = _people(names) if names else _("Nobody: the interview has no participant.")
        result.append(Planned(ReminderRule.INTERVIEW_TOMORROW, due, who, what))
    return result


def _start_dates(plan: _Plan) -> list[Planned]:
    settings, posting = plan.settings, plan.posting
    start_day = posting.contract_start or posting.start_earliest
    if not settings.start_enabled or start_day is None:
        return []
    due = schedule.at_local(start_day - timedelta(days=settings.start_days), plan.hour,
                            plan.zone)
    if due <= plan.now:
        return []
    who = _people(_recipient_names(recipients.contacts(posting)))
    retained = list(db.session.scalars(
        sa.select(Application)
        .where(Application.posting_id == posting.id,
               Application.decision == Decision.RETAINED.value,
               Application.withdrawn_at.is_(None))
        .options(joinedload(Application.candidate))
        .order_by(Application.id)
    ))
    day = format_day(start_day)
    if not retained:
        return [Planned(ReminderRule.START_DATE, due, who,
                        _("A recruited candidate starts on %(day)s.", day=day),
                        _("Only once a candidate is retained."))]
    return [Planned(ReminderRule.START_DATE, due, who,
                    _("%(candidate)s starts on %(day)s.", candidate=candidate_label(a), day=day))
            for a in retained]


# --- History ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    id: int
    rule: str
    label: str
    due_at: datetime
    created_at: datetime
    recipient: str
    status: str  # a key of STATUS_LABELS
    status_label: str
    about: str = ""  # the candidate, for a reminder about an application or an interview
    note: str = ""
    sent_at: datetime | None = None
    digest: bool = False  # went (or goes) out in a daily digest


def history_select(posting: Posting):
    """The offer's Reminder rows, newest first: its own and its applications' and
    interviews' (whatever object the rule filed them under)."""
    application_ids = sa.select(Application.id).where(Application.posting_id == posting.id)
    interview_ids = sa.select(Interview.id).where(Interview.application_id.in_(
        application_ids))
    return (
        sa.select(Reminder)
        .where(Reminder.organisation_id == posting.organisation_id,
               sa.or_(Reminder.posting_id == posting.id,
                      Reminder.application_id.in_(application_ids),
                      Reminder.interview_id.in_(interview_ids)))
        .options(joinedload(Reminder.user))
        .order_by(Reminder.due_at.desc(), Reminder.id.desc())
    )


def history(posting: Posting, reminders: Sequence[Reminder] | None = None) -> list[HistoryRow]:
    """``reminders`` (a page of ``history_select``), or all of them, described for the page;
    a candidate's name, address and phone stay hidden while the screening is anonymous."""
    if reminders is None:
        reminders = list(db.session.scalars(history_select(posting)))
    messages = _messages({r.message_id for r in reminders if r.message_id is not None})
    applications = _applications(reminders)
    return [_row(reminder, messages.get(reminder.message_id), applications.get(reminder.id))
            for reminder in reminders]


def _messages(ids: set[int]) -> dict[int, tuple[str, datetime | None]]:
    if not ids:
        return {}
    return {row.id: (row.status, row.sent_at) for row in db.session.execute(
        sa.select(Message.id, Message.status, Message.sent_at).where(Message.id.in_(ids)))}


def _applications(reminders: Sequence[Reminder]) -> dict[int, Application]:
    """The application each reminder is about (directly or through its interview)."""
    interview_ids = {r.interview_id for r in reminders if r.interview_id is not None}
    via_interview = dict(db.session.execute(
        sa.select(Interview.id, Interview.application_id).where(Interview.id.in_(interview_ids))
    ).all()) if interview_ids else {}
    wanted = {r.id: r.application_id or via_interview.get(r.interview_id) for r in reminders}
    ids = {i for i in wanted.values() if i is not None}
    found = {a.id: a for a in db.session.scalars(
        sa.select(Application).where(Application.id.in_(ids))
        .options(joinedload(Application.candidate), joinedload(Application.posting))
    )} if ids else {}
    return {rid: found[aid] for rid, aid in wanted.items() if aid in found}


def _status(reminder: Reminder, message: tuple[str, datetime | None] | None
            ) -> tuple[str, datetime | None]:
    if reminder.status == ReminderStatus.QUEUED:
        return (message[0], message[1]) if message else (ReminderStatus.QUEUED.value, None)
    if reminder.status == ReminderStatus.DIGESTED and message:
        return ReminderStatus.DIGESTED.value, message[1]
    return reminder.status, None


def _recipient(reminder: Reminder, application: Application | None) -> str:
    if reminder.user is not None:
        return reminder.user.display_name
    address = reminder.recipient
    if application is not None and address.strip().lower() == (
            application.candidate.email or "").strip().lower():
        return _("The candidate (%(label)s)", label=candidate_label(application))
    return address


def _row(reminder: Reminder, message, application: Application | None) -> HistoryRow:
    status, sent_at = _status(reminder, message)
    label = STATUS_LABELS.get(status, status)
    note = note_text(reminder.note or "")
    if application is not None and note and is_masked(application):
        note = mask_text(note, application)
    return HistoryRow(
        id=reminder.id, rule=reminder.rule, label=rule_label(reminder.rule),
        due_at=reminder.due_at, created_at=reminder.created_at,
        recipient=_recipient(reminder, application), status=status, status_label=str(label),
        about=candidate_label(application) if application is not None else "",
        note=note, sent_at=sent_at,
        digest=reminder.status in (ReminderStatus.DIGEST, ReminderStatus.DIGESTED),
    )


__all__ = ["HistoryRow", "Planned", "history", "history_select", "planned", "rule_label"]
