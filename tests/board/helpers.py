"""Small data builders and page readers for the board tests."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests import factories
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus

LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def published(org, **fields):
    """A published (open) offer."""
    return factories.posting(org, status=PostingStatus.PUBLISHED, **fields)


def expired(org, **fields):
    """A published offer whose deadline has passed (publishing refuses a past deadline)."""
    posting = published(org, **fields)
    posting.deadline = utcnow() - timedelta(days=1)
    db.session.flush()
    return posting


def json_ld(html: str) -> dict:
    blocks = LD_JSON.findall(html)
    assert len(blocks) == 1, f"{len(blocks)} JSON-LD blocks"
    return json.loads(blocks[0])


def main_html(html: str) -> str:
    """The <main> element of a page, without the header and the footer."""
    start = html.index("<main")
    return html[start : html.index("</main>", start)]
