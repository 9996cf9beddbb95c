"""A season's worth of data in bulk, for the pass's index test and ``make bench``.

``populate(offers, applications, now=...)`` inserts with Core (no services, no ORM events):
organisations with their default pipeline (made by the factories), an admin and two hiring
leads each, and ``offers`` offers spread over the reminder rules' cases:

- ``future``: published, deadline 8 to 60 days ahead (nothing due yet);
- ``soon``: published, deadline within the next 7 days (deadline approaching);
- ``expired``: published, deadline passed 1 hour to 20 days ago (the pass closes them; the
  closing summary for those within 14 days);
- ``closed``: closed 1 to 60 days ago (reviews pending, unanswered candidates);
- ``filled``: filled 1 to 60 days ago;
- ``old``: closed 70 to 400 days ago (every series over), every candidate answered;
- ``archived`` (closed long ago too, every candidate answered).

``mix`` gives the share of each (``BENCH_MIX``: a busy instance; ``QUIET_MIX``: most offers
waiting, so that a test runs each rule without queuing hundreds of emails). Each offer has a
lead as 'to' contact, an outside person as 'cc', both leads as reviewers; applications are
spread over the offers (received, shortlisted, rejected and answered, withdrawn), a third of
them reviewed by the first lead. A few interviews tomorrow, a recruit starting next week, the
start-date rule on, and a lead taking reviews reminders in a digest make every rule and the
digest read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Role
from tracker.applications.models import Application, Candidate
from tracker.db import db, utcnow
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus
from tracker.reminders.models import NotificationPreference, ReminderSettings
from tracker.review.models import (
    Interview,
    InterviewParticipant,
    PostingReviewer,
    Review,
    Stage,
)

# A busy instance: many offers open, closing or recently closed; a third long closed.
BENCH_MIX = {"future": 20, "soon": 8, "expired": 8, "closed": 15, "filled": 4, "old": 35,
             "archived": 10}
# Years of use: most offers long closed, every candidate answered.
QUIET_MIX = {"future": 15, "soon": 2, "expired": 2, "closed": 3, "filled": 1, "old": 65,
             "archived": 12}
FINISHED_AFTER = timedelta(days=65)  # offers closed longer ago have answered everyone


@dataclass
class Built:
    organisations: int
    offers: int
    applications: int
    reviews: int
    by_case: dict[str, int]


def _cases(offers: int, mix: dict[str, int]) -> list[str]:
    total = sum(mix.values())
    cases = []
    for case, share in mix.items():
        cases += [case] * (offers * share // total)
    cases += ["future"] * (offers - len(cases))
    return cases


def _offer_dates(case: str, now: datetime, rng: random.Random) -> dict:
    """status, published_at, deadline, closed_at of one offer of ``case``."""
    day = timedelta(days=1)
    published = now - rng.randint(20, 60) * day
    if case == "future":
        return dict(status=PostingStatus.PUBLISHED, published_at=published,
                    deadline=now + rng.uniform(8, 60) * day, closed_at=None)
    if case == "soon":
        return dict(status=PostingStatus.PUBLISHED, published_at=published,
                    deadline=now + rng.uniform(0.05, 7) * day, closed_at=None)
    if case == "expired":
        return dict(status=PostingStatus.PUBLISHED, published_at=published - 20 * day,
                    deadline=now - rng.uniform(1 / 24, 20) * day, closed_at=None)
    if case in ("closed", "filled"):
        closed = now - rng.uniform(1, 60) * day
        status = PostingStatus.CLOSED if case == "closed" else PostingStatus.FILLED
        return dict(status=status, published_at=closed - 40 * day, deadline=closed,
                    closed_at=closed)
    closed = now - rng.uniform(70, 400) * day
    status = PostingStatus.CLOSED if case == "old" else PostingStatus.ARCHIVED
    return dict(status=status, published_at=closed - 40 * day, deadline=closed,
                closed_at=closed)


def _insert(model, rows: list[dict], chunk: int = 5000) -> None:
    """Core executemany on the table (the ORM's bulk path splits rows into many statements)."""
    for start in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model.__table__), rows[start:start + chunk])


