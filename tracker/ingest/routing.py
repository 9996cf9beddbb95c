"""Which organisation and which offer a mail is for.

1. **The organisation**: the one whose address (``organisation.email``, or its plus form
   ``local+anything@domain``) the mail was sent to; on an instance with one organisation, that
   one; otherwise the one whose open offer the subject names for certain. Failing all of
   these the mail has no organisation (listed by ``flask ingest --unassigned``).
2. **The offer by address**: plus addressing ``local+<offer slug or reference>@domain`` of
   the organisation's address names the offer outright.
3. **The offer by subject**: the subject and every offer's required subject line are
   normalised (``normalise``: accents, case, punctuation, spacing, reply and forward
   prefixes, brackets, the candidate's name added at either end). An exact match is certain;
   otherwise a fuzzy score (difflib) at or above ``INGEST_MATCH_THRESHOLD`` with no other
   offer at or above it is certain too. The offers compared first are those open when the
   mail arrived; closed ones (and those past their deadline) are compared next, only to
   explain why a mail goes to triage.

A ``Route`` says what to do: ``posting`` set and ``reason`` empty makes an application;
otherwise ``reason`` (a code of ``tracker.ingest.reasons``) sends it to triage, with the
offers considered and their scores.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

import sqlalchemy as sa
from flask import current_app

from tracker.accounts.models import Organisation
from tracker.db import db
from tracker.ingest import reasons
from tracker.postings.models import Posting, PostingStatus

DEFAULT_THRESHOLD = 0.85
# Below the threshold but at least this close: a near miss worth showing in triage.
NEAR_MISS_FLOOR = 0.5
CANDIDATES_KEPT = 5

# "RE:", "TR :", "Fwd:", "FW:", "AW:", "WG:", "Réf. :", "RE[2]:", repeated, in any case.
PREFIX = re.compile(
    r"^\s*(?:re|r[ée]f|ref|tr|fwd?|fw|aw|wg|sv|vs|rv|antw|r[ée]p|rif|trans?)\.?\s*"
    r"(?:\[\d+\]|\(\d+\))?\s*:\s*",
    re.IGNORECASE,
)
# A name added by the candidate at the end: "(Léa Martin)", "[Léa Martin]".
TRAILING_BRACKETS = re.compile(r"\s*[(\[{][^()\[\]{}]*[)\]}]\s*$")
# "... – Léa MARTIN", "... : Léa Martin": a dash or colon then one to four words.
TRAILING_SEGMENT = re.compile(r"\s+[-–—:|/]\s*([^-–—:|/]{2,60})$")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """Folded words: accents, case and punctuation gone ("l'été" -> ["l", "ete"])."""
    return re.findall(r"[a-z0-9]+", fold(text).replace("œ", "oe").replace("æ", "ae"))


def strip_prefixes(subject: str) -> str:
    subject = subject.strip()
    while True:
        stripped = PREFIX.sub("", subject, count=1)
        stripped = re.sub(r"^\s*\[(?:ext(?:erne?|ernal)?|spam|suspect)\]\s*", "", stripped,
                          flags=re.IGNORECASE)
        if stripped == subject:
            return subject
        subject = stripped


def strip_name(subject: str, name_words: set[str]) -> str:
    """Remove a name the candidate added: in brackets at the end, after a dash, or their own
    name's words at either end."""
    subject = TRAILING_BRACKETS.sub("", subject)
    match = TRAILING_SEGMENT.search(subject)
    if match and name_words and set(words(match.group(1))) <= name_words:
        subject = subject[: match.start()]
    return subject


# The generic words before what names the offer: "Candidature", "Ma candidature au poste de",
# "Application for the position of". Dropped from both sides, so that they neither make two
# different offers look alike nor a subject without them look different.
GENERIC_START = re.compile(
    r"^(?:(?:ma|my|notre|our) )?(?:candidature|application)s?\b"
    r"(?: (?:spontanee|pour|au|a|for|to)\b(?: (?:le|la|l|un|une|the|an|a)\b)?"
    r"(?: (?:poste|offre|position|job|post)\b)?(?: (?:de|d|du|of|as)\b)?)? ?"
)
GENERIC_WORD = "candidature"


def _generic_typo(tokens: list[str]) -> list[str]:
    """"Candiature", "Candidatur": a misspelt first word still reads as "candidature"."""
    if tokens and tokens[0] != GENERIC_WORD and len(tokens[0]) >= 8 and SequenceMatcher(
            None, tokens[0], GENERIC_WORD).ratio() >= 0.85:
        return [GENERIC_WORD, *tokens[1:]]
    return tokens


