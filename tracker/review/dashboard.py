"""The offer dashboard: counts per stage, the filtered and sorted list, and its neighbours.

``ListParams.from_args(args, stages)`` reads the query string of the offer's application list
(every bad value is ignored, never an error); ``applications_query(posting, params, user_id,
stages)`` is the one SELECT behind the list and behind the previous / next links of the
application page, so both follow the same order. The number of statements never depends on
the number of applications: counts come from one grouped query, "my review done?" from one
query for the page's ids.

Anonymised offers: while an application is masked its name and email are neither searched
nor sorted on (a search for a name, or the order of a list sorted by name, would otherwise
tell who is behind a reference): masked applications match on their reference only and sort
by reference, after the revealed ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application, Candidate, Channel
from tracker.board.search import contains_folded, fold
from tracker.db import db
from tracker.review.access import reviewed_posting_ids
from tracker.postings.models import Posting
from tracker.review.models import SCORE_MAX, SCORE_MIN, Review, Stage, StageKind

SORTS = ("date", "score", "name")
# Query-string names (French URLs) -> values.
VIEW_TO_REVIEW = "a-evaluer"
VIEW_UNANSWERED = "sans-reponse"
VIEWS = (VIEW_TO_REVIEW, VIEW_UNANSWERED)
MINE_DONE = "fait"
MINE_TODO = "a-faire"
MINE_VALUES = (MINE_DONE, MINE_TODO)
QUERY_MAX_CHARS = 200
QUERY_MAX_WORDS = 8
# The parameters the list keeps in its links (to the application page and back).
PARAM_NAMES = ("q", "etape", "canal", "avis", "note_min", "note_max", "vue", "tri", "ordre")


@dataclass(frozen=True)
class ListParams:
    q: str = ""
    stage_id: int | None = None
    channel: str | None = None
    mine: str | None = None
    score_min: Decimal | None = None
    score_max: Decimal | None = None
    view: str | None = None
    sort: str = "date"
    descending: bool = True
    ignored: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str], stages: list[Stage]) -> ListParams:
        """The list's parameters from a query string; unknown or bad values are dropped."""
        sort = _choice(args.get("tri"), SORTS) or "date"
        order = _choice(args.get("ordre"), ("asc", "desc"))
        # Newest first and best first by default; names A to Z.
        descending = order == "desc" if order else sort != "name"
        stage_id = _int(args.get("etape"))
        if stage_id not in {s.id for s in stages}:
            stage_id = None
        score_min, score_max = _score(args.get("note_min")), _score(args.get("note_max"))
        if score_min is not None and score_max is not None and score_min > score_max:
            score_min, score_max = score_max, score_min
        return cls(
            q=_query_text(args.get("q")),
            stage_id=stage_id,
            channel=_choice(args.get("canal"), [c.value for c in Channel]),
            mine=_choice(args.get("avis"), MINE_VALUES),
            score_min=score_min,
            score_max=score_max,
            view=_choice(args.get("vue"), VIEWS),
            sort=sort,
            descending=descending,
        )

    def to_args(self, **changes) -> dict[str, str]:
        """The query string of these parameters (defaults left out), with ``changes`` applied."""
        params = replace(self, **changes) if changes else self
        default_descending = params.sort != "name"
        values = {
            "q": params.q,
            "etape": params.stage_id,
            "canal": params.channel,
            "avis": params.mine,
            "note_min": _plain(params.score_min),
            "note_max": _plain(params.score_max),
            "vue": params.view,
            "tri": params.sort if params.sort != "date" else None,
            "ordre": None if params.descending == default_descending
            else ("desc" if params.descending else "asc"),
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.stage_id or self.channel or self.mine or self.view
                    or self.score_min is not None or self.score_max is not None)


def _choice(value: str | None, allowed) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _int(value: str | None) -> int | None:
    if not value or not re.fullmatch(r"\d{1,9}", value.strip()):
        return None
    return int(value)


def _score(value: str | None) -> Decimal | None:
    if not value or len(value) > 10:
        return None
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not number.is_finite() or not SCORE_MIN <= number <= SCORE_MAX:
        return None
    return number.quantize(Decimal("0.1"))


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def _query_text(value: str | None) -> str:
    if not isinstance(value, str):
        return ""
    # Control characters (NUL is refused by PostgreSQL) become spaces; the rest is kept.
    text = re.sub(r"[\x00-\x1f\x7f]", " ", value)[:QUERY_MAX_CHARS]
    return " ".join(text.split())


