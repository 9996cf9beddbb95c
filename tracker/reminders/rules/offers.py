"""Rules about offers: deadline approaching, closing summary, reviews pending, unanswered
candidates.

Each rule reads a bounded slice of the database: the candidate offers come from the indexes
(status, deadline) and (status, closed_at) within a window computed from the largest offsets
of every organisation's settings; the reminders already recorded for them are read in one query
per rule *before* anything is counted, so a pass where everything has gone out counts nothing;
counts are grouped queries over the remaining offers only (the application index on
posting_id). The unanswered reminder repeats "while any remain", without an end: the offers it
reads are those closed recently and those whose series is alive (``series_alive``), never every
offer closed over the years. What the emails say is read here into plain values: the engine
commits between two Dues, and the closures must not read expired objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from tracker.accounts.models import Membership, Role, User
from tracker.applications.models import Application
from tracker.db import db
from tracker.i18n.formatting import format_day, local_time
from tracker.postings.display import deadline_text
from tracker.postings.models import Posting, PostingStatus
from tracker.reminders import recipients as people
from tracker.reminders.core import Due, PassContext, Recipient, recipient_key, reminder_key
from tracker.reminders.models import NotificationKind, Reminder, ReminderRule, ReminderSettings
from tracker.reminders.preferences import default_settings
from tracker.reminders.schedule import days_after, days_before, latest_due, local_day, zone
from tracker.review.dashboard import VIEW_TO_REVIEW, to_review_clause, unanswered_clause
from tracker.review.models import PostingReviewer, Review, Stage, StageKind

CLOSED_STATUSES = (PostingStatus.CLOSED, PostingStatus.FILLED)
LIST_MAX = 20  # applications listed in a reviews-pending reminder
DAY = timedelta(days=1)
# How long a series of "while any remain" reminders is looked at without news: see
# ``series_alive``.
SERIES_CATCH_UP = timedelta(days=28)
# Local days and send hours shift moments by up to a day (and an hour at DST changes) from
# whole UTC days: windows are widened by this much on each side.
MARGIN = timedelta(days=2)


# --- What the emails need, read once -------------------------------------------------------


@dataclass(frozen=True)
class OrganisationFacts:
    id: int
    name: str
    slug: str
    timezone: str
    email: str


@dataclass(frozen=True)
class OfferFacts:
    """An offer's values the emails use (and enough of a Posting for ``deadline_text``)."""

    id: int
    title: str
    deadline: datetime
    organisation: OrganisationFacts
    answer_promise: bool

    @classmethod
    def of(cls, posting: Posting) -> OfferFacts:
        org = posting.organisation
        return cls(posting.id, posting.title, posting.deadline,
                   OrganisationFacts(org.id, org.name, org.slug, org.timezone, org.email or ""),
                   bool(posting.answer_promise))


def list_link(offer: OfferFacts, **args) -> str:
    """The offer's application list in the back office (absolute)."""
    return url_for("applications_admin.index", org_slug=offer.organisation.slug,
                   posting_id=offer.id, _external=True, **args)


def answers_link(offer: OfferFacts) -> str:
    """The offer's answers page in the back office (absolute)."""
    return url_for("answers.drafts", org_slug=offer.organisation.slug, posting_id=offer.id,
                   _external=True)


def applications_text(count: int) -> str:
    """'12 applications' / '12 candidatures' (current locale)."""
    return ngettext("%(num)d application", "%(num)d applications", count)


def time_left(days: int) -> str:
    """How long until the deadline in local days: 'today', 'tomorrow', 'in 7 days'."""
    if days <= 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return ngettext("in %(num)d day", "in %(num)d days", days)


# --- Shared reads ---------------------------------------------------------------------------------


def all_settings() -> list[ReminderSettings]:
    """Every organisation's stored settings, and the defaults (for the windows' bounds)."""
    return [*db.session.scalars(sa.select(ReminderSettings)), default_settings(0)]


def candidate_postings(*where, contacts: bool = True) -> list[Posting]:
    """Offers matching ``where`` with their organisation, and their contacts unless told not
    to (one query, three with the contacts)."""
    options = [joinedload(Posting.organisation)]
    if contacts:
        options.append(people.contacts_loader())
    return list(db.session.scalars(
        sa.select(Posting).where(*where).order_by(Posting.id).options(*options)
    ))


