"""How a posting's facts read to a person, in the current language.

One place for the wording shared by the public page, the back-office preview, the PDF sheet and
(later) emails: "CDD de 12 mois", "jusqu'au 19 mars 2020 à 23 h 59", "1 800 € brut par mois".
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from tracker.i18n.formatting import NBSP, format_clock, format_day, format_money, format_number
from tracker.postings.models import (
    ContactRole,
    ContractType,
    PayBasis,
    PayKind,
    PayPeriod,
    Posting,
    PostingStatus,
    RemoteWork,
    WorkingTime,
)

CONTRACT_LABELS = {
    ContractType.CDI: _l("Permanent contract (CDI)"),
    ContractType.CDD: _l("Fixed-term contract (CDD)"),
    ContractType.STAGE: _l("Internship"),
    ContractType.ALTERNANCE: _l("Work-study (alternance)"),
    ContractType.APPRENTISSAGE: _l("Apprenticeship"),
    ContractType.SERVICE_CIVIQUE: _l("Civic service"),
    ContractType.OTHER: _l("Other contract"),
}
STATUS_LABELS = {
    PostingStatus.DRAFT: _l("Draft"),
    PostingStatus.PUBLISHED: _l("Published"),
    PostingStatus.CLOSED: _l("Closed"),
    PostingStatus.ARCHIVED: _l("Archived"),
    PostingStatus.FILLED: _l("Filled"),
}
WORKING_TIME_LABELS = {
    WorkingTime.FULL_TIME: _l("Full time"),
    WorkingTime.PART_TIME: _l("Part time"),
}
REMOTE_LABELS = {
    RemoteWork.NONE: _l("No remote work"),
    RemoteWork.OCCASIONAL: _l("Occasional remote work"),
    RemoteWork.PARTIAL: _l("Partial remote work"),
    RemoteWork.FULL: _l("Full remote work possible"),
}
PAY_PERIOD_LABELS = {
    PayPeriod.HOUR: _l("per hour"),
    PayPeriod.MONTH: _l("per month"),
    PayPeriod.YEAR: _l("per year"),
}
PAY_BASIS_LABELS = {PayBasis.GROSS: _l("gross"), PayBasis.NET: _l("net")}
CONTACT_ROLE_LABELS = {
    ContactRole.TO: _l("Send applications to"),
    ContactRole.CC: _l("In copy"),
    ContactRole.INFO: _l("Kept informed (not shown publicly)"),
}
# schema.org employmentType for JobPosting
EMPLOYMENT_TYPES = {
    ContractType.CDI: ["FULL_TIME"],
    ContractType.CDD: ["TEMPORARY"],
    ContractType.STAGE: ["INTERN"],
    ContractType.ALTERNANCE: ["INTERN", "TEMPORARY"],
    ContractType.APPRENTISSAGE: ["INTERN", "TEMPORARY"],
    ContractType.SERVICE_CIVIQUE: ["VOLUNTEER"],
    ContractType.OTHER: ["OTHER"],
}


def deadline_from_local(day, at: time | None, timezone: str) -> datetime:
    """The deadline instant for a day (inclusive, until 23:59:59) or an exact local time."""
    zone = ZoneInfo(timezone)
    if at is None:
        local = datetime.combine(day, time(23, 59, 59), tzinfo=zone)
    else:
        local = datetime.combine(day, at, tzinfo=zone)
    return local


def local_deadline(posting: Posting) -> datetime | None:
    if posting.deadline is None:
        return None
    return posting.deadline.astimezone(ZoneInfo(posting.organisation.timezone))


def deadline_text(posting: Posting, locale: str | None = None) -> str:
    """'jusqu'au 19 mars 2020 à 23 h 59' - never 'avant le 20 mars' (is the 20th included?)."""
    local = local_deadline(posting)
    if local is None:
        return ""
    text = _(
        "until %(day)s at %(time)s",
        day=format_day(local, locale),
        time=format_clock(local, locale),
    )
    if posting.organisation.timezone != "Europe/Paris":
        text += f" ({posting.organisation.timezone})"
    return text


def contract_label(posting: Posting) -> str:
    return str(CONTRACT_LABELS[ContractType(posting.contract_type)])


