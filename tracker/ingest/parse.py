"""What a mail says: from raw bytes to a ``ParsedMail``, whatever the client that wrote it.

``parse_mail(raw)`` never raises on bad input: headers that do not parse are read leniently
(or left empty), undecodable text is decoded with replacement characters, and what cannot be
read at all is reported in ``notes``. It handles what real clients send: RFC 2047 subjects and
names (UTF-8, ISO-8859-1...), RFC 2231 file names, quoted-printable and base64, nested
multiparts (Apple Mail's alternative inside related inside mixed), HTML-only bodies (phones),
inline and signature images (ignored), forwarded mail (a ``message/rfc822`` part, or a
"Forwarded message" block in the body: the inner message is the application), Outlook's
``winmail.dat`` (reported unreadable), auto-replies and bounces (flagged, never applications).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

MESSAGE_KEY_MAX = 255

# Attachments Outlook wraps in its own format (TNEF): nothing we can open.
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
# Parts that are never documents: signatures, contact cards, calendar invitations.
IGNORED_TYPES = {
    "application/pgp-signature", "application/pkcs7-signature",
    "application/x-pkcs7-signature", "application/pgp-keys", "text/vcard", "text/x-vcard",
    "text/directory", "text/calendar",
}

AUTO_SUBJECT = re.compile(
    r"^\s*(r[ée]ponse automatique|automatic reply|auto(matic)?[ -]?reply|auto[ -]?response|"
    r"out of (the )?office|absence|absent|abwesenheit|message d'absence|"
    r"accus[ée] de r[ée]ception|read:|lu\s*:|undeliverable|undelivered mail|"
    r"delivery status notification|mail delivery (failed|system)|non remis|"
    r"returned mail|failure notice)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)

# The line that starts a forwarded message inside a body, in the clients' own words. Gmail,
# Thunderbird and Apple Mail say "forwarded"; Outlook's line of underscores and "Original
# Message" also start a quoted reply, so they count only under a forward prefix (TR:, Fwd:).
FORWARD_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}\s*(?:forwarded message|message transf[ée]r[ée]|mensaje reenviado|"
    r"weitergeleitete nachricht)\s*-*|d[ée]but du message r[ée]exp[ée]di[ée]\s*:|"
    r"begin forwarded message\s*:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
QUOTE_MARKER = re.compile(
    r"^[ \t>]*(?:_{20,}|-{2,}\s*(?:original message|message d'origine|"
    r"urspr[üu]ngliche nachricht)\s*-*)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
FORWARD_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|aw)\s*:\s*)*(?:tr|fwd?|fw|wg|trans?)\s*:",
                                    re.IGNORECASE)
FORWARD_HEADER = re.compile(
    r"^[ \t>]*\*?(from|de|von|subject|objet|sujet|betreff|date|envoy[ée]|sent|to|[àa]|pour|"
    r"an|cc)\*?\s*:\s*(.*)$",
    re.IGNORECASE,
)
FORWARD_FROM = {"from", "de", "von"}
FORWARD_SUBJECT = {"subject", "objet", "sujet", "betreff"}
FORWARD_DATE = {"date", "sent", "envoyé", "envoye"}

# Signature lines that phones and webmails add: not part of a letter.
CLIENT_SIGNATURES = re.compile(
    r"^\s*(envoy[ée] (de|depuis|à partir de) (mon|ma|mon appareil|outlook|l'application)[^\n]*|"
    r"sent from (my|outlook|mail for)[^\n]*|get outlook for [^\n]*|"
    r"t[ée]l[ée]charger outlook pour [^\n]*|obtenir outlook pour [^\n]*)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
PHONE = re.compile(r"(?<![\d+])(?:\+33\s?\(?0?\)?\s?|0033\s?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")
NAME_PARTICLES = {"de", "du", "des", "le", "la", "van", "von", "der", "den", "del", "da",
                  "di", "d'", "ben", "el", "al"}
ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]+$")


@dataclass
class Attachment:
    """A file of the mail that may be a document of the application."""

    filename: str
    media_type: str  # as declared by the mail (the content decides, later)
    content: bytes
    unreadable: str = ""  # why it cannot be read at all (winmail.dat)


@dataclass
class Sender:
    name: str = ""  # as written (decoded)
    address: str = ""  # lower-cased
    first_name: str = ""
    last_name: str = ""


@dataclass
class ParsedMail:
    message_key: str
    sha256: str
    sender: Sender
    subject: str
    sent_at: datetime | None  # the Date header
    received_at: datetime | None  # the newest Received header (our mail server's clock)
    to_addresses: list[str]  # To, Cc, Delivered-To, X-Original-To (lower-cased, once each)
    text: str  # the body as text (the forwarded message's, when forwarded)
    attachments: list[Attachment] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # inline images, signatures...
    automatic: str = ""  # "auto_reply" or "bounce": never an application
    forwarded: bool = False
    forwarded_by: Sender | None = None  # who forwarded it (the outer sender)
    forwarded_sent_at: datetime | None = None  # when the forwarded message was first sent
    outer_subject: str = ""  # the forwarding mail's own subject
    phone: str = ""
    notes: list[str] = field(default_factory=list)
    unreadable: str = ""  # why the parser failed (then only the top headers were read)


# --- Entry point -----------------------------------------------------------------------------


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything the ingestion needs from one mail's bytes. Never raises: a mail the parser
    cannot read (nested thousands of levels deep, RecursionError) gives what its top headers
    say, with ``unreadable`` set and a note."""
    try:
        return _parse_mail(raw)
    except Exception as error:  # noqa: BLE001 - any parser failure: a minimal reading
        return _unreadable_mail(raw, error)


