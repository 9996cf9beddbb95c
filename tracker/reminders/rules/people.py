"""Rules about people's days: an interview tomorrow (to the reviewers taking part, and to the
candidate if the organisation wants it), a recruited candidate's start date approaching (off by
default). The daily digest is in tracker.reminders.digest.

Both rules read a bounded slice of the database: the interviews starting within the next two
days (index ``ix_interview_status_starts``), the offers whose start day falls within the
notice of the organisations that turned the start-date reminder on, then the retained
applications of those offers only. What the emails say is read once, here, into plain values:
the engine may commit between two Dues without the closures reading expired objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Membership, Organisation, User
from tracker.applications.models import Application
from tracker.applications.privacy import backoffice_link
from tracker.db import db
from tracker.i18n.formatting import format_clock
from tracker.mail.templates import normalise_locale
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders import recipients
from tracker.reminders.core import Due, PassContext, Recipient, reminder_key
from tracker.reminders.models import NotificationKind, ReminderRule, ReminderSettings
from tracker.reminders.schedule import at_local, days_before, iso, local_day, zone
from tracker.review import anonymity
from tracker.review.interviews import day_text
from tracker.review.models import Decision, Interview, InterviewStatus

# An interview is reminded from the send hour of the day before; the furthest start that can
# be due now is less than two days away (plus an hour when clocks go back in between).
INTERVIEW_WINDOW = timedelta(days=2, hours=2)
CANDIDATE_TEMPLATE = "reminder.interview_tomorrow_candidate"
REVIEWER_TEMPLATE = "reminder.interview_tomorrow"
START_TEMPLATE = "reminder.start_date"


@dataclass(frozen=True)
class Person:
    """The candidate as the back office may name them, read once."""

    reference: str
    display_name: str
    masked: bool

    @classmethod
    def of(cls, application: Application) -> Person:
        return cls(application.reference, application.candidate.display_name,
                   anonymity.is_masked(application))

    def label(self) -> str:
        """``anonymity.candidate_label`` in the current locale."""
        if self.masked:
            return _("Candidate %(reference)s", reference=self.reference)
        return self.display_name


def _localised(function: Callable[[str], object]) -> Callable[[str], object]:
    """``function(locale)`` run under ``force_locale(locale)``."""
    def run(locale: str):
        with force_locale(normalise_locale(locale)):
            return function(normalise_locale(locale))
    return run


# --- Interview tomorrow ---------------------------------------------------------------------


def interview_tomorrow(context: PassContext) -> list[Due]:
    """Scheduled interviews whose reminder is due: from ``send_hour`` on the local day before
    until they start, if they were scheduled (or last changed) before that moment."""
    now = context.now
    interviews = list(db.session.scalars(
        sa.select(Interview).where(
            Interview.status == InterviewStatus.SCHEDULED,
            Interview.starts_at > now, Interview.starts_at <= now + INTERVIEW_WINDOW,
        ).options(selectinload(Interview.participants)).order_by(Interview.starts_at,
                                                                 Interview.id)
    ))
    if not interviews:
        return []
    context.load_settings({i.organisation_id for i in interviews})
    applications = _applications([i.application_id for i in interviews])
    members = _members(interviews)
    dues: list[Due] = []
    for interview in interviews:
        application = applications.get(interview.application_id)
        settings = context.settings(interview.organisation_id)
        if application is None or application.withdrawn_at is not None:
            continue
        if not settings.interview_enabled:
            continue
        due_at = days_before(interview.starts_at, 1, settings.send_hour,
                             zone(application.organisation.timezone))
        if not (due_at <= now < interview.starts_at) or interview.updated_at > due_at:
            continue
        people = sorted((members[key] for key in ((p.user_id, interview.organisation_id)
                                                  for p in interview.participants)
                         if key in members), key=lambda r: r.user_id)
        dues.extend(_interview_dues(interview, application, settings, due_at, people))
    return dues


def _members(interviews: list[Interview]) -> dict[tuple[int, int], Recipient]:
    """(user id, organisation id) -> Recipient, for the participants still active members of
    the interview's organisation (one query for all)."""
    user_ids = {p.user_id for i in interviews for p in i.participants}
    organisation_ids = {i.organisation_id for i in interviews}
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User, Organisation)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(User.id.in_(sorted(user_ids)), User.active.is_(True),
               Membership.organisation_id.in_(sorted(organisation_ids)))
        .order_by(User.id)
    ).all()
    return {(user.id, org.id): recipients.user_recipient(user, org) for user, org in rows}


