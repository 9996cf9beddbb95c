"""Scorecards: an offer's reviewers, its criteria and review settings, reviews and comments.

The math, in one place:

- a review's ``score`` is the weighted mean of the criteria it scored (1..5), each weighted by
  the criterion's ``weight`` (1..10); criteria left unscored do not count; no criterion
  scored gives no score (None);
- an application's ``score`` is the plain mean of its reviews' scores (reviews without a score
  do not count) and ``review_count`` the number of its reviews, whatever they scored.

Both are rounded to two decimals and computed *in SQL* by ``recompute_scores``, for one review
or for a whole offer (a weight changed, a criterion deleted): three statements, whatever the
number of applications and criteria. Services add and flush; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Membership, User
from tracker.applications.models import Application
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.postings.models import Posting
from tracker.review import anonymity
from tracker.review.models import (
    SCORE_MAX,
    SCORE_MIN,
    WEIGHT_MAX,
    WEIGHT_MIN,
    Comment,
    Criterion,
    PostingReviewer,
    Recommendation,
    Review,
    ReviewScore,
    Stage,
    StageKind,
)

REVIEW_ACTION = "application.review"
REVIEW_EDIT_ACTION = "application.review_edit"
COMMENT_ACTION = "application.comment"
COMMENT_DELETE_ACTION = "comment.delete"  # object_type "application", as the others
REVIEWER_ADD_ACTION = "posting.reviewer_add"
REVIEWER_REMOVE_ACTION = "posting.reviewer_remove"
SETTINGS_ACTION = "posting.review_settings"
CRITERIA_ACTION = "posting.criteria"

NAME_MAX = 120
COMMENT_MAX = 10_000
# Control characters (but tab and line breaks) are dropped from what people type: they mean
# nothing in a note, and PostgreSQL refuses NUL outright.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """Typed text as stored: control characters dropped, Windows line ends made plain."""
    return _CONTROLS.sub("", (value or "").replace("\r\n", "\n")).strip()


class ScoringError(Exception):
    """A refused change; ``str(error)`` is a translated message for the user."""


# --- The math ------------------------------------------------------------------------------


def _review_score_expression():
    """Correlated subquery: the weighted mean of one review's scores, rounded to 2 decimals."""
    weighted = sa.func.sum(ReviewScore.score * Criterion.weight)
    # "* 1.0" makes the division decimal on both SQLite (real) and PostgreSQL (numeric).
    mean = weighted * sa.literal_column("1.0") / sa.func.sum(Criterion.weight)
    return (
        sa.select(sa.func.round(mean, 2))
        .select_from(ReviewScore)
        .join(Criterion, Criterion.id == ReviewScore.criterion_id)
        .where(ReviewScore.review_id == Review.id)
        .scalar_subquery()
    )


def recompute_scores(*, posting_id: int | None = None, application_id: int | None = None,
                     review_id: int | None = None) -> None:
    """Recompute review scores, then the applications' score and review_count, in SQL.

    ``review_id`` and ``application_id``: one review and its application (a review saved);
    ``posting_id``: every review and application of an offer (weights or criteria changed).
    """
    db.session.flush()
    if posting_id is not None:
        applications = sa.select(Application.id).where(Application.posting_id == posting_id)
        review_filter = Review.application_id.in_(applications)
        application_filter = Application.posting_id == posting_id
    else:
        review_filter = Review.id == review_id if review_id is not None else sa.false()
        application_filter = Application.id == application_id
    db.session.execute(
        sa.update(Review).where(review_filter).values(score=_review_score_expression()),
        execution_options={"synchronize_session": False},
    )
    mean = (sa.select(sa.func.round(sa.func.avg(Review.score), 2))
            .where(Review.application_id == Application.id).scalar_subquery())
    count = (sa.select(sa.func.count(Review.id))
             .where(Review.application_id == Application.id).scalar_subquery())
    db.session.execute(
        sa.update(Application).where(application_filter).values(score=mean, review_count=count),
        execution_options={"synchronize_session": False},
    )
    # The ORM objects in the session hold the old values: read them again when next used.
    db.session.expire_all()


