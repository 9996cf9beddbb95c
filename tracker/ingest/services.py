"""Ingesting inbound mail: one mail, one transaction, recorded once, never lost.

``ingest(raw, source=, now=)`` records one mail and what it makes, and commits:

1. the mail's key (its Message-ID, or the SHA-256 of its bytes) is looked up: a mail already
   recorded is returned as it is, nothing changes (reading a mailbox twice creates nothing);
2. its row is inserted first: of two ingesters reading the same mail at once, the second
   meets the unique key, rolls back and returns the first one's row;
3. in a savepoint, the mail is parsed (``parse``), routed (``routing``) and, when the offer
   is certain and the documents pass the same checks as the form's uploads, the application
   is made by the form's own service (``submit_application``, channel ``email``: the
   candidate's acknowledgement, the contacts' notification, the audit event). Anything else
   stays in triage with its reason; auto-replies and bounces are ignored (kept, listed);
4. a failure in step 3 rolls the savepoint back and keeps the mail with status ``error`` and
   a summary of the traceback: the caller goes on with the next mail.

From the triage pages: ``attach(mail, posting, actor)`` makes the application an admin chose,
``set_aside(mail, reason, actor)`` records that it is not one, ``retry(mail)`` processes a
failed (or triaged) mail again; those three leave the commit to the caller.
"""

from __future__ import annotations

from decimal import Decimal

import hashlib
import logging
import re
import traceback
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from tracker.accounts.models import Membership, Organisation, User
from tracker.applications.documents import (
    DOCX,
    ODT,
    PDF,
    CheckedFile,
    DocumentError,
    check_upload,
)
from tracker.applications.models import Application, Channel
from tracker.applications.services import add_months, submit_application
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.i18n.formatting import format_number
from tracker.ingest import parse, reasons, routing
from tracker.ingest.models import InboundMail, InboundStatus
from tracker.postings.models import Posting, PostingStatus

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 4000
SET_ASIDE_REASON_MAX = 500
DEFAULT_RETENTION_MONTHS = 24
# Images attached beside the documents (a photo, a scan) are not documents; they stay in the
# original mail. A file declared as an image but holding a PDF or a ZIP is checked anyway.
DOCUMENT_MAGICS = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"{\\rtf")


class UnreadableMail(ValueError):
    """A mail the parser cannot read (recorded in status error)."""


class TriageError(ValueError):
    """An attach or set-aside that cannot be done; ``str()`` is a translated message."""


# --- Documents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What became of one attachment, for the triage page."""

    filename: str
    size: int
    media_type: str
    # "cv", "letter", "other" (kept as that document), "refused", "unreadable", "not_kept"
    outcome: str
    message: str = ""  # why refused or not kept, in words (translated when made)


@dataclass
class Documents:
    cv: CheckedFile | None = None
    letter: CheckedFile | None = None
    others: list[CheckedFile] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def any_valid(self) -> bool:
        return self.cv is not None or self.letter is not None or bool(self.others)

    def with_outcome(self, *outcomes: str) -> list[Verdict]:
        return [v for v in self.verdicts if v.outcome in outcomes]


def _upload_limit() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def _is_image(attachment: parse.Attachment) -> bool:
    return (attachment.media_type.startswith("image/")
            and not attachment.content.startswith(DOCUMENT_MAGICS))


