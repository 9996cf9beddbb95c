"""Exports of an offer's applications for the hiring committee: CSV and XLSX.

``export_table(posting, viewer)`` builds one table (headers in the current language, one row of
typed values per application) in a fixed number of queries whatever the number of
applications; ``to_csv`` and ``to_xlsx`` write it.

What is left out, as on the pages:
- while an application is masked (anonymised screening, ``anonymity.is_masked``), its name,
  email and phone cells are empty and the "Anonymised" column says so;
- while the offer hides the reviews until one's own (``Posting.reviews_hidden_until_own``), the
  weighted mean, the per-criterion means and the recommendation counts of an application the
  viewer has not reviewed are empty (the number of reviews stays, as on the application page).

CSV is what French Excel opens with a double click: UTF-8 with a BOM, ";" between cells,
decimal comma in French. Cells that a spreadsheet would read as a formula (starting with
= + - @, or a tab / carriage return) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from tracker.accounts.models import User
from tracker.applications.models import Application, Channel
from tracker.db import db
from tracker.postings.models import Posting
from tracker.review import scoring
from tracker.review.anonymity import is_masked
from tracker.review.models import Criterion, Decision, Recommendation, Review, ReviewScore
from tracker.review.stages import REJECTION_REASONS

CHANNEL_LABELS = {
    Channel.FORM: _l("Online form"),
    Channel.EMAIL: _l("Email"),
    Channel.MANUAL: _l("Entered by hand"),
}
DECISION_LABELS = {
    Decision.RETAINED: _l("Retained"),
    Decision.NOT_RETAINED: _l("Not retained"),
    Decision.WITHDRAWN: _l("Withdrawn"),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TWO_PLACES = Decimal("0.01")


@dataclass
class Column:
    header: str
    kind: str = "text"  # text, datetime, date, number, integer
    width: int = 14


@dataclass
class ExportTable:
    posting: Posting
    columns: list[Column]
    rows: list[list[object]] = field(default_factory=list)


# --- The table ---------------------------------------------------------------------------------


def export_table(posting: Posting, viewer: User | None) -> ExportTable:
    """The offer's applications as a table (newest first), for ``viewer``."""
    criteria = scoring.criteria(posting)
    applications = offer_applications(posting)
    ids = [a.id for a in applications]
    means = criterion_means(ids)
    recommendations = recommendation_counts(ids)
    hidden = hidden_for(posting, viewer, ids)
    zone = ZoneInfo(posting.organisation.timezone)
    table = ExportTable(posting=posting, columns=columns(criteria))
    for application in applications:
        blind = application.id in hidden and application.review_count > 0
        table.rows.append(
            identity_cells(application)
            + facts_cells(application, zone)
            + score_cells(application, criteria, means, recommendations, blind)
            + [local(application.withdrawn_at, zone)]
        )
    return table


def columns(criteria: list[Criterion]) -> list[Column]:
    return [
        Column(_("Reference"), width=16),
        Column(_("First name"), width=16),
        Column(_("Last name"), width=18),
        Column(_("Email"), width=30),
        Column(_("Phone"), width=16),
        Column(_("Anonymised"), width=12),
        Column(_("Channel"), width=16),
        Column(_("Received"), "datetime", 18),
        Column(_("Stage"), width=18),
        Column(_("Decision"), width=14),
        Column(_("Reason"), width=30),
        Column(_("Answered on"), "date", 14),
        Column(_("Reviews"), "integer", 10),
        Column(_("Weighted mean score"), "number", 12),
        *(Column(c.name, "number", 12) for c in criteria),
        Column(_("Recommended: yes"), "integer", 12),
        Column(_("Recommended: maybe"), "integer", 12),
        Column(_("Recommended: no"), "integer", 12),
        Column(_("Withdrawn on"), "datetime", 18),
    ]


def identity_cells(application: Application) -> list[object]:
    if is_masked(application):
        return [application.reference, "", "", "", "", _("anonymised")]
    candidate = application.candidate
    return [application.reference, candidate.first_name, candidate.last_name, candidate.email,
            candidate.phone, ""]