def _unreadable_mail(raw: bytes, error: BaseException) -> ParsedMail:
    parsed = ParsedMail(message_key="", sha256=hashlib.sha256(raw).hexdigest(),
                        sender=Sender(), subject="", sent_at=None, received_at=None,
                        to_addresses=[], text="",
                        unreadable=f"{type(error).__name__}: {error}"[:200])
    parsed.notes.append("The mail's structure could not be read; only its headers were.")
    try:
        parsed.message_key = message_key(raw)
    except Exception:  # noqa: BLE001
        parsed.message_key = "sha256:" + parsed.sha256
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        parsed.sender = sender_of(message)
        parsed.subject = header_text(message, "subject")
        parsed.sent_at = header_date(message)
        parsed.received_at = received_date(message)
        parsed.to_addresses = recipient_addresses(message)
    except Exception:  # noqa: BLE001 - nothing more can be said of this mail
        pass
    return parsed


def _parse_mail(raw: bytes) -> ParsedMail:
    message = read_message(raw)
    sender = sender_of(message)
    parsed = ParsedMail(
        message_key=message_key(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        sender=sender,
        subject=header_text(message, "subject"),
        sent_at=header_date(message),
        received_at=received_date(message),
        to_addresses=recipient_addresses(message),
        text="",
    )
    parsed.automatic = automatic_kind(message, sender, parsed.subject)
    walker = _Walker()
    walker.walk(message)
    parsed.attachments, parsed.ignored, parsed.notes = (
        walker.attachments, walker.ignored, walker.notes)
    parsed.text = walker.text()
    if walker.inner is not None and not parsed.automatic:
        _take_inner(parsed, walker.inner)
    elif not parsed.automatic:
        _take_inline_forward(parsed)
    parsed.text = clean_body(parsed.text)
    fill_names(parsed.sender, parsed.text, [a.filename for a in parsed.attachments])
    parsed.phone = find_phone(parsed.text)
    return parsed


def read_message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def message_key(raw: bytes) -> str:
    """The Message-ID as written (angle brackets kept), or "sha256:<hex>" of the bytes."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    value = _raw_header(message, "message-id")
    value = " ".join(value.split())
    if not value or "@" not in value:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    if len(value) > MESSAGE_KEY_MAX:
        return "mid-sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return value


# --- Headers ---------------------------------------------------------------------------------


SURROGATES = re.compile(r"[\ud800-\udfff]")
# Raw 8-bit bytes the parser kept as surrogate escapes (U+DC80..U+DCFF), one run at a time.
ESCAPED_BYTES = re.compile(r"[\udc80-\udcff]+")


CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _unescape_bytes(match: re.Match) -> str:
    data = bytes(ord(c) - 0xDC00 for c in match.group(0))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(chr(b) if b in CP1252_UNDEFINED else bytes([b]).decode("cp1252")
                       for b in data)


def safe_text(text: str) -> str:
    """Text any database stores: raw 8-bit bytes (kept by the parser as surrogate escapes)
    decoded as UTF-8 where they are strictly UTF-8, else as cp1252 (never U+FFFD); other
    lone surrogates dropped; no NUL characters."""
    if SURROGATES.search(text):
        text = ESCAPED_BYTES.sub(_unescape_bytes, text)
        text = SURROGATES.sub("", text)
    return text.replace("\x00", "")


def _raw_header(message: Message, name: str) -> str:
    """A header's undecoded value ("" when absent or unreadable)."""
    try:
        values = message.get_all(name) or []
    except Exception:  # noqa: BLE001 - a header the parser chokes on reads as absent
        return ""
    for value in values:
        try:
            return str(value).strip()
        except Exception:  # noqa: BLE001
            continue
    return ""


def header_text(message: Message, name: str) -> str:
    """A header decoded (RFC 2047, any charset), on one line."""
    raw = _raw_from_bytes(message, name)
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - malformed encoded words: decode by hand
        text = _decode_words(raw)
    if SURROGATES.search(raw):  # raw 8-bit bytes: the parser put U+FFFD in their place
        text = safe_text(raw)
        if "=?" in text:
            text = _decode_words(text)
    if "=?" in text:  # a client that encoded words where the standard forbids it
        text = _decode_words(text)
    return " ".join(safe_text(text).split())


def _raw_from_bytes(message: Message, name: str) -> str:
    for key, value in getattr(message, "_headers", []):
        if key.lower() == name:
            return str(value)
    return ""


def _decode_words(text: str) -> str:
    from email.header import decode_header

    try:
        parts = decode_header(text)
    except Exception:  # noqa: BLE001
        return text
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(_decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    return "".join(out)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8", "cp1252"):
        if not candidate or candidate == "unknown-8bit":
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of these headers, decoded; broken ones skipped."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        try:
            headers = message.get_all(name) or []
        except Exception:  # noqa: BLE001
            headers = []
        for header in headers:
            addresses = getattr(header, "addresses", None)
            if addresses is not None:
                try:
                    pairs.extend((a.display_name, a.addr_spec) for a in addresses)
                    continue
                except Exception:  # noqa: BLE001 - fall back to the lenient parser
                    pass
            pairs.extend(getaddresses([_decode_words(str(header))]))
    return pairs


def sender_of(message: Message) -> Sender:
    pairs = _addresses(message, "from") or _addresses(message, "sender", "return-path")
    for name, address in pairs:
        address = clean_address(address)
        if address:
            return Sender(name=" ".join(safe_text(_decode_words(name or "")).split()),
                          address=address)
    return Sender()


def clean_address(address: str) -> str:
    address = safe_text(address or "").strip().strip("<>").strip().lower()
    return address if ADDRESS.match(address) else ""


def recipient_addresses(message: Message) -> list[str]:
    seen: dict[str, None] = {}
    for _name, address in _addresses(message, "to", "cc", "delivered-to", "x-original-to",
                                     "envelope-to"):
        address = clean_address(address)
        if address:
            seen.setdefault(address, None)
    return list(seen)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or not 1990 <= moment.year <= 2200:
        return None
    return _as_utc(moment)


def header_date(message: Message) -> datetime | None:
    return parse_date(_raw_header(message, "date"))


def received_date(message: Message) -> datetime | None:
    """The date our side's mail server wrote in the newest Received header (the first one)."""
    value = _raw_header(message, "received")
    if ";" not in value:
        return None
    return parse_date(value.rsplit(";", 1)[1])


# --- Auto-replies and bounces ----------------------------------------------------------------


def automatic_kind(message: Message, sender: Sender, subject: str) -> str:
    """ "bounce", "auto_reply" or "" (a person wrote it)."""
    content_type = message.get_content_type()
    if (content_type == "multipart/report" or BOUNCE_SENDERS.match(sender.address)
            or any(part.get_content_type() in ("message/delivery-status",
                                               "message/global-delivery-status")
                   for part in _safe_walk(message))):
        return "bounce"
    auto = _raw_header(message, "auto-submitted").lower()
    if auto and auto != "no":
        return "auto_reply"
    if any(_raw_header(message, name) for name in ("x-autoreply", "x-autorespond",
                                                    "x-autogenerated")):
        return "auto_reply"
    # Precedence bulk/junk marks robots, except on mail relayed by a list (a recruitment
    # address that is a Google Group or a Mailman list relays applications with it).
    precedence = _raw_header(message, "precedence").lower()
    if precedence == "auto_reply" or (precedence in ("bulk", "junk")
                                      and not _raw_header(message, "list-id")):
        return "auto_reply"
    if _raw_header(message, "x-auto-response-suppress").lower() in ("all", "oof") and \
            AUTO_SUBJECT.match(subject):
        return "auto_reply"
    if AUTO_SUBJECT.match(subject):
        return "auto_reply"
    return ""


def _safe_walk(message: Message):
    try:
        yield from message.walk()
    except Exception:  # noqa: BLE001
        return


# --- Parts -----------------------------------------------------------------------------------


class _Walker:
    """Goes through the MIME tree once: body texts, attachments, ignored parts, inner mail."""

    MAX_DEPTH = 20

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.ignored: list[str] = []
        self.notes: list[str] = []
        self.inner: Message | None = None

    def text(self) -> str:
        if any(t.strip() for t in self.plain):
            return safe_text("\n\n".join(t for t in self.plain if t.strip()))
        return safe_text("\n\n".join(html_to_text(h) for h in self.html if h.strip()))

    def walk(self, part: Message, depth: int = 0, related: bool = False,
             bodies: bool = True) -> None:
        """``bodies`` False: the body texts met are another form of a text already taken
        (the HTML side of an alternative whose plain text won); only files count."""
        if depth > self.MAX_DEPTH:
            self.notes.append("MIME structure nested too deeply: the rest was not read.")
            return
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            self._message(part, depth)
            return
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return
            if content_type == "multipart/alternative":
                self._alternative(children, depth, related, bodies)
                return
            for child in children:
                if isinstance(child, Message):
                    self.walk(child, depth + 1, related or content_type == "multipart/related",
                              bodies)
            return
        self._leaf(part, related, bodies)

    def _alternative(self, children: list, depth: int, related: bool = False,
                     bodies: bool = True) -> None:
        """One body in several forms: the plain text if any, else the richest form. The other
        forms are still walked for their files (Apple Mail and iOS put a file dropped in the
        text inside the HTML form: alternative[plain, mixed[html, pdf, html]]); pictures of
        a multipart/related stay ignored."""
        plain = [c for c in children if isinstance(c, Message)
                 and c.get_content_type() == "text/plain" and not _is_attachment(c)]
        if plain and any(_text_of(c).strip() for c in plain):
            if bodies:
                for child in plain:
                    self.plain.append(_text_of(child))
            for child in children:
                if isinstance(child, Message) and child.is_multipart():
                    self.walk(child, depth + 1, related, bodies=False)
            return
        for child in children:
            if isinstance(child, Message):
                self.walk(child, depth + 1, related, bodies)

    def _message(self, part: Message, depth: int) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            return
        if self.inner is None:
            self.inner = inner
        # The forwarded message's attachments are the application's documents.
        self.walk(inner, depth + 1)

    def _leaf(self, part: Message, related: bool, bodies: bool = True) -> None:
        content_type = part.get_content_type()
        name = _filename(part)
        attached = _is_attachment(part)
        if content_type in TNEF_TYPES or (name or "").lower() == "winmail.dat":
            self.attachments.append(Attachment(
                filename=name or "winmail.dat", media_type=content_type,
                content=_payload(part),
                unreadable="tnef",
            ))
            return
        if content_type in IGNORED_TYPES:
            self.ignored.append(name or content_type)
            return
        if content_type.startswith("text/") and not attached and not name:
            if not bodies:
                return  # another form of the body already taken
            (self.html if content_type == "text/html" else self.plain).append(_text_of(part))
            return
        if content_type.startswith("image/") and (related or not attached
                                                   or part.get("content-id")):
            self.ignored.append(name or content_type)  # inline picture, signature logo
            return
        content = _payload(part)
        if not content:
            self.notes.append(f"Empty part ignored: {name or content_type}")
            return
        self.attachments.append(Attachment(
            filename=name or _default_name(content_type), media_type=content_type,
            content=content,
        ))


def _is_attachment(part: Message) -> bool:
    try:
        return (part.get_content_disposition() or "") == "attachment"
    except Exception:  # noqa: BLE001
        return False


def _filename(part: Message) -> str:
    """The file's name, RFC 2231 (any charset) or RFC 2047 words decoded."""
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    if not name:
        try:
            name = part.get_param("name", header="content-type") or ""
        except Exception:  # noqa: BLE001
            name = ""
        if isinstance(name, tuple):  # (charset, language, value) from RFC 2231
            from email.utils import collapse_rfc2231_value

            name = collapse_rfc2231_value(name)
    name = str(name)
    if "=?" in name:
        name = _decode_words(name)
    return " ".join(safe_text(name).split())


def _default_name(content_type: str) -> str:
    extension = {"application/pdf": "pdf", "application/msword": "doc"}.get(content_type, "bin")
    return f"attachment.{extension}"


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "replace") if isinstance(payload, str) else b""


def _text_of(part: Message) -> str:
    data = _payload(part)
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return _decode_bytes(data, charset)


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
              "table", "ul", "ol", "section", "article", "header", "footer"}
    SKIPPED = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML body: tags dropped, paragraphs kept, entities decoded."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; belt and braces
        return re.sub(r"<[^>]*>", " ", html)
    lines = [" ".join(line.replace("\xa0", " ").split())
             for line in "".join(extractor.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- Forwarded mail --------------------------------------------------------------------------


def _take_inner(parsed: ParsedMail, inner: Message) -> None:
    """A message/rfc822 part: its sender, subject and text make the application."""
    sender = sender_of(inner)
    if not sender.address:
        return
    parsed.forwarded = True
    parsed.forwarded_by = parsed.sender
    parsed.sender = sender
    parsed.outer_subject = parsed.subject
    parsed.subject = header_text(inner, "subject") or parsed.subject
    walker = _Walker()
    walker.walk(inner)
    parsed.text = walker.text() or parsed.text
    parsed.forwarded_sent_at = _not_after(header_date(inner), parsed.sent_at)


def _take_inline_forward(parsed: ParsedMail) -> None:
    """A forward written into the body (Gmail, Outlook, Thunderbird, Apple Mail)."""
    match = FORWARD_MARKER.search(parsed.text)
    if match is None and FORWARD_SUBJECT_PREFIX.match(parsed.subject):
        match = QUOTE_MARKER.search(parsed.text)
    if match is None:
        return
    lines = parsed.text[match.end():].lstrip("\n").splitlines()
    headers: dict[str, str] = {}
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index used after the loop
        if not line.strip():
            if headers:
                break
            continue
        found = FORWARD_HEADER.match(line)
        if found is None:
            if headers:
                break
            return
        headers.setdefault(found.group(1).lower(), found.group(2).strip())
    else:
        index = len(lines)
    from_value = next((v for k, v in headers.items() if k in FORWARD_FROM), "")
    pairs = getaddresses([from_value.replace("[mailto:", "<").replace("]", ">")])
    sender = next((Sender(name=" ".join(n.strip('"').split()), address=clean_address(a))
                   for n, a in pairs if clean_address(a)), None)
    if sender is None:
        return
    parsed.forwarded = True
    parsed.forwarded_by = parsed.sender
    parsed.sender = sender
    parsed.outer_subject = parsed.subject
    parsed.subject = next((v for k, v in headers.items() if k in FORWARD_SUBJECT),
                          parsed.subject)
    written = next((v for k, v in headers.items() if k in FORWARD_DATE), "")
    parsed.forwarded_sent_at = _not_after(parse_date(written), parsed.sent_at)
    if sender.address != parsed.forwarded_by.address:
        # A colleague's forward: the candidate's own words are below the headers. (The
        # candidate forwarding their own mail keeps the whole text: both are theirs.)
        parsed.text = "\n".join(line.lstrip(">").lstrip() if line.startswith(">") else line
                                for line in lines[index:]).strip()


def _not_after(moment: datetime | None, limit: datetime | None) -> datetime | None:
    """A forwarded message's date, unless it is later than the forward itself (then wrong)."""
    if moment is None or (limit is not None and moment > limit):
        return None
    return moment


def clean_body(text: str) -> str:
    """The body without the phones' "Sent from my iPhone" and trailing blank lines."""
    text = safe_text(text).replace("\r\n", "\n").replace("\r", "\n")
    text = CLIENT_SIGNATURES.sub("", text)
    text = re.sub(r"^\s*\[cid:[^\]\n]*\]\s*$", "", text, flags=re.MULTILINE)  # Outlook images
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- Names -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents: "Léa" -> "lea"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _capitalise(word: str) -> str:
    """"MARTIN" -> "Martin", "jean-PIERRE" -> "Jean-Pierre", "d'ARC" -> "d'Arc"."""
    def one(part: str) -> str:
        return part[:1].upper() + part[1:].lower() if part else part

    word = "-".join(one(p) for p in word.split("-"))
    if "'" in word:
        head, _, tail = word.partition("'")
        return f"{head.lower() if len(head) == 1 else head}'{one(tail)}"
    return word


def _is_upper(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def split_name(name: str) -> tuple[str, str]:
    """(first, last) from a display name.

    "MARTIN Léa" and "Léa MARTIN" -> ("Léa", "Martin") (the capitals are the last name);
    "Martin, Léa" -> ("Léa", "Martin"); "Léa Martin" -> ("Léa", "Martin"); "Jean de la
    Fontaine" -> ("Jean", "de la Fontaine"); "léa martin" and "LEA MARTIN" -> ("Léa"/"Lea",
    "Martin"). One word: ("", word).
    """
    name = " ".join(name.replace('"', " ").split()).strip(" ,;")
    if not name:
        return "", ""
    if "," in name:
        last, _, first = name.partition(",")
        return _fix_case(first.strip()), _fix_case(last.strip())
    words = name.split()
    if len(words) == 1:
        return "", _fix_case(words[0])
    upper = [_is_upper(w) for w in words]
    if any(upper) and not all(upper):
        # The capitals are the last name, wherever they are ("MARTIN Léa", "Léa MARTIN").
        last = [w for w, u in zip(words, upper, strict=True) if u]
        first = [w for w, u in zip(words, upper, strict=True) if not u]
        return _fix_case(" ".join(first)), _fix_case(" ".join(last))
    # "Jean de la Fontaine": the particles start the last name.
    for index in range(1, len(words)):
        if fold(words[index]) in NAME_PARTICLES or fold(words[index]).startswith("d'"):
            return _fix_case(" ".join(words[:index])), _fix_case(" ".join(words[index:]))
    return _fix_case(" ".join(words[:-1])), _fix_case(words[-1])


def _fix_case(text: str) -> str:
    """Capitals or lower case throughout become "Martin"; mixed case is kept as written."""
    words = text.split()
    if all(w == w.lower() or _is_upper(w) for w in words if any(c.isalpha() for c in w)):
        return " ".join(w.lower() if fold(w) in NAME_PARTICLES else _capitalise(w)
                        for w in words)
    return text


def name_from_address(address: str, texts: list[str]) -> tuple[str, str]:
    """(first, last) from the address's local part ("lea.martin", "martin_lea", "lmartin92"),
    with its accents when the body or a file name writes the name ("Léa Martin")."""
    local = address.partition("@")[0]
    found = _name_in_texts(local, texts)
    if found is not None:
        return found
    pieces = [p for p in re.split(r"[._\-+]+", re.sub(r"\d+", "", local)) if p]
    if len(pieces) >= 2:
        return _capitalise(pieces[0]), " ".join(_capitalise(p) for p in pieces[1:])
    return "", _capitalise(pieces[0]) if pieces else ""


WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*")


def _name_in_texts(local: str, texts: list[str]) -> tuple[str, str] | None:
    """Two neighbouring words of the texts that the local part spells (accents folded):
    "lea.martin", "martin.lea" or "lmartin" and "Léa Martin" (or "MARTIN Léa") written."""
    target = re.sub(r"[^a-z]", "", fold(local))
    if len(target) < 3:
        return None
    for text in texts:
        words = WORD.findall(text or "")
        for first, second in zip(words, words[1:], strict=False):
            a, b = re.sub(r"[^a-z]", "", fold(first)), re.sub(r"[^a-z]", "", fold(second))
            if len(a) < 2 or len(b) < 2:
                continue
            if target in (a + b, b + a, a[0] + b, b[0] + a, b + a[0], a + b[0]):
                return split_name(f"{first} {second}")
    return None


def fill_names(sender: Sender, text: str, filenames: list[str]) -> None:
    if sender.name and "@" not in sender.name:
        sender.first_name, sender.last_name = split_name(sender.name)
        if sender.first_name or sender.last_name:
            return
    if sender.address:
        # The signature is at the end of the body: read it first.
        tail = "\n".join(text.splitlines()[-15:])
        sender.first_name, sender.last_name = name_from_address(
            sender.address, [tail, text, *filenames])


def find_phone(text: str) -> str:
    """The first French phone number written in the text, as written."""
    match = PHONE.search(text or "")
    return " ".join(match.group(0).split()) if match else ""