def read_documents(parsed: parse.ParsedMail) -> Documents:
    """The mail's attachments checked exactly like the form's uploads, then sorted into CV,
    letter and others (names first, then content, then order). Messages are in the current
    language (``force_locale`` around the call)."""
    found = Documents()
    valid: list[CheckedFile] = []
    seen: set[str] = set()
    limit = _upload_limit()
    pending: list[tuple[int, CheckedFile]] = []
    for attachment in parsed.attachments:
        size = len(attachment.content)
        if attachment.unreadable:
            found.verdicts.append(Verdict(
                attachment.filename, size, attachment.media_type, "unreadable",
                _("Outlook sent the attachments in its own format (winmail.dat), which "
                  "cannot be opened here. Ask the candidate to send their documents again as "
                  "PDF, DOCX or ODT files."),
            ))
            continue
        if _is_image(attachment):
            found.verdicts.append(Verdict(
                attachment.filename, size, attachment.media_type, "not_kept",
                _("An image, not kept as a document; it stays in the original mail."),
            ))
            continue
        try:
            checked = check_upload(attachment.filename, attachment.content, max_bytes=limit)
        except DocumentError as error:
            found.verdicts.append(Verdict(attachment.filename, size, attachment.media_type,
                                          "refused", str(error)))
            continue
        if checked.sha256 in seen:
            found.verdicts.append(Verdict(attachment.filename, size, checked.media_type,
                                          "not_kept", _("The same file is attached twice.")))
            continue
        seen.add(checked.sha256)
        pending.append((len(found.verdicts), checked))
        found.verdicts.append(Verdict(attachment.filename, size, checked.media_type, ""))
        valid.append(checked)
    found.cv, found.letter, found.others = choose_kinds(valid)
    kinds = {id(found.cv): "cv", id(found.letter): "letter"}
    for index, checked in pending:
        verdict = found.verdicts[index]
        found.verdicts[index] = Verdict(verdict.filename, verdict.size, verdict.media_type,
                                        kinds.get(id(checked), "other"))
    return found


CV_WORDS = {"cv", "curriculum", "vitae", "resume", "cvs"}
LETTER_WORDS = {"lettre", "lm", "motivation", "cover", "letter", "lettremotivation"}
LETTER_MARKERS = ("madame", "monsieur", "lettre de motivation", "je vous prie",
                  "veuillez agreer", "salutations", "dear ", "cover letter", "sincerely",
                  "yours faithfully", "je me permets", "objet :")
CV_MARKERS = ("experience", "formation", "competences", "curriculum", "education",
              "skills", "langues", "centres d'interet", "diplome", "parcours")


def kind_by_name(filename: str) -> str | None:
    """"cv" or "letter" from the file's name, or None. "CV et lettre" counts as a CV."""
    folded = parse.fold(filename.rsplit(".", 1)[0])
    tokens = set(re.findall(r"[a-z0-9]+", folded))
    is_cv = bool(tokens & CV_WORDS) or "curriculum" in folded or re.match(
        r"(?:cv|CV)(?=[A-Z][a-z])", filename) is not None
    is_letter = bool(tokens & LETTER_WORDS) or "lettre" in folded or "motivation" in folded
    if is_cv:
        return "cv"
    return "letter" if is_letter else None


def document_text(checked: CheckedFile, limit: int = 20_000) -> str:
    """The first words of a document (PDF: its first two pages), folded; "" if unreadable."""
    try:
        if checked.media_type == PDF:
            from pypdf import PdfReader

            from tracker.applications.documents import _ReadOnlyStream

            reader = PdfReader(_ReadOnlyStream(checked.content), strict=False)
            text = " ".join((page.extract_text() or "") for page in reader.pages[:2])
        elif checked.media_type in (DOCX, ODT):
            import io

            part = "word/document.xml" if checked.media_type == DOCX else "content.xml"
            with zipfile.ZipFile(io.BytesIO(checked.content)) as archive:
                xml = archive.read(part)[:500_000].decode("utf-8", "replace")
            text = re.sub(r"<[^>]+>", " ", xml)
        else:
            return ""
    except Exception:  # noqa: BLE001 - classification only; a failure means "unknown"
        return ""
    return parse.fold(" ".join(text.split()))[:limit]


def kind_by_content(checked: CheckedFile) -> int:
    """> 0: reads like a letter; < 0: like a CV; 0: cannot tell."""
    text = document_text(checked)
    return 2 * sum(1 for m in LETTER_MARKERS if m in text) - sum(
        1 for m in CV_MARKERS if m in text)


def choose_kinds(files: list[CheckedFile]
                 ) -> tuple[CheckedFile | None, CheckedFile | None, list[CheckedFile]]:
    """(cv, letter, others): names first, then content, then order."""
    by_name = [kind_by_name(f.filename) for f in files]
    cv = next((f for f, k in zip(files, by_name, strict=True) if k == "cv"), None)
    letter = next((f for f, k in zip(files, by_name, strict=True) if k == "letter"), None)
    unknown = [f for f, k in zip(files, by_name, strict=True) if k is None]
    if (cv is None or letter is None) and unknown:
        scores = {id(f): kind_by_content(f) for f in unknown}
        if cv is None:
            best = min(unknown, key=lambda f: scores[id(f)])
            if scores[id(best)] < 0:
                cv = best
                unknown.remove(best)
        if letter is None and unknown:
            best = max(unknown, key=lambda f: scores[id(f)])
            if scores[id(best)] > 0:
                letter = best
                unknown.remove(best)
    if cv is None and unknown:
        cv = unknown.pop(0)
    if letter is None and unknown:
        letter = unknown.pop(0)
    chosen = {id(cv), id(letter)}
    others = [f for f in files if id(f) not in chosen]
    return cv, letter, others