# --- Reading -------------------------------------------------------------------------------


def criteria(posting: Posting | int) -> list[Criterion]:
    posting_id = posting if isinstance(posting, int) else posting.id
    return list(db.session.scalars(
        sa.select(Criterion).where(Criterion.posting_id == posting_id)
        .order_by(Criterion.position, Criterion.id)
    ))


def application_reviews(application: Application) -> list[Review]:
    """Every review of the application, oldest first, with scores and reviewers loaded."""
    return list(db.session.scalars(
        sa.select(Review).where(Review.application_id == application.id)
        .options(selectinload(Review.scores), joinedload(Review.reviewer))
        .order_by(Review.created_at, Review.id)
    ).unique())


def review_of(application: Application, user_id: int) -> Review | None:
    return db.session.scalar(
        sa.select(Review).where(Review.application_id == application.id,
                                Review.reviewer_id == user_id)
        .options(selectinload(Review.scores))
    )


def others_hidden(posting: Posting, my_review: Review | None | bool) -> bool:
    """Whether the others' reviews are hidden from me (the offer's setting, my review not given).

    ``my_review`` is my review (or None), or just whether I gave one. The score of the
    application (the mean of the reviews) is hidden by the same rule, wherever it is shown;
    ``hidden_applications`` applies it to many applications, ``dashboard`` in SQL.
    """
    given = my_review if isinstance(my_review, bool) else my_review is not None
    return bool(posting.reviews_hidden_until_own) and not given


def hidden_applications(posting: Posting, user_id: int | None,
                        application_ids: Iterable[int]) -> set[int]:
    """The ids, among ``application_ids``, whose reviews and score ``user_id`` may not see yet."""
    ids = set(application_ids)
    if not posting.reviews_hidden_until_own or not ids:
        return set()
    reviewed = set(db.session.scalars(
        sa.select(Review.application_id).where(Review.application_id.in_(ids),
                                               Review.reviewer_id == user_id)
    )) if user_id is not None else set()
    return {i for i in ids if others_hidden(posting, i in reviewed)}


def review_refusal(application: Application) -> str | None:
    """Why the application cannot be reviewed now, or None when it can."""
    if application.withdrawn_at is not None or application.stage.kind == StageKind.WITHDRAWN:
        return _("The candidate has withdrawn this application: it can no longer be reviewed.")
    return None