def _organisations(n: int):
    """Organisations (factories: default pipeline), an admin and two leads each."""
    result = []
    for _ in range(n):
        org = factories.organisation()
        admin = factories.user(org, Role.ADMIN)
        leads = [factories.user(org, Role.LEAD) for _ in range(2)]
        template = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        stages = {s.key: s.id for s in db.session.scalars(
            sa.select(Stage).where(Stage.organisation_id == org.id))}
        result.append((org, admin, leads, template, stages))
    db.session.flush()
    return result


def _posting_rows(orgs, cases, now, rng) -> list[dict]:
    columns = [c for c in Posting.__table__.columns if c.name != "id"]
    templates = {}
    for org, _admin, _leads, template, _stages in orgs:
        row = db.session.execute(sa.select(*columns).where(Posting.id == template.id)).one()
        templates[org.id] = row._asdict()
    rows = []
    for i, case in enumerate(cases):
        org = orgs[i % len(orgs)][0]
        row = dict(templates[org.id])
        row.update(_offer_dates(case, now, rng), slug=f"offre-{i}", title=f"Offre {i}",
                   reference=f"BULK-{i}", subject_line=f"Candidature offre {i}",
                   created_at=now, updated_at=now)
        rows.append(row)
    return rows


def _application_rows(postings, orgs_by_id, candidates: list[int], now, rng):
    """Applications spread over the offers (not drafts); returns (rows, reviewed indexes)."""
    rows = []
    day = timedelta(days=1)
    for i, candidate_id in enumerate(candidates):
        posting_id, org_id, deadline, closed_at = postings[rng.randrange(len(postings))]
        finished = closed_at is not None and closed_at < now - FINISHED_AFTER
        stages = orgs_by_id[org_id][4]
        submitted = min(now, deadline) - rng.uniform(0, 20) * day
        row = dict(organisation_id=org_id, posting_id=posting_id, candidate_id=candidate_id,
                   reference=f"B{i:07d}", channel="form", locale="fr", link_key=f"k{i}",
                   submitted_at=submitted, last_submitted_at=submitted, consent_at=submitted,
                   retain_until=now + 700 * day, stage_id=stages["received"],
                   stage_changed_at=submitted, decision=None, decided_at=None,
                   decision_reason="", answered_at=None, withdrawn_at=None, review_count=0,
                   score=None, created_at=submitted, updated_at=submitted)
        kind = i % 10
        if kind == 0:
            row.update(stage_id=stages["rejected"], decision="not_retained", decided_at=now,
                       decision_reason="profile", answered_at=now)
        elif kind == 1:
            row.update(stage_id=stages["withdrawn"], decision="withdrawn", decided_at=now,
                       withdrawn_at=now)
        elif finished:
            row.update(stage_id=stages["rejected"], decision="not_retained", decided_at=now,
                       decision_reason="profile", answered_at=closed_at + 10 * day)
        elif kind in (2, 3):
            row.update(stage_id=stages["shortlisted"])
        if i % 3 == 0:
            row.update(review_count=1, score=3.5)
        rows.append(row)
    return rows