# --- Reading a mail --------------------------------------------------------------------------


EN_WORDS = {"dear", "hello", "regards", "sincerely", "please", "attached", "application",
            "position", "thank", "you", "i", "am", "my", "the", "and", "with", "would", "find"}
FR_WORDS = {"bonjour", "madame", "monsieur", "cordialement", "veuillez", "joint", "je",
            "vous", "mon", "ma", "le", "la", "les", "et", "avec", "pour", "suis", "mes"}


def guess_locale(parsed: parse.ParsedMail, organisation: Organisation | None) -> str:
    """"en" for a mail clearly written in English, else the organisation's language."""
    default = organisation.locale if organisation is not None else "fr"
    tokens = re.findall(r"[a-z]+", parse.fold(f"{parsed.subject} {parsed.text[:3000]}"))
    english = sum(1 for t in tokens if t in EN_WORDS)
    french = sum(1 for t in tokens if t in FR_WORDS)
    if english >= 5 and english > 2 * french:
        return "en"
    if french >= 3 and french > 2 * english:
        return "fr"
    return default


def arrival_of(parsed: parse.ParsedMail, received_at: datetime,
               organisations: list[Organisation] = ()) -> datetime:
    """When the mail reached the organisation, for the deadline: our mail server's stamp
    (the newest Received header), else the Date header; never later than we read it. A
    message a colleague forwarded reached the organisation when the candidate first sent it
    (the forwarded message's date): trusted only when the forwarder is the address, a member
    or the mail domain of one of ``organisations`` (anyone can write a "Forwarded message"
    block with an early date)."""
    forwarder = parsed.forwarded_by
    if (parsed.forwarded and parsed.forwarded_sent_at is not None and forwarder is not None
            and forwarder.address != parsed.sender.address
            and any(_is_organisation_address(forwarder.address, o, domain=True)
                    for o in organisations)):
        moment = parsed.forwarded_sent_at
    else:
        moment = parsed.received_at or parsed.sent_at
    return received_at if moment is None else min(moment, received_at)


def _organisations_of(parsed: parse.ParsedMail,
                      organisation: Organisation | None) -> list[Organisation]:
    """The organisations the mail may be for, before routing: imposed, by address, or the
    only one."""
    if organisation is not None:
        return [organisation]
    found = routing.organisations_by_address(parsed.to_addresses)
    if found:
        return found
    only = routing.only_organisation()
    return [only] if only is not None else []


def _names(parsed: parse.ParsedMail) -> tuple[str, str]:
    first, last = parsed.sender.first_name.strip(), parsed.sender.last_name.strip()
    if not first and not last:
        last = parsed.sender.address.partition("@")[0]
    return first[:100], last[:100]


def _from_organisation(parsed: parse.ParsedMail, organisation: Organisation | None) -> bool:
    """Written by the organisation's own mailbox or people (a reply, an internal note)."""
    if organisation is None or parsed.forwarded:
        return False
    return _is_organisation_address(parsed.sender.address, organisation)


# Mail providers anyone can have an address at: their domain says nothing of who writes.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "outlook.fr", "hotmail.com", "hotmail.fr",
    "live.com", "live.fr", "msn.com", "yahoo.com", "yahoo.fr", "icloud.com", "me.com",
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "gmx.fr", "gmx.com",
    "aol.com", "proton.me", "protonmail.com", "bbox.fr", "neuf.fr",
})


def _is_organisation_address(address: str, organisation: Organisation | None,
                             *, domain: bool = False) -> bool:
    """The organisation's own address (or its plus form), or one of its members'; with
    ``domain``, any address at the organisation's own mail domain too (a colleague's
    mailbox: "accueil@", unless that domain is a public provider's)."""
    address = (address or "").strip().lower()
    if organisation is None or not address:
        return False
    own = (organisation.email or "").strip().lower()
    if own and routing._plus_base(address)[0] == own:
        return True
    own_domain = own.rpartition("@")[2]
    if (domain and own_domain and own_domain not in PUBLIC_MAIL_DOMAINS
            and address.rpartition("@")[2] == own_domain):
        return True
    return db.session.scalar(
        sa.select(sa.func.count(Membership.id)).join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation.id, User.email == address)
    ) > 0