def comments(application: Application) -> list[Comment]:
    """The application's comments, newest last."""
    return list(db.session.scalars(
        sa.select(Comment).where(Comment.application_id == application.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ))


def comment_of(application: Application, comment_id: int) -> Comment | None:
    return db.session.scalar(
        sa.select(Comment).where(Comment.id == comment_id,
                                 Comment.application_id == application.id)
    )


# --- Reviews -------------------------------------------------------------------------------


def save_review(
    application: Application,
    reviewer: User,
    *,
    scores: Mapping[int, int | None],
    recommendation: str,
    comment: str = "",
) -> Review:
    """Create or update ``reviewer``'s review of ``application``; raises ScoringError.

    ``scores`` maps criterion ids of the offer to 1..5, or None for "not scored"; other ids
    are ignored. Recomputes the review's and the application's scores and writes the event.
    """
    refusal = review_refusal(application)
    if refusal:
        raise ScoringError(refusal)
    try:
        recommendation = Recommendation(recommendation).value
    except ValueError:
        raise ScoringError(_("Choose a recommendation: yes, maybe or no.")) from None
    # FOR UPDATE (PostgreSQL; SQLite writes one at a time): two first submissions at once
    # are serialised, the second finds the first one's review and updates it.
    db.session.execute(sa.select(Application.id).where(Application.id == application.id)
                       .with_for_update())
    review = review_of(application, reviewer.id)
    created = review is None
    if review is None:
        review = Review(application_id=application.id, reviewer_id=reviewer.id)
        db.session.add(review)
    review.recommendation = recommendation
    review.comment = clean_text(comment)[:COMMENT_MAX]
    _set_scores(review, application.posting_id, scores)
    db.session.flush()
    recompute_scores(review_id=review.id, application_id=application.id)
    record_event(organisation_id=application.organisation_id, actor=reviewer,
                 action=REVIEW_ACTION if created else REVIEW_EDIT_ACTION,
                 object_type="application", object_id=application.id, review_id=review.id)
    return review


def _set_scores(review: Review, posting_id: int, scores: Mapping[int, int | None]) -> None:
    known = {c.id for c in criteria(posting_id)}
    wanted = {
        criterion_id: int(value) for criterion_id, value in scores.items()
        if criterion_id in known and value is not None and SCORE_MIN <= int(value) <= SCORE_MAX
    }
    for row in list(review.scores):
        if row.criterion_id in wanted:
            row.score = wanted.pop(row.criterion_id)
        else:
            review.scores.remove(row)
    for criterion_id, value in sorted(wanted.items()):
        review.scores.append(ReviewScore(criterion_id=criterion_id, score=value))


# --- Comments ------------------------------------------------------------------------------


def add_comment(application: Application, author: User, body: str) -> Comment:
    body = clean_text(body)
    if not body:
        raise ScoringError(_("Write something before adding a comment."))
    if len(body) > COMMENT_MAX:
        raise ScoringError(_("A comment holds at most %(count)s characters.", count=COMMENT_MAX))
    comment = Comment(application_id=application.id, author_id=author.id, body=body,
                      created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    record_event(organisation_id=application.organisation_id, actor=author,
                 action=COMMENT_ACTION, object_type="application", object_id=application.id,
                 comment_id=comment.id)
    return comment


def can_delete_comment(comment: Comment, membership: Membership) -> bool:
    return membership.is_admin or comment.author_id == membership.user_id


def delete_comment(comment: Comment, application: Application, actor: User) -> None:
    record_event(organisation_id=application.organisation_id, actor=actor,
                 action=COMMENT_DELETE_ACTION, object_type="application",
                 object_id=application.id, comment_id=comment.id,
                 author_id=comment.author_id)
    db.session.delete(comment)
    db.session.flush()


# --- Reviewers of an offer -----------------------------------------------------------------


@dataclass
class ReviewerRow:
    user: User
    role: str
    review_count: int


def reviewer_rows(posting: Posting) -> list[ReviewerRow]:
    """The offer's active reviewers, by name, with their role and how many reviews they gave."""
    given = (
        sa.select(sa.func.count(Review.id))
        .join(Application, Application.id == Review.application_id)
        .where(Application.posting_id == posting.id, Review.reviewer_id == User.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(User, Membership.role, given)
        .join(PostingReviewer, PostingReviewer.user_id == User.id)
        .join(Membership, sa.and_(Membership.user_id == User.id,
                                  Membership.organisation_id == posting.organisation_id))
        .where(PostingReviewer.posting_id == posting.id, PostingReviewer.active.is_(True))
        .order_by(User.name, User.email)
    )
    return [ReviewerRow(user, role, count or 0) for user, role, count in rows]


def addable_members(posting: Posting) -> list[User]:
    """Members of the organisation who are not active reviewers of the offer, by name."""
    active = sa.select(PostingReviewer.user_id).where(PostingReviewer.posting_id == posting.id,
                                                      PostingReviewer.active.is_(True))
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == posting.organisation_id, User.id.not_in(active))
        .order_by(User.name, User.email)
    ))


def _member(posting: Posting, user_id: int) -> User | None:
    return db.session.scalar(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, Membership.organisation_id == posting.organisation_id)
    )


def _reviewer_row(posting: Posting, user_id: int) -> PostingReviewer | None:
    return db.session.scalar(
        sa.select(PostingReviewer).where(PostingReviewer.posting_id == posting.id,
                                         PostingReviewer.user_id == user_id)
    )


