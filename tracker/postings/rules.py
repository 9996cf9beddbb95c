"""Which status changes an offer may go through."""

from __future__ import annotations

from tracker.postings.models import PostingStatus as S

# The one table of legal moves; every status change goes through services.transition().
TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.ARCHIVED}),
    S.PUBLISHED: frozenset({S.CLOSED, S.FILLED, S.ARCHIVED}),
    S.CLOSED: frozenset({S.PUBLISHED, S.FILLED, S.ARCHIVED}),
    S.FILLED: frozenset({S.CLOSED, S.ARCHIVED}),
    S.ARCHIVED: frozenset({S.CLOSED}),
}

# The verb shown on buttons and recorded in the audit trail, per (from, to).
ACTIONS: dict[tuple[S, S], str] = {
    (S.DRAFT, S.PUBLISHED): "publish",
    (S.DRAFT, S.ARCHIVED): "archive",
    (S.PUBLISHED, S.CLOSED): "close",
    (S.PUBLISHED, S.FILLED): "mark_filled",
    (S.PUBLISHED, S.ARCHIVED): "archive",
    (S.CLOSED, S.PUBLISHED): "reopen",
    (S.CLOSED, S.FILLED): "mark_filled",
    (S.CLOSED, S.ARCHIVED): "archive",
    (S.FILLED, S.CLOSED): "unmark_filled",
    (S.FILLED, S.ARCHIVED): "archive",
    (S.ARCHIVED, S.CLOSED): "restore",
}


def can_move(current: str, target: str) -> bool:
    return S(target) in TRANSITIONS[S(current)]
