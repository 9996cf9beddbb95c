"""What ``templates/board/detail.html`` shows of an offer, computed once in Python.

The template is shared: the public page renders it, and so does the back-office preview
(``render_template("board/detail.html", posting=posting, preview=True)``). The template gets
everything else through the ``offer_page(posting, preview)`` global registered by the board
blueprint, so callers pass nothing but the posting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from flask_babel import gettext as _
from markupsafe import Markup

from tracker.board import jsonld
from tracker.board.services import is_closed_to_applications
from tracker.db import utcnow
from tracker.postings import display
from tracker.postings.models import ContactRole, Posting, PostingContact, PostingStatus


@dataclass
class Recipient:
    name: str
    email: str
    job_title: str


@dataclass
class OfferPage:
    posting: Posting
    preview: bool
    closed: bool
    filled: bool
    summary_rows: list[tuple[str, str]]
    recipients: list[Recipient]
    copies: list[Recipient]
    mailto: str
    documents: str
    deadline: str
    source_url: str
    website: str
    jsonld: Markup | None
    sections: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def show_apply(self) -> bool:
        return not self.closed


def _recipient(contact: PostingContact) -> Recipient:
    return Recipient(
        name=contact.display_name, email=contact.display_email, job_title=contact.job_title
    )


def mailto_link(to: list[str], cc: list[str], subject: str) -> str:
    """``mailto:`` with the recipients, the copies and the required subject filled in."""
    if not to:
        return ""
    link = "mailto:" + ",".join(quote(address, safe="@") for address in to)
    params = []
    if cc:
        params.append("cc=" + ",".join(quote(address, safe="@") for address in cc))
    if subject:
        params.append("subject=" + quote(subject, safe=""))
    return link + ("?" + "&".join(params) if params else "")


def locality_text(posting: Posting) -> str:
    """'44000 Nantes, Pays de la Loire' (French order: postal code, then city)."""
    town = " ".join(part for part in (posting.postal_code, posting.city) if part)
    return ", ".join(part for part in (town, posting.region) if part)


def offer_summary_rows(posting: Posting) -> list[tuple[str, str]]:
    """display.summary_rows, with the postal address next to the place.

    The place row shows the free "places" text when there is one ("Nantes et son
    agglomération"); the city, postal code and region then get their own row so that no field
    of the offer is left out.
    """
    rows = display.summary_rows(posting)
    locality = locality_text(posting)
    if not locality:
        return rows
    place_label = _("Place")
    result = []
    for label, value in rows:
        if label == place_label:
            if posting.places:
                result.append((label, value))
                result.append((_("City"), locality))
            else:
                result.append((label, locality))
            continue
        result.append((label, value))
    return result


def build_offer_page(posting: Posting, *, preview: bool = False) -> OfferPage:
    now = utcnow()
    recipients = [_recipient(c) for c in posting.contacts_with_role(ContactRole.TO)]
    copies = [_recipient(c) for c in posting.contacts_with_role(ContactRole.CC)]
    recipients = [r for r in recipients if r.email]
    copies = [c for c in copies if c.email]
    sections = [
        ("presentation", _("Presentation"), posting.effective_presentation),
        ("context", _("Context"), posting.context),
        ("missions", _("Missions"), posting.missions),
        ("profile", _("Profile"), posting.profile),
    ]
    return OfferPage(
        posting=posting,
        preview=preview,
        closed=is_closed_to_applications(posting, now),
        filled=posting.status == PostingStatus.FILLED,
        summary_rows=offer_summary_rows(posting),
        recipients=recipients,
        copies=copies,
        mailto=mailto_link(
            [r.email for r in recipients], [c.email for c in copies], posting.subject_line
        ),
        documents=display.documents_text(posting),
        deadline=display.deadline_text(posting),
        source_url=jsonld.safe_http_url(posting.source_url),
        website=jsonld.safe_http_url(posting.organisation.website),
        jsonld=None if preview or not posting.is_public else jsonld.script_json(
            jsonld.job_posting(posting)
        ),
        sections=[(key, title, text) for key, title, text in sections if text and text.strip()],
    )
