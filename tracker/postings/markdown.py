"""Markdown for the long texts of an offer (missions, profile...), sanitised on output."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
).enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "h3", "h4", "h5", "h6",
    "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}


def _demote_headings(html: str) -> str:
    # Headings inside an offer section sit below the page's own h1/h2.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return html


def render_markdown(text: str | None) -> Markup:
    """Markdown to safe HTML: raw HTML is escaped, links keep only http(s) and mailto."""
    if not text:
        return Markup("")
    html = _demote_headings(_md.render(text))
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)


def markdown_to_text(text: str | None) -> str:
    """Plain text for feeds and JSON-LD descriptions."""
    if not text:
        return ""
    return html.unescape(nh3.clean(_md.render(text), tags=set())).strip()