# --- The query ------------------------------------------------------------------------------


def _my_review(user_id: int):
    return sa.exists().where(Review.application_id == Application.id,
                             Review.reviewer_id == user_id)


def _score_shown(posting: Posting, user_id: int):
    """SQL: I may see the application's score (``scoring.others_hidden``: the offer hides the
    reviews until one's own and I have not reviewed it), or None when no score is hidden."""
    return _my_review(user_id) if posting.reviews_hidden_until_own else None


def _shown_score(posting: Posting, user_id: int):
    """The application's score as I may see it: NULL while it is hidden from me."""
    shown = _score_shown(posting, user_id)
    return Application.score if shown is None else sa.case((shown, Application.score),
                                                           else_=None)


def _open_stage_ids(stages: list[Stage]) -> list[int]:
    return [s.id for s in stages if s.kind == StageKind.OPEN]


def to_review_clause(user_id: int, stages: list[Stage]):
    """Applications I still have to review: no review of mine, not withdrawn, in an open stage."""
    return sa.and_(~_my_review(user_id), Application.withdrawn_at.is_(None),
                   Application.stage_id.in_(_open_stage_ids(stages)))


def unanswered_clause():
    return sa.and_(Application.answered_at.is_(None), Application.withdrawn_at.is_(None))


def _search_clause(posting: Posting, words: list[str]):
    identity_shown = (Application.revealed_at.is_not(None) if posting.anonymised
                      else sa.true())
    conditions = []
    for word in words:
        identity = sa.or_(contains_folded(Candidate.first_name, word),
                          contains_folded(Candidate.last_name, word),
                          contains_folded(Candidate.email, word))
        conditions.append(sa.or_(contains_folded(Application.reference, word),
                                 sa.and_(identity_shown, identity)))
    return sa.and_(*conditions)


def _filters(posting: Posting, params: ListParams, user_id: int, stages: list[Stage]) -> list:
    clauses = []
    if params.q:
        clauses.append(_search_clause(posting, params.q.split()[:QUERY_MAX_WORDS]))
    if params.stage_id is not None:
        clauses.append(Application.stage_id == params.stage_id)
    if params.channel:
        clauses.append(Application.channel == params.channel)
    if params.mine == MINE_DONE:
        clauses.append(_my_review(user_id))
    elif params.mine == MINE_TODO:
        clauses.append(~_my_review(user_id))
    score = _shown_score(posting, user_id)
    if params.score_min is not None:
        clauses.append(score >= params.score_min)
    if params.score_max is not None:
        clauses.append(score <= params.score_max)
    if params.view == VIEW_TO_REVIEW:
        clauses.append(to_review_clause(user_id, stages))
    elif params.view == VIEW_UNANSWERED:
        clauses.append(unanswered_clause())
    return clauses


def _ordering(posting: Posting, params: ListParams, user_id: int) -> list:
    def direction(column):
        return column.desc() if params.descending else column.asc()

    if params.sort == "score":
        score = _shown_score(posting, user_id)  # hidden scores last, in date order
        return [score.is_(None), direction(score),
                direction(Application.submitted_at), direction(Application.id)]
    if params.sort == "name":
        if posting.anonymised:
            masked = Application.revealed_at.is_(None)
            shown = sa.case((masked, None), else_=fold(Candidate.last_name))
            shown_first = sa.case((masked, None), else_=fold(Candidate.first_name))
            return [masked, direction(shown), direction(shown_first),
                    direction(Application.reference)]
        return [direction(fold(Candidate.last_name)), direction(fold(Candidate.first_name)),
                direction(Application.id)]
    return [direction(Application.submitted_at), direction(Application.id)]