def add_reviewer(posting: Posting, user_id: int, *, actor: User | None) -> User:
    """Make a member of the organisation an active reviewer (again); raises ScoringError."""
    user = _member(posting, user_id)
    if user is None:
        raise ScoringError(_("Choose a member of the organisation."))
    row = _reviewer_row(posting, user.id)
    if row is not None and row.active:
        raise ScoringError(_("%(name)s already reviews this offer.", name=user.display_name))
    if row is None:
        db.session.add(PostingReviewer(posting_id=posting.id, user_id=user.id))
    else:
        row.active = True
    db.session.flush()
    record_event(organisation_id=posting.organisation_id, actor=actor,
                 action=REVIEWER_ADD_ACTION, object_type="posting", object_id=posting.id,
                 user_id=user.id, name=user.display_name)
    return user


def remove_reviewer(posting: Posting, user_id: int, *, actor: User | None) -> User:
    """Stop a member reviewing the offer (their reviews stay); raises ScoringError."""
    row = _reviewer_row(posting, user_id)
    user = _member(posting, user_id) if row is not None and row.active else None
    if user is None:
        raise ScoringError(_("This member does not review this offer."))
    row.active = False
    db.session.flush()
    record_event(organisation_id=posting.organisation_id, actor=actor,
                 action=REVIEWER_REMOVE_ACTION, object_type="posting", object_id=posting.id,
                 user_id=user.id, name=user.display_name)
    return user


# --- Review settings and criteria ----------------------------------------------------------


def open_stages(organisation_id: int) -> list[Stage]:
    return list(db.session.scalars(
        sa.select(Stage).where(Stage.organisation_id == organisation_id,
                               Stage.kind == StageKind.OPEN)
        .order_by(Stage.position, Stage.id)
    ))


def reveal_stage(posting: Posting, stages: list[Stage]) -> Stage | None:
    """The stage that reveals identities on this offer (its choice, else "interview")."""
    chosen = next((s for s in stages if s.id == posting.reveal_stage_id), None)
    return chosen or next((s for s in stages if s.key == "interview"), None)


