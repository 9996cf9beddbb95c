"""The Atom 1.0 feed of open offers, built with ElementTree (well-formed and escaped by
construction, whatever the titles contain)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from tracker.postings import display
from tracker.postings.markdown import markdown_to_text
from tracker.postings.models import Posting

ATOM = "http://www.w3.org/2005/Atom"
SUMMARY_LENGTH = 400
# Characters XML 1.0 forbids even when escaped (control characters pasted from a PDF...).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("", text or "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _timestamp(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _tag_uri(host: str, posting: Posting) -> str:
    """A permanent entry id: it survives a change of title (and so of URL slug)."""
    day = (posting.published_at or posting.created_at).date().isoformat()
    return f"tag:{host},{day}:offre-{posting.id}"


def summary_text(posting: Posting) -> str:
    facts = [display.contract_label(posting), posting.city or display.place_text(posting)]
    period = display.period_text(posting)
    if period:
        facts.append(period)
    lines = [
        " · ".join(fact for fact in facts if fact),
        _("Deadline: %(when)s", when=display.deadline_text(posting)),
    ]
    # Plain text: the XML writer escapes what needs it.
    missions = " ".join(markdown_to_text(posting.missions).split())
    if len(missions) > SUMMARY_LENGTH:
        missions = missions[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + "…"
    if missions:
        lines.append(missions)
    return "\n".join(lines)


def atom_feed(postings: list[Posting], *, now: datetime) -> bytes:
    board_url = url_for("board.index", _external=True)
    self_url = url_for("board.feed", _external=True)
    host = urlsplit(board_url).hostname or "localhost"

    feed = ET.Element(
        "feed", {"xmlns": ATOM, "{http://www.w3.org/XML/1998/namespace}lang": str(get_locale())}
    )
    _sub(feed, "id", board_url)
    _sub(feed, "title", _("Job offers"))
    _sub(feed, "subtitle", _("Open offers of the organisations on this site"))
    _sub(feed, "link", rel="alternate", type="text/html", href=board_url)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    updated = max((p.updated_at for p in postings), default=now)
    _sub(feed, "updated", _timestamp(updated))
    _sub(feed, "generator", "tracker")

    for posting in postings:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _tag_uri(host, posting))
        _sub(entry, "title", posting.title, type="text")
        _sub(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=url_for(
                "board.detail", posting_id=posting.id, slug=posting.slug, _external=True
            ),
        )
        _sub(entry, "updated", _timestamp(posting.updated_at))
        if posting.published_at is not None:
            _sub(entry, "published", _timestamp(posting.published_at))
        author = _sub(entry, "author")
        _sub(author, "name", posting.organisation.name)
        _sub(
            author,
            "uri",
            url_for("board.organisation", org_slug=posting.organisation.slug, _external=True),
        )
        _sub(entry, "category", term=posting.contract_type, label=display.contract_label(posting))
        _sub(entry, "summary", summary_text(posting), type="text")

    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