def applications_query(posting: Posting, params: ListParams, user_id: int,
                       stages: list[Stage], *, ids_only: bool = False):
    """The SELECT of the offer's applications as the list shows them."""
    what = Application.id if ids_only else Application
    query = (
        sa.select(what)
        .join(Candidate, Application.candidate_id == Candidate.id)
        .where(Application.posting_id == posting.id,
               Application.organisation_id == posting.organisation_id,
               *_filters(posting, params, user_id, stages))
        .order_by(*_ordering(posting, params, user_id))
    )
    if not ids_only:
        query = query.options(joinedload(Application.candidate), joinedload(Application.stage))
    return query


def reviewed_by(user_id: int, application_ids: list[int]) -> set[int]:
    """The ids, among ``application_ids``, of the applications ``user_id`` reviewed."""
    if not application_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Review.application_id).where(Review.reviewer_id == user_id,
                                               Review.application_id.in_(application_ids))
    ))


# --- Counts ---------------------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    by_stage: dict[int, int] = field(default_factory=dict)
    to_review: int = 0
    unanswered: int = 0
    withdrawn: int = 0


def _flag(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def counts(posting: Posting, user_id: int, stages: list[Stage]) -> Counts:
    """Everything the head of the dashboard counts, in one grouped query."""
    rows = db.session.execute(
        sa.select(Application.stage_id, sa.func.count(Application.id),
                  _flag(to_review_clause(user_id, stages)), _flag(unanswered_clause()),
                  _flag(Application.withdrawn_at.is_not(None)))
        .where(Application.posting_id == posting.id,
               Application.organisation_id == posting.organisation_id)
        .group_by(Application.stage_id)
    ).all()
    result = Counts()
    for stage_id, total, to_review, unanswered, withdrawn in rows:
        result.by_stage[stage_id] = total
        result.total += total
        result.to_review += int(to_review or 0)
        result.unanswered += int(unanswered or 0)
        result.withdrawn += int(withdrawn or 0)
    return result


# --- Neighbours (application page) ----------------------------------------------------------


@dataclass
class Neighbours:
    previous: int | None = None
    next: int | None = None
    previous_to_review: int | None = None
    next_to_review: int | None = None
    position: int | None = None  # 1-based, in the list as filtered
    total: int = 0


def neighbours(application: Application, params: ListParams, user_id: int,
               stages: list[Stage]) -> Neighbours:
    """The applications before and after this one in the list order (one query).

    "To review" skips to the nearest application I have not reviewed (not withdrawn, open
    stage), going round the list. If the filters exclude this application, the list without
    filters (same sort) is used.
    """
    posting = application.posting
    rows = _ordered_rows(posting, params, user_id, stages)
    ids = [row[0] for row in rows]
    if application.id not in ids and params.filtered:
        rows = _ordered_rows(posting, ListParams(sort=params.sort,
                                                 descending=params.descending), user_id, stages)
        ids = [row[0] for row in rows]
    result = Neighbours(total=len(ids))
    if application.id not in ids:
        return result
    index = ids.index(application.id)
    result.position = index + 1
    result.previous = ids[index - 1] if index > 0 else None
    result.next = ids[index + 1] if index + 1 < len(ids) else None
    # Going round: the rows after this one, then those before it.
    todo_after = [row[0] for row in rows[index + 1:] + rows[:index] if row[1]]
    result.next_to_review = todo_after[0] if todo_after else None
    result.previous_to_review = todo_after[-1] if todo_after else None
    return result


def _ordered_rows(posting: Posting, params: ListParams, user_id: int,
                  stages: list[Stage]) -> list[tuple[int, bool]]:
    query = applications_query(posting, params, user_id, stages, ids_only=True)
    flag = sa.case((to_review_clause(user_id, stages), True), else_=False)
    return [(row[0], bool(row[1])) for row in db.session.execute(query.add_columns(flag))]


def to_review_counts(posting_ids, user_id: int, stages: list[Stage]) -> dict[int, int]:
    """For the offers list: how many applications I still have to review, per offer I review.

    One grouped query for the page; offers I do not review (an admin looking around) are left
    out, so their rows show no reminder.
    """
    ids = list(posting_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Application.posting_id, sa.func.count(Application.id))
        .where(Application.posting_id.in_(ids),
               Application.posting_id.in_(reviewed_posting_ids(user_id)),
               to_review_clause(user_id, stages))
        .group_by(Application.posting_id)
    ).all()
    return {posting_id: count for posting_id, count in rows}
