"""What the public may see of the offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, selectinload, undefer

from tracker.accounts.models import Organisation
from tracker.board.search import contains_folded, fold_text
from tracker.db import db
from tracker.postings.models import Posting, PostingContact, PostingStatus


def public_posting_or_abort(posting_id: int) -> Posting:
    """The offer behind a public URL: drafts and unknown ids are 404, archived offers 410.

    Closed and filled offers stay readable (people follow old links), with a notice.
    """
    posting = db.session.scalar(
        sa.select(Posting)
        .where(Posting.id == posting_id)
        .options(
            joinedload(Posting.organisation),
            selectinload(Posting.contacts).joinedload(PostingContact.user),
        )
    )
    if posting is None or posting.status == PostingStatus.DRAFT:
        abort(404)
    if posting.status == PostingStatus.ARCHIVED:
        error = _gone()
        raise error
    return posting


def _gone():
    from werkzeug.exceptions import Gone

    error = Gone()
    error.tracker_message = _("This offer has been withdrawn and is no longer available.")
    return error


def open_postings_filter(now: datetime):
    """SQL condition for offers taking applications at ``now``."""
    return sa.and_(Posting.status == PostingStatus.PUBLISHED, Posting.deadline >= now)


# --- The board: lists, filters, search -----------------------------------------------------

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 10
# Page numbers beyond this are treated as "past the end" without asking the database for a
# huge OFFSET (SQLite refuses integers above 2**63).
MAX_PAGE = 100_000
RECENTLY_CLOSED_DAYS = 365
RECENTLY_CLOSED_LIMIT = 10


@dataclass(frozen=True)
class BoardFilters:
    """What the visitor asked for; empty strings mean "no filter"."""

    q: str = ""
    organisation: str = ""  # an organisation slug
    contract: str = ""  # a ContractType value
    place: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.organisation or self.contract or self.place)


def page_number(value: str | None) -> int:
    """A page number from the query string: anything that is not a positive integer is 1."""
    try:
        page = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def _open_postings(now: datetime) -> sa.Select:
    """Open offers with their organisation loaded by the same query (no query per row)."""
    return (
        sa.select(Posting)
        .join(Posting.organisation)
        .options(contains_eager(Posting.organisation))
        .where(open_postings_filter(now))
    )


def _search_words(q: str) -> list[str]:
    return q.split()[:MAX_QUERY_WORDS]


def _text_condition(word: str):
    """One word of the search, anywhere in the offer's main texts or its organisation's name."""
    return sa.or_(
        contains_folded(Posting.title, word),
        contains_folded(Posting.missions, word),
        contains_folded(Posting.profile, word),
        contains_folded(Posting.context, word),
        contains_folded(Posting.reference, word),
        contains_folded(Posting.city, word),
        contains_folded(Organisation.name, word),
    )


def _place_condition(place: str):
    """A city (typed or picked), a postal code or department number, a region."""
    return sa.or_(
        contains_folded(Posting.city, place),
        contains_folded(Posting.region, place),
        contains_folded(Posting.places, place),
        Posting.postal_code.startswith(place, autoescape=True),
    )


def board_postings_query(filters: BoardFilters, now: datetime) -> sa.Select:
    """Open offers matching ``filters``, soonest deadline first."""
    query = _open_postings(now)
    if filters.organisation:
        query = query.where(Organisation.slug == filters.organisation)
    if filters.contract:
        query = query.where(Posting.contract_type == filters.contract)
    if filters.place:
        query = query.where(_place_condition(filters.place))
    for word in _search_words(filters.q):
        query = query.where(_text_condition(word))
    return query.order_by(Posting.deadline, Posting.id)


def search_open_postings(filters: BoardFilters, *, now: datetime, page: int, per_page: int):
    """One page of the board (a Flask-SQLAlchemy Pagination): a count and a select, always."""
    return db.paginate(
        board_postings_query(filters, now),
        page=page,
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


def board_organisations(now: datetime) -> list[Organisation]:
    """The organisations that have at least one open offer, by name (the filter's choices)."""
    has_open = sa.select(Posting.id).where(
        Posting.organisation_id == Organisation.id, open_postings_filter(now)
    )
    return list(
        db.session.scalars(
            sa.select(Organisation).where(has_open.exists()).order_by(Organisation.name)
        )
    )


def board_cities(now: datetime) -> list[str]:
    """The cities of the open offers (suggestions for the place filter)."""
    rows = db.session.scalars(
        sa.select(Posting.city).where(open_postings_filter(now), Posting.city != "").distinct()
    )
    return sorted(set(rows), key=lambda city: fold_text(city))


def organisation_or_404(org_slug: str, *, with_logo: bool = False) -> Organisation:
    query = sa.select(Organisation).where(Organisation.slug == org_slug)
    if with_logo:
        query = query.options(undefer(Organisation.logo))
    organisation = db.session.scalar(query)
    if organisation is None:
        abort(404)
    return organisation


def organisation_open_postings(organisation: Organisation, now: datetime) -> list[Posting]:
    return list(
        db.session.scalars(
            _open_postings(now)
            .where(Posting.organisation_id == organisation.id)
            .order_by(Posting.deadline, Posting.id)
        )
    )


def organisation_recently_closed(organisation: Organisation, now: datetime) -> list[Posting]:
    """Offers of the last year that no longer take applications, most recently ended first."""
    ended = sa.func.coalesce(Posting.closed_at, Posting.deadline)
    return list(
        db.session.scalars(
            sa.select(Posting)
            .join(Posting.organisation)
            .options(contains_eager(Posting.organisation))
            .where(
                Posting.organisation_id == organisation.id,
                sa.or_(
                    Posting.status.in_([PostingStatus.CLOSED, PostingStatus.FILLED]),
                    sa.and_(Posting.status == PostingStatus.PUBLISHED, Posting.deadline < now),
                ),
                ended >= now - timedelta(days=RECENTLY_CLOSED_DAYS),
            )
            .order_by(ended.desc(), Posting.id.desc())
            .limit(RECENTLY_CLOSED_LIMIT)
        )
    )


def feed_postings(now: datetime, limit: int = 100) -> list[Posting]:
    """Open offers for the Atom feed, newest first."""
    return list(
        db.session.scalars(
            _open_postings(now)
            .order_by(Posting.published_at.desc(), Posting.id.desc())
            .limit(limit)
        )
    )


def is_closed_to_applications(posting: Posting, now: datetime) -> bool:
    """Shown with the "closed" notice: closed, filled, archived, or past its deadline.

    A draft (seen in the back-office preview) with a deadline still to come is not closed.
    """
    if posting.status in (PostingStatus.CLOSED, PostingStatus.FILLED, PostingStatus.ARCHIVED):
        return True
    return posting.deadline is not None and posting.deadline < now