def normalise(subject: str, name: str = "", *, keep_generic: bool = False) -> str:
    """The subject reduced to what matters for matching: "TR: RE: Candidature stagiaire -
    Démocratie permanente (Léa MARTIN)" -> "candidature stagiaire democratie permanente".
    ``keep_generic``: the generic words at the start are kept (to compare with a line made
    of them only)."""
    name_words = {w for w in words(name) if len(w) > 1}
    subject = strip_prefixes(subject)
    subject = strip_name(subject, name_words)
    tokens = words(subject)
    if name_words:
        while tokens and tokens[-1] in name_words:
            tokens.pop()
        while tokens and tokens[0] in name_words:
            tokens.pop(0)
    text = " ".join(_generic_typo(tokens))
    return text if keep_generic else GENERIC_START.sub("", text, count=1)


def normalise_line(subject_line: str) -> str:
    """An offer's required subject line, normalised; one made of generic words only
    ("Candidature") is kept whole."""
    return normalise(subject_line) or " ".join(words(subject_line))


def score(subject: str, subject_line: str) -> float:
    """1.0 for the same normalised text; otherwise how close they are (0..1).

    The candidate often adds a few words around the required line ("mars 2026"): a subject
    that holds the whole line, and not much more, scores at least 0.9.
    """
    if not subject or not subject_line:
        return 0.0
    if subject == subject_line:
        return 1.0
    ratio = SequenceMatcher(None, subject, subject_line, autojunk=False).ratio()
    # The same words in another order ("médiation service civique"): close, not identical.
    ordered = SequenceMatcher(None, " ".join(sorted(subject.split())),
                              " ".join(sorted(subject_line.split())), autojunk=False).ratio()
    ratio = max(ratio, 0.95 * ordered)
    if f" {subject_line} " in f" {subject} " and len(subject_line) >= 0.6 * len(subject):
        ratio = max(ratio, 0.9)
    return round(ratio, 4)


# --- The result ------------------------------------------------------------------------------


@dataclass
class Route:
    organisation: Organisation | None
    posting: Posting | None = None
    score: float | None = None
    reason: str = ""  # empty: make the application
    by_address: bool = False
    candidates: list[dict] = field(default_factory=list)  # [{posting_id, score, status}]
    detail: str = ""  # in words, for the note (English; the pages translate the reason)


def threshold() -> float:
    try:
        return float(current_app.config.get("INGEST_MATCH_THRESHOLD", DEFAULT_THRESHOLD))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def open_at(posting: Posting, moment: datetime) -> bool:
    """Whether the offer took applications at ``moment`` (judged as the form judges)."""
    if posting.deadline is None or moment > posting.deadline:
        return False
    if posting.status == PostingStatus.PUBLISHED:
        return True
    # Closed, filled or archived since: open if that happened after the mail arrived.
    return (posting.status in (PostingStatus.CLOSED, PostingStatus.FILLED,
                               PostingStatus.ARCHIVED)
            and posting.published_at is not None and posting.published_at <= moment
            and posting.closed_at is not None and moment < posting.closed_at)


def not_open_reason(posting: Posting, moment: datetime) -> str:
    if posting.status == PostingStatus.PUBLISHED and posting.deadline is not None \
            and moment > posting.deadline:
        return reasons.PAST_DEADLINE
    return reasons.CLOSED


# --- Organisation ----------------------------------------------------------------------------


def _plus_base(address: str) -> tuple[str, str]:
    """("recrutement@example.org", "stage-2026") for "recrutement+stage-2026@example.org"."""
    local, _, domain = address.partition("@")
    base, plus, tag = local.partition("+")
    return f"{base}@{domain}", tag if plus else ""


def organisations_by_address(addresses: list[str]) -> list[Organisation]:
    bases = {_plus_base(a)[0] for a in addresses} | set(addresses)
    if not bases:
        return []
    return list(db.session.scalars(
        sa.select(Organisation).where(sa.func.lower(Organisation.email).in_(bases))
        .order_by(Organisation.id)
    ))


def only_organisation() -> Organisation | None:
    rows = db.session.scalars(sa.select(Organisation).limit(2)).all()
    return rows[0] if len(rows) == 1 else None


# --- Offers ----------------------------------------------------------------------------------


def _offers(organisation_ids: list[int] | None) -> list[Posting]:
    query = sa.select(Posting).where(Posting.status != PostingStatus.DRAFT,
                                     Posting.subject_line != "")
    if organisation_ids is not None:
        query = query.where(Posting.organisation_id.in_(organisation_ids))
    return list(db.session.scalars(query.order_by(Posting.id)))