def update_settings(posting: Posting, *, actor: User | None, anonymised: bool,
                    reveal_stage_id: int | None, reviews_hidden_until_own: bool) -> list[str]:
    """Save the offer's review settings; returns the names of the fields changed."""
    stages = open_stages(posting.organisation_id)
    if reveal_stage_id is not None and reveal_stage_id not in {s.id for s in stages}:
        raise ScoringError(_("Choose one of the stages of the pipeline."))
    values = {"anonymised": bool(anonymised), "reveal_stage_id": reveal_stage_id,
              "reviews_hidden_until_own": bool(reviews_hidden_until_own)}
    changed = [name for name, value in values.items() if getattr(posting, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(posting, name, values[name])
    db.session.flush()
    record_event(organisation_id=posting.organisation_id, actor=actor, action=SETTINGS_ACTION,
                 object_type="posting", object_id=posting.id, fields=changed)
    if posting.anonymised and ("anonymised" in changed or "reveal_stage_id" in changed):
        reveal_past_stage(posting, actor=actor)
    return changed


def reveal_past_stage(posting: Posting, *, actor: User | None) -> int:
    """Reveal the applications already at or past the reveal stage (settings just changed).

    An identity once shown cannot be hidden again, so nothing is ever masked back.
    """
    from tracker.review.stages import REVEAL_ACTION, pipeline

    stages = pipeline(posting.organisation_id)
    revealing = [s.id for s in stages if anonymity.reveals(posting, s, stages)]
    if not revealing:
        return 0
    found = list(db.session.scalars(
        sa.select(Application).where(Application.posting_id == posting.id,
                                     Application.revealed_at.is_(None),
                                     Application.stage_id.in_(revealing))
    ))
    now = utcnow()
    for application in found:
        application.revealed_at = now
        record_event(organisation_id=posting.organisation_id, actor=actor,
                     action=REVEAL_ACTION, object_type="application", object_id=application.id,
                     reason="settings")
    return len(found)


@dataclass
class CriterionInput:
    """One row of the criteria form: an existing criterion's id, its new name, weight, rank."""

    id: int
    name: str
    weight: int
    rank: int | None = None


def _check_criterion(name: str, weight: int) -> None:
    if not clean_text(name):
        raise ScoringError(_("Every criterion needs a name."))
    if len(clean_text(name)) > NAME_MAX:
        raise ScoringError(_("A criterion's name holds at most %(count)s characters.",
                             count=NAME_MAX))
    if not WEIGHT_MIN <= weight <= WEIGHT_MAX:
        raise ScoringError(_("A weight is a whole number from %(low)s to %(high)s.",
                             low=WEIGHT_MIN, high=WEIGHT_MAX))


def update_criteria(posting: Posting, rows: Iterable[CriterionInput], *,
                    actor: User | None) -> bool:
    """Rename, reweigh and reorder the offer's criteria; returns whether anything changed.

    Rows name criteria by id (others are ignored). The order follows ``rank`` (rows without
    one keep their place); scores are recomputed when a weight changed.
    """
    current = criteria(posting)
    by_id = {c.id: c for c in current}
    rows = [row for row in rows if row.id in by_id]
    for row in rows:
        _check_criterion(row.name, row.weight)
    before = [(c.id, c.name, c.weight) for c in current]
    weights_changed = False
    for row in rows:
        criterion = by_id[row.id]
        weights_changed |= criterion.weight != row.weight
        criterion.name, criterion.weight = clean_text(row.name), row.weight
    ranks = {row.id: row.rank for row in rows if row.rank is not None}
    ordered = sorted(current, key=lambda c: (ranks.get(c.id, c.position + 1), c.position, c.id))
    for position, criterion in enumerate(ordered):
        criterion.position = position
    after = [(c.id, c.name, c.weight) for c in ordered]
    if after == before:
        return False
    db.session.flush()
    if weights_changed:
        recompute_scores(posting_id=posting.id)
    record_event(organisation_id=posting.organisation_id, actor=actor, action=CRITERIA_ACTION,
                 object_type="posting", object_id=posting.id, change="edit",
                 criteria=[{"name": name, "weight": weight} for _id, name, weight in after])
    return True


def add_criterion(posting: Posting, *, name: str, weight: int, actor: User | None) -> Criterion:
    _check_criterion(name, weight)
    last = db.session.scalar(
        sa.select(sa.func.max(Criterion.position)).where(Criterion.posting_id == posting.id))
    criterion = Criterion(posting_id=posting.id, name=clean_text(name), weight=weight,
                          position=(last + 1) if last is not None else 0)
    db.session.add(criterion)
    db.session.flush()
    record_event(organisation_id=posting.organisation_id, actor=actor, action=CRITERIA_ACTION,
                 object_type="posting", object_id=posting.id, change="add",
                 name=criterion.name, weight=criterion.weight)
    return criterion


def criterion_of(posting: Posting, criterion_id: int) -> Criterion | None:
    return db.session.scalar(
        sa.select(Criterion).where(Criterion.id == criterion_id,
                                   Criterion.posting_id == posting.id))


def score_count(criterion: Criterion) -> int:
    """How many reviews scored this criterion."""
    return db.session.scalar(
        sa.select(sa.func.count(ReviewScore.id)).where(ReviewScore.criterion_id == criterion.id)
    ) or 0


def delete_criterion(posting: Posting, criterion: Criterion, *, actor: User | None) -> int:
    """Delete a criterion and its scores, recompute the offer's scores; returns scores deleted."""
    deleted = score_count(criterion)
    db.session.execute(sa.delete(ReviewScore).where(ReviewScore.criterion_id == criterion.id),
                       execution_options={"synchronize_session": False})
    record_event(organisation_id=posting.organisation_id, actor=actor, action=CRITERIA_ACTION,
                 object_type="posting", object_id=posting.id, change="delete",
                 name=criterion.name, scores_deleted=deleted)
    db.session.delete(criterion)
    db.session.flush()
    remaining = criteria(posting)
    for position, item in enumerate(remaining):
        item.position = position
    if deleted:
        recompute_scores(posting_id=posting.id)
    return deleted