def recorded_keys(rule: ReminderRule, posting_ids: Iterable[int], since: datetime) -> set[str]:
    """Keys of the rule's reminders already recorded for these offers, due since ``since``
    (index (posting_id, due_at)): one query per rule, before anything is counted."""
    ids = sorted(set(posting_ids))
    if not ids:
        return set()
    return set(db.session.scalars(
        sa.select(Reminder.key).where(Reminder.posting_id.in_(ids), Reminder.due_at >= since,
                                      Reminder.rule == rule.value)
    ))


def recorded_moments(rule: ReminderRule, posting_ids: Iterable[int], since: datetime
                     ) -> dict[int, list[tuple[str, datetime]]]:
    """Per offer, (key, due_at) of the rule's reminders recorded since ``since`` (index
    (posting_id, due_at)): one query."""
    ids = sorted(set(posting_ids))
    result: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(Reminder.posting_id, Reminder.key, Reminder.due_at)
        .where(Reminder.posting_id.in_(ids), Reminder.due_at >= since,
               Reminder.rule == rule.value)
    )
    for posting_id, key, due_at in rows:
        result[posting_id].append((key, due_at))
    return result


def recent_reminder(rule: ReminderRule, since: datetime):
    """SQL: the offer has a reminder of ``rule`` due since ``since`` (index (posting_id,
    due_at))."""
    return sa.exists().where(Reminder.posting_id == Posting.id, Reminder.due_at >= since,
                             Reminder.rule == rule.value)


def missing(key: str, recipients: list[Recipient], recorded: set[str]) -> list[Recipient]:
    """The recipients not yet recorded for ``key``."""
    return [r for r in recipients if recipient_key(key, r) not in recorded]


def admins_by_organisation(organisations) -> dict[int, list[Recipient]]:
    """The active admins of each organisation (one query)."""
    by_id = {org.id: org for org in organisations}
    result: dict[int, list[Recipient]] = defaultdict(list)
    if not by_id:
        return result
    rows = db.session.execute(
        sa.select(Membership.organisation_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id.in_(sorted(by_id)), Membership.role == Role.ADMIN,
               User.active.is_(True))
        .order_by(User.id)
    )
    for org_id, user in rows:
        result[org_id].append(people.user_recipient(user, by_id[org_id]))
    return result