def _by_plus_tag(addresses: list[str], organisation: Organisation,
                 offers: list[Posting]) -> list[Posting]:
    """Offers named by plus addressing on the organisation's address."""
    if not organisation.email:
        return []
    base = organisation.email.strip().lower()
    tags = [tag for address in addresses
            for found_base, tag in [_plus_base(address)] if found_base == base and tag]
    found: list[Posting] = []
    for tag in tags:
        folded = " ".join(words(tag))
        for posting in offers:
            if posting.organisation_id != organisation.id:
                continue
            if folded in (" ".join(words(posting.slug)), " ".join(words(posting.reference))) \
                    and posting not in found:
                found.append(posting)
    return found


def route(*, subject: str, sender_name: str, addresses: list[str], arrival: datetime,
          organisation: Organisation | None = None, fallback_subject: str = "") -> Route:
    """Where the mail goes. ``organisation``: imposed by the caller (a mailbox known to be
    that organisation's); ``fallback_subject``: the forwarding mail's own subject, tried when
    the forwarded one names no offer."""
    if organisation is None:
        found = organisations_by_address(addresses)
        organisation = found[0] if len(found) == 1 else only_organisation()
        candidates_orgs = [o.id for o in found] if len(found) > 1 else None
    else:
        candidates_orgs = [organisation.id]
    offers = _offers([organisation.id] if organisation is not None else candidates_orgs)

    if organisation is not None:
        named = _by_plus_tag(addresses, organisation, offers)
        if named:
            return _route_by_address(organisation, named, arrival)

    result = _route_by_subject(subject, sender_name, offers, arrival, organisation)
    if result.reason == reasons.NO_SUBJECT_MATCH and fallback_subject:
        second = _route_by_subject(fallback_subject, sender_name, offers, arrival,
                                   organisation)
        if second.reason != reasons.NO_SUBJECT_MATCH:
            result = second
    return result


def _route_by_address(organisation: Organisation, named: list[Posting],
                      arrival: datetime) -> Route:
    candidates = [_candidate(p, 1.0) for p in named]
    open_ones = [p for p in named if open_at(p, arrival)]
    if len(open_ones) == 1:
        return Route(organisation, open_ones[0], 1.0, by_address=True, candidates=candidates)
    if len(open_ones) > 1:
        return Route(organisation, None, 1.0, reasons.AMBIGUOUS, True, candidates)
    return Route(organisation, named[0], 1.0, not_open_reason(named[0], arrival), True,
                 candidates)


def _candidate(posting: Posting, value: float) -> dict:
    return {"posting_id": posting.id, "score": value, "status": posting.status}


def _route_by_subject(subject: str, sender_name: str, offers: list[Posting],
                      arrival: datetime, organisation: Organisation | None) -> Route:
    normalised = normalise(subject, sender_name)
    # A line of generic words only ("Candidature") is compared with the subject's own
    # generic words ("RE: candidature" -> "candidature"), not with what follows them.
    whole = normalise(subject, sender_name, keep_generic=True)

    def line_score(posting: Posting) -> float:
        line = normalise(posting.subject_line)
        if line:
            return score(normalised, line)
        return score(whole, normalise_line(posting.subject_line))

    scored = sorted(
        ((line_score(p), p) for p in offers),
        key=lambda item: (-item[0], item[1].id),
    )
    scored = [(s, p) for s, p in scored if s >= NEAR_MISS_FLOOR]
    candidates = [_candidate(p, s) for s, p in scored[:CANDIDATES_KEPT]]
    limit = threshold()
    decided = _decide([(s, p) for s, p in scored if open_at(p, arrival)], limit)
    # A closed offer the subject names better than the open winner: a person decides.
    if decided is not None and scored[0][0] <= decided[0]:
        value, posting = decided
        return Route(organisation or posting.organisation, posting, value,
                     candidates=candidates)
    if not scored:
        return Route(organisation, None, None, reasons.NO_SUBJECT_MATCH, candidates=[])
    best_value, best = scored[0]
    home = organisation
    if home is None and len({p.organisation_id for _s, p in scored}) == 1:
        home = best.organisation
    if home is None:
        return Route(None, None, best_value, reasons.NO_ORGANISATION, candidates=candidates)
    above = [p for s, p in scored if s >= limit]
    if len(above) > 1 and any(open_at(p, arrival) for p in above):
        return Route(home, None, best_value, reasons.AMBIGUOUS, candidates=candidates)
    if best_value >= limit and not open_at(best, arrival):
        return Route(home, best, best_value, not_open_reason(best, arrival),
                     candidates=candidates)
    return Route(home, best, best_value, reasons.NEAR_MISS, candidates=candidates)


def _decide(scored: list[tuple[float, Posting]], limit: float) -> tuple[float, Posting] | None:
    """The one clear winner among open offers: a unique exact match, or the only one at or
    above the threshold."""
    exact = [(s, p) for s, p in scored if s >= 1.0]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None
    above = [(s, p) for s, p in scored if s >= limit]
    return above[0] if len(above) == 1 else None
