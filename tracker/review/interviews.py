"""Interviews: schedule, reschedule, cancel; each change tells the people concerned.

Times are typed in the organisation's time zone (a day and a clock time), stored in UTC. Each
change queues PENDING emails (the person scheduling chose to send them): one to the candidate
(interview.invitation / interview.update / interview.cancellation) and one to each reviewer
taking part (interview.reviewer, with ``what``), each with an ``invitation.ics`` that calendars
file under the interview's stable UID. While the candidate's identity is hidden, reviewers'
emails and calendar entries name the candidate by reference only.

Scheduling does not move the application's stage: the lead does, when they choose.
Functions add to the session, audit on the application and flush; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.accounts.models import User
from tracker.applications.models import Application
from tracker.applications.privacy import backoffice_link
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.i18n.formatting import format_clock, format_day
from tracker.mail.models import Message
from tracker.mail.services import (
    FileAttachment,
    address_of,
    default_sender,
    mail_domain,
    queue_message,
)
from tracker.mail.templates import candidate_context, normalise_locale, render_email
from tracker.review import anonymity, ics
from tracker.review.access import reviewers
from tracker.review.answers import clean_text
from tracker.review.models import Interview, InterviewParticipant, InterviewStatus

DURATION_MIN, DURATION_MAX = 5, 600
INVITATION, UPDATE, CANCELLATION = "invitation", "update", "cancellation"
CANDIDATE_KINDS = {
    INVITATION: "interview.invitation",
    UPDATE: "interview.update",
    CANCELLATION: "interview.cancellation",
}
REVIEWER_KIND = "interview.reviewer"


class InterviewError(Exception):
    """A refused change; ``str(error)`` is a translated message for the user."""


@dataclass
class Details:
    """What the form gives: the start in UTC and the rest."""

    starts_at: datetime
    duration: int = 45
    place: str = ""
    video_url: str = ""
    note: str = ""
    participants: list[User] = field(default_factory=list)


# --- Time ---------------------------------------------------------------------------------------


def local_to_utc(day: date, clock: time, timezone: str) -> datetime:
    """The UTC instant of ``day`` at ``clock`` in ``timezone``; refuses a time that does not
    exist (the hour skipped when clocks go forward). An ambiguous time (clocks go back) is
    taken as the first of the two."""
    zone = ZoneInfo(timezone)
    naive = datetime.combine(day, clock.replace(second=0, microsecond=0))
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise InterviewError(_(
            "%(time)s does not exist on %(day)s: the clocks go forward that night. Choose "
            "another time.", time=format_clock(naive), day=format_day(day)))
    return aware.astimezone(UTC)


def in_zone(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone))


def day_text(local: datetime, locale: str | None = None) -> str:
    """Friday, March 29, 2030 / vendredi 29 mars 2030 (the weekday avoids mistakes)."""
    from babel.dates import format_date

    loc = locale or str(get_locale() or "fr")
    weekday = format_date(local.date(), "EEEE", locale=loc)
    separator = " " if loc.startswith("fr") else ", "
    return f"{weekday}{separator}{format_day(local, loc)}"


# --- Checks -------------------------------------------------------------------------------------


def check(application: Application, details: Details, *, now: datetime | None = None) -> None:
    if application.withdrawn_at is not None:
        raise InterviewError(_("The candidate withdrew this application: no interview can be "
                               "scheduled."))
    if details.starts_at <= (now or utcnow()):
        raise InterviewError(_("This time is in the past. Choose a time to come."))
    if not DURATION_MIN <= int(details.duration) <= DURATION_MAX:
        raise InterviewError(_("The duration must be between %(min)s and %(max)s minutes.",
                               min=DURATION_MIN, max=DURATION_MAX))
    if details.video_url:
        parts = urlsplit(details.video_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InterviewError(_("The video call link must start with https://."))
    allowed = {u.id for u in reviewers(application.posting)}
    if any(user.id not in allowed for user in details.participants):
        raise InterviewError(_("Only the offer's reviewers can take part."))


# --- Services -----------------------------------------------------------------------------------


def schedule(application: Application, details: Details, *, actor: User | None) -> Interview:
    check(application, details)
    interview = Interview(
        organisation_id=application.organisation_id, application_id=application.id,
        status=InterviewStatus.SCHEDULED, uid=f"interview-{uuid.uuid4()}@{mail_domain()}",
        sequence=0, created_by_id=actor.id if actor is not None else None,
    )
    _apply(interview, details)
    db.session.add(interview)
    db.session.flush()
    _audit(interview, application, "interview.schedule", actor)
    _tell(interview, application, INVITATION, details.participants)
    db.session.flush()
    return interview


def reschedule(interview: Interview, details: Details, *, actor: User | None) -> Interview:
    """Change the interview (sequence + 1); tells the candidate and every reviewer concerned:
    those who stay get the update, new ones the invitation, removed ones the cancellation."""
    if interview.status != InterviewStatus.SCHEDULED:
        raise InterviewError(_("This interview was cancelled: schedule a new one instead."))
    application = db.session.get(Application, interview.application_id)
    check(application, details)
    before = {p.user_id: p.user for p in interview.participants}
    after = {u.id: u for u in details.participants}
    interview.sequence += 1
    _apply(interview, details)
    db.session.flush()
    _audit(interview, application, "interview.reschedule", actor)
    _tell_candidate(interview, application, UPDATE)
    stay = [u for uid, u in after.items() if uid in before]
    new = [u for uid, u in after.items() if uid not in before]
    gone = [u for uid, u in before.items() if uid not in after]
    for users, what in ((stay, UPDATE), (new, INVITATION)):
        for user in users:
            _tell_reviewer(interview, application, user, what)
    for user in gone:
        _tell_reviewer(interview, application, user, CANCELLATION, cancelled=True)
    db.session.flush()
    return interview


def cancel(interview: Interview, *, actor: User | None) -> Interview:
    if interview.status != InterviewStatus.SCHEDULED:
        raise InterviewError(_("This interview is already cancelled."))
    application = db.session.get(Application, interview.application_id)
    interview.status = InterviewStatus.CANCELLED
    interview.sequence += 1
    db.session.flush()
    _audit(interview, application, "interview.cancel", actor)
    _tell(interview, application, CANCELLATION, [p.user for p in interview.participants])
    db.session.flush()
    return interview


def _apply(interview: Interview, details: Details) -> None:
    interview.starts_at = details.starts_at
    interview.duration_minutes = int(details.duration)
    interview.place = clean_text(details.place).strip()
    interview.video_url = clean_text(details.video_url).strip()
    interview.note = clean_text(details.note).strip()
    wanted = {u.id for u in details.participants}
    interview.participants = [p for p in interview.participants if p.user_id in wanted]
    kept = {p.user_id for p in interview.participants}
    for user in details.participants:
        if user.id not in kept:
            interview.participants.append(InterviewParticipant(user_id=user.id, user=user))


def _audit(interview: Interview, application: Application, action: str, actor) -> None:
    record_event(organisation_id=application.organisation_id, actor=actor, action=action,
                 object_type="application", object_id=application.id,
                 interview_id=interview.id, starts_at=interview.starts_at.isoformat(),
                 sequence=interview.sequence)


# --- Emails ---------------------------------------------------------------------------------------


def _tell(interview, application, what: str, participants: list[User]) -> None:
    _tell_candidate(interview, application, what)
    for user in participants:
        _tell_reviewer(interview, application, user, what)


def _duration_text(minutes: int) -> str:
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def _when_values(interview: Interview, timezone: str, locale: str) -> dict[str, str]:
    local = in_zone(interview.starts_at, timezone)
    return {
        "interview_day": day_text(local, locale),
        "interview_time": format_clock(local, locale),
        "interview_duration": _duration_text(interview.duration_minutes),
        "interview_place": interview.place,
        "interview_video_url": interview.video_url,
        "interview_note": interview.note,
    }


def organizer(organisation) -> ics.Person:
    name, address = default_sender()
    return ics.Person(organisation.name or name, address_of(organisation.email or "") or address)


def _attachment(interview: Interview, *, summary: str, description: str,
                attendees: list[ics.Person], organisation, cancelled: bool) -> FileAttachment:
    content = ics.build(ics.Invitation(
        uid=interview.uid, sequence=interview.sequence, starts_at=interview.starts_at,
        ends_at=interview.ends_at, summary=summary, description=description,
        location=interview.place, url=interview.video_url, organizer=organizer(organisation),
        attendees=attendees, cancelled=cancelled,
    ))
    return FileAttachment(ics.FILENAME, ics.media_type(ics.CANCEL if cancelled else ics.REQUEST),
                          content)


def _tell_candidate(interview: Interview, application: Application, what: str) -> Message | None:
    organisation, posting, candidate = (application.organisation, application.posting,
                                        application.candidate)
    locale = normalise_locale(application.locale)
    kind = CANDIDATE_KINDS[what]
    cancelled = interview.status == InterviewStatus.CANCELLED
    with force_locale(locale):
        context = {
            **candidate_context(application),
            **_when_values(interview, organisation.timezone, locale),
        }
        rendered = render_email(organisation, kind, locale, context)
        summary = _("Interview: %(title)s – %(organisation)s", title=posting.title,
                    organisation=organisation.name)
        attachment = _attachment(
            interview, summary=summary, description=interview.note,
            attendees=[ics.Person(candidate.display_name, candidate.email)],
            organisation=organisation, cancelled=cancelled)
    try:
        return queue_message(
            organisation=organisation, kind=kind, recipients=[candidate.email],
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            reply_to=organisation.email or "", posting=posting, application=application,
            locale=locale, attachments=[attachment],
        )
    except ValueError:  # an address the outbox refuses: the interview still stands
        return None


def _tell_reviewer(interview: Interview, application: Application, user: User, what: str, *,
                   cancelled: bool | None = None) -> Message | None:
    organisation, posting = application.organisation, application.posting
    locale = normalise_locale(user.locale or organisation.locale)
    if cancelled is None:
        cancelled = interview.status == InterviewStatus.CANCELLED
    masked = anonymity.is_masked(application)
    with force_locale(locale):
        label = anonymity.candidate_label(application)
        people = [p.user for p in interview.participants]
        context = {
            "what": what,
            "candidate_name": label,
            "reference": application.reference,
            "posting_title": posting.title,
            "organisation_name": organisation.name,
            **_when_values(interview, organisation.timezone, locale),
            "interview_note": anonymity.mask_text(interview.note, application),
            "participants": "\n".join(f"- {p.display_name}" for p in people),
            "backoffice_link": backoffice_link(application),
        }
        rendered = render_email(organisation, REVIEWER_KIND, locale, context)
        attendees = [ics.Person(p.display_name, p.email) for p in people]
        if not masked:
            attendees.insert(0, ics.Person(application.candidate.display_name,
                                           application.candidate.email))
        attachment = _attachment(
            interview, summary=_("Interview: %(name)s – %(title)s", name=label,
                                 title=posting.title),
            description=context["backoffice_link"], attendees=attendees,
            organisation=organisation, cancelled=cancelled)
    try:
        return queue_message(
            organisation=organisation, kind=REVIEWER_KIND, recipients=[user.email],
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            posting=posting, application=application, locale=locale, attachments=[attachment],
        )
    except ValueError:
        return None


# --- Reading ------------------------------------------------------------------------------------


def interviews_of(application: Application) -> list[Interview]:
    return list(db.session.scalars(
        sa.select(Interview).where(Interview.application_id == application.id,
                                   Interview.organisation_id == application.organisation_id)
        .order_by(Interview.starts_at)
    ))


def default_start(timezone: str, now: datetime | None = None) -> datetime:
    """A suggestion for the form: tomorrow at 10:00, local time."""
    local = in_zone(now or utcnow(), timezone) + timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)