def period_text(posting: Posting) -> str:
    """Dates or duration: 'du 28 août 2023 au 27 août 2024', '3 à 6 mois'."""
    parts = []
    lo, hi = posting.duration_min_months, posting.duration_max_months
    if lo and hi and lo != hi:
        parts.append(_("%(min)s to %(max)s months", min=lo, max=hi))
    elif lo or hi:
        n = lo or hi
        parts.append(ngettext("%(num)s month", "%(num)s months", n))
    if posting.contract_start and posting.contract_end and lo and hi and lo != hi:
        # "3 to 6 months between 1 April and 31 October": the dates bound a shorter contract.
        parts.append(
            _(
                "between %(start)s and %(end)s",
                start=format_day(posting.contract_start),
                end=format_day(posting.contract_end),
            )
        )
    elif posting.contract_start and posting.contract_end:
        parts.append(
            _(
                "from %(start)s to %(end)s",
                start=format_day(posting.contract_start),
                end=format_day(posting.contract_end),
            )
        )
    elif posting.contract_start:
        parts.append(_("starting %(start)s", start=format_day(posting.contract_start)))
    elif posting.contract_end:
        parts.append(_("ending %(end)s at the latest", end=format_day(posting.contract_end)))
    return ", ".join(parts)


def start_window_text(posting: Posting) -> str:
    """'à partir du 15 mai 2023, au plus tard le 1er juin 2023'."""
    a, b = posting.start_earliest, posting.start_latest
    if a and b and a != b:
        return _(
            "from %(earliest)s, %(latest)s at the latest",
            earliest=format_day(a),
            latest=format_day(b),
        )
    if a or b:
        return _("on %(day)s", day=format_day(a or b))
    return ""


def working_time_text(posting: Posting) -> str:
    text = str(WORKING_TIME_LABELS[WorkingTime(posting.working_time)])
    if posting.hours_per_week is not None:
        text += " (" + _("%(hours)s h a week", hours=format_number(posting.hours_per_week)) + ")"
    return text


def pay_text(posting: Posting) -> str:
    kind = PayKind(posting.pay_kind)
    if kind == PayKind.GRATIFICATION:
        base = _("Statutory pay (gratification)")
        return f"{base} – {posting.pay_note}" if posting.pay_note else base
    if kind == PayKind.UNSPECIFIED:
        return posting.pay_note
    lo, hi = posting.pay_min, posting.pay_max
    if lo is not None and hi is not None and lo != hi:
        amount = f"{format_money(lo)}{NBSP}–{NBSP}{format_money(hi)}"
    else:
        amount = format_money(lo if lo is not None else hi)
    words = [amount]
    if posting.pay_basis:
        words.append(str(PAY_BASIS_LABELS[PayBasis(posting.pay_basis)]))
    if posting.pay_period:
        words.append(str(PAY_PERIOD_LABELS[PayPeriod(posting.pay_period)]))
    text = " ".join(words)
    return f"{text} – {posting.pay_note}" if posting.pay_note else text


def remote_text(posting: Posting) -> str:
    text = str(REMOTE_LABELS[RemoteWork(posting.remote)])
    return f"{text} – {posting.remote_note}" if posting.remote_note else text


def place_text(posting: Posting) -> str:
    return posting.places or ", ".join(p for p in (posting.city, posting.region) if p)


def documents_text(posting: Posting) -> str:
    wanted = []
    if posting.asks_cv:
        wanted.append(_("CV"))
    if posting.asks_letter:
        wanted.append(_("cover letter"))
    if posting.other_documents:
        wanted.append(posting.other_documents)
    return ", ".join(wanted)


def summary_rows(posting: Posting) -> list[tuple[str, str]]:
    """The contract summary box: (label, value) pairs, empty values left out."""
    rows = [
        (_("Contract"), contract_label(posting)),
        (_("Period"), period_text(posting)),
        (_("Start"), start_window_text(posting)),
        (_("Closure periods"), posting.closure_note),
        (_("Working time"), working_time_text(posting)),
        (_("Schedule"), posting.schedule_note),
        (_("Place"), place_text(posting)),
        (_("Travel"), posting.travel),
        (_("Remote work"), remote_text(posting) if posting.remote != RemoteWork.NONE else ""),
        (_("Pay"), pay_text(posting)),
        (_("Benefits"), posting.benefits),
        (_("Collective agreement"), posting.collective_agreement),
        (_("Diploma"), posting.diploma),
        (_("Experience"), posting.experience),
        (_("Documents"), documents_text(posting)),
        (_("Deadline"), deadline_text(posting)),
        (_("Reference"), posting.reference),
    ]
    return [(label, value) for label, value in rows if value]


def register_filters(app) -> None:
    app.jinja_env.globals.update(
        contract_label=contract_label,
        deadline_text=deadline_text,
        posting_summary_rows=summary_rows,
        pay_text=pay_text,
        place_text=place_text,
        period_text=period_text,
        status_labels=STATUS_LABELS,
        contact_role_labels=CONTACT_ROLE_LABELS,
    )