def _retain_until(organisation: Organisation | None, now: datetime) -> datetime:
    months = organisation.retention_months if organisation is not None \
        else DEFAULT_RETENTION_MONTHS
    return add_months(now, months)


def _error_summary(error: BaseException) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__, limit=-6)
    text = "".join(lines)
    return text[-ERROR_MAX_CHARS:]


# --- Ingesting -------------------------------------------------------------------------------


def find(message_key: str) -> InboundMail | None:
    return db.session.scalar(sa.select(InboundMail).where(InboundMail.message_key == message_key))


def _fingerprint(raw: bytes) -> tuple:
    """What makes two copies of a mail the same mail (not the headers servers add); a mail
    that cannot be read fingerprints as its own bytes (only identical bytes are the same)."""
    try:
        parsed = parse.parse_mail(raw)
        if parsed.unreadable:
            return ("sha256", hashlib.sha256(raw).hexdigest())
        return (parsed.sender.address, parsed.subject, parsed.sent_at, parsed.text,
                sorted(hashlib.sha256(a.content).hexdigest() for a in parsed.attachments))
    except Exception:  # noqa: BLE001 - cannot tell: a different mail, kept by its hash
        return ("sha256", hashlib.sha256(raw).hexdigest())


def _recorded(raw: bytes) -> tuple[str, InboundMail | None]:
    """(the mail's key, its row if already recorded).

    A copy of a recorded mail (another folder, headers added by a server) has its Message-ID:
    it is that row. A *different* mail reusing a Message-ID (broken clients do) must not be
    lost: it is keyed by the hash of its bytes instead. An erased mail (emptied) counts as
    the same, so that erasure stays final."""
    key = parse.message_key(raw)
    existing = find(key)
    if existing is None or key.startswith("sha256:"):
        return key, existing
    sha = hashlib.sha256(raw).hexdigest()
    if existing.sha256 == sha or not existing.raw:
        return key, existing
    if _fingerprint(existing.raw) == _fingerprint(raw):
        return key, existing
    key = "sha256:" + sha
    return key, find(key)


def ingest(raw: bytes, *, source: str = "", now: datetime | None = None,
           organisation: Organisation | None = None) -> InboundMail:
    """Record one mail and what it makes, COMMITTED; returns its row (new or the existing one).

    Once by message key: a mail already recorded is returned as it is, nothing changes.
    A failure while processing records the mail with status ``error`` (committed) instead of
    raising. ``organisation``: the mailbox is that organisation's (``flask ingest
    --organisation``); otherwise the mail's addresses and subject tell.
    """
    return ingest_once(raw, source=source, now=now, organisation=organisation)[0]


