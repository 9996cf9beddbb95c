"""Small readers of rendered pages, shared by the accounts tests."""

from __future__ import annotations

import html
import io
import re

import sqlalchemy as sa

from tracker.audit.models import Event
from tracker.db import db


def field_error(page: str, field_id: str) -> str | None:
    """The error message the forms macro ties to a field (``<p id="<field>-error">``)."""
    fid = re.escape(field_id)
    match = re.search(rf'<p class="error" id="{fid}-error">(.*?)</p>', page, re.DOTALL)
    if match is None:
        return None
    # The control must point at its message for screen readers (attributes are sorted).
    control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{fid}"[^>]*>', page)
    assert control, f"no control with id {field_id}"
    assert re.search(rf'aria-describedby="[^"]*\b{fid}-error\b', control.group(0)), (
        f"{field_id} is not tied to its error message"
    )
    return html.unescape(match.group(1)).strip()


def text(page: str) -> str:
    """The page's text with entities decoded and whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def events(action: str | None = None) -> list[Event]:
    """Call inside an application context."""
    query = sa.select(Event).order_by(Event.id)
    if action is not None:
        query = query.where(Event.action == action)
    return list(db.session.scalars(query))


def png_bytes(size: tuple[int, int] = (40, 20), colour: str = "navy") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 20), colour: str = "teal") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()