def _applications(ids) -> dict[int, Application]:
    found = db.session.scalars(
        sa.select(Application).where(Application.id.in_(sorted(set(ids)))).options(
            joinedload(Application.candidate), joinedload(Application.organisation),
            joinedload(Application.posting),
        )
    )
    return {application.id: application for application in found}


def _interview_dues(interview: Interview, application: Application, settings: ReminderSettings,
                    due_at: datetime, people: list[Recipient]) -> list[Due]:
    organisation = application.organisation
    key = reminder_key(ReminderRule.INTERVIEW_TOMORROW, "interview", interview.id, due_at,
                       iso(interview.starts_at))
    facts = _interview_facts(interview, application)
    common = dict(rule=ReminderRule.INTERVIEW_TOMORROW, organisation=organisation,
                  due_at=due_at, posting_id=application.posting_id,
                  application_id=application.id, interview_id=interview.id,
                  detail={"starts_at": interview.starts_at.isoformat(),
                          "reference": application.reference})
    dues = []
    if people:
        dues.append(Due(
            notification=NotificationKind.INTERVIEW_TOMORROW, key=key, recipients=people,
            template_kind=REVIEWER_TEMPLATE, context=_localised(facts.reviewer_context),
            digest_line=_localised(facts.digest_line), **common,
        ))
    if settings.interview_to_candidate and application.candidate.email:
        candidate = Recipient(address=application.candidate.email,
                              name=application.candidate.display_name,
                              locale=normalise_locale(application.locale))
        dues.append(Due(
            notification=None, key=f"{key}:candidate", recipients=[candidate],
            template_kind=CANDIDATE_TEMPLATE, context=_localised(facts.candidate_context),
            reply_to=organisation.email or "", footer=False, **common,
        ))
    return dues


@dataclass(frozen=True)
class InterviewFacts:
    """What the interview reminders say, read once."""

    starts_local: datetime
    duration: int
    place: str
    video_url: str
    note: str
    person: Person
    first_name: str
    last_name: str
    posting_title: str
    organisation_name: str
    link: str

    def _when(self, locale: str) -> dict[str, str]:
        return {
            "interview_day": day_text(self.starts_local, locale),
            "interview_time": format_clock(self.starts_local, locale),
            "interview_duration": ngettext("%(num)d minute", "%(num)d minutes",
                                           self.duration),
            "interview_place": self.place,
            "interview_video_url": self.video_url,
        }

    def reviewer_context(self, locale: str) -> dict[str, str]:
        return {
            "candidate_name": self.person.label(),
            "reference": self.person.reference,
            "posting_title": self.posting_title,
            "organisation_name": self.organisation_name,
            "backoffice_link": self.link,
            **self._when(locale),
        }

    def candidate_context(self, locale: str) -> dict[str, str]:
        return {
            "candidate_first_name": self.first_name,
            "candidate_last_name": self.last_name,
            "reference": self.person.reference,
            "posting_title": self.posting_title,
            "organisation_name": self.organisation_name,
            "interview_note": self.note,
            **self._when(locale),
        }

    def digest_line(self, locale: str) -> str:
        # By reference: a digest covers several applications (see reminders.digest).
        return _("Interview, application %(reference)s (%(title)s): %(day)s at %(time)s",
                 reference=self.person.reference, title=self.posting_title,
                 day=day_text(self.starts_local, locale),
                 time=format_clock(self.starts_local, locale))


def _interview_facts(interview: Interview, application: Application) -> InterviewFacts:
    organisation = application.organisation
    candidate = application.candidate
    person = Person.of(application)
    return InterviewFacts(
        starts_local=interview.starts_at.astimezone(zone(organisation.timezone)),
        duration=interview.duration_minutes, place=interview.place,
        video_url=interview.video_url, note=interview.note,
        person=person, first_name=candidate.first_name, last_name=candidate.last_name,
        posting_title=application.posting.title, organisation_name=organisation.name,
        link=backoffice_link(application),
    )