def populate(offers: int, applications: int, *, now: datetime | None = None,
             organisations: int = 10, mix: dict[str, int] | None = None,
             seed: int = 5) -> Built:
    """Insert the data (inside an app context) and commit; see the module's docstring."""
    now = now or utcnow()
    rng = random.Random(seed)
    orgs = _organisations(organisations)
    orgs_by_id = {entry[0].id: entry for entry in orgs}
    cases = _cases(offers, mix or BENCH_MIX)
    _insert(Posting, _posting_rows(orgs, cases, now, rng))
    # The factories' offers were only models for the copies.
    db.session.execute(sa.delete(Posting).where(Posting.id.in_([o[3].id for o in orgs])))
    db.session.expunge_all()
    postings = db.session.execute(
        sa.select(Posting.id, Posting.organisation_id, Posting.deadline, Posting.closed_at)
        .where(Posting.reference.like("BULK-%")).order_by(Posting.id)).all()

    contacts, reviewers = [], []
    for posting_id, org_id, _deadline, _closed_at in postings:
        leads = orgs_by_id[org_id][2]
        contacts += [dict(posting_id=posting_id, user_id=leads[0].id, name=leads[0].name,
                          email="", role=ContactRole.TO.value, position=0),
                     dict(posting_id=posting_id, user_id=None, name="Inès Moreau",
                          email=f"rh{org_id}@example.org", role=ContactRole.CC.value,
                          position=1)]
        reviewers += [dict(posting_id=posting_id, user_id=lead.id, active=True,
                           created_at=now) for lead in leads]
    _insert(PostingContact, contacts)
    _insert(PostingReviewer, reviewers)

    _insert(Candidate, [dict(organisation_id=orgs[i % len(orgs)][0].id, first_name="Camille",
                             last_name=f"Nom{i:06d}", email=f"c{i}@example.com",
                             phone="", created_at=now, updated_at=now)
                        for i in range(applications)])
    candidates = db.session.execute(
        sa.select(Candidate.id, Candidate.organisation_id)
        .where(Candidate.email.like("c%@example.com")).order_by(Candidate.id)).all()
    by_org: dict[int, list] = {}
    for posting in postings:
        by_org.setdefault(posting.organisation_id, []).append(tuple(posting))
    rows = []
    for org_id, org_postings in by_org.items():
        mine = [c.id for c in candidates if c.organisation_id == org_id]
        rows += _application_rows(org_postings, orgs_by_id, mine, now, rng)
    for index, row in enumerate(rows):
        row["reference"] = f"B{index:07d}"
    _insert(Application, rows)
    reviewed = db.session.execute(
        sa.select(Application.id, Application.organisation_id)
        .where(Application.review_count == 1, Application.reference.like("B%"))).all()
    _insert(Review, [dict(application_id=a.id, reviewer_id=orgs_by_id[a.organisation_id][2][0].id,
                          recommendation="yes", comment="", score=3.5, created_at=now,
                          updated_at=now) for a in reviewed])
    _extras(orgs, now)
    db.session.commit()
    counts: dict[str, int] = {}
    for case in cases:
        counts[case] = counts.get(case, 0) + 1
    return Built(len(orgs), len(postings), len(rows), len(reviewed), counts)


def _extras(orgs, now: datetime) -> None:
    """Interviews tomorrow, a recruit starting next week with the start-date rule on, a lead
    who takes reviews reminders in a digest: so that every rule has something to read."""
    org, _admin, leads, _template, stages = orgs[0]
    db.session.add(ReminderSettings(organisation_id=org.id, start_enabled=True))
    db.session.add(NotificationPreference(user_id=leads[1].id, kind="reviews_pending",
                                          mode="digest"))
    applications = db.session.execute(
        sa.select(Application.id).join(Posting, Posting.id == Application.posting_id)
        .where(Application.organisation_id == org.id, Application.decision.is_(None),
               Posting.status == PostingStatus.CLOSED)
        .order_by(Application.id).limit(4)).scalars().all()
    for n, application_id in enumerate(applications[:3]):
        interview = Interview(organisation_id=org.id, application_id=application_id,
                              starts_at=now + timedelta(hours=30 + n), place="Salle 2",
                              uid=f"bulk-{application_id}@example.org", created_by_id=leads[0].id,
                              created_at=now - timedelta(days=3),
                              updated_at=now - timedelta(days=3))
        interview.participants = [InterviewParticipant(user_id=lead.id) for lead in leads]
        db.session.add(interview)
    if len(applications) > 3:
        recruit = db.session.get(Application, applications[3])
        recruit.stage_id = stages["hired"]
        recruit.decision, recruit.decided_at = "retained", now
        posting = db.session.get(Posting, recruit.posting_id)
        posting.contract_start = (now + timedelta(days=5)).date()
    db.session.flush()