def application_counts(posting_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(applications not withdrawn, of which reviewed at least once) per offer: one grouped
    query over these offers only."""
    ids = sorted(set(posting_ids))
    if not ids:
        return {}
    reviewed = sa.func.sum(sa.case((Application.review_count > 0, 1), else_=0))
    rows = db.session.execute(
        sa.select(Application.posting_id, sa.func.count(Application.id), reviewed)
        .where(Application.posting_id.in_(ids), Application.withdrawn_at.is_(None))
        .group_by(Application.posting_id)
    )
    return {posting_id: (count, int(done or 0)) for posting_id, count, done in rows}


def _load(context: PassContext, postings: list[Posting]) -> None:
    context.load_settings({p.organisation_id for p in postings})


# --- Deadline approaching -------------------------------------------------------------------------


def deadline_reminder(posting: Posting, settings: ReminderSettings, now: datetime
                      ) -> tuple[int, datetime] | None:
    """(d, due) of the "d days left" reminder due now, or None.

    For each d of ``deadline_days`` the reminder is due at the send hour of the local day d days
    before the deadline's; it is eligible when ``published_at <= due <= now < deadline``. Of the
    eligible ones only the smallest d counts: after a downtime, no "7 days left" once "1 day
    left" is due.
    """
    if not settings.deadline_enabled or posting.deadline is None or posting.published_at is None:
        return None
    tz = zone(posting.organisation.timezone)
    eligible = []
    for d in sorted({int(d) for d in settings.deadline_days or [] if int(d) >= 0}):
        due = days_before(posting.deadline, d, settings.send_hour, tz)
        if posting.published_at <= due <= now < posting.deadline:
            eligible.append((d, due))
    return min(eligible) if eligible else None


def deadline_approaching(context: PassContext) -> list[Due]:
    """"d days left" to the offer's admins and to/cc contacts, with the applications so far."""
    now = context.now
    furthest = max((max([int(d) for d in s.deadline_days or []] or [0])
                    for s in all_settings() if s.deadline_enabled), default=None)
    if furthest is None:
        return []
    postings = candidate_postings(Posting.status == PostingStatus.PUBLISHED,
                                  Posting.deadline > now,
                                  Posting.deadline <= now + furthest * DAY + MARGIN)
    _load(context, postings)
    planned = []
    for posting in postings:
        found = deadline_reminder(posting, context.settings(posting.organisation_id), now)
        if found is not None:
            planned.append((posting, *found))
    if not planned:
        return []
    recorded = recorded_keys(ReminderRule.DEADLINE_APPROACHING, [p.id for p, _d, _due in planned],
                             min(due for _p, _d, due in planned))
    admins = admins_by_organisation({p.organisation for p, _d, _due in planned})
    pending = []
    for posting, d, due in planned:
        key = reminder_key(ReminderRule.DEADLINE_APPROACHING, "posting", posting.id, due, f"d{d}")
        to = people.unique([*admins[posting.organisation_id], *people.contacts(posting)])
        if missing(key, to, recorded):
            pending.append((posting, d, due, key, to))
    counts = application_counts(p.id for p, *_rest in pending)
    return [_deadline_due(posting, d, due, key, to, counts.get(posting.id, (0, 0))[0], now)
            for posting, d, due, key, to in pending]


def _deadline_due(posting: Posting, d: int, due: datetime, key: str, to: list[Recipient],
                  count: int, now: datetime) -> Due:
    offer = OfferFacts.of(posting)
    tz = zone(offer.organisation.timezone)
    days = (local_day(offer.deadline, tz) - local_day(now, tz)).days

    def context(locale: str) -> dict[str, str]:
        return {"posting_title": offer.title, "organisation_name": offer.organisation.name,
                "deadline": deadline_text(offer, locale), "time_left": time_left(days),
                "application_count": str(count), "backoffice_link": list_link(offer)}

    def digest_line(locale: str) -> str:
        return _("%(title)s: deadline %(when)s (%(applications)s)", title=offer.title,
                 when=time_left(days), applications=applications_text(count))

    return Due(rule=ReminderRule.DEADLINE_APPROACHING,
               notification=NotificationKind.DEADLINE_APPROACHING,
               organisation=posting.organisation, key=key, due_at=due, recipients=to,
               template_kind="reminder.deadline_approaching", context=context,
               digest_line=digest_line, posting_id=offer.id,
               detail={"title": offer.title, "days": d, "days_left": days,
                       "applications": count},
               reply_to=offer.organisation.email)


# --- Closing summary ------------------------------------------------------------------------------


def closing_summary(posting: Posting, context: PassContext) -> Due | None:
    """The Due of the closing summary of ``posting``, closed by the pass at its deadline: to
    its to/cc contacts (mandatory: "never" reads "each time"), with the applications received,
    reviewed and not reviewed. None when the offer has nobody to tell."""
    to = people.contacts(posting)
    if not to:
        return None
    offer = OfferFacts.of(posting)
    total, reviewed = application_counts([posting.id]).get(posting.id, (0, 0))
    unreviewed = total - reviewed

    def values(locale: str) -> dict[str, str]:
        return {"posting_title": offer.title, "organisation_name": offer.organisation.name,
                "deadline": deadline_text(offer, locale), "application_count": str(total),
                "reviewed_count": str(reviewed), "unreviewed_count": str(unreviewed),
                "backoffice_link": list_link(offer)}

    def digest_line(locale: str) -> str:
        return _("%(title)s: closed with %(applications)s, %(unreviewed)s not reviewed",
                 title=offer.title, applications=applications_text(total),
                 unreviewed=unreviewed)

    return Due(rule=ReminderRule.DEADLINE_REACHED, notification=NotificationKind.DEADLINE_REACHED,
               organisation=posting.organisation,
               key=reminder_key(ReminderRule.DEADLINE_REACHED, "posting", posting.id,
                                posting.deadline),
               due_at=posting.deadline, recipients=to,
               template_kind="reminder.deadline_reached", context=values,
               digest_line=digest_line, posting_id=posting.id,
               detail={"title": offer.title, "applications": total, "reviewed": reviewed,
                       "unreviewed": unreviewed},
               reply_to=offer.organisation.email)


# --- After closing: reviews pending, unanswered ---------------------------------------------


def closed_postings(now: datetime, *, earliest: timedelta, latest: timedelta,
                    contacts: bool = True) -> list[Posting]:
    """Closed or filled offers closed between ``now - earliest`` and ``now - latest`` (index
    (status, closed_at))."""
    return candidate_postings(
        Posting.status.in_([s.value for s in CLOSED_STATUSES]), Posting.closed_at.is_not(None),
        Posting.closed_at >= now - earliest - MARGIN, Posting.closed_at <= now - latest + MARGIN,
        contacts=contacts)


def reviews_reminder(posting: Posting, settings: ReminderSettings, now: datetime
                     ) -> tuple[int, datetime] | None:
    """(n, due) of the reviews-pending reminder due now, or None.

    ``reviews_after_days`` local days after the closing day, then every ``reviews_repeat_days``,
    at most ``reviews_max``; after a downtime only the latest. The last one is not sent once the
    next would have been due (a series is not revived weeks later).
    """
    if not settings.reviews_enabled or posting.closed_at is None:
        return None
    tz = zone(posting.organisation.timezone)
    found = latest_due(posting.closed_at, after_days=settings.reviews_after_days,
                       repeat_days=settings.reviews_repeat_days, hour=settings.send_hour, tz=tz,
                       count=settings.reviews_max, now=now)
    if found is None:
        return None
    n, due = found
    if n >= settings.reviews_max and now >= days_after(due, settings.reviews_repeat_days,
                                                       settings.send_hour, tz):
        return None
    return found


def unanswered_reminder(posting: Posting, settings: ReminderSettings, now: datetime,
                        last_sent: datetime | None = None) -> tuple[int, datetime] | None:
    """(n, due) of the unanswered-candidates reminder due now, or None:
    ``unanswered_after_days`` local days after the closing day, then every
    ``unanswered_repeat_days`` while any candidate waits; after a downtime only the latest.

    The series is looked at while it lives (``series_alive``): ``last_sent`` is the due moment
    of the offer's latest unanswered reminder recorded since its closing (None: none yet).
    """
    if not settings.unanswered_enabled or posting.closed_at is None:
        return None
    tz = zone(posting.organisation.timezone)
    found = latest_due(posting.closed_at, after_days=settings.unanswered_after_days,
                       repeat_days=settings.unanswered_repeat_days, hour=settings.send_hour,
                       tz=tz, count=None, now=now)
    if found is None:
        return None
    first = days_after(posting.closed_at, settings.unanswered_after_days, settings.send_hour, tz)
    if not series_alive(first, last_sent, settings.unanswered_repeat_days, now):
        return None
    return found


def series_alive(first: datetime, last_sent: datetime | None, repeat_days: int,
                 now: datetime) -> bool:
    """Whether a repeated reminder "while any remain" is still looked at: during
    SERIES_CATCH_UP after its first moment, then as long as its last reminder is less than one
    repeat plus SERIES_CATCH_UP old. A series that found nothing to say (every candidate
    answered) thus ends, and the pass stops counting the applications of offers closed long
    ago; a downtime shorter than SERIES_CATCH_UP interrupts nothing."""
    if now < first + SERIES_CATCH_UP:
        return True
    return last_sent is not None and now < last_sent + repeat_days * DAY + SERIES_CATCH_UP


@dataclass(frozen=True)
class StageRef:
    """What ``to_review_clause`` reads of a stage (plain values, safe across commits)."""

    id: int
    kind: str


def stage_refs(organisation_ids: Iterable[int]) -> list[StageRef]:
    """The stages of these organisations (one query)."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return []
    return [StageRef(s.id, s.kind) for s in db.session.scalars(
        sa.select(Stage).where(Stage.organisation_id.in_(ids)))]


def active_reviewers(postings: list[Posting]) -> dict[int, list[tuple[int, User]]]:
    """Per offer, (PostingReviewer id, user) of its active reviewers who are active users and
    members of its organisation (one query)."""
    ids = [p.id for p in postings]
    result: dict[int, list[tuple[int, User]]] = defaultdict(list)
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(PostingReviewer.posting_id, PostingReviewer.id, User)
        .join(User, User.id == PostingReviewer.user_id)
        .join(Posting, Posting.id == PostingReviewer.posting_id)
        .join(Membership, sa.and_(Membership.user_id == User.id,
                                  Membership.organisation_id == Posting.organisation_id))
        .where(PostingReviewer.posting_id.in_(ids), PostingReviewer.active.is_(True),
               User.active.is_(True))
        .order_by(PostingReviewer.posting_id, User.id)
    )
    for posting_id, row_id, user in rows:
        result[posting_id].append((row_id, user))
    return result


def reviews_pending(context: PassContext) -> list[Due]:
    """Closed offers: each reviewer with applications still to review gets the list."""
    now = context.now
    enabled = [s for s in all_settings() if s.reviews_enabled]
    if not enabled:
        return []
    longest = max(s.reviews_after_days + s.reviews_repeat_days * s.reviews_max for s in enabled)
    shortest = min(s.reviews_after_days for s in enabled)
    postings = closed_postings(now, earliest=longest * DAY, latest=shortest * DAY,
                               contacts=False)
    _load(context, postings)
    planned = []
    for posting in postings:
        found = reviews_reminder(posting, context.settings(posting.organisation_id), now)
        if found is not None:
            planned.append((posting, *found))
    if not planned:
        return []
    recorded = recorded_keys(ReminderRule.REVIEWS_PENDING, [p.id for p, _n, _due in planned],
                             min(due for _p, _n, due in planned))
    reviewers = active_reviewers([p for p, _n, _due in planned])
    pending = []  # (posting, n, due, key, recipient, PostingReviewer id)
    for posting, n, due in planned:
        key = reminder_key(ReminderRule.REVIEWS_PENDING, "posting", posting.id, due, f"n{n}")
        for row_id, user in reviewers.get(posting.id, []):
            recipient = people.user_recipient(user, posting.organisation)
            if missing(key, [recipient], recorded):
                pending.append((posting, n, due, key, recipient, row_id))
    stages = stage_refs({p.organisation_id for p, *_rest in pending})
    counts = to_review_counts({row_id: p.id for p, *_rest, row_id in pending}, stages)
    dues = []
    for posting, n, due, key, recipient, row_id in pending:
        count = counts.get(row_id, 0)
        if count:
            dues.append(_reviews_due(posting, n, due, key, recipient, count, stages))
    return dues


def to_review_counts(reviewers: dict[int, int], stages: list[StageRef]) -> dict[int, int]:
    """For each PostingReviewer row (id -> its offer's id), how many applications of the offer
    its reviewer still has to review, in one grouped query over these offers only.

    The conditions are ``review.dashboard.to_review_clause``'s (no review of theirs, not
    withdrawn, in an open stage; a test holds them equal), the stage one applied to the
    groups rather than in the WHERE clause: a list of open stages there lets the planner read
    "every application in an open stage" through the stage index instead of the offers'
    applications through the posting index.
    """
    if not reviewers:
        return {}
    open_ids = {s.id for s in stages if s.kind == StageKind.OPEN}
    not_reviewed = ~sa.exists().where(Review.application_id == Application.id,
                                      Review.reviewer_id == PostingReviewer.user_id)
    rows = db.session.execute(
        sa.select(PostingReviewer.id, Application.stage_id, sa.func.count(Application.id))
        .join(Application, Application.posting_id == PostingReviewer.posting_id)
        .where(PostingReviewer.id.in_(sorted(reviewers)),
               Application.posting_id.in_(sorted(set(reviewers.values()))),
               Application.withdrawn_at.is_(None), not_reviewed)
        .group_by(PostingReviewer.id, Application.stage_id)
    )
    counts: dict[int, int] = defaultdict(int)
    for row_id, stage_id, count in rows:
        if stage_id in open_ids:
            counts[row_id] += count
    return dict(counts)


def to_review_lines(posting_id: int, user_id: int, stages: list[StageRef], count: int) -> str:
    """'- VAC-26-7K3QX, received March 3', at most LIST_MAX, then 'and N more'. By reference
    only: one email lists several candidates, so erasing one could not take a name out of the
    outbox; the link leads to the names."""
    applications = db.session.scalars(
        sa.select(Application)
        .where(Application.posting_id == posting_id, to_review_clause(user_id, stages))
        .options(joinedload(Application.posting))
        .order_by(Application.submitted_at, Application.id).limit(LIST_MAX)
    ).all()
    lines = [_("- %(reference)s, received %(day)s", reference=a.reference,
               day=format_day(local_time(a.submitted_at, a.posting.organisation.timezone)))
             for a in applications]
    rest = count - len(applications)
    if rest > 0:
        lines.append(ngettext("- and %(num)d more", "- and %(num)d more", rest))
    return "\n".join(lines)


def _reviews_due(posting: Posting, n: int, due: datetime, key: str, recipient: Recipient,
                 count: int, stages: list[StageRef]) -> Due:
    offer = OfferFacts.of(posting)
    user_id = recipient.user_id

    def context(locale: str) -> dict[str, str]:
        return {"posting_title": offer.title, "organisation_name": offer.organisation.name,
                "unreviewed_count": str(count),
                "applications": to_review_lines(offer.id, user_id, stages, count),
                "reminder_number": str(n),
                "backoffice_link": list_link(offer, vue=VIEW_TO_REVIEW)}

    def digest_line(locale: str) -> str:
        return ngettext("%(title)s: %(num)d application to review",
                        "%(title)s: %(num)d applications to review", count, title=offer.title)

    return Due(rule=ReminderRule.REVIEWS_PENDING, notification=NotificationKind.REVIEWS_PENDING,
               organisation=posting.organisation, key=key, due_at=due, recipients=[recipient],
               template_kind="reminder.reviews_pending", context=context,
               digest_line=digest_line, posting_id=offer.id,
               detail={"title": offer.title, "number": n, "unreviewed": count},
               reply_to=offer.organisation.email)


def unanswered(context: PassContext) -> list[Due]:
    """Closed offers with candidates still waiting for an answer: to the to/cc contacts.

    The offers looked at are those closed recently enough for their series to begin, and those
    whose series is alive (a reminder recorded recently): ``series_alive``.
    """
    now = context.now
    enabled = [s for s in all_settings() if s.unanswered_enabled]
    if not enabled:
        return []
    shortest = min(s.unanswered_after_days for s in enabled)
    longest = max(s.unanswered_after_days for s in enabled)
    repeat = max(s.unanswered_repeat_days for s in enabled)
    since = now - repeat * DAY - SERIES_CATCH_UP - MARGIN
    postings = candidate_postings(
        Posting.status.in_([s.value for s in CLOSED_STATUSES]), Posting.closed_at.is_not(None),
        Posting.closed_at <= now - shortest * DAY + MARGIN,
        sa.or_(Posting.closed_at >= now - longest * DAY - SERIES_CATCH_UP - MARGIN,
               recent_reminder(ReminderRule.UNANSWERED, since)))
    if not postings:
        return []
    _load(context, postings)
    sent = recorded_moments(ReminderRule.UNANSWERED, [p.id for p in postings], since)
    planned = []
    for posting in postings:
        last = max((due for key, due in sent.get(posting.id, ()) if due > posting.closed_at),
                   default=None)
        found = unanswered_reminder(posting, context.settings(posting.organisation_id), now,
                                    last)
        if found is not None:
            planned.append((posting, *found))
    recorded = {key for moments in sent.values() for key, _due in moments}
    pending = []
    for posting, n, due in planned:
        key = reminder_key(ReminderRule.UNANSWERED, "posting", posting.id, due, f"n{n}")
        to = people.contacts(posting)
        if missing(key, to, recorded):
            pending.append((posting, n, due, key, to))
    counts = unanswered_counts(p.id for p, *_rest in pending)
    return [_unanswered_due(posting, n, due, key, to, counts[posting.id])
            for posting, n, due, key, to in pending if counts.get(posting.id)]


def unanswered_counts(posting_ids: Iterable[int]) -> dict[int, int]:
    """Candidates without an answer per offer (``unanswered_clause``): one grouped query."""
    ids = sorted(set(posting_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Application.posting_id, sa.func.count(Application.id))
        .where(Application.posting_id.in_(ids), unanswered_clause())
        .group_by(Application.posting_id)
    ).all())


def _unanswered_due(posting: Posting, n: int, due: datetime, key: str, to: list[Recipient],
                    count: int) -> Due:
    offer = OfferFacts.of(posting)

    def context(locale: str) -> dict[str, str]:
        return {"posting_title": offer.title, "organisation_name": offer.organisation.name,
                "unanswered_count": str(count),
                "answer_promise": "yes" if offer.answer_promise else "",
                "answers_link": answers_link(offer)}

    def digest_line(locale: str) -> str:
        return ngettext("%(title)s: %(num)d candidate without an answer",
                        "%(title)s: %(num)d candidates without an answer", count,
                        title=offer.title)

    return Due(rule=ReminderRule.UNANSWERED, notification=NotificationKind.UNANSWERED,
               organisation=posting.organisation, key=key, due_at=due, recipients=to,
               template_kind="reminder.unanswered", context=context, digest_line=digest_line,
               posting_id=offer.id,
               detail={"title": offer.title, "number": n, "unanswered": count,
                       "answer_promise": offer.answer_promise},
               reply_to=offer.organisation.email)


__all__ = ["CLOSED_STATUSES", "LIST_MAX", "OfferFacts", "closing_summary", "deadline_approaching",
           "deadline_reminder", "reviews_pending", "reviews_reminder", "time_left",
           "unanswered", "unanswered_reminder"]
