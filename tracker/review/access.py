"""Who sees which offer and application in the back office.

An admin sees every offer of their organisation. A hiring lead sees only the offers they review
(an active ``PostingReviewer`` row): the offer, its applications, documents, reviews, exports.
Everything else is a 404, as for another organisation's ids: its existence is not disclosed.

Views call ``posting_for_member`` / ``application_for_member`` after ``org_required`` (which puts
the organisation and the membership on ``g``); list queries add ``visible_postings`` to their
WHERE clause.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import abort, g
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Membership, Role, User
from tracker.applications.models import Application, Document, Submission
from tracker.db import db
from tracker.postings.models import Posting, PostingContact
from tracker.review.models import PostingReviewer


def reviewed_posting_ids(user_id: int):
    """SELECT of the ids of the offers a user actively reviews."""
    return sa.select(PostingReviewer.posting_id).where(
        PostingReviewer.user_id == user_id, PostingReviewer.active.is_(True)
    )


def visible_postings(membership: Membership):
    """WHERE clause: the offers this member may see (all of the organisation for an admin)."""
    clause = Posting.organisation_id == membership.organisation_id
    if membership.role != Role.ADMIN:
        clause = sa.and_(clause, Posting.id.in_(reviewed_posting_ids(membership.user_id)))
    return clause


def posting_for_member(posting_id: int, *options) -> Posting | None:
    """The offer if it belongs to ``g.organisation`` and the member may see it, else None."""
    return db.session.scalar(
        sa.select(Posting)
        .where(Posting.id == posting_id, visible_postings(g.membership))
        .options(*options)
    )


def posting_or_404(posting_id: int, *options) -> Posting:
    posting = posting_for_member(posting_id, *options)
    if posting is None:
        abort(404)
    return posting


def application_for_member(application_id: int, *options) -> Application | None:
    """The application if its offer is visible to the member (same organisation), else None."""
    return db.session.scalar(
        sa.select(Application)
        .join(Posting, Application.posting_id == Posting.id)
        .where(Application.id == application_id,
               Application.organisation_id == g.membership.organisation_id,
               visible_postings(g.membership))
        .options(*options)
    )


def application_or_404(application_id: int, *options) -> Application:
    application = application_for_member(application_id, *options)
    if application is None:
        abort(404)
    return application


def application_page_options() -> tuple:
    """Loader options for showing an application whole (its page, its dossier): candidate,
    offer, stage, and every version's documents with their redacted copies."""
    return (
        joinedload(Application.candidate),
        joinedload(Application.posting),
        joinedload(Application.stage),
        selectinload(Application.submissions).selectinload(Submission.documents)
        .selectinload(Document.redacted_copy),
    )


# --- Reviewers of an offer ------------------------------------------------------------------


def reviewers(posting: Posting) -> list[User]:
    """The offer's active reviewers, by name."""
    return list(db.session.scalars(
        sa.select(User)
        .join(PostingReviewer, PostingReviewer.user_id == User.id)
        .where(PostingReviewer.posting_id == posting.id, PostingReviewer.active.is_(True))
        .order_by(User.name, User.email)
    ))


def add_contacts_as_reviewers(posting: Posting, contacts: Iterable[PostingContact]) -> list[int]:
    """Make the contacts who have an account reviewers of the offer; returns the user ids added.

    A reviewer an admin removed earlier (inactive row) is not brought back: saving the offer
    again must not undo that choice. Callers own the transaction; this adds and flushes.
    """
    user_ids = {c.user_id for c in contacts if c.user_id is not None}
    if not user_ids or posting.id is None:
        db.session.flush()
    if not user_ids:
        return []
    known = set(db.session.scalars(
        sa.select(PostingReviewer.user_id).where(PostingReviewer.posting_id == posting.id,
                                                 PostingReviewer.user_id.in_(user_ids))
    ))
    added = sorted(user_ids - known)
    for user_id in added:
        db.session.add(PostingReviewer(posting_id=posting.id, user_id=user_id))
    db.session.flush()
    return added