def facts_cells(application: Application, zone: ZoneInfo) -> list[object]:
    reason = REJECTION_REASONS.get(application.decision_reason, application.decision_reason)
    decision = DECISION_LABELS.get(application.decision, application.decision or "")
    answered = local(application.answered_at, zone)
    return [
        str(CHANNEL_LABELS.get(application.channel, application.channel)),
        local(application.submitted_at, zone),
        application.stage.name,
        str(decision),
        str(reason or ""),
        answered.date() if answered else None,
    ]


def score_cells(application: Application, criteria: list[Criterion], means: dict,
                recommendations: dict, blind: bool) -> list[object]:
    if blind:
        return [application.review_count] + [None] * (len(criteria) + 4)
    score = Decimal(application.score) if application.score is not None else None
    cells: list[object] = [application.review_count, score]
    cells += [means.get((application.id, c.id)) for c in criteria]
    counts = recommendations.get(application.id, {})
    cells += [counts.get(r.value, 0) for r in Recommendation]
    return cells


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware UTC time as a naive time of the organisation's timezone (what sheets show)."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


# --- The queries (a fixed number whatever the number of applications) ---------------------------


def offer_applications(posting: Posting) -> list[Application]:
    return list(db.session.scalars(
        sa.select(Application)
        .where(Application.posting_id == posting.id,
               Application.organisation_id == posting.organisation_id)
        .options(joinedload(Application.candidate), joinedload(Application.stage))
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    ))


def criterion_means(application_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """{(application id, criterion id): mean score of the reviews, two decimals}."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        sa.select(Review.application_id, ReviewScore.criterion_id,
                  sa.func.sum(ReviewScore.score), sa.func.count(ReviewScore.id))
        .join(Review, Review.id == ReviewScore.review_id)
        .where(Review.application_id.in_(application_ids))
        .group_by(Review.application_id, ReviewScore.criterion_id)
    )
    return {
        (application_id, criterion_id): (Decimal(total) / count).quantize(
            TWO_PLACES, ROUND_HALF_UP)
        for application_id, criterion_id, total, count in rows if count
    }


def recommendation_counts(application_ids: list[int]) -> dict[int, dict[str, int]]:
    if not application_ids:
        return {}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(Review.application_id, Review.recommendation, sa.func.count(Review.id))
        .where(Review.application_id.in_(application_ids))
        .group_by(Review.application_id, Review.recommendation)
    )
    for application_id, recommendation, count in rows:
        counts[application_id][recommendation] = count
    return counts


def hidden_for(posting: Posting, viewer: User | None, application_ids: list[int]) -> set[int]:
    """The applications whose reviews and score ``viewer`` may not see yet (not reviewed)."""
    return scoring.hidden_applications(posting, viewer.id if viewer else None, application_ids)


# --- Writers ------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A cell a spreadsheet must show as text, never run as a formula (CSV injection)."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _decimal_comma() -> bool:
    return str(get_locale() or "fr").startswith("fr")


def csv_cell(value: object, kind: str, comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value.quantize(TWO_PLACES, ROUND_HALF_UP)}"
        return text.replace(".", ",") if comma else text
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def to_csv(table: ExportTable) -> bytes:
    comma = _decimal_comma()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(v, c.kind, comma) for v, c in zip(row, table.columns,
                                                                      strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


NUMBER_FORMATS = {
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
    "number": "0.00",
    "integer": "0",
}


def to_xlsx(table: ExportTable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(table.posting)
    sheet.append([neutralise(c.header) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append([xlsx_cell(v) for v in row])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "B2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_cell(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return neutralise(value)
    return value


def sheet_title(posting: Posting) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and no apostrophe at either end.
    title = "".join(ch for ch in posting.title if ch not in "[]:*?/\\")[:31].strip(" '")
    return title or "Applications"


# --- File names ---------------------------------------------------------------------------------


def ascii_slug(text: str, fallback: str = "document") -> str:
    """'Chargé·e de mission' -> 'charge-e-de-mission': safe in a Content-Disposition."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = "".join(ch if ch.isalnum() else "-" for ch in folded.lower())
    slug = "-".join(part for part in slug.split("-") if part)
    return slug[:80].strip("-") or fallback


def export_filename(posting: Posting, extension: str) -> str:
    return f"{ascii_slug(posting.slug)}-{ascii_slug(_('applications'))}.{extension}"
