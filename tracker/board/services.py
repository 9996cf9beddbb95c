"""What the public may see of the offers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

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