def ingest_once(raw: bytes, *, source: str = "", now: datetime | None = None,
                organisation: Organisation | None = None,
                too_large: int = 0) -> tuple[InboundMail, bool]:
    """``ingest``, telling also whether the mail was new (False: recorded before).
    ``too_large``: the mail's size when over INGEST_MAX_BYTES, ``raw`` being its headers
    only: recorded in triage (reason ``too_large``) from its headers."""
    now = now or utcnow()
    raw = bytes(raw)
    key, existing = _recorded(raw)
    if existing is not None:
        db.session.commit()  # end the read-only transaction
        return existing, False
    mail = InboundMail(
        message_key=key, sha256=hashlib.sha256(raw).hexdigest(), source=source[:500],
        raw=raw, size=too_large or len(raw), received_at=now, status=InboundStatus.TRIAGE,
        organisation_id=organisation.id if organisation is not None else None,
        to_addresses=[], candidates=[],
    )
    db.session.add(mail)
    try:
        db.session.flush()  # the unique key: a concurrent ingester of the same mail stops here
        if too_large:
            _record_too_large(mail, organisation=organisation, now=now)
        else:
            _process_safely(mail, organisation=organisation, now=now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        winner = find(key)
        if winner is None:
            raise
        db.session.commit()
        return winner, False
    return mail, True


def preview(raw: bytes, *, now: datetime | None = None,
            organisation: Organisation | None = None) -> Outcome:
    """What ``ingest`` would do with this mail, without recording anything (--dry-run)."""
    now = now or utcnow()
    raw = bytes(raw)
    key, existing = _recorded(raw)
    if existing is not None:
        outcome = outcome_of(existing, already=True)
        db.session.rollback()
        return outcome
    mail = InboundMail(message_key=key, sha256=hashlib.sha256(raw).hexdigest(), raw=raw,
                       size=len(raw), received_at=now, status=InboundStatus.TRIAGE,
                       to_addresses=[], candidates=[])
    try:
        db.session.add(mail)
        db.session.flush()
        _process_safely(mail, organisation=organisation, now=now)
        return outcome_of(mail, already=False)
    finally:
        db.session.rollback()


@dataclass(frozen=True)
class Outcome:
    """One line of ``flask ingest``'s report."""

    message_key: str
    status: str  # an InboundStatus, or "failed" (not even recorded: the database failed)
    reason: str = ""
    posting_id: int | None = None
    posting_title: str = ""
    reference: str = ""  # the application's
    inbound_id: int | None = None
    already: bool = False  # recorded by an earlier run: nothing changed
    label: str = ""  # where the source found it
    error: str = ""


def outcome_of(mail: InboundMail, *, already: bool, label: str = "") -> Outcome:
    posting = db.session.get(Posting, mail.posting_id) if mail.posting_id else None
    application = db.session.get(Application, mail.application_id) \
        if mail.application_id else None
    return Outcome(
        message_key=mail.message_key, status=str(mail.status), reason=mail.reason,
        posting_id=mail.posting_id, posting_title=posting.title if posting else "",
        reference=application.reference if application else "", inbound_id=mail.id,
        already=already, label=label,
        error=mail.error.strip().splitlines()[-1] if mail.error.strip() else "",
    )


def ingest_source(source, *, organisation: Organisation | None = None,
                  now: datetime | None = None, dry_run: bool = False) -> Iterator[Outcome]:
    """Every mail of a source (``tracker.ingest.sources.Source``), one transaction each, acked
    once committed (also a mail recorded before: a run that stopped between the two). A mail
    the database could not record at all is reported ``failed``, not acked, and the next one
    goes on. Errors of the source itself (a dropped connection) propagate."""
    for item in source:
        moment = now or utcnow()
        try:
            if dry_run:
                outcome = preview(item.raw, now=moment, organisation=organisation)
                yield Outcome(**{**outcome.__dict__, "label": item.label})
                continue
            mail, new = ingest_once(item.raw, source=source.name, now=moment,
                                    organisation=organisation,
                                    too_large=getattr(item, "too_large", 0))
            outcome = outcome_of(mail, already=not new, label=item.label)
        except Exception as error:  # noqa: BLE001 - the next mail goes on
            db.session.rollback()
            log.exception("Inbound mail %s could not be recorded", item.label)
            yield Outcome(message_key=item.key, status="failed", label=item.label,
                          error=f"{type(error).__name__}: {error}"[:500])
            continue
        source.ack(item)
        yield outcome


def _process_safely(mail: InboundMail, *, organisation: Organisation | None,
                    now: datetime) -> None:
    """Process in a savepoint; a failure leaves the mail in status error with the reason."""
    try:
        with db.session.begin_nested():
            process(mail, organisation=organisation, now=now)
    except Exception as error:  # noqa: BLE001 - whatever happens, the mail is kept
        log.exception("Inbound mail %s could not be processed", mail.message_key)
        _headers_only(mail)
        mail.status = InboundStatus.ERROR
        mail.reason = reasons.ERROR
        mail.error = _error_summary(error)
        mail.application_id = None
        mail.submission_id = None
        # The savepoint's rollback expired what process() had set: the organisation comes
        # from the headers again, so that the mail shows in that organisation's triage.
        home = organisation or _home_from_headers(mail)
        mail.organisation_id = home.id if home is not None else None
        if mail.retain_until is None:
            mail.retain_until = _retain_until(home, now)
        db.session.flush()


def _record_too_large(mail: InboundMail, *, organisation: Organisation | None,
                      now: datetime) -> None:
    """A mail over INGEST_MAX_BYTES: what its headers say, in triage for an admin."""
    _headers_only(mail)
    home = organisation or _home_from_headers(mail)
    mail.organisation_id = home.id if home is not None else None
    mail.status, mail.reason = InboundStatus.TRIAGE, reasons.TOO_LARGE
    limit = int(current_app.config.get("INGEST_MAX_BYTES", 25 * 1024 * 1024))
    with force_locale(home.locale if home is not None else "fr"):
        mail.note = _("This email is %(size)s MB, over the limit of %(limit)s MB: it was not "
                      "read, only its headers were kept. Ask the sender for smaller files.",
                      size=_megabytes(mail.size), limit=_megabytes(limit))
    mail.retain_until = _retain_until(home, now)
    db.session.flush()


def _megabytes(size: int) -> str:
    """"25", "0,3": megabytes with one decimal at most, written the locale's way."""
    return format_number((Decimal(size) / 1024 / 1024).quantize(Decimal("0.1")))


def _home_from_headers(mail: InboundMail) -> Organisation | None:
    """The organisation the mail was sent to (its addresses), or the only one there is."""
    try:
        found = routing.organisations_by_address(mail.to_addresses or [])
    except Exception:  # noqa: BLE001 - the error path must not fail
        found = []
    if len(found) == 1:
        return found[0]
    try:
        return routing.only_organisation()
    except Exception:  # noqa: BLE001
        return None


def _headers_only(mail: InboundMail) -> None:
    """What the headers say, read as leniently as possible (for a mail that failed)."""
    try:
        message = parse.read_message(mail.raw)
        sender = parse.sender_of(message)
        mail.from_name, mail.from_address = sender.name[:200], sender.address[:320]
        mail.subject = parse.header_text(message, "subject")[:1000]
        mail.sent_at = parse.header_date(message)
        mail.to_addresses = parse.recipient_addresses(message)
    except Exception:  # noqa: BLE001 - nothing more can be said of this mail
        pass


def process(mail: InboundMail, *, organisation: Organisation | None, now: datetime) -> None:
    """Parse, route and act on one recorded mail (no commit). Raises on unexpected failure."""
    parsed = parse.parse_mail(mail.raw)
    mail.from_name = parsed.sender.name[:200]
    mail.from_address = parsed.sender.address[:320]
    mail.subject = parsed.subject[:1000]
    mail.to_addresses = parsed.to_addresses
    mail.sent_at = parsed.sent_at
    mail.error = ""
    if parsed.unreadable:
        raise UnreadableMail(parsed.unreadable)
    arrival = arrival_of(parsed, mail.received_at or now, _organisations_of(parsed, organisation))
    if parsed.automatic:
        _ignore(mail, parsed, organisation)
        return
    found = routing.route(
        subject=parsed.subject, sender_name=parsed.sender.name or _full_name(parsed),
        addresses=parsed.to_addresses, arrival=arrival, organisation=organisation,
        fallback_subject=parsed.outer_subject,
    )
    home = found.organisation
    mail.organisation_id = home.id if home is not None else None
    mail.posting_id = found.posting.id if found.posting is not None else None
    mail.match_score = found.score
    mail.candidates = found.candidates
    mail.retain_until = _retain_until(home, now)
    with force_locale(home.locale if home is not None else "fr"):
        documents = read_documents(parsed)
        notes = _notes(parsed, documents)
    reason = _triage_reason(parsed, found, documents, home)
    mail.note = "\n".join(notes)
    if reason:
        mail.status, mail.reason = InboundStatus.TRIAGE, reason
        db.session.flush()
        return
    _make_application(mail, parsed, documents, found.posting, arrival)
    mail.reason = reasons.MATCHED_BY_ADDRESS if found.by_address else reasons.MATCHED
    db.session.flush()


def _full_name(parsed: parse.ParsedMail) -> str:
    return f"{parsed.sender.first_name} {parsed.sender.last_name}".strip()


def _ignore(mail: InboundMail, parsed: parse.ParsedMail,
            organisation: Organisation | None) -> None:
    home = organisation
    if home is None:
        found = routing.organisations_by_address(parsed.to_addresses)
        home = found[0] if len(found) == 1 else routing.only_organisation()
    mail.organisation_id = home.id if home is not None else None
    mail.status = InboundStatus.IGNORED
    mail.reason = reasons.BOUNCE if parsed.automatic == "bounce" else reasons.AUTO_REPLY
    mail.retain_until = _retain_until(home, mail.received_at)
    db.session.flush()


def _triage_reason(parsed: parse.ParsedMail, found: routing.Route, documents: Documents,
                   home: Organisation | None) -> str:
    if not parsed.sender.address:
        return reasons.NO_SENDER
    if _from_organisation(parsed, home):
        return reasons.FROM_ORGANISATION
    if found.reason:
        return found.reason
    if documents.with_outcome("unreadable") and not documents.any_valid:
        return reasons.UNREADABLE_ATTACHMENT
    if documents.with_outcome("refused", "unreadable"):
        return reasons.INVALID_ATTACHMENT
    if not documents.any_valid:
        return reasons.NO_ATTACHMENT
    return ""


def _notes(parsed: parse.ParsedMail, documents: Documents) -> list[str]:
    """What a person handling the mail should know, in words (the organisation's language)."""
    notes = []
    if parsed.forwarded and parsed.forwarded_by is not None:
        notes.append(_("Forwarded by %(sender)s.", sender=parsed.forwarded_by.address
                       or parsed.forwarded_by.name))
    for verdict in documents.verdicts:
        if verdict.outcome in ("refused", "unreadable", "not_kept"):
            notes.append(f"{verdict.filename}: {verdict.message}")
    return notes


def _make_application(mail: InboundMail, parsed: parse.ParsedMail, documents: Documents,
                      posting: Posting, arrival: datetime) -> Application:
    from tracker.reminders.engine import link_context

    from tracker.applications.forms import LETTER_MAX, MESSAGE_MAX

    first, last = _names(parsed)
    body = parsed.text
    letter = documents.letter
    # The form's limits: a longer text is cut (the whole of it stays in the original mail).
    limit = MESSAGE_MAX if letter is not None else LETTER_MAX
    if len(body) > limit:
        body = body[:limit - 1].rstrip() + "…"
        with force_locale(posting.organisation.locale):
            cut = _("The text of the email was cut to %(max)s characters; the whole text is "
                    "in the original email.", max=limit)
        mail.note = "\n".join(line for line in (mail.note, cut) if line)
    # The acknowledgement links to the candidate's page: outside a request (flask ingest, the
    # worker) the links are built from SERVER_NAME or TRUSTED_HOSTS, as the reminders' are.
    with link_context():
        result = submit_application(
            posting, first_name=first, last_name=last, email=parsed.sender.address,
            phone=parsed.phone[:40], cv=documents.cv, letter=letter,
            letter_text=body if letter is None else "",
            message=body if letter is not None else "", others=documents.others,
            locale=guess_locale(parsed, posting.organisation), channel=Channel.EMAIL,
            now=arrival,
        )
    application = result.application
    mail.status = InboundStatus.APPLICATION
    mail.organisation_id = posting.organisation_id
    mail.posting_id = posting.id
    mail.application_id = application.id
    mail.submission_id = result.submission.id
    mail.retain_until = application.retain_until
    return application


# --- From triage -----------------------------------------------------------------------------


def claim(mail: InboundMail) -> None:
    """Lock the mail's row for this transaction, then read its status again: of two clicks
    (or two admins) acting on the same mail, the second waits for the first and sees what it
    did. PostgreSQL: SELECT ... FOR UPDATE; SQLite: a no-op write takes the database's write
    lock. Raises TriageError when the mail has already made an application."""
    if db.session.get_bind().dialect.name == "sqlite":
        claimed = db.session.execute(
            sa.update(InboundMail)
            .where(InboundMail.id == mail.id, InboundMail.status != InboundStatus.APPLICATION)
            .values(status=InboundMail.status)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(mail)
        if not claimed:
            raise TriageError(_("This mail has already made an application."))
    else:
        db.session.execute(
            sa.select(InboundMail).where(InboundMail.id == mail.id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalars().all()  # fetched: the row is locked and the mail's attributes read again
    if mail.status == InboundStatus.APPLICATION:
        raise TriageError(_("This mail has already made an application."))


def retry(mail: InboundMail, *, actor: User | None = None,
          now: datetime | None = None) -> InboundMail:
    """Process a mail in status ``error`` (or ``triage``: after an offer's subject line was
    fixed) again from its stored bytes; the caller commits. The outcome is in the row (an
    application, triage, or ``error`` again with the new traceback)."""
    now = now or utcnow()
    if mail.status not in (InboundStatus.ERROR, InboundStatus.TRIAGE):
        raise TriageError(_("Only a mail that failed or waits in triage can be tried again."))
    try:
        claim(mail)
    except TriageError:
        raise TriageError(_("Only a mail that failed or waits in triage can be tried "
                            "again.")) from None
    if mail.status not in (InboundStatus.ERROR, InboundStatus.TRIAGE):
        raise TriageError(_("Only a mail that failed or waits in triage can be tried again."))
    organisation = db.session.get(Organisation, mail.organisation_id) \
        if mail.organisation_id is not None else None
    mail.updated_at = now
    db.session.flush()  # a write first: on SQLite the savepoint is then inside a transaction
    _process_safely(mail, organisation=organisation, now=now)
    if actor is not None and mail.organisation_id is not None:
        record_event(organisation_id=mail.organisation_id, actor=actor, action="inbound.retry",
                     object_type="inbound_mail", object_id=mail.id, status=str(mail.status))
    return mail


def attach(mail: InboundMail, posting: Posting, actor: User | None,
           now: datetime | None = None) -> Application:
    """From triage: make the application for ``posting`` from the mail (same service as the
    form, channel email), whatever the offer's status or deadline (the admin decides), audit
    event ``inbound.attach``; the caller commits. Raises TriageError (translated) when it
    cannot: mail already an application, no sender address, offer of another organisation
    or still a draft. Refused attachments stay out (they remain in the original mail)."""
    now = now or utcnow()
    if mail.status == InboundStatus.APPLICATION:
        raise TriageError(_("This mail has already made an application."))
    claim(mail)
    if mail.organisation_id is not None and mail.organisation_id != posting.organisation_id:
        raise TriageError(_("This offer belongs to another organisation."))
    if posting.status == PostingStatus.DRAFT:
        raise TriageError(_("This offer is a draft: publish it before attaching mail to it."))
    parsed = parse.parse_mail(mail.raw)
    if parsed.unreadable:
        raise TriageError(_("This mail could not be read: it cannot become an application. "
                            "Set it aside."))
    if not parsed.sender.address:
        raise TriageError(_("This mail has no sender address: it cannot become an "
                            "application."))
    organisation = posting.organisation
    with force_locale(organisation.locale):
        documents = read_documents(parsed)
    arrival = arrival_of(parsed, mail.received_at or now, [organisation])
    application = _make_application(mail, parsed, documents, posting, arrival)
    mail.reason = reasons.ATTACHED
    mail.handled_by_id = actor.id if actor is not None else None
    mail.handled_at = now
    mail.error = ""
    db.session.flush()
    record_event(organisation_id=organisation.id, actor=actor, action="inbound.attach",
                 object_type="inbound_mail", object_id=mail.id, posting_id=posting.id,
                 application_id=application.id)
    return application


def set_aside(mail: InboundMail, reason: str, actor: User | None,
              now: datetime | None = None) -> InboundMail:
    """From triage: not an application. The admin's reason (required, at most 500
    characters) becomes the mail's note; its triage reason code is kept; the mail stays
    listed and searchable. Audit event ``inbound.set_aside``; the caller commits. TriageError
    when the reason is empty or the mail already made an application."""
    now = now or utcnow()
    reason = " ".join((reason or "").split())
    if not reason:
        raise TriageError(_("Say why this mail is set aside."))
    if len(reason) > SET_ASIDE_REASON_MAX:
        raise TriageError(_("The reason is too long (%(max)s characters at most).",
                            max=SET_ASIDE_REASON_MAX))
    if mail.status == InboundStatus.APPLICATION:
        raise TriageError(_("This mail has already made an application."))
    claim(mail)
    mail.status = InboundStatus.SET_ASIDE
    mail.note = reason
    mail.handled_by_id = actor.id if actor is not None else None
    mail.handled_at = now
    db.session.flush()
    if mail.organisation_id is not None:
        record_event(organisation_id=mail.organisation_id, actor=actor,
                     action="inbound.set_aside", object_type="inbound_mail",
                     object_id=mail.id, reason=reason)
    return mail