# --- Start date ------------------------------------------------------------------------------


def start_day(posting: Posting) -> date | None:
    """The day a recruit starts: the contract's first day, else the start window's first."""
    return posting.contract_start or posting.start_earliest


def start_date(context: PassContext) -> list[Due]:
    """Retained candidates of offers starting soon, for the organisations that want it: due at
    ``send_hour`` ``start_days`` local days before the start day, until the day begins."""
    now = context.now
    organisations = _start_enabled(context)
    if not organisations:
        return []
    postings = _starting_postings(context, organisations)
    if not postings:
        return []
    retained = db.session.scalars(
        sa.select(Application).where(
            Application.posting_id.in_(sorted(postings)),
            Application.decision == Decision.RETAINED, Application.withdrawn_at.is_(None),
        ).options(joinedload(Application.candidate)).order_by(Application.id)
    )
    dues = []
    for application in retained:
        posting = postings[application.posting_id]
        settings = context.settings(posting.organisation_id)
        tz = zone(posting.organisation.timezone)
        day = start_day(posting)
        due_at = at_local(day - timedelta(days=settings.start_days), settings.send_hour, tz)
        if due_at <= now < at_local(day, 0, tz):
            due = _start_due(application, posting, day, due_at)
            if due.recipients:
                dues.append(due)
    return dues


def _start_enabled(context: PassContext) -> dict[int, ReminderSettings]:
    """The organisations that turned the start-date reminder on (off without a settings row)."""
    rows = db.session.scalars(
        sa.select(ReminderSettings).where(ReminderSettings.start_enabled.is_(True))
    )
    enabled = {row.organisation_id: row for row in rows}
    context.load_settings(enabled)
    return {org_id: context.settings(org_id) for org_id in enabled}


def _starting_postings(context: PassContext, organisations: dict[int, ReminderSettings]
                       ) -> dict[int, Posting]:
    """The offers of these organisations whose start day is due now: a window of days wide
    enough for every time zone, then each offer judged in its own."""
    today = context.now.date()
    notice = max(settings.start_days for settings in organisations.values())
    first = sa.func.coalesce(Posting.contract_start, Posting.start_earliest)
    found = db.session.scalars(
        sa.select(Posting).where(
            Posting.organisation_id.in_(sorted(organisations)),
            Posting.status != PostingStatus.DRAFT,
            first >= today - timedelta(days=1), first <= today + timedelta(days=notice + 1),
        ).options(joinedload(Posting.organisation), recipients.contacts_loader())
    )
    result = {}
    for posting in found:
        day = start_day(posting)
        tz = zone(posting.organisation.timezone)
        if day is not None and local_day(context.now, tz) < day:
            result[posting.id] = posting
    return result


def _start_due(application: Application, posting: Posting, day: date, due_at: datetime) -> Due:
    organisation = posting.organisation
    person = Person.of(application)
    title, link = posting.title, backoffice_link(application)

    def values(locale: str) -> dict[str, str]:
        return {"candidate_name": person.label(), "reference": person.reference,
                "posting_title": title, "organisation_name": organisation.name,
                "start_day": _day_with_weekday(day, locale), "backoffice_link": link}

    def line(locale: str) -> str:
        # By reference: a digest covers several applications (see reminders.digest).
        return _("Candidate %(reference)s starts on %(day)s (%(title)s)",
                 reference=person.reference, day=_day_with_weekday(day, locale), title=title)

    return Due(
        rule=ReminderRule.START_DATE, notification=NotificationKind.START_DATE,
        organisation=organisation,
        key=reminder_key(ReminderRule.START_DATE, "application", application.id, due_at),
        due_at=due_at, recipients=recipients.contacts(posting), template_kind=START_TEMPLATE,
        context=_localised(values), digest_line=_localised(line), posting_id=posting.id,
        application_id=application.id,
        detail={"start_day": day.isoformat(), "reference": application.reference},
    )


def _day_with_weekday(day: date, locale: str) -> str:
    return day_text(datetime.combine(day, datetime.min.time()), locale)

