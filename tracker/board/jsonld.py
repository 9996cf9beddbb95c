"""schema.org ``JobPosting`` data for an offer's public page (what search engines read).

Built as a plain dict, serialised with :func:`json.dumps`, then made safe to sit inside a
``<script>`` element: ``<``, ``>`` and ``&`` become ``\\u003c``... so that no text of the offer
can close the script element or open a comment.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from tracker.postings import display
from tracker.postings.markdown import render_markdown
from tracker.postings.models import (
    ContractType,
    PayKind,
    PayPeriod,
    Posting,
    PostingStatus,
    RemoteWork,
    WorkingTime,
)

UNIT_TEXT = {PayPeriod.HOUR: "HOUR", PayPeriod.MONTH: "MONTH", PayPeriod.YEAR: "YEAR"}
_SCRIPT_SAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def safe_http_url(url: str | None) -> str:
    """``url`` if it is an absolute http(s) address, else "" (never a javascript: link)."""
    if not url:
        return ""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def description_html(posting: Posting) -> str:
    """Presentation, context, missions and profile as sanitised HTML, each under a heading."""
    sections = [
        (_("Presentation"), posting.effective_presentation),
        (_("Context"), posting.context),
        (_("Missions"), posting.missions),
        (_("Profile"), posting.profile),
    ]
    parts = []
    for heading, text in sections:
        if text and text.strip():
            parts.append(f"<h2>{Markup.escape(heading)}</h2>{render_markdown(text)}")
    return "\n".join(parts)


def employment_types(posting: Posting) -> list[str]:
    types = list(display.EMPLOYMENT_TYPES[ContractType(posting.contract_type)])
    if posting.working_time == WorkingTime.PART_TIME:
        types = [t for t in types if t != "FULL_TIME"] + ["PART_TIME"]
    return types


def base_salary(posting: Posting) -> dict[str, Any] | None:
    if posting.pay_kind != PayKind.AMOUNT:
        return None
    low, high = posting.pay_min, posting.pay_max
    if low is None and high is None:
        return None
    value: dict[str, Any] = {"@type": "QuantitativeValue"}
    if low is not None and high is not None and low != high:
        value["minValue"] = _number(low)
        value["maxValue"] = _number(high)
    else:
        value["value"] = _number(low if low is not None else high)
    if posting.pay_period:
        value["unitText"] = UNIT_TEXT[PayPeriod(posting.pay_period)]
    return {"@type": "MonetaryAmount", "currency": "EUR", "value": value}


def valid_through_time(posting: Posting) -> datetime | None:
    """The deadline in the organisation's time zone, or the closing time if closed earlier."""
    end = posting.deadline
    if posting.status in (PostingStatus.CLOSED, PostingStatus.FILLED) and posting.closed_at:
        end = min(end, posting.closed_at) if end else posting.closed_at
    if end is None:
        return None
    return end.astimezone(ZoneInfo(posting.organisation.timezone))


def job_posting(posting: Posting) -> dict[str, Any]:
    """The JobPosting object; empty values are left out rather than sent blank."""
    organisation = posting.organisation
    hiring: dict[str, Any] = {"@type": "Organization", "name": organisation.name}
    website = safe_http_url(organisation.website)
    if website:
        hiring["sameAs"] = website
    if organisation.has_logo:
        hiring["logo"] = url_for("board.logo", org_slug=organisation.slug, _external=True)

    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "FR"}
    for key, value in (
        ("addressLocality", posting.city),
        ("postalCode", posting.postal_code),
        ("addressRegion", posting.region),
    ):
        if value:
            address[key] = value

    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": posting.title,
        "description": description_html(posting),
        "identifier": {
            "@type": "PropertyValue",
            "name": organisation.name,
            "value": posting.reference or str(posting.id),
        },
        "url": url_for("board.detail", posting_id=posting.id, slug=posting.slug, _external=True),
        "hiringOrganization": hiring,
        "jobLocation": {"@type": "Place", "address": address},
        "employmentType": employment_types(posting),
        # Candidates apply on the offer's own page (applications.apply).
        "directApply": True,
    }
    if posting.published_at is not None:
        data["datePosted"] = posting.published_at.isoformat()
    valid_through = valid_through_time(posting)
    if valid_through is not None:
        data["validThrough"] = valid_through.isoformat()
    salary = base_salary(posting)
    if salary:
        data["baseSalary"] = salary
    if posting.diploma:
        data["educationRequirements"] = posting.diploma
    if posting.experience:
        data["experienceRequirements"] = posting.experience
    if posting.remote == RemoteWork.FULL:
        data["jobLocationType"] = "TELECOMMUTE"
        data["applicantLocationRequirements"] = {"@type": "Country", "name": "FR"}
    return data


def script_json(data: Any) -> Markup:
    """JSON to put between ``<script type="application/ld+json">`` tags."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _SCRIPT_SAFE.items():
        text = text.replace(char, escaped)
    return Markup(text)
